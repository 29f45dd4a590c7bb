"""Submitting a post for approval, and editing it while it waits (approvals reset).

``submit`` creates the API draft (the intended time is kept on the card, not in the draft, so
nothing can go out before approval), records the card and the tracked post, posts the card and
seeds ✅ ❌. ``on_edit`` resets the votes of a pending request and refreshes its card.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import sqlite_utils

from bot import journal, tracking
from bot.api.models import NewPost, PostStatus
from bot.approvals import changes, store
from bot.approvals.cards import delete_draft, message_ref, ready, refresh
from bot.approvals.render import (
    PreviewChange,
    build_preview,
    card_reply,
    channel_mention,
    edited_preview,
    mention,
    plural,
)
from bot.approvals.transition import Change, apply, move
from bot.approvals.types import PostRequest
from bot.chat import (
    APPROVE,
    REJECT,
    Confirmation,
    Destination,
    ErrorReply,
    Reply,
    Tone,
    User,
)
from bot.config import ApprovalPolicy
from bot.core import Core

log = logging.getLogger(__name__)


def _utc(t: datetime | None) -> datetime | None:
    return t.astimezone(UTC) if t is not None else None


def intended_of(post: NewPost) -> store.Intended:
    schedules = {p.value: t.astimezone(UTC) for p, t in post.platform_schedules.items()}
    publish_now = post.publish_now or (post.scheduled_at is None and not schedules)
    return store.Intended(
        scheduled_at=_utc(post.scheduled_at), publish_now=publish_now, platform_schedules=schedules
    )


async def submit(core: Core, request: PostRequest, policy: ApprovalPolicy) -> tuple[Reply, ...]:
    """Create the API draft, record it, post the card (seeded ✅ ❌); replies for the requester.

    API errors from creating the draft propagate (nothing is written before it succeeds).
    """
    await ready(core)
    now = core.clock.now().astimezone(UTC)
    client = core.clients.for_workspace(request.workspace)
    intended = intended_of(request.post)
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
                accounts=tracking.account_labels(
                    request.targets, request.post.platform_content, request.post.content
                ),
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
    await delete_draft(core, card)

    note = "the approval card could not be posted"
    change = Change(
        "canceled", store.CANCELED, store.OPEN_STATES, detail=note,
        tracked=PostStatus.CANCELED.value, columns={"note": note},
    )  # fmt: skip
    if await move(core, card, change, now) is None:  # pragma: no cover - nobody saw the card
        log.warning("approval %s: could not close the request without a card", card.post_id)


async def on_edit(
    core: Core,
    post_id: str,
    by: User,
    *,
    post: NewPost | None = None,
    when: str | None = None,
    summary: str | None = None,
    shown: PreviewChange | None = None,
) -> str | None:
    """A pending request's post was edited: reset its approvals. Returns a note, or None when
    the post has no pending request.

    Pass ``post`` (as it should be activated: ``publish_now`` / ``scheduled_at`` /
    ``platform_schedules``) when the edit changed when it goes out, ``when`` / ``summary``
    to refresh the card's text, and ``shown`` (caption, captions, media) for its preview. The command layer must not send ``scheduled_at`` /
    ``publish_now`` to the API for a pending draft (that would activate it): it passes them here.
    """
    await ready(core)
    now = core.clock.now().astimezone(UTC)

    def reset(sdb: sqlite_utils.Database) -> tuple[store.CardRow, int, list[str]] | None:
        c = store.card_by_post(sdb, post_id)
        if c is None or c.state != store.PENDING:
            return None
        asked = changes.askers(sdb, post_id)  # before the edit event closes their requests
        columns: dict[str, object] = {"post_version": c.post_version + 1, "note": None}
        times: tuple[datetime | None, datetime | None] | None = None
        if post is not None:
            intended = intended_of(post)
            columns["intended"] = intended.to_json()
            ts = intended.times
            times = (min(ts), max(ts)) if ts else None
        columns["preview"] = _preview(c, post, when, summary, shown).to_json()
        cleared = store.clear_votes(sdb, c.id)
        change = Change(
            "edited", store.PENDING, store.OPEN_STATES, actor=by,
            detail=f"{plural(cleared, 'approval')} reset", post_version=c.post_version + 1,
            tracked=PostStatus.DRAFT.value if post is not None else None, tracked_times=times,
            columns=columns,
        )  # fmt: skip
        after = apply(sdb, c, change, now)
        # Read and written in one transaction on the one database thread: it cannot lose.
        assert after is not None, f"edit of {post_id} lost a race inside its transaction"
        return after, cleared, asked

    result = await core.db.transaction(reset)
    if result is None:
        return None
    card, _, asked = result
    await refresh(core, card.id)
    if asked:
        await _tell_askers(core, card, asked, by, now)
    return f"Edited while waiting for approval: approvals reset — needs {plural(card.quorum, 'approval')} again."


async def _tell_askers(
    core: Core, card: store.CardRow, asked: list[str], by: User, now: datetime
) -> None:
    """The approvers who asked for changes: the post was edited, look again (card's thread)."""
    if card.card_message_id is None:
        return
    dest = Destination(card.card_platform, card.card_channel, thread=card.card_message_id,
                       team=card.origin_team)  # fmt: skip
    who = " ".join(mention(u) for u in asked)
    reply = Confirmation(
        title=f"{who}: {mention(by.id)} edited {card.post_id} after your request for changes",
        text="The card shows the new text and waits for approvals again.",
        tone=Tone.INFO,
    )
    try:
        await core.port(card.card_platform).send(
            dest, reply, key=f"approval-edited:{card.post_id}:{card.post_version}"
        )
    except Exception:
        log.warning("could not tell the approvers of %s about the edit", card.post_id,
                    exc_info=True)  # fmt: skip


def _preview(
    card: store.CardRow,
    post: NewPost | None,
    when: str | None,
    summary: str | None,
    change: PreviewChange | None = None,
) -> store.Preview:
    who = card.requester_name or card.requester_id
    own = intended_of(post).platform_schedules if post is not None else None
    return edited_preview(
        card.preview, who, when=when, summary=summary, own_times=own, change=change
    )


async def resubmit(
    core: Core,
    post_id: str,
    by: User,
    policy: ApprovalPolicy,
    *,
    post: NewPost,
    when: str | None = None,
    summary: str | None = None,
    shown: PreviewChange | None = None,
) -> tuple[bool, str]:
    """An approved post that had not gone out yet was edited, and its channel needs approval:
    the request opens again (votes cleared, ``policy`` taken afresh) on a new card, and the old
    card says so. The caller has already put the post back to a draft in the API (so nothing
    goes out unapproved) and passes ``post`` as it should be activated. Returns (reopened, a
    note for the editor); reopened is False when the request was no longer approved.
    """
    await ready(core)
    now = core.clock.now().astimezone(UTC)
    intended = intended_of(post)
    ts = intended.times
    quorum = max(1, policy.quorum)

    def reopen(sdb: sqlite_utils.Database) -> tuple[store.CardRow, store.CardRow] | str:
        c = store.card_by_post(sdb, post_id)
        if c is None:
            return "gone"
        if c.state != store.APPROVED:
            return c.state
        store.clear_votes(sdb, c.id)
        change = Change(
            "resubmitted", store.PENDING, frozenset({store.APPROVED}), actor=by,
            detail=f"edited after approval; approvals reset — needs {plural(quorum, 'approval')}",
            post_version=c.post_version + 1, tracked=PostStatus.DRAFT.value,
            tracked_times=(min(ts), max(ts)) if ts else None,
            columns={
                "post_version": c.post_version + 1, "note": None, "decided_by": None,
                "decided_by_name": None, "intended": intended.to_json(),
                "preview": _preview(c, post, when, summary, shown).to_json(),
                "approvers": json.dumps(list(policy.approvers)), "quorum": quorum,
                "allow_self": int(policy.allow_self),
                "expires_at": (now + policy.expires_after).isoformat()
                if policy.expires_after else None,
            },
        )  # fmt: skip
        after = apply(sdb, c, change, now)
        # Read and written in one transaction on the one database thread: it cannot lose.
        assert after is not None, f"resubmission of {post_id} lost a race inside its transaction"
        return c, after

    result = await core.db.transaction(reopen)
    if isinstance(result, str):
        return False, (
            f"Its approval changed at the same time (now {result}); "
            f"check /status {post_id} before it goes out."
        )
    before, card = result
    old_ref = message_ref(before)
    card_channel = policy.channel or card.origin_channel
    dest = Destination(card.origin_platform, card_channel, team=card.origin_team)
    port = core.port(card.origin_platform)
    try:
        ref = await port.send(
            dest, card_reply(card, []), key=f"approval-card:{post_id}:v{card.post_version}"
        )
    except Exception:
        log.warning("could not post the new approval card of %s", post_id, exc_info=True)
        await refresh(core, card.id)  # the old card is open again: reactions there count
        return True, (
            "Edited after approval, so it needs approval again — I couldn't post a new card; "
            "the old card is open again."
        )

    def keep_ref(sdb: sqlite_utils.Database) -> None:
        sdb.execute(
            "UPDATE approval_cards SET card_channel = ?, card_message_id = ? WHERE id = ?",
            [ref.channel, ref.message_id, card.id],
        )

    await core.db.run(keep_ref)
    if old_ref is not None:
        who = by.name or by.id
        superseded = replace(
            card_reply(before, []),
            note=f"Edited by {who} after approval — sent for approval again in a new card",
            buttons=False,
        )
        try:
            await port.update(old_ref, superseded)
        except Exception:
            log.warning("could not mark the old approval card of %s", post_id, exc_info=True)
    try:
        await port.add_reactions(ref, [APPROVE, REJECT])
    except Exception:
        log.warning("could not seed reactions on the card of %s", post_id, exc_info=True)
    return True, (
        f"Edited after approval, so it goes back for approval in {channel_mention(card_channel)}"
        f" — needs {plural(quorum, 'approval')}; it stays a draft until then."
    )
