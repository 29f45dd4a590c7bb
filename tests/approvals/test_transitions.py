"""The one transition helper: a lost race writes nothing and is reported; the recovery sweep
leaves a decision that is still running alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta

import pytest
import sqlite_utils

from bot import approvals, tracking
from bot.api.models import PostUpdate, UpdatedPost
from bot.approvals import store
from bot.approvals.decide import _approve
from bot.approvals.transition import Change, apply
from bot.chat import ErrorReply, User
from tests.approvals.conftest import BOB, Harness, policy


class Gate:
    """Holds every ``update_post`` of the Social client until released (a slow activation)."""

    def __init__(self, bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        real: Callable[[str, PostUpdate], Awaitable[UpdatedPost]] = bot.social.client.update_post

        async def held(post_id: str, update: PostUpdate) -> UpdatedPost:
            self.entered.set()
            await self.release.wait()
            return await real(post_id, update)

        monkeypatch.setattr(bot.social.client, "update_post", held)


async def _card(bot: Harness, post_id: str) -> store.CardRow:
    card = await bot.core.db.run(lambda sdb: store.card_by_post(sdb, post_id))
    assert card is not None
    return card


async def test_a_stale_transition_writes_nothing(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    stale = await _card(bot, post_id)
    await bot.core.db.run(lambda sdb: store.bump(sdb, stale.id, bot.clock.now()))
    change = Change("expired", store.EXPIRED, store.OPEN_STATES, tracked="canceled", detail="test")
    now = bot.clock.now().astimezone(UTC)

    def go(sdb: sqlite_utils.Database) -> store.CardRow | None:
        return apply(sdb, stale, change, now)

    assert await bot.core.db.transaction(go) is None
    after = await _card(bot, post_id)
    assert after.state == "pending"
    assert [e.action for e in await bot.core.db.run(lambda s: store.events(s, post_id))] == [
        "submitted"
    ]
    row = await bot.core.db.run(lambda s: tracking.get(s, post_id))
    assert row is not None and row.status == "draft"
    # … and at the current version it goes through, with its event and tracked status.
    assert await bot.core.db.transaction(lambda sdb: apply(sdb, after, change, now)) is not None
    row = await bot.core.db.run(lambda s: tracking.get(s, post_id))
    assert row is not None and row.status == "canceled"


async def test_the_sweep_never_reopens_a_card_whose_activation_is_running(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    gate = Gate(bot, monkeypatch)
    approving = asyncio.create_task(bot.react(ref, BOB))
    await gate.entered.wait()
    bot.clock.advance(60 * 60)  # the API is very slow: far past the sweep's 5 minutes
    assert await approvals.recover_stuck(bot.core, bot.clock.now()) == 0
    await approvals.expire_due(bot.core, bot.clock.now())
    assert (await _card(bot, post_id)).state == "approving"
    assert not any("interrupted" in t for t in bot.port.to_origin())
    gate.release.set()
    out = await approving
    assert [type(r) for r in out.replies] != [ErrorReply]
    assert bot.card(ref).state == "approved"
    assert await bot.social.status(post_id) == "publishing"
    assert len(bot.social.requests("PUT", post_id)) == 1


async def test_an_activation_that_loses_its_card_says_so(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    gate = Gate(bot, monkeypatch)
    approving = asyncio.create_task(bot.react(ref, BOB))
    await gate.entered.wait()

    def other_process(sdb: sqlite_utils.Database) -> None:  # e.g. a second bot's sweep
        sdb.execute(
            "UPDATE approval_cards SET state = 'pending', version = version + 1, "
            "decided_by = NULL WHERE post_id = ?",
            [post_id],
        )

    await bot.core.db.transaction(other_process)
    gate.release.set()
    (told,) = (await approving).replies
    assert isinstance(told, ErrorReply)
    assert told.title == f"Post {post_id} changed while I was activating it: it is now " + (
        "waiting for approval again"
    )
    assert (await _card(bot, post_id)).state == "pending"
    assert not any("Approved by" in t for t in bot.port.to_origin())


async def test_an_approval_racing_expiry_is_told_what_won(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1, expires_after=timedelta(hours=1)))
    post_id = bot.card(ref).card_id
    bot.clock.advance(2 * 3600)
    card = await _card(bot, post_id)
    # The sweep expires it between the approver's read and their vote.
    await approvals.expire_due(bot.core, bot.clock.now())
    out = await _approve(bot.core, card, User(BOB.id, BOB.name))
    (told,) = out.replies
    assert isinstance(told, ErrorReply) and "it is now expired" in told.title
