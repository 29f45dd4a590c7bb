"""A request's life outside the approvers' hands: expiry, recovery after a crash, cancelation.

- ``expire_due`` (the runner calls it each minute) closes pending requests past their expiry,
  and first finishes decisions a crash interrupted (``recover_stuck``).
- ``recover_stuck`` finds cards left ``approving`` / ``rejecting``, asks the API where the post
  is, and finishes the decision or reopens the card. A card whose decision this process is still
  carrying out (``transition.running``: e.g. a slow activation) is not stuck and is left alone.
- ``cancel`` closes the request of a post canceled with ``/social cancel``: the card says so at
  once, and reactions on it no longer count.

Every change goes through ``transition``; a lost race is logged, counted in the return value as
"not done", and — for ``cancel`` — reported to the caller.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot import metrics
from bot.api.errors import NotFound
from bot.api.models import PostStatus
from bot.approvals import store
from bot.approvals.cards import delete_draft, for_post, ready, refresh, tell_requester
from bot.approvals.render import mention
from bot.approvals.transition import Change, is_running, move
from bot.chat import Confirmation, ErrorReply, Tone, User
from bot.core import Core

log = logging.getLogger(__name__)

BUSY_TIMEOUT = timedelta(minutes=5)


# ---------------------------------------------------------------- expiry


async def expire(core: Core, card: store.CardRow, now: datetime) -> bool:
    """Close a pending request as expired; False when it was no longer pending (lost race)."""
    change = Change(
        "expired", store.EXPIRED, store.OPEN_STATES, detail="not approved in time",
        tracked=PostStatus.CANCELED.value, columns={"note": "expired before enough approvals"},
    )  # fmt: skip
    if await move(core, card, change, now) is None:
        return False
    metrics.APPROVALS.labels("expired").inc()
    await delete_draft(core, card)
    fresh = await refresh(core, card.id)
    await tell_requester(
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


async def expire_due(core: Core, now: datetime) -> int:
    """Close every pending request past its expiry (card updated, draft deleted, requester
    told). Returns how many were closed. The runner calls it periodically (e.g. each minute);
    it also finishes decisions a crash interrupted (``recover_stuck``)."""
    await ready(core)
    now = now.astimezone(UTC)
    await recover_stuck(core, now)
    due = await core.db.run(lambda sdb: store.due_for_expiry(sdb, now))
    closed = 0
    for card in due:
        try:
            if await expire(core, card, now):
                closed += 1
        except Exception:
            log.exception("could not expire approval request %s", card.post_id)
    return closed


async def open_requests(core: Core) -> int:
    """Requests not decided yet (pending, or a decision in flight): the demo waits on it."""
    await ready(core)
    return await core.db.run(store.pending_count)


# ---------------------------------------------------------------- recovery


async def recover_stuck(core: Core, now: datetime, *, older_than: timedelta = BUSY_TIMEOUT) -> int:
    """Cards left ``approving`` / ``rejecting`` for over ``older_than`` (the process died
    between claiming the decision and finishing it): ask the API where the post is and finish
    the decision, or reopen the card. Returns how many cards were recovered. At start-up, before
    serving, every busy card is stuck (``older_than=timedelta(0)``). Cards whose decision this
    process is still carrying out are skipped, however long it takes."""
    await ready(core)
    busy = await core.db.run(lambda sdb: store.busy_since(sdb, now - older_than))
    done = 0
    for card in busy:
        if is_running(core, card.id):
            log.info("approval %s: decision still running, not recovered", card.post_id)
            continue
        try:
            if await _recover(core, card, now):
                done += 1
        except Exception:
            log.warning("could not recover approval request %s", card.post_id, exc_info=True)
    return done


async def _recover(core: Core, card: store.CardRow, now: datetime) -> bool:
    client = core.clients.for_workspace(card.workspace)
    status: str | None
    try:
        status = str((await client.get_post(card.post_id)).status)
    except NotFound:
        status = None
    if is_running(core, card.id):  # a decision began while we asked the API
        return False
    actor = User(card.decided_by, card.decided_by_name) if card.decided_by else None
    columns: dict[str, object]
    if card.state == store.REJECTING:
        deleted = status in (None, PostStatus.CANCELED.value) or await delete_draft(core, card)
        target, columns = store.REJECTED, {"note": card.note}
        detail = "rejection finished after an interruption" + ("" if deleted else "; draft kept")
        tracked = PostStatus.CANCELED.value
    elif status is None or status == PostStatus.CANCELED.value:
        target, detail = store.CANCELED, "draft gone"
        columns = {"note": "the draft no longer exists"}
        tracked = PostStatus.CANCELED.value
    elif status == PostStatus.DRAFT.value:
        target = store.PENDING
        columns = {
            "note": "Activation was interrupted — react ✅ again or press Approve to retry",
            "decided_by": None,
            "decided_by_name": None,
        }
        detail, tracked = "activation interrupted; reopened", PostStatus.DRAFT.value
    else:
        target, detail, tracked = store.APPROVED, "activation confirmed", status
        columns = {"note": f"activated ({status})"}
    change = Change(
        "recovered", target, frozenset({card.state}), actor=actor, detail=detail,
        tracked=tracked, columns=columns,
    )  # fmt: skip
    if await move(core, card, change, now) is None:
        return False
    if target in (store.APPROVED, store.REJECTED):  # a decision finished after a restart
        metrics.APPROVALS.labels("approved" if target == store.APPROVED else "rejected").inc()
    fresh = await refresh(core, card.id)
    if target == store.PENDING:
        await tell_requester(
            core,
            fresh,
            ErrorReply(
                title=f"Approval of post {card.post_id} was interrupted",
                hint="It is still waiting: an approver can react ✅ again to retry.",
                ephemeral=False,
            ),
            key=f"approval-recovered:{card.post_id}:{card.version}",
        )
    return True


# ---------------------------------------------------------------- cancel

_CANCELABLE = store.OPEN_STATES | {store.APPROVED}


async def cancel(core: Core, post_id: str, by: User) -> str | None:
    """The post was deleted with ``/social cancel``: close its request at once (card updated,
    reactions no longer count). Returns a note for the canceller when the request could not be
    closed because a decision won the race; None otherwise (closed, or nothing to close)."""
    card = await for_post(core, post_id)
    if card is None or card.state not in _CANCELABLE:
        return None
    now = core.clock.now().astimezone(UTC)
    who = by.name or by.id
    change = Change(
        "canceled", store.CANCELED, _CANCELABLE, actor=by, detail="with /social cancel",
        tracked=PostStatus.CANCELED.value,
        columns={"note": f"Canceled by {who} with /social cancel"},
    )  # fmt: skip
    if await move(core, card, change, now) is None:
        fresh = await for_post(core, post_id)
        state = fresh.state if fresh is not None else "gone"
        return (
            f"Its approval request changed at the same time (now {state}): check /status {post_id}."
        )
    await refresh(core, card.id)
    return None
