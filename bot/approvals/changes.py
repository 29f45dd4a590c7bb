"""Request changes: an approver sends a pending post back with a reason instead of rejecting it.

    ✏️ / 📝 on the card            → recorded; the bot asks the approver for the reason in the
                                    card's thread (reply there — Slack — or press "Give the
                                    reason", or ``/social changes <id> reason…``)
    Request changes button         → a form asks the reason (Slack modal, Discord modal)
    ``/social changes <id> reason…``  → recorded with the reason

The request stays open (``pending``); existing approvals stay until the post is edited. The
card's note reads "✏️ Changes requested by @x: reason"; the requester is mentioned in the
request's thread with the reason and how to edit. When the post is edited (``submit.on_edit``)
the approvals reset, the note goes, and the approvers who asked are mentioned (``askers``).
Events: ``changes_requested`` (detail: the reason, if given with it) and ``changes_reason`` (a
reason given afterwards); metrics: ``socialbot_approvals_total{decision="changes_requested"}``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlite_utils

from bot import metrics
from bot.approvals import refusal, store
from bot.approvals.cards import closed, for_message, for_post, refresh, tell_requester
from bot.approvals.eligibility import is_approver
from bot.approvals.render import mention
from bot.chat import (
    CHANGES,
    Button,
    Confirmation,
    Destination,
    ErrorReply,
    Outcome,
    ReplyEvent,
    Tone,
    User,
)
from bot.core import Core

log = logging.getLogger(__name__)

REQUESTED = "changes_requested"
REASON = "changes_reason"
NOTE_MAX = 600


def _since_edit(events: list[store.Event]) -> list[store.Event]:
    """The events since the post was last edited (or submitted)."""
    start = 0
    for i, e in enumerate(events):
        if e.action in ("submitted", "edited", "resubmitted"):
            start = i + 1
    return events[start:]


def asks(events: list[store.Event]) -> list[tuple[str, str | None]]:
    """(approver, reason or None) of every open request for changes, in order."""
    out: dict[str, str | None] = {}
    for e in _since_edit(events):
        if e.actor_id is None:
            continue
        if e.action == REQUESTED:
            out[e.actor_id] = e.detail
        elif e.action == REASON and e.actor_id in out:
            out[e.actor_id] = e.detail
    return list(out.items())


def askers(sdb: sqlite_utils.Database, post_id: str) -> list[str]:
    """Approvers who asked for changes since the last edit (to mention after the next one)."""
    return [who for who, _ in asks(store.events(sdb, post_id))]


def note(events: list[store.Event]) -> str | None:
    lines = [
        f"✏️ Changes requested by {mention(who)}: {reason}"
        if reason
        else f"✏️ Changes requested by {mention(who)} — waiting for the reason"
        for who, reason in asks(events)
    ]
    text = "\n".join(lines)
    return text[: NOTE_MAX - 1] + "…" if len(text) > NOTE_MAX else (text or None)


def _how_to_edit(post_id: str) -> str:
    return (
        f'Edit it with /social edit {post_id} caption:"…" — the approvals start again and the '
        "approvers are asked to look at it again."
    )


async def _record(
    core: Core, card: store.CardRow, user: User, reason: str | None, now: datetime
) -> tuple[str, store.CardRow]:
    """One transaction: "closed", "requested" (new), "reason" (given after ✏️) or "repeat"."""

    def write(sdb: sqlite_utils.Database) -> tuple[str, store.CardRow]:
        c = store.get_card(sdb, card.id)
        assert c is not None
        if c.state != store.PENDING:
            return "closed", c
        open_asks = dict(asks(store.events(sdb, c.post_id)))
        if user.id in open_asks and open_asks[user.id] is None and reason:
            kind, action = "reason", REASON
        elif user.id in open_asks and (reason is None or open_asks[user.id] == reason):
            return "repeat", c
        else:
            kind, action = "requested", REQUESTED
        store.add_event(sdb, c, action, now, actor_id=user.id, actor_name=user.name,
                        detail=reason)  # fmt: skip
        store.bump(sdb, c.id, now, note=note(store.events(sdb, c.post_id)))
        fresh = store.get_card(sdb, c.id)
        assert fresh is not None
        return kind, fresh

    return await core.db.transaction(write)


async def request(
    core: Core, card: store.CardRow, user: User, reason: str | None, *, explicit: bool = True
) -> Outcome:
    """``user`` asks for changes on ``card`` (with ``reason``, or it is asked for)."""
    if not await is_approver(core, card, user):
        return await refusal.refuse(core, card, user, explicit=explicit)
    reason = " ".join((reason or "").split()) or None
    now = core.clock.now().astimezone(UTC)
    kind, after = await _record(core, card, user, reason, now)
    if kind == "closed":
        return Outcome((closed(after),)) if explicit else Outcome()
    if kind == "requested":
        metrics.APPROVALS.labels("changes_requested").inc()
    if kind != "repeat":
        await refresh(core, card.id)
    if reason is None:
        await _ask_reason(core, after, user, now)
        asked = Confirmation(
            title="What should change? Reply in the card's thread.",
            ephemeral=True,
            tone=Tone.INFO,
        )
        return Outcome((asked,) if explicit else ())
    await tell_requester(
        core,
        after,
        Confirmation(
            title=f"{mention(after.requester_id)}: {mention(user.id)} asked for changes to "
            f"{after.post_id}",
            text=f"Reason: {reason}\n{_how_to_edit(after.post_id)}",
            tone=Tone.WARNING,
        ),
        key=f"approval-changes:{after.post_id}:{user.id}:{now.isoformat()}",
    )
    return Outcome(
        (
            Confirmation(
                title=f"Changes requested — {mention(after.requester_id)} was told why; the "
                "request stays open.",
                ephemeral=True,
                tone=Tone.INFO,
            ),
        )
    )


async def _ask_reason(core: Core, card: store.CardRow, user: User, now: datetime) -> None:
    """Ask the approver for the reason in the card's thread."""
    if card.card_message_id is None:
        return
    dest = Destination(card.card_platform, card.card_channel, thread=card.card_message_id,
                       team=card.origin_team)  # fmt: skip
    ask = Confirmation(
        title=f"{mention(user.id)}, what should change in {card.post_id}?",
        text=f"Reply here, or type /social changes {card.post_id} <what to change>.",
        tone=Tone.INFO,
        buttons=(Button("Give the reason", CHANGES, card.post_id),),
    )
    try:
        await core.port(card.card_platform).send(
            dest, ask, key=f"approval-ask:{card.post_id}:{user.id}:{now.isoformat()}"
        )
    except Exception:
        log.warning("could not ask %s for the reason on %s", user.id, card.post_id, exc_info=True)


