"""Deciding on a card: ✅ / ❌ reactions, Approve / Reject buttons, ``/social approve|reject``.

Exactly one outcome per request. The vote and the claim (``pending → approving`` at quorum, or
``pending → rejecting``) happen in one transaction on the one database thread, through
``transition.apply``; the slow work — the Social API call, chat messages — happens after the
claim, while ``transition.running`` tells the recovery sweep the decision is alive. Whoever
loses the race is told who won. The activation itself is in ``activate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import sqlite_utils

from bot import metrics
from bot.api.models import PostStatus
from bot.approvals import changes, refusal, store
from bot.approvals.activate import activate
from bot.approvals.cards import (
    closed,
    delete_draft,
    for_message,
    for_post,
    refresh,
    tell_requester,
)
from bot.approvals.eligibility import is_approver
from bot.approvals.lifecycle import expire
from bot.approvals.render import mention
from bot.approvals.transition import Change, apply, current, move, raced, running
from bot.chat import (
    APPROVE,
    CHANGES,
    REJECT,
    ButtonEvent,
    Confirmation,
    ErrorReply,
    Outcome,
    ReactionAction,
    ReactionEvent,
    Tone,
    User,
)
from bot.core import Core

# ---------------------------------------------------------------- entry points


async def on_reaction(core: Core, event: ReactionEvent) -> Outcome:
    """✅ added: approve; ✅ removed: withdraw; ❌ added: reject; ✏️ added: request changes
    (``changes``). Anything else: nothing."""
    if event.emoji not in (APPROVE, REJECT, CHANGES):
        return Outcome()
    card = await for_message(core, event.message)
    if card is None:
        return Outcome()
    if event.emoji == CHANGES:
        if event.action != ReactionAction.ADDED:
            return Outcome()
        return await changes.request(core, card, event.user, None, explicit=False)
    if event.emoji == APPROVE:
        if event.action == ReactionAction.ADDED:
            return await _approve(core, card, event.user)
        return await _withdraw(core, card, event.user)
    if event.action == ReactionAction.ADDED:
        return await _reject(core, card, event.user, None)
    return Outcome()


async def on_button(core: Core, event: ButtonEvent) -> Outcome:
    """Approve / Reject / Request changes buttons: the same rules as reactions. A Request
    changes button comes back with the reason its form asked (``event.reason``); the "Give the
    reason" button under an ask in the card's thread names the post in ``event.value``."""
    card = await for_message(core, event.message)
    if card is None and event.decision == CHANGES and event.value:
        card = await for_post(core, event.value)
    if card is None:
        return Outcome()
    if event.decision == CHANGES:
        return await changes.request(core, card, event.user, event.reason)
    if event.decision == APPROVE:  # a button press is an interaction: always answered
        return await _approve(core, card, event.user, explicit=True)
    if event.decision == REJECT:
        return await _reject(core, card, event.user, None, explicit=True)
    return Outcome()


async def approve(core: Core, post_id: str, user: User) -> Outcome:
    """``/social approve <post id>``: same as ✅ on the card."""
    card = await for_post(core, post_id)
    if card is None:
        return Outcome((_no_request(post_id),))
    return await _approve(core, card, user, explicit=True)


async def reject(core: Core, post_id: str, user: User, reason: str | None = None) -> Outcome:
    """``/social reject <post id> [reason…]``: same as ❌ on the card, with a reason.

    After a ❌ reaction the same approver may still add the reason this way: the requester is
    told it, and it is recorded.
    """
    card = await for_post(core, post_id)
    if card is None:
        return Outcome((_no_request(post_id),))
    return await _reject(core, card, user, (reason or "").strip() or None, explicit=True)


def _no_request(post_id: str) -> ErrorReply:
    return ErrorReply(
        title=f"No approval request for {post_id}",
        hint="/social approve <post id> or /social reject <post id> [reason] — "
        "the post id is on the approval card (e.g. pst_3kqz1a)",
    )


# ---------------------------------------------------------------- approve


@dataclass(frozen=True)
class _Vote:
    kind: str  # "closed" | "won" | "counted" | "duplicate"
    card: store.CardRow
    count: int


async def _approve(core: Core, card: store.CardRow, user: User, explicit: bool = False) -> Outcome:
    if not await is_approver(core, card, user):
        # Changes nothing; the person is told why (a reaction: once per card — see refusal).
        return await refusal.refuse(core, card, user, explicit=explicit)
    now = core.clock.now().astimezone(UTC)
    if card.state == store.PENDING and card.expires_at is not None and card.expires_at <= now:
        if await expire(core, card, now):
            return Outcome((ErrorReply(title="This request has expired"),))
        return Outcome((raced(await current(core, card.id), "approving it"),))

    def vote(sdb: sqlite_utils.Database) -> _Vote:
        c = store.get_card(sdb, card.id)
        assert c is not None
        if c.state != store.PENDING:
            store.add_event(
                sdb, c, "late_approval", now, actor_id=user.id, actor_name=user.name,
                detail=f"card already {c.state}",
            )  # fmt: skip
            return _Vote("closed", c, 0)
        new = store.add_vote(sdb, c.id, user.id, user.name, c.post_version, now)
        if new:
            store.add_event(sdb, c, "approved", now, actor_id=user.id, actor_name=user.name)
            store.bump(sdb, c.id, now)
            c = store.get_card(sdb, c.id)
            assert c is not None
        count = len(store.votes(sdb, c.id))
        if count >= c.quorum:
            claim = Change(
                None, store.APPROVING, store.OPEN_STATES, actor=user,
                columns={"decided_by": user.id, "decided_by_name": user.name, "note": None},
            )  # fmt: skip
            won = apply(sdb, c, claim, now)
            # Read and claimed in one transaction on the one database thread: it cannot lose.
            assert won is not None, f"approval of {c.post_id} lost a race inside its transaction"
            return _Vote("won", won, count)
        return _Vote("counted" if new else "duplicate", c, count)

    with running(core, card.id):
        result = await core.db.transaction(vote)
        if result.kind == "won":
            return await activate(core, result.card, user)
    if result.kind == "closed":
        return Outcome((closed(result.card),))
    if result.kind == "duplicate":
        return Outcome()
    await refresh(core, card.id)
    return Outcome(
        (
            Confirmation(
                title=f"Approval recorded ({result.count}/{result.card.quorum})",
                ephemeral=True,
                tone=Tone.INFO,
            ),
        )
    )


