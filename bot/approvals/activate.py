"""Activating an approved draft: the one Social API call after the claim, and its three endings.

- The PUT succeeds: ``approving → approved``, the tracked post follows, the requester is told.
- It fails: ``approving → pending`` with the votes kept and a note on the card and in the
  requester's thread; the next ✅ (or Approve, or ``approve()``) from any approver retries.
- A 404 (the draft is gone): ``approving → canceled``.

Each ending is a ``transition`` whose result is checked: if the card changed under the
activation (it cannot while ``running`` keeps the sweep away, but a second process could), the
approver is told what the card is now rather than a success that did not happen.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from bot import metrics
from bot.api.errors import ApiError, NotFound
from bot.api.models import Platform, PostStatus, PostUpdate
from bot.approvals import store
from bot.approvals.cards import refresh, tell_requester
from bot.approvals.render import mention, utc_text
from bot.approvals.transition import Change, current, move, raced
from bot.chat import Confirmation, ErrorReply, Outcome, User
from bot.core import Core

log = logging.getLogger(__name__)

_BUSY = frozenset({store.APPROVING})


def activation(intended: store.Intended, now: datetime) -> tuple[PostUpdate, str, bool]:
    """The PUT that activates the draft, the human "when", and whether the time had passed.

    Per-platform times go out as they were asked (``platform_schedules``); ``scheduled_at`` is
    the post's own time, else the earliest per-platform one. Any time that has passed becomes
    "now" for that platform (and a post whose every time has passed publishes now).
    """
    schedules = {Platform(p): max(t, now) for p, t in intended.platform_schedules.items()}
    kept = schedules or None
    times = intended.times
    if intended.publish_now or not times:
        return PostUpdate(publish_now=True, platform_schedules=kept), "now", False
    if max(times) <= now:
        return PostUpdate(publish_now=True), "now", True
    at = intended.scheduled_at or min(times)
    passed = at <= now
    if passed:
        at = now
    return PostUpdate(scheduled_at=at, platform_schedules=kept), utc_text(at), passed


async def activate(core: Core, card: store.CardRow, user: User) -> Outcome:
    """Activate ``card`` (claimed ``approving`` by ``user``) and finish the decision."""
    now = core.clock.now().astimezone(UTC)
    update, when, passed = activation(card.intended, now)
    client = core.clients.for_workspace(card.workspace)
    try:
        result = await client.update_post(card.post_id, update)
    except NotFound:
        return await _draft_gone(core, card, user, now)
    except Exception as e:
        return await _failed(core, card, user, e, now)

    status = str(result.post.status) or PostStatus.SCHEDULED.value
    if update.publish_now and status in (PostStatus.SCHEDULED.value, PostStatus.DRAFT.value):
        status = PostStatus.PUBLISHING.value  # going out now, whatever the answer said
    if passed and update.publish_now:
        detail = (
            f"the time ({utc_text(card.intended.scheduled_at or now)}) had passed — publishing now"
        )
    elif update.publish_now:
        detail = "publishing now"
    elif passed:
        detail = f"the time had passed — publishing now; the rest is scheduled ({when})"
    else:
        detail = f"scheduled for {when}"
    times = card.intended.times
    first = now if update.publish_now else min(now, *times) if times else None
    last = now if update.publish_now else max(times) if times else None
    done = Change(
        "activated", store.APPROVED, _BUSY, actor=user, detail=detail, tracked=status,
        tracked_times=(first, last), columns={"note": detail},
    )  # fmt: skip
    if await move(core, card, done, now) is None:
        log.warning("approval %s: activated, but the card changed meanwhile", card.post_id)
        return Outcome((raced(await current(core, card.id), "activating it"),))
    metrics.APPROVALS.labels("approved").inc()
    fresh = await refresh(core, card.id)
    approvers = await core.db.run(lambda sdb: store.votes(sdb, card.id))
    by = ", ".join(mention(v.user_id) for v in approvers) or mention(user.id)
    title = (
        f"Approved by {by} — the scheduled time had passed, so it is publishing now"
        if passed and update.publish_now
        else f"Approved by {by} — {detail}"
    )
    await tell_requester(
        core,
        fresh,
        Confirmation(
            title=title,
            text=f"{mention(fresh.requester_id)} your post {card.post_id} was approved.",
        ),
        key=f"approval-approved:{card.post_id}",
    )
    return Outcome((Confirmation(title=f"Approved — {detail}", ephemeral=True),))


async def _failed(
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
    back = Change(
        "activation_failed", store.PENDING, _BUSY, actor=user,
        detail=f"{reason} (ref {reference})",
        columns={"decided_by": None, "decided_by_name": None, "note": note},
    )  # fmt: skip
    if await move(core, card, back, now) is None:
        return Outcome((raced(await current(core, card.id), "activating it"),))
    fresh = await refresh(core, card.id)
    await tell_requester(
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
    gone = Change(
        "canceled", store.CANCELED, _BUSY, actor=user, detail=note,
        tracked=PostStatus.CANCELED.value, columns={"note": note},
    )  # fmt: skip
    if await move(core, card, gone, now) is None:
        return Outcome((raced(await current(core, card.id), "activating it"),))
    fresh = await refresh(core, card.id)
    await tell_requester(
        core,
        fresh,
        ErrorReply(title=f"Post {card.post_id} was approved but {note}", ephemeral=False),
        key=f"approval-gone:{card.post_id}",
    )
    return Outcome((ErrorReply(title=f"Approved, but {note}"),))
