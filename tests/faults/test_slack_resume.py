"""The Slack adapter journals what it acked and, after a crash, resumes it in the request's
recorded thread (``SlackAdapter.resume``). Uses the tests/slack harness."""

from __future__ import annotations

import asyncio

from bot import journal
from bot.chat import ReactionAction
from tests.slack.conftest import (  # noqa: F401 (fixtures)
    Served,
    adapter,
    commands,
    core,
    fake,
    served,
)
from tests.slack.fake_slack import wait_for
from tests.slack.payloads import reaction


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
    assert again == first and again.action is ReactionAction.ADDED