# ---------------------------------------------------------------- withdraw


async def _withdraw(core: Core, card: store.CardRow, user: User) -> Outcome:
    if not await is_approver(core, card, user):
        return Outcome()
    now = core.clock.now().astimezone(UTC)

    def unvote(sdb: sqlite_utils.Database) -> tuple[bool, int]:
        c = store.get_card(sdb, card.id)
        assert c is not None
        if c.state != store.PENDING:
            return False, 0
        removed = store.remove_vote(sdb, c.id, user.id)
        if removed:
            store.add_event(sdb, c, "withdrawn", now, actor_id=user.id, actor_name=user.name)
            store.bump(sdb, c.id, now)
        return removed, len(store.votes(sdb, c.id))

    removed, count = await core.db.transaction(unvote)
    if not removed:
        return Outcome()
    await refresh(core, card.id)
    return Outcome(
        (
            Confirmation(
                title=f"Approval withdrawn ({count}/{card.quorum})", ephemeral=True, tone=Tone.INFO
            ),
        )
    )


# ---------------------------------------------------------------- reject


async def _reject(
    core: Core, card: store.CardRow, user: User, reason: str | None, explicit: bool = False
) -> Outcome:
    if not await is_approver(core, card, user):
        return await refusal.refuse(core, card, user, explicit=explicit)
    with running(core, card.id):
        return await _reject_claimed(core, card, user, reason)


async def _reject_claimed(
    core: Core, card: store.CardRow, user: User, reason: str | None
) -> Outcome:
    now = core.clock.now().astimezone(UTC)

    def claim(sdb: sqlite_utils.Database) -> tuple[str, store.CardRow]:
        c = store.get_card(sdb, card.id)
        assert c is not None
        if c.state == store.REJECTED and c.decided_by == user.id and reason:
            store.bump(sdb, c.id, now, note=reason)
            store.add_event(sdb, c, "reason", now, actor_id=user.id, actor_name=user.name,
                            detail=reason)  # fmt: skip
            return "reason", c
        if c.state != store.PENDING:
            store.add_event(sdb, c, "late_rejection", now, actor_id=user.id,
                            actor_name=user.name, detail=f"card already {c.state}")  # fmt: skip
            return "closed", c
        change = Change(
            "rejected", store.REJECTING, store.OPEN_STATES, actor=user, detail=reason,
            columns={"decided_by": user.id, "decided_by_name": user.name, "note": reason},
        )  # fmt: skip
        won = apply(sdb, c, change, now)
        # Read and claimed in one transaction on the one database thread: it cannot lose.
        assert won is not None, f"rejection of {c.post_id} lost a race inside its transaction"
        return "won", won

    kind, claimed = await core.db.transaction(claim)
    if kind == "closed":
        return Outcome((closed(claimed),))
    if kind == "reason":
        fresh = await refresh(core, card.id)
        await tell_requester(
            core,
            fresh,
            Confirmation(
                title=f"{mention(user.id)}'s reason for rejecting {card.post_id}",
                text=reason,
                tone=Tone.WARNING,
            ),
            key=f"approval-reason:{card.post_id}:{now.isoformat()}",
        )
        return Outcome((Confirmation(title="Reason sent to the requester", ephemeral=True),))

    deleted = await delete_draft(core, claimed)
    done = Change(
        "draft_not_deleted" if not deleted else None, store.REJECTED,
        frozenset({store.REJECTING}),
        detail="the draft could not be deleted; it stays a draft" if not deleted else None,
        tracked=PostStatus.CANCELED.value,
    )  # fmt: skip
    if await move(core, claimed, done, now) is None:
        return Outcome((raced(await current(core, card.id), "rejecting it"),))
    metrics.APPROVALS.labels("rejected").inc()
    fresh = await refresh(core, card.id)
    await tell_requester(
        core,
        fresh,
        Confirmation(
            title=f"Rejected by {mention(user.id)} — post {card.post_id} will not be published",
            text=f"Reason: {reason}" if reason else None,
            tone=Tone.WARNING,
        ),
        key=f"approval-rejected:{card.post_id}",
    )
    hint = "" if reason else f" Add a reason with /social reject {card.post_id} <reason>."
    return Outcome(
        (
            Confirmation(
                title=f"Rejected — the draft was deleted and {mention(card.requester_id)} was told."
                + hint,
                ephemeral=True,
                tone=Tone.WARNING,
            ),
        )
    )
