"""The Slack adapter journals what it acked and, after a crash, resumes it in the request's
recorded thread (``SlackAdapter.resume``) — a compose-form submission with its files, streamed
from Slack again. Uses the tests/slack harness."""

from __future__ import annotations

import asyncio
import json

from bot import journal
from bot.chat import Confirmation, Outcome, ReactionAction, ReactionEvent
from tests.slack.conftest import (  # noqa: F401 (fixtures)
    Served,
    adapter,
    commands,
    core,
    fake,
    served,
)
from tests.slack.fake_slack import BOT_TOKEN, wait_for
from tests.slack.payloads import reaction, view_payload
from tests.slack.test_modal import open_form, values


async def _die(s: Served) -> None:
    """The process dies: its background work is gone, its journal entries are stale."""
    tasks = s.adapter.deliveries.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await s.adapter.core.db.run(
        lambda sdb: sdb.execute("UPDATE command_journal SET owner = 'dead'").rowcount
    )
    s.commands.seen.clear()  # the resumed dispatch is not a duplicate (claim bypassed)


async def test_command_killed_mid_dispatch_is_resumed_in_its_thread(served: Served) -> None:  # noqa: F811
    s = served
    s.commands.gate = asyncio.Event()  # dispatch hangs: the process is killed meanwhile
    await s.slack.command("/post", "ig Hello")
    await wait_for(lambda: s.commands.invocations, what="dispatch")
    [first] = s.commands.invocations
    assert first.thread is not None
    assert await journal.pending_count(s.adapter.core.db) == 1
    await _die(s)

    posts_before = len(s.fake.calls_to("chat.postMessage"))
    s.commands.gate.set()
    assert await s.adapter.resume() == 1
    await s.adapter.idle()
    [_, again] = s.commands.invocations
    assert again.delivery_id == first.delivery_id
    assert again.thread == first.thread  # the recorded "working" message, not a new one
    assert len(s.fake.calls_to("chat.postMessage")) == posts_before
    assert [u["ts"] for u in s.fake.calls_to("chat.update")] == [first.thread]
    assert await s.adapter.resume() == 0  # nothing left


async def test_reaction_killed_mid_dispatch_is_resumed(served: Served) -> None:  # noqa: F811
    s = served
    s.commands.gate = asyncio.Event()
    r = await s.slack.event(reaction("U2", "white_check_mark", "C1", "1.000001"), "EvKILL1")
    assert r.status_code == 200
    await wait_for(lambda: s.commands.events, what="dispatch_reaction")
    await _die(s)
    s.commands.gate.set()
    assert await s.adapter.resume() == 1
    await s.adapter.idle()
    [first, again] = s.commands.events
    assert isinstance(again, ReactionEvent)
    assert again == first and again.action is ReactionAction.ADDED


async def test_compose_submission_with_a_file_is_resumed_with_the_file(served: Served) -> None:  # noqa: F811
    s = served
    _, view = await open_form(s)
    content = bytes(range(256)) * 400
    f = s.fake.add_file("F9", "launch.png", content, "image/png")
    s.commands.gate = asyncio.Event()  # dispatch hangs: the process is killed meanwhile
    vals = values(
        targets={"selected_options": [{"value": "ig"}]},
        caption={"value": "Launch"},
        files={"files": [f]},
    )
    r = await s.slack.interact(view_payload(view, vals))
    assert r.status_code == 200
    await wait_for(lambda: s.commands.invocations, what="dispatch")
    [first] = s.commands.invocations
    rows = await s.adapter.core.db.run(
        lambda sdb: list(sdb.query("SELECT payload FROM command_journal WHERE kind = 'compose'"))
    )
    assert [json.loads(row["payload"])["files"] for row in rows] == [1]
    await _die(s)

    s.commands.script = lambda inv: Outcome((Confirmation(title="Posted"),))
    s.commands.gate.set()
    assert await s.adapter.resume() == 1
    await s.adapter.idle()
    [_, again] = s.commands.invocations
    assert again.delivery_id == first.delivery_id and again.thread == first.thread
    [att] = again.attachments
    assert (att.name, att.content_type, att.size) == ("launch.png", "image/png", len(content))
    assert b"".join([chunk async for chunk in att.open()]) == content  # from Slack again
    assert s.fake.file_requests[-1]["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert "Posted" in s.fake.calls_to("chat.update")[-1]["text"]  # the working message
    assert await s.adapter.resume() == 0


async def test_compose_entry_from_before_files_were_recorded_is_reported_failed(
    served: Served,  # noqa: F811
) -> None:
    s = served
    _, view = await open_form(s)
    f = s.fake.add_file("F8", "launch.png", b"\x89PNG" * 100, "image/png")
    s.commands.gate = asyncio.Event()
    vals = values(targets={"selected_options": [{"value": "ig"}]}, files={"files": [f]})
    await s.slack.interact(view_payload(view, vals))
    await wait_for(lambda: s.commands.invocations, what="dispatch")
    # As an older version journaled it: the files counted, not recorded.
    await s.adapter.core.db.run(
        lambda sdb: (
            sdb.execute(
                "UPDATE command_journal SET payload = json_remove(payload, '$.uploads')"
            ).rowcount
        )
    )
    await _die(s)
    s.commands.gate.set()
    assert await s.adapter.resume() == 1
    await s.adapter.idle()
    assert len(s.commands.invocations) == 1  # not run again
    [told] = s.fake.calls_to("chat.postEphemeral")
    assert "restarted while working on your post with files" in str(told)
    assert await s.adapter.resume() == 0
