"""The one way an approval card changes state: compare-and-set, record the event, update the
tracked post — in one transaction, or not at all.

``apply`` (on the database thread) / ``move`` (from async code) return the card as it is after
the change, or ``None`` when the card was no longer in ``from_states`` at the version the caller
read: the caller lost a race and must say so (``raced`` words it for a person; background work
logs it). Nothing else in ``bot.approvals`` writes ``approval_cards.state``.

``running(core, card_id)`` marks a decision this process is carrying out (the claim, the Social
API call, the final transition). The recovery sweep (``lifecycle.recover_stuck``) skips those
cards: a slow activation is still running, not stuck, and must not be reopened under it.
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from bot import tracking
from bot.approvals import store
from bot.approvals.render import mention
from bot.chat import ErrorReply, User
from bot.core import Core
from bot.storage import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One state change of a card, and what it leaves behind."""

    event: str | None  # approval_events.action ("rejected", "activated", …); None: no event
    to_state: str
    from_states: frozenset[str]
    actor: User | None = None
    detail: str | None = None
    tracked: str | None = None  # the tracked post's new status (None: unchanged)
    tracked_times: tuple[datetime | None, datetime | None] | None = None  # (first, last due)
    columns: Mapping[str, object] = field(default_factory=dict)  # other card columns to set
    post_version: int | None = None  # the event's post version (default: the card's)


def apply(
    sdb: sqlite_utils.Database, card: store.CardRow, change: Change, now: datetime
) -> store.CardRow | None:
    """Make ``change`` if ``card`` is still in ``change.from_states`` at ``card.version``.

    Runs inside the caller's transaction. Returns the card after the change, or None (lost race:
    nothing was written).
    """
    if not store.compare_and_set(
        sdb,
        card.id,
        from_states=change.from_states,
        version=card.version,
        to_state=change.to_state,
        now=now,
        **dict(change.columns),
    ):
        return None
    actor = change.actor
    if change.event is not None:
        store.add_event(
            sdb,
            card,
            change.event,
            now,
            actor_id=actor.id if actor is not None else None,
            actor_name=actor.name if actor is not None else None,
            detail=change.detail,
            post_version=change.post_version,
        )
    if change.tracked is not None:
        first, last = change.tracked_times or (None, None)
        tracking.set_status(sdb, card.post_id, change.tracked, scheduled_at=first, last_due_at=last)
    after = store.get_card(sdb, card.id)
    assert after is not None
    return after


async def move(
    core: Core, card: store.CardRow, change: Change, now: datetime
) -> store.CardRow | None:
    """``apply`` in its own transaction; a lost race is logged here and returned as None."""
    after = await core.db.transaction(lambda sdb: apply(sdb, card, change, now))
    if after is None:
        log.info(
            "approval %s: %s → %s lost a race (card changed since version %d)",
            card.post_id,
            card.state,
            change.to_state,
            card.version,
        )
    return after


async def current(core: Core, card_id: int) -> store.CardRow:
    card = await core.db.run(lambda sdb: store.get_card(sdb, card_id))
    assert card is not None
    return card


_WORDS = {
    store.PENDING: "waiting for approval again",
    store.APPROVING: "being approved",
    store.APPROVED: "approved",
    store.REJECTING: "being rejected",
    store.REJECTED: "rejected",
    store.EXPIRED: "expired",
    store.CANCELED: "canceled",
}


def raced(card: store.CardRow, doing: str) -> ErrorReply:
    """What the loser of a race is told: what it tried, and what the card is now."""
    word = _WORDS.get(card.state, card.state)
    by = (
        f" by {mention(card.decided_by)}" if card.decided_by and card.state != store.PENDING else ""
    )
    return ErrorReply(
        title=f"Post {card.post_id} changed while I was {doing}: it is now {word}{by}",
        hint=f"/status {card.post_id} shows what happened.",
    )


# ---------------------------------------------------------------- decisions in flight

_running: weakref.WeakKeyDictionary[Database, Counter[int]] = weakref.WeakKeyDictionary()


@contextmanager
def running(core: Core, card_id: int) -> Iterator[None]:
    """Mark a decision on ``card_id`` as carried out by this process (see the module doc)."""
    ids = _running.setdefault(core.db, Counter())
    ids[card_id] += 1
    try:
        yield
    finally:
        ids[card_id] -= 1
        if ids[card_id] <= 0:
            del ids[card_id]


def is_running(core: Core, card_id: int) -> bool:
    return _running.get(core.db, Counter())[card_id] > 0
