"""Submit, approve, reject, withdraw, edit: the decisions on an approval card.

Exactly one outcome per request: every state change is a compare-and-set on
``approval_cards(state, version)`` inside ``core.db.transaction`` (the database runs on one
thread, so the check and the write cannot interleave). Slow work — the Social API call, chat
messages — happens outside the transaction, after the state was claimed (``approving`` /
``rejecting``); whoever loses the race is told who won.

If activation fails after the claim, the card goes back to ``pending`` with its votes kept and a
note on the card and in the requester's thread; the next ✅ (or Approve button, or
``approve()``) from any approver retries it. A 404 from the API (the draft is gone) closes the
card as ``canceled``. Nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import uuid
import weakref
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot import journal, metrics, tracking
from bot.api.errors import ApiError, NotFound
from bot.api.models import NewPost, PostStatus, PostUpdate
from bot.approvals import store
from bot.approvals.eligibility import is_approver
from bot.approvals.render import (
    build_preview,
    card_reply,
    channel_mention,
    edited_preview,
    mention,
    plural,
    utc_text,
)
from bot.approvals.types import PostRequest
from bot.chat import (
    APPROVE,
    REJECT,
    ButtonEvent,
    Confirmation,
    Destination,
    ErrorReply,
    MessageRef,
    Outcome,
    ReactionAction,
    ReactionEvent,
    Reply,
    Tone,
    User,
)
from bot.config import ApprovalPolicy
from bot.core import Core
from bot.storage import Database

log = logging.getLogger(__name__)

_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def migrate(db: Database) -> None:
    """Create / upgrade the approval tables (namespace ``approvals``). Idempotent."""
    await db.migrate(store.NAMESPACE, store.MIGRATIONS)
    _migrated.add(db)


async def _ready(core: Core) -> None:
    if core.db not in _migrated:
        await migrate(core.db)


def _utc(t: datetime | None) -> datetime | None:
    return t.astimezone(UTC) if t is not None else None


def _ref(card: store.CardRow) -> MessageRef | None:
    if card.card_message_id is None:
        return None
    return MessageRef(card.card_platform, card.card_channel, card.card_message_id)


def _origin(card: store.CardRow) -> Destination:
    return Destination(
        platform=card.origin_platform,
        channel=card.origin_channel,
        thread=card.origin_thread,
        team=card.origin_team,
    )


async def _load(core: Core, card_id: int) -> tuple[store.CardRow, list[store.Vote]]:
    def read(sdb: sqlite_utils.Database) -> tuple[store.CardRow, list[store.Vote]]:
        card = store.get_card(sdb, card_id)
        assert card is not None
        return card, store.votes(sdb, card_id)

    return await core.db.run(read)


async def _refresh_card(core: Core, card_id: int) -> store.CardRow:
    """Re-render the card message from the database (best effort: the DB is the truth)."""
    card, votes = await _load(core, card_id)
    ref = _ref(card)
    if ref is not None:
        try:
            await core.port(card.card_platform).update(ref, card_reply(card, votes))
        except Exception:
            log.warning("could not update approval card %s", card.post_id, exc_info=True)
    return card


async def _tell_requester(core: Core, card: store.CardRow, reply: Reply, key: str) -> None:
    try:
        await core.port(card.origin_platform).send(_origin(card), reply, key=key)
    except Exception:
        log.warning("could not message the requester of %s", card.post_id, exc_info=True)


# ---------------------------------------------------------------- submit


def _intended(post: NewPost) -> store.Intended:
    schedules = {p.value: t.astimezone(UTC) for p, t in post.platform_schedules.items()}
    publish_now = post.publish_now or (post.scheduled_at is None and not schedules)
    return store.Intended(
        scheduled_at=_utc(post.scheduled_at), publish_now=publish_now, platform_schedules=schedules
    )


async def submit(core: Core, request: PostRequest, policy: ApprovalPolicy) -> tuple[Reply, ...]:
    """Create the API draft, record it, post the card (seeded ✅ ❌); replies for the requester.

    API errors from creating the draft propagate (nothing is written before it succeeds).
    """
    await _ready(core)
    now = core.clock.now().astimezone(UTC)
    client = core.clients.for_workspace(request.workspace)
    intended = _intended(request.post)
    draft = replace(
        request.post, draft=True, publish_now=False, scheduled_at=None, platform_schedules={}
    )
    found = None
    if journal.resuming.get():  # re-run after a crash: the draft may exist already
        found = await journal.find_created(core.db, client, draft, request.delivery_id)
    if found is not None:
        post_id = found.post_id
    else:
        await journal.mark_creating(core.db, request.delivery_id)
        post_id = (await client.create_post(draft)).post.post_id
    origin = request.origin
    card_channel = policy.channel or origin.channel
    preview = build_preview(request)
    times = intended.times
    quorum = max(1, policy.quorum)

    def write(sdb: sqlite_utils.Database) -> store.CardRow:
        tracking.record(
            sdb,
            tracking.TrackedPost(
                post_id=post_id,
                workspace=request.workspace,
                platform=origin.platform,
                team=origin.team,
                channel=origin.channel,
                thread=origin.thread,
                requester=request.requester.id,
                requester_name=request.requester.name,
                created_at=now,
                scheduled_at=min(times) if times else None,
                last_due_at=max(times) if times else None,
                status=PostStatus.DRAFT.value,
                summary=request.summary[:200],
                accounts=tracking.account_labels(request.targets),
            ),
        )
        card_id = store.insert_card(
            sdb,
            {
                "post_id": post_id,
                "workspace": request.workspace,
                "state": store.PENDING,
                "origin_platform": origin.platform,
                "origin_team": origin.team,
                "origin_channel": origin.channel,
                "origin_thread": origin.thread,
                "requester_id": request.requester.id,
                "requester_name": request.requester.name,
                "approvers": json.dumps(list(policy.approvers)),
                "quorum": quorum,
                "allow_self": int(policy.allow_self),
                "card_platform": origin.platform,
                "card_team": origin.team,
                "card_channel": card_channel,
                "intended": intended.to_json(),
                "preview": preview.to_json(),
                "created_at": now.isoformat(),
                "updated_at": now.isoformat(),
                "expires_at": (now + policy.expires_after).isoformat()
                if policy.expires_after
                else None,
            },
        )
        card = store.get_card(sdb, card_id)
        assert card is not None
        journal.note_post(sdb, request.delivery_id, post_id)
        store.add_event(
            sdb,
            card,
            "submitted",
            now,
            actor_id=request.requester.id,
            actor_name=request.requester.name,
            detail=f"needs {plural(quorum, 'approval')}",
        )
        return card

    card = await core.db.transaction(write)
    port = core.port(origin.platform)
    card_dest = Destination(origin.platform, card_channel, team=origin.team)
    card_key = f"approval-card:{post_id}"
    try:
        try:
            ref = await port.send(card_dest, card_reply(card, []), key=card_key)
        except Exception:
            # The send may have gone out all the same (e.g. a timeout): a card people can see
            # must stay usable, so look for it by its key before giving up.
            finder = getattr(port, "find_sent", None)
            sent = await finder(card_dest, card_key) if finder is not None else None
            if sent is None:
                raise
            ref = sent
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("could not post the approval card for %s (ref %s)", post_id, reference)
        await _close_without_card(core, card, now)
        return (
            ErrorReply(
                title="Couldn't post the approval card, so nothing was sent for approval",
                problems=(
                    f"The approval channel {channel_mention(card_channel)} is not reachable.",
                ),
                hint="Check that the bot is in that channel, then try again.",
                reference=reference,
            ),
        )

    def keep_ref(sdb: sqlite_utils.Database) -> None:
        sdb.execute(
            "UPDATE approval_cards SET card_channel = ?, card_message_id = ? WHERE id = ?",
            [ref.channel, ref.message_id, card.id],
        )

    await core.db.run(keep_ref)
    try:
        await port.add_reactions(ref, [APPROVE, REJECT])
    except Exception:
        log.warning("could not seed reactions on the card of %s", post_id, exc_info=True)
    return (
        Confirmation(
            title=f"Sent for approval in {channel_mention(card_channel)} — "
            f"needs {plural(quorum, 'approval')}",
            text=f"Post {post_id} waits as a draft; once approved it goes out ({request.when}).",
            tone=Tone.INFO,
        ),
    )


async def _close_without_card(core: Core, card: store.CardRow, now: datetime) -> None:
    try:
        await core.clients.for_workspace(card.workspace).delete_post(card.post_id)
    except Exception:
        log.warning("could not delete draft %s", card.post_id, exc_info=True)

    def close(sdb: sqlite_utils.Database) -> None:
        store.compare_and_set(
            sdb,
            card.id,
            from_states=store.OPEN_STATES,
            version=card.version,
            to_state=store.CANCELED,
            now=now,
            note="the approval card could not be posted",
        )
        store.add_event(sdb, card, "canceled", now, detail="the approval card could not be posted")
        tracking.set_status(sdb, card.post_id, PostStatus.CANCELED.value)

    await core.db.transaction(close)


# ---------------------------------------------------------------- entry points


async def on_reaction(core: Core, event: ReactionEvent) -> Outcome:
    """✅ added: approve; ✅ removed: withdraw; ❌ added: reject. Anything else: nothing."""
    if event.emoji not in (APPROVE, REJECT):
        return Outcome()
    card = await _card_for_message(core, event.message)
    if card is None:
        return Outcome()
    if event.emoji == APPROVE:
        if event.action == ReactionAction.ADDED:
            return await _approve(core, card, event.user)
        return await _withdraw(core, card, event.user)
    if event.action == ReactionAction.ADDED:
        return await _reject(core, card, event.user, None)
    return Outcome()


async def on_button(core: Core, event: ButtonEvent) -> Outcome:
    """Approve / Reject buttons: the same rules as reactions."""
    card = await _card_for_message(core, event.message)
    if card is None:
        return Outcome()
    if event.decision == APPROVE:
        return await _approve(core, card, event.user)
    if event.decision == REJECT:
        return await _reject(core, card, event.user, None)
    return Outcome()


async def approve(core: Core, post_id: str, user: User) -> Outcome:
    """``/social approve <post id>``: same as ✅ on the card."""
    card = await _card_for_post(core, post_id)
    if card is None:
        return Outcome((_no_request(post_id),))
    return await _approve(core, card, user, explicit=True)


async def reject(core: Core, post_id: str, user: User, reason: str | None = None) -> Outcome:
    """``/social reject <post id> [reason…]``: same as ❌ on the card, with a reason.

    After a ❌ reaction the same approver may still add the reason this way: the requester is
    told it, and it is recorded.
    """
    card = await _card_for_post(core, post_id)
    if card is None:
        return Outcome((_no_request(post_id),))
    return await _reject(core, card, user, (reason or "").strip() or None, explicit=True)


def _no_request(post_id: str) -> ErrorReply:
    return ErrorReply(
        title=f"No approval request for {post_id}",
        hint="/social approve <post id> or /social reject <post id> [reason] — "
        "the post id is on the approval card (e.g. pst_3kqz1a)",
    )


CARD_POSTING_WAIT = 20.0  # seconds a reaction waits for a card whose send is still in flight
CARD_POSTING_POLL = 0.25


async def _card_for_message(core: Core, ref: MessageRef) -> store.CardRow | None:
    """The card behind ``ref``. A card is visible (and can be reacted to) before its send
    returns — Discord retries an ambiguous send for seconds — so while a card of that channel
    has no message id yet, keep looking for a while instead of dropping the reaction."""
    await _ready(core)

    def look(sdb: sqlite_utils.Database) -> tuple[store.CardRow | None, bool]:
        card = store.card_by_message(sdb, ref.platform, ref.channel, ref.message_id)
        return card, card is None and store.card_being_posted(sdb, ref.platform, ref.channel)

    waited = 0.0
    while True:
        card, posting = await core.db.run(look)
        if card is not None or not posting or waited >= CARD_POSTING_WAIT:
            return card
        await core.clock.sleep(CARD_POSTING_POLL)
        waited += CARD_POSTING_POLL


async def _card_for_post(core: Core, post_id: str) -> store.CardRow | None:
    await _ready(core)
    return await core.db.run(lambda sdb: store.card_by_post(sdb, post_id.strip()))


def _not_allowed(card: store.CardRow, user: User) -> ErrorReply:
    if user.id == card.requester_id and not card.allow_self:
        return ErrorReply(title="You can't approve or reject your own request")
    return ErrorReply(title="You are not an approver for this request")


_CLOSED_WORDS = {
    store.APPROVING: "being approved",
    store.APPROVED: "approved",
    store.REJECTING: "rejected",
    store.REJECTED: "rejected",
    store.EXPIRED: "expired",
    store.CANCELED: "canceled",
}


def _closed(card: store.CardRow) -> ErrorReply:
    word = _CLOSED_WORDS.get(card.state, card.state)
    if card.state in (store.EXPIRED, store.CANCELED) or card.decided_by is None:
        return ErrorReply(title=f"This request was already {word}")
    return ErrorReply(title=f"This request was already {word} by {mention(card.decided_by)}")


# ---------------------------------------------------------------- approve


@dataclass(frozen=True)
class _Vote:
    kind: str  # "closed" | "won" | "counted" | "duplicate"
    card: store.CardRow
    count: int


async def _approve(core: Core, card: store.CardRow, user: User, explicit: bool = False) -> Outcome:
    if not await is_approver(core, card, user):
        # Reactions from non-approvers change nothing and tell no one; a typed command answers.
        return Outcome((_not_allowed(card, user),)) if explicit and not user.is_bot else Outcome()
    now = core.clock.now().astimezone(UTC)
    if card.state == store.PENDING and card.expires_at is not None and card.expires_at <= now:
        await _expire(core, card, now)
        return Outcome((ErrorReply(title="This request has expired"),))

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
        if count >= c.quorum and store.compare_and_set(
            sdb,
            c.id,
            from_states=store.OPEN_STATES,
            version=c.version,
            to_state=store.APPROVING,
            now=now,
            decided_by=user.id,
            decided_by_name=user.name,
            note=None,
        ):
            won = store.get_card(sdb, c.id)
            assert won is not None
            return _Vote("won", won, count)
        return _Vote("counted" if new else "duplicate", c, count)

    result = await core.db.transaction(vote)
    if result.kind == "closed":
        return Outcome((_closed(result.card),))
    if result.kind == "duplicate":
        return Outcome()
    if result.kind == "counted":
        await _refresh_card(core, card.id)
        return Outcome(
            (
                Confirmation(
                    title=f"Approval recorded ({result.count}/{result.card.quorum})",
                    ephemeral=True,
                    tone=Tone.INFO,
                ),
            )
        )
    return await _activate(core, result.card, user)


def _activation(intended: store.Intended, now: datetime) -> tuple[PostUpdate, str, bool]:
    """The PUT that activates the draft, the human "when", and whether the time had passed.

    ``PostUpdate`` carries no per-platform schedules: a request with only per-platform times is
    activated at its earliest one.
    """
    if intended.publish_now:
        return PostUpdate(publish_now=True), "now", False
    at = intended.scheduled_at
    if at is None:
        times = intended.times
        at = min(times) if times else None
    if at is None:
        return PostUpdate(publish_now=True), "now", False
    if at <= now:
        return PostUpdate(publish_now=True), "now", True
    return PostUpdate(scheduled_at=at), utc_text(at), False


async def _activate(core: Core, card: store.CardRow, user: User) -> Outcome:
    now = core.clock.now().astimezone(UTC)
    update, when, passed = _activation(card.intended, now)
    client = core.clients.for_workspace(card.workspace)
    try:
        result = await client.update_post(card.post_id, update)
    except NotFound:
        return await _draft_gone(core, card, user, now)
    except Exception as e:
        return await _activation_failed(core, card, user, e, now)

    status = str(result.post.status) or PostStatus.SCHEDULED.value
    if update.publish_now and status in (PostStatus.SCHEDULED.value, PostStatus.DRAFT.value):
        status = PostStatus.PUBLISHING.value  # going out now, whatever the answer said
    if passed:
        detail = (
            f"the time ({utc_text(card.intended.scheduled_at or now)}) had passed — publishing now"
        )
    elif update.publish_now:
        detail = "publishing now"
    else:
        detail = f"scheduled for {when}"
    times = card.intended.times
    first = now if update.publish_now else min(times) if times else None
    last = now if update.publish_now else max(times) if times else None

    def done(sdb: sqlite_utils.Database) -> None:
        store.compare_and_set(
            sdb,
            card.id,
            from_states=frozenset({store.APPROVING}),
            version=card.version,
            to_state=store.APPROVED,
            now=now,
            note=detail,
        )
        store.add_event(sdb, card, "activated", now, actor_id=user.id, actor_name=user.name,
                        detail=detail)  # fmt: skip
        tracking.set_status(sdb, card.post_id, status, scheduled_at=first, last_due_at=last)

    await core.db.transaction(done)
    metrics.APPROVALS.labels("approved").inc()
    fresh = await _refresh_card(core, card.id)
    approvers = await core.db.run(lambda sdb: store.votes(sdb, card.id))
    by = ", ".join(mention(v.user_id) for v in approvers) or mention(user.id)
    title = (
        f"Approved by {by} — the scheduled time had passed, so it is publishing now"
        if passed
        else f"Approved by {by} — {detail}"
    )
    await _tell_requester(
        core,
        fresh,
        Confirmation(
            title=title,
            text=f"{mention(fresh.requester_id)} your post {card.post_id} was approved.",
        ),
        key=f"approval-approved:{card.post_id}",
    )
    return Outcome((Confirmation(title=f"Approved — {detail}", ephemeral=True),))


async def _activation_failed(
    core: Core, card: store.CardRow, user: User, error: Exception, now: datetime
) -> Outcome:
    reference = uuid.uuid4().hex[:8]
    if isinstance(error, ApiError):
        log.warning("activation of %s failed (ref %s): %s", card.post_id, reference, error)
        reason = str(error)
    else:
        log.exception("activation of %s failed (ref %s)", card.post_id, reference, exc_info=error)
        reason = "unexpected error"
    note = f"Activation failed ({reason}) — react ✅ again or press Approve to retry"

    def back(sdb: sqlite_utils.Database) -> None:
        store.compare_and_set(
            sdb,
            card.id,
            from_states=frozenset({store.APPROVING}),
            version=card.version,
            to_state=store.PENDING,
            now=now,
            decided_by=None,
            decided_by_name=None,
            note=note,
        )
        store.add_event(sdb, card, "activation_failed", now, actor_id=user.id,
                        actor_name=user.name, detail=f"{reason} (ref {reference})")  # fmt: skip

    await core.db.transaction(back)
    fresh = await _refresh_card(core, card.id)
    await _tell_requester(
        core,
        fresh,
        ErrorReply(
            title=f"Approved, but post {card.post_id} could not be activated yet",
            problems=(reason,),
            hint="It is still waiting: an approver can react ✅ again (or press Approve) to retry.",
            reference=reference,
            ephemeral=False,
        ),
        key=f"approval-failed:{card.post_id}:{reference}",
    )
    return Outcome(
        (
            ErrorReply(
                title="Approved, but the post could not be activated",
                problems=(reason,),
                hint="React ✅ again (or press Approve) to retry.",
                reference=reference,
            ),
        )
    )


async def _draft_gone(core: Core, card: store.CardRow, user: User, now: datetime) -> Outcome:
    note = "the draft no longer exists in the Social API"

    def close(sdb: sqlite_utils.Database) -> None:
        store.compare_and_set(
            sdb,
            card.id,
            from_states=frozenset({store.APPROVING}),
            version=card.version,
            to_state=store.CANCELED,
            now=now,
            note=note,
        )
        store.add_event(sdb, card, "canceled", now, actor_id=user.id, actor_name=user.name,
                        detail=note)  # fmt: skip
        tracking.set_status(sdb, card.post_id, PostStatus.CANCELED.value)

    await core.db.transaction(close)
    fresh = await _refresh_card(core, card.id)
    await _tell_requester(
        core,
        fresh,
        ErrorReply(title=f"Post {card.post_id} was approved but {note}", ephemeral=False),
        key=f"approval-gone:{card.post_id}",
    )
    return Outcome((ErrorReply(title=f"Approved, but {note}"),))


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
    await _refresh_card(core, card.id)
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
        return Outcome((_not_allowed(card, user),)) if explicit and not user.is_bot else Outcome()
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
        if not store.compare_and_set(
            sdb,
            c.id,
            from_states=store.OPEN_STATES,
            version=c.version,
            to_state=store.REJECTING,
            now=now,
            decided_by=user.id,
            decided_by_name=user.name,
            note=reason,
        ):  # pragma: no cover - cannot happen on the single database thread
            return "closed", c
        store.add_event(sdb, c, "rejected", now, actor_id=user.id, actor_name=user.name,
                        detail=reason)  # fmt: skip
        won = store.get_card(sdb, c.id)
        assert won is not None
        return "won", won

    kind, claimed = await core.db.transaction(claim)
    if kind == "closed":
        return Outcome((_closed(claimed),))
    if kind == "reason":
        fresh = await _refresh_card(core, card.id)
        await _tell_requester(
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

    deleted = await _delete_draft(core, claimed)

    def done(sdb: sqlite_utils.Database) -> None:
        store.compare_and_set(
            sdb,
            claimed.id,
            from_states=frozenset({store.REJECTING}),
            version=claimed.version,
            to_state=store.REJECTED,
            now=now,
        )
        if not deleted:
            store.add_event(sdb, claimed, "draft_not_deleted", now,
                            detail="the draft could not be deleted; it stays a draft")  # fmt: skip
        tracking.set_status(sdb, claimed.post_id, PostStatus.CANCELED.value)

    await core.db.transaction(done)
    metrics.APPROVALS.labels("rejected").inc()
    fresh = await _refresh_card(core, card.id)
    await _tell_requester(
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


async def _delete_draft(core: Core, card: store.CardRow) -> bool:
    try:
        await core.clients.for_workspace(card.workspace).delete_post(card.post_id)
    except NotFound:
        return True
    except Exception:
        log.warning("could not delete draft %s", card.post_id, exc_info=True)
        return False
    return True


# ---------------------------------------------------------------- edit, expiry, history


async def on_edit(
    core: Core,
    post_id: str,
    by: User,
    *,
    post: NewPost | None = None,
    when: str | None = None,
    summary: str | None = None,
) -> str | None:
    """A pending request's post was edited: reset its approvals. Returns a note, or None.

    Pass ``post`` (as it should be activated: ``publish_now`` / ``scheduled_at``) when the edit
    changed when it goes out, and ``when`` / ``summary`` to refresh the card's text. The command
    layer must not send ``scheduled_at`` / ``publish_now`` to the API for a pending draft
    (that would activate it): it passes them here instead.
    """
    await _ready(core)
    now = core.clock.now().astimezone(UTC)

    def reset(sdb: sqlite_utils.Database) -> store.CardRow | None:
        c = store.card_by_post(sdb, post_id)
        if c is None or c.state != store.PENDING:
            return None
        cleared = store.clear_votes(sdb, c.id)
        extra: dict[str, object] = {"post_version": c.post_version + 1, "note": None}
        if post is not None:
            extra["intended"] = _intended(post).to_json()
        if when is not None or summary is not None:
            who = c.requester_name or c.requester_id
            extra["preview"] = edited_preview(c.preview, who, when=when, summary=summary).to_json()
        store.compare_and_set(
            sdb, c.id, from_states=store.OPEN_STATES, version=c.version, to_state=store.PENDING,
            now=now, **extra,
        )  # fmt: skip
        store.add_event(sdb, c, "edited", now, actor_id=by.id, actor_name=by.name,
                        post_version=c.post_version + 1,
                        detail=f"{plural(cleared, 'approval')} reset")  # fmt: skip
        if post is not None:
            times = _intended(post).times
            tracking.set_status(
                sdb, post_id, PostStatus.DRAFT.value,
                scheduled_at=min(times) if times else None,
                last_due_at=max(times) if times else None,
            )  # fmt: skip
        return c

    card = await core.db.transaction(reset)
    if card is None:
        return None
    await _refresh_card(core, card.id)
    return f"Edited while waiting for approval: approvals reset — needs {plural(card.quorum, 'approval')} again."


_VERBS = {
    "submitted": "asked for approval",
    "approved": "approved",
    "withdrawn": "withdrew their approval",
    "rejected": "rejected",
    "reason": "gave a reason",
    "activated": "activation:",
    "activation_failed": "activation failed:",
    "edited": "edited the post",
    "expired": "expired",
    "canceled": "canceled",
    "late_approval": "approved too late",
    "late_rejection": "rejected too late",
    "draft_not_deleted": "note:",
    "recovered": "recovered:",
}


async def history(core: Core, post_id: str) -> tuple[str, ...]:
    """Approval decisions for /status, one human line each."""
    await _ready(core)
    events = await core.db.run(lambda sdb: store.events(sdb, post_id))
    lines = []
    for e in events:
        who = mention(e.actor_id) + " " if e.actor_id else ""
        verb = _VERBS.get(e.action, e.action)
        detail = f" {e.detail}" if e.detail else ""
        if e.action in ("rejected", "reason") and e.detail:
            detail = f": “{e.detail}”"
        elif e.action in ("submitted", "edited") and e.detail:
            detail = f" ({e.detail})"
        at = e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"{at} · {who}{verb}{detail} · post v{e.post_version}")
    return tuple(lines)


async def _expire(core: Core, card: store.CardRow, now: datetime) -> bool:
    def close(sdb: sqlite_utils.Database) -> bool:
        c = store.get_card(sdb, card.id)
        if c is None or not store.compare_and_set(
            sdb, c.id, from_states=store.OPEN_STATES, version=c.version, to_state=store.EXPIRED,
            now=now, note="expired before enough approvals",
        ):  # fmt: skip
            return False
        store.add_event(sdb, c, "expired", now, detail="not approved in time")
        tracking.set_status(sdb, c.post_id, PostStatus.CANCELED.value)
        return True

    if not await core.db.transaction(close):
        return False
    metrics.APPROVALS.labels("expired").inc()
    await _delete_draft(core, card)
    fresh = await _refresh_card(core, card.id)
    await _tell_requester(
        core,
        fresh,
        Confirmation(
            title=f"Approval request for {card.post_id} expired — it will not be published",
            text=f"{mention(card.requester_id)} send it again if it is still wanted.",
            tone=Tone.WARNING,
        ),
        key=f"approval-expired:{card.post_id}",
    )
    return True


BUSY_TIMEOUT = timedelta(minutes=5)


async def recover_stuck(core: Core, now: datetime, *, older_than: timedelta = BUSY_TIMEOUT) -> int:
    """Cards left ``approving`` / ``rejecting`` for over ``older_than`` (the process died
    between claiming the decision and finishing it): ask the API where the post is and finish
    the decision, or reopen the card. Returns how many cards were recovered. At start-up, before
    serving, every busy card is stuck (``older_than=timedelta(0)``)."""
    await _ready(core)
    stuck = await core.db.run(lambda sdb: store.busy_since(sdb, now - older_than))
    done = 0
    for card in stuck:
        try:
            await _recover(core, card, now)
            done += 1
        except Exception:
            log.warning("could not recover approval request %s", card.post_id, exc_info=True)
    return done


async def _recover(core: Core, card: store.CardRow, now: datetime) -> None:
    client = core.clients.for_workspace(card.workspace)
    status: str | None
    try:
        status = str((await client.get_post(card.post_id)).status)
    except NotFound:
        status = None
    actor = User(card.decided_by, card.decided_by_name) if card.decided_by else User("?")
    if card.state == store.REJECTING:
        deleted = status in (None, PostStatus.CANCELED.value) or await _delete_draft(core, card)
        target, note = store.REJECTED, card.note
        detail = "rejection finished after an interruption" + ("" if deleted else "; draft kept")
        tracked = PostStatus.CANCELED.value
    elif status is None or status == PostStatus.CANCELED.value:
        target, note, detail = store.CANCELED, "the draft no longer exists", "draft gone"
        tracked = PostStatus.CANCELED.value
    elif status == PostStatus.DRAFT.value:
        target = store.PENDING
        note = "Activation was interrupted — react ✅ again or press Approve to retry"
        detail, tracked = "activation interrupted; reopened", PostStatus.DRAFT.value
    else:
        target, note, detail, tracked = (
            store.APPROVED,
            f"activated ({status})",
            "activation confirmed",
            status,
        )

    def finish(sdb: sqlite_utils.Database) -> bool:
        extra: dict[str, object] = {"note": note}
        if target == store.PENDING:
            extra |= {"decided_by": None, "decided_by_name": None}
        if not store.compare_and_set(
            sdb, card.id, from_states=frozenset({card.state}), version=card.version,
            to_state=target, now=now, **extra,
        ):  # fmt: skip
            return False
        store.add_event(sdb, card, "recovered", now, actor_id=actor.id if card.decided_by else None,
                        actor_name=actor.name, detail=detail)  # fmt: skip
        tracking.set_status(sdb, card.post_id, tracked)
        return True

    if not await core.db.transaction(finish):
        return
    if target in (store.APPROVED, store.REJECTED):  # a decision finished after a restart
        metrics.APPROVALS.labels("approved" if target == store.APPROVED else "rejected").inc()
    fresh = await _refresh_card(core, card.id)
    if target == store.PENDING:
        await _tell_requester(
            core,
            fresh,
            ErrorReply(
                title=f"Approval of post {card.post_id} was interrupted",
                hint="It is still waiting: an approver can react ✅ again to retry.",
                ephemeral=False,
            ),
            key=f"approval-recovered:{card.post_id}:{card.version}",
        )


async def expire_due(core: Core, now: datetime) -> int:
    """Close every pending request past its expiry (card updated, draft deleted, requester
    told). Returns how many were closed. The runner calls it periodically (e.g. each minute);
    it also finishes decisions a crash interrupted (``recover_stuck``)."""
    await _ready(core)
    await recover_stuck(core, now.astimezone(UTC))
    due = await core.db.run(lambda sdb: store.due_for_expiry(sdb, now.astimezone(UTC)))
    closed = 0
    for card in due:
        try:
            if await _expire(core, card, now.astimezone(UTC)):
                closed += 1
        except Exception:
            log.exception("could not expire approval request %s", card.post_id)
    return closed


async def open_requests(core: Core) -> int:
    """Requests not decided yet (pending, or a decision in flight): the demo waits on it."""
    await _ready(core)
    return await core.db.run(store.pending_count)
