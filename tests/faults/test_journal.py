"""The command journal and start-up recovery: a request the bot accepted is done or reported
failed, and re-running it after a crash repeats nothing (bot.journal, bot.recovery)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import sqlite_utils

from bot import journal, recovery
from bot.api.models import NewPost
from bot.chat import Confirmation, Destination, MessageRef, Reply
from commands.dispatch import dispatch
from tests.commands.conftest import (  # noqa: F401 (fixtures)
    REVIEW,
    Chat,
    RecordingPort,
    _warm_dateparser,
    chat,
    clock,
    sandbox_accounts,
)
from tests.notifier.conftest import Crash


async def _record(chat: Chat, delivery: str) -> tuple[journal.Begin, journal.Entry | None]:  # noqa: F811
    return await journal.record(
        chat.core.db,
        id=delivery,
        platform="slack",
        kind="command",
        payload={"x": 1},
        now=chat.clock.now(),
    )


async def _die(chat: Chat, delivery: str) -> None:  # noqa: F811
    """The process that owned ``delivery`` is gone (another owner token)."""
    await chat.core.db.run(
        lambda sdb: (
            sdb.execute(
                "UPDATE command_journal SET owner = 'dead' WHERE id = ?", [delivery]
            ).rowcount
        )
    )
    # it had claimed the delivery too
    await chat.core.db.run(
        lambda sdb: (
            sdb.execute(
                "INSERT OR IGNORE INTO deliveries (id, seen_at) VALUES (?, 'x')",
                [f"command:slack:{delivery}"],
            ).rowcount
        )
    )


async def test_journal_states(chat: Chat) -> None:  # noqa: F811
    assert (await _record(chat, "d-1"))[0] is journal.Begin.NEW
    assert (await _record(chat, "d-1"))[0] is journal.Begin.BUSY  # running here
    await _die(chat, "d-1")
    assert (await _record(chat, "d-1"))[0] is journal.Begin.TAKEN_OVER
    await _record(chat, "d-2")
    await _die(chat, "d-2")
    [taken] = await journal.take_over(chat.core.db, "slack", chat.clock.now())
    assert taken.id == "d-2" and taken.attempts == 2
    assert await journal.take_over(chat.core.db, "slack", chat.clock.now()) == []
    await journal.mark_done(chat.core.db, "d-2", chat.clock.now())
    assert (await _record(chat, "d-2"))[0] is journal.Begin.DONE
    assert await journal.pending_count(chat.core.db) == 1


async def test_dispatch_marks_the_entry_done(chat: Chat) -> None:  # noqa: F811
    inv = chat.invocation("post", 'x "journaled post"', delivery_id="slack:cmd:j1")
    await _record(chat, inv.delivery_id)
    out = await dispatch(chat.core, inv)
    assert isinstance(out.replies[0], Confirmation)
    assert await journal.pending_count(chat.core.db) == 0


async def test_resumed_post_adopts_the_post_created_before_the_crash(chat: Chat) -> None:  # noqa: F811
    text = "created, then the process died"
    inv = chat.invocation("post", f'x "{text}"', delivery_id="slack:cmd:crash1")
    await _record(chat, inv.delivery_id)
    await journal.mark_creating(chat.core.db, inv.delivery_id)
    client = chat.core.clients.for_workspace("main")
    accounts = {str(a.platform): a.account_id for a in await client.list_accounts()}
    # what the dead process sent, and the API created (its answer never got recorded)
    created = await client.create_post(
        NewPost(account_ids=(accounts["twitter"],), content=text, publish_now=True)
    )
    await _die(chat, inv.delivery_id)

    out = await dispatch(chat.core, inv, resumed=True)
    reply = chat.one(out)
    assert isinstance(reply, Confirmation), reply
    assert chat.post_id(reply) == created.post.post_id  # adopted, not created again
    assert len(chat.api_calls("POST", "/v1/posts")) == 1
    assert await chat.last_tracked("C_MAIN") == created.post.post_id
    assert await journal.pending_count(chat.core.db) == 0


async def test_resumed_post_that_never_reached_create_does_not_list(chat: Chat) -> None:  # noqa: F811
    inv = chat.invocation("post", 'x "killed while queued"', delivery_id="slack:cmd:q1")
    await _record(chat, inv.delivery_id)
    await _die(chat, inv.delivery_id)
    out = await dispatch(chat.core, inv, resumed=True)  # the claim of the dead one is ignored
    assert isinstance(chat.one(out), Confirmation)
    assert len(chat.api_calls("POST", "/v1/posts")) == 1
    assert chat.api_calls("GET", "/v1/posts") == []  # no adoption lookup needed


async def test_resumed_approval_adopts_the_draft(chat: Chat) -> None:  # noqa: F811
    text = "draft created, then the process died"
    inv = chat.invocation("post", f'x "{text}"', channel=REVIEW, delivery_id="slack:cmd:crash2")
    await _record(chat, inv.delivery_id)
    await journal.mark_creating(chat.core.db, inv.delivery_id)
    client = chat.core.clients.for_workspace("main")
    accounts = {str(a.platform): a.account_id for a in await client.list_accounts()}
    draft = await client.create_post(
        NewPost(account_ids=(accounts["twitter"],), content=text, draft=True)
    )
    await _die(chat, inv.delivery_id)
    out = await dispatch(chat.core, inv, resumed=True)
    assert isinstance(chat.one(out), Confirmation)
    assert len(chat.api_calls("POST", "/v1/posts")) == 1
    cards = [s for s in chat.port.sent if s.key == f"approval-card:{draft.post.post_id}"]
    assert len(cards) == 1


@dataclass
class FindingPort(RecordingPort):
    """Records sends; ``find_sent`` answers from them (like Slack message metadata);
    ``crash_on_key`` dies right after that send went out."""

    crash_on_key: str | None = None
    finds: list[str] = field(default_factory=list)

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        ref = await super().send(dest, reply, key=key)
        if key is not None and self.crash_on_key is not None and key.startswith(self.crash_on_key):
            self.crash_on_key = None
            raise Crash("killed after the card went out")
        return ref

    async def find_sent(self, dest: Destination, key: str) -> MessageRef | None:
        self.finds.append(key)
        return next((s.ref for s in self.sent if s.key == key), None)


async def test_card_posted_but_not_recorded_is_found_at_start_up(chat: Chat) -> None:  # noqa: F811
    port = FindingPort(crash_on_key="approval-card:")
    chat.core.ports["slack"] = port
    inv = chat.invocation("post", 'x "card then crash"', channel=REVIEW, delivery_id="d-card")
    with pytest.raises(Crash):
        await dispatch(chat.core, inv)

    def card(sdb: sqlite_utils.Database) -> dict[str, object]:
        return dict(next(iter(sdb.query("SELECT * FROM approval_cards"))))

    row = await chat.core.db.run(card)
    assert row["state"] == "pending" and row["card_message_id"] is None
    assert await recovery.repost_missing_cards(chat.core) == 1
    row = await chat.core.db.run(card)
    assert row["card_message_id"] == port.sent[-1].ref.message_id
    assert len([s for s in port.sent if (s.key or "").startswith("approval-card:")]) == 1
    assert port.reactions  # ✅ ❌ seeded: an approver can react
    assert await recovery.repost_missing_cards(chat.core) == 0


async def test_card_never_posted_is_posted_at_start_up(chat: Chat) -> None:  # noqa: F811
    port = FindingPort()
    chat.core.ports["slack"] = port

    async def die(*a: object, **kw: object) -> MessageRef:
        raise Crash("killed before the card went out")

    port.send = die  # type: ignore[method-assign]
    inv = chat.invocation("post", 'x "crash before card"', channel=REVIEW, delivery_id="d-c2")
    with pytest.raises(Crash):
        await dispatch(chat.core, inv)
    del port.send
    assert await recovery.repost_missing_cards(chat.core) == 1
    assert len([s for s in port.sent if (s.key or "").startswith("approval-card:")]) == 1