async def _waiting(core: Core, event: ReplyEvent) -> store.CardRow | None:
    """The card whose thread ``event`` is in, if its author asked for changes there and still
    owes the reason; None for any other message (most thread replies anywhere)."""
    if not event.text.strip():
        return None
    card = await for_message(core, event.message)
    if card is None or card.state != store.PENDING:
        return None
    waiting = await core.db.run(lambda sdb: dict(asks(store.events(sdb, card.post_id))))
    if event.user.id not in waiting or waiting[event.user.id] is not None:
        return None  # just a conversation in the thread
    return card


async def awaits_reason(core: Core, event: ReplyEvent) -> bool:
    """Cheap check before a reply is recorded as a delivery at all."""
    return await _waiting(core, event) is not None


async def on_reply(core: Core, event: ReplyEvent) -> Outcome:
    """A reply in a card's thread: the reason of its author's open ✏️, if there is one."""
    card = await _waiting(core, event)
    if card is None:
        return Outcome()
    return await request(core, card, event.user, event.text, explicit=False)


async def typed(core: Core, post_id: str, user: User, reason: str | None) -> Outcome:
    """``/social changes <post id> reason…``."""
    card = await for_post(core, post_id)
    if card is None:
        return Outcome(
            (
                ErrorReply(
                    title=f"No approval request for {post_id}",
                    hint="/social changes <post id> <what to change> — the post id is on the "
                    "approval card (e.g. pst_3kqz1a)",
                ),
            )
        )
    if not (reason or "").strip():
        return Outcome(
            (
                ErrorReply(
                    title="What should change?",
                    problems=("Say what the requester should change after the post id.",),
                    hint=f"/social changes {post_id} Please shorten the first line and add the "
                    "link",
                ),
            )
        )
    return await request(core, card, user, reason)
