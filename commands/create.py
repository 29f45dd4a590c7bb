"""Creating what ``commands.publish`` read and validated: one post (or an approval draft), or —
for ``split`` where only some targets need a thread — several posts tracked as one request.

    build_post(spec, when, built)          → the API request (``NewPost``)
    submit_or_create(ctx, …)               → approval draft + card, or create + track; confirmation
    create_several(ctx, …)                 → one API post per piece, tied by ``bot.groups``; one
                                             confirmation, one /status, one announcement
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

import sqlite_utils

from bot import approvals, groups, journal, slotclaims, tracking
from bot.api.errors import AmbiguousCreateError, ApiError
from bot.api.models import (
    Account,
    Article,
    CreatedPost,
    NewPost,
    Platform,
    Post,
    PostStatus,
    PostType,
    ThreadSegment,
)
from bot.chat import Confirmation, Field, MediaPreview, Reply
from bot.slots import occurrences
from commands import media as media_mod
from commands import slotting
from commands.apierrors import translate
from commands.context import Context
from commands.render import caption_fields, preview, schedules_text, targets_text, when_text
from commands.spec import PostSpec
from commands.times import format_when


@dataclass(frozen=True)
class Timing:
    publish_now: bool
    scheduled_at: datetime | None
    schedules: dict[Platform, datetime]
    draft: bool
    named: tzinfo | None = None  # the zone the user wrote ("9am Europe/Berlin"), if any
    slot: bool = False  # the channel's next free posting slot (/schedule … next)

    def times(self) -> list[datetime]:
        return ([self.scheduled_at] if self.scheduled_at else []) + list(self.schedules.values())


@dataclass(frozen=True)
class Built:
    """A request read, validated and uploaded: what creating the post (or draft) needs."""

    targets: tuple[Account, ...]
    captions: dict[Platform, str]
    pt: PostType
    explicit: PostType | None
    offset: int | None
    caption: str
    thread: list[str]
    sources: list[media_mod.Source]
    media_ids: list[str]
    cover_ids: list[str]
    summary: str
    previews: tuple[MediaPreview, ...] = ()  # how the approval card shows the media
    label: str = ""  # one post of several: what it is ("X: thread of 3")


def build_post(spec: PostSpec, when: Timing, b: Built) -> NewPost:
    """The API request for ``b`` (media on the first segment of a thread)."""
    targets, captions, pt, explicit, offset = b.targets, b.captions, b.pt, b.explicit, b.offset
    caption, thread = b.caption, b.thread
    media_ids, cover_ids = list(b.media_ids), b.cover_ids
    segments: tuple[ThreadSegment, ...] = ()
    if pt is PostType.THREAD:
        segments = tuple(
            ThreadSegment(t, tuple(media_ids) if i == 0 else ()) for i, t in enumerate(thread)
        )
        media_ids = []
    article = (
        Article(spec.article, spec.article_title or spec.title, spec.description)
        if spec.article
        else None
    )
    doc_title = spec.document_title or (spec.title if not spec.article else None)
    new_post = NewPost(
        account_ids=tuple(a.account_id for a in targets),
        content=caption or None,
        media_ids=tuple(media_ids),
        post_type=pt if explicit is not None or pt in (PostType.THREAD, PostType.ARTICLE) else None,
        scheduled_at=when.scheduled_at,
        publish_now=when.publish_now,
        draft=when.draft,
        platform_content=captions,
        platform_schedules=when.schedules,
        thread=segments,
        article=article,
        link=spec.link,
        cover_media_id=cover_ids[0] if cover_ids else None,
        cover_offset_ms=offset,
        document_title=doc_title if pt is PostType.DOCUMENT else None,
        yt_privacy=spec.privacy.lower() if spec.privacy else None,
    )
    return new_post


def tracked_row(
    ctx: Context,
    post: Post,
    when: Timing,
    summary: str,
    targets: Sequence[Account],
    captions: Mapping[Platform, str],
    caption: str,
) -> tracking.TrackedPost:
    times = when.times()
    inv = ctx.inv
    status = str(post.status) or ("draft" if when.draft else "scheduled")
    if tracking.is_terminal(status):
        # Found already finished (adopted after a restart, or reconciled late): record it as
        # in flight so the notifier sees it land and announces it.
        status = PostStatus.PUBLISHING.value
    return tracking.TrackedPost(
        post_id=post.post_id,
        workspace=ctx.workspace,
        platform=inv.platform,
        team=inv.team,
        channel=inv.channel,
        thread=inv.thread,
        requester=inv.user.id,
        requester_name=inv.user.name,
        created_at=ctx.now(),
        scheduled_at=min(times) if times else None,
        last_due_at=max(times) if times else None,
        status=status,
        summary=summary,
        accounts=tracking.account_labels(targets, captions, caption),
    )


async def submit_or_create(
    ctx: Context, spec: PostSpec, when: Timing, b: Built, slot_why: str | None
) -> tuple[Reply, ...]:
    """One post: sent for approval, or created and tracked; the confirmation."""
    targets, pt, sources, summary = b.targets, b.pt, b.sources, b.summary
    client = ctx.client()
    policy = ctx.config.approval
    uploaded = [*b.media_ids, *b.cover_ids]

    new_post = build_post(spec, when, b)
    human = when_human(ctx, when)

    if policy.required:
        request = approvals.PostRequest(
            workspace=ctx.workspace,
            post=new_post,
            targets=targets,
            when=human,
            summary=summary,
            media=tuple(s.info.name for s in sources),
            origin=ctx.origin(),
            requester=ctx.inv.user,
            delivery_id=ctx.inv.delivery_id,
            previews=b.previews,
        )
        try:
            replies = await approvals.submit(ctx.core, request, policy)
        except ApiError as e:
            if not isinstance(e, AmbiguousCreateError):
                await media_mod.discard(client, uploaded)
            raise translate(
                e, ctx.action("save the post for approval", "posts:write", "nothing was posted")
            ) from e
        if slot_why is not None:
            await attach_approval_draft(ctx)
            replies = tuple(
                replace(r, fields=(*r.fields, Field("Slot", slot_why)))
                if isinstance(r, Confirmation)
                else r
                for r in replies
            )
        return replies

    try:
        created = await _create(ctx, new_post)
    except ApiError as e:
        if not isinstance(e, AmbiguousCreateError):  # it may exist, and need its media
            await media_mod.discard(client, uploaded)
        raise translate(
            e, ctx.action("create the post", "posts:write", "nothing was posted")
        ) from e
    post = created.post
    inv = ctx.inv
    row = tracked_row(ctx, post, when, summary, targets, b.captions, b.caption)
    on_slot = on_a_slot(ctx, when)
    if on_slot is not None or when.slot:
        await slotclaims.ready(ctx.core.db)

    def write(sdb: sqlite_utils.Database) -> None:
        tracking.record(sdb, row)
        journal.note_post(sdb, inv.delivery_id, post.post_id)
        if when.slot:
            slotclaims.attach(sdb, inv.delivery_id, post.post_id)
        elif on_slot is not None:
            slotclaims.note(
                sdb,
                chat_platform=inv.platform,
                channel=inv.channel,
                slot_at=on_slot,
                social={str(a.platform) for a in targets},
                owner=inv.delivery_id,
                post_id=post.post_id,
                summary=preview(summary, 60),
                now=ctx.now(),
            )

    await ctx.core.db.transaction(write)
    shown = caption_fields(b.caption, b.captions)
    confirmation_ = confirmation(ctx, post.post_id, targets, when, human, pt, sources, shown)
    if slot_why is not None:
        confirmation_ = replace(
            confirmation_, fields=(*confirmation_.fields, Field("Slot", slot_why))
        )
    return (confirmation_,)


def on_a_slot(ctx: Context, when: Timing) -> datetime | None:
    """A post scheduled by time exactly at one of the channel's slots holds that slot too."""
    t = when.scheduled_at
    if when.slot or t is None or not ctx.config.slots or when.schedules:
        return None
    hits = occurrences(ctx.config.slots, slotting.zone(ctx), t, t + timedelta(seconds=1))
    return t if hits else None


async def attach_approval_draft(ctx: Context) -> None:
    """Link the slot claim to the draft ``approvals.submit`` just recorded for this request."""
    inv = ctx.inv

    def link(sdb: sqlite_utils.Database) -> None:
        rows = list(
            sdb.query(
                "SELECT post_id FROM requests WHERE platform = ? AND channel = ? AND requester = ?"
                " AND thread IS ? ORDER BY created_at DESC LIMIT 1",
                [inv.platform, inv.channel, inv.user.id, inv.thread],
            )
        )
        if rows:
            slotclaims.attach(sdb, inv.delivery_id, str(rows[0]["post_id"]))

    await ctx.core.db.transaction(link)


async def _create(ctx: Context, new_post: NewPost) -> CreatedPost:
    """``create_post``; when re-running a request a crash interrupted (``journal.resuming``),
    first adopt the post it may already have created."""
    client = ctx.client()
    delivery = ctx.inv.delivery_id
    if journal.resuming.get():
        found = await journal.find_created(ctx.core.db, client, new_post, delivery)
        if found is not None:
            return CreatedPost(post=found, immediate=new_post.publish_now, reconciled=True)
    await journal.mark_creating(ctx.core.db, delivery)
    return await client.create_post(new_post)


def when_human(ctx: Context, when: Timing) -> str:
    if when.draft:
        return "draft (not scheduled)"
    base = "now" if when.publish_now else when_text(when.scheduled_at, ctx.tz)
    if when.scheduled_at is not None and when.named is not None:
        base = format_when(when.scheduled_at, ctx.tz, when.named)
    if when.scheduled_at is None and not when.publish_now and when.schedules:
        base = "per platform"
    if when.schedules:
        return f"{base}; {schedules_text(when.schedules, ctx.tz)}"
    return base


def confirmation(
    ctx: Context,
    post_id: str,
    targets: tuple[Account, ...],
    when: Timing,
    when_human: str,
    pt: PostType,
    sources: list[media_mod.Source],
    captions: Sequence[Field] = (),
) -> Confirmation:
    if when.draft:
        title = f"Saved as a draft for {len(targets)} account{'s' if len(targets) != 1 else ''}"
        text = f'Nothing goes out until you activate it: /social edit {post_id} when:"tomorrow 9am"'
    elif when.publish_now:
        title = f"Publishing now to {targets_text(targets)}"
        text = "I'll announce the result here."
    else:
        first = when.scheduled_at or min(when.schedules.values())
        title = f"Scheduled for {format_when(first, ctx.tz, when.named)}"
        text = "I'll announce the result here when it goes out."
    fields = [
        Field("Post", post_id),
        Field("Targets", targets_text(targets)),
        Field("When", when_human),
        Field("Type", pt.value),
    ]
    if sources:
        fields.append(Field("Media", ", ".join(s.info.name for s in sources)))
    fields += captions  # per-platform captions that differ from the default
    return Confirmation(title=title, fields=tuple(fields), text=text)


async def create_several(
    ctx: Context,
    spec: PostSpec,
    when: Timing,
    pieces: Sequence[Built],
    slot_why: str | None,
    targets: tuple[Account, ...],
) -> tuple[Reply, ...]:
    """One API post per piece (the first is the request's primary), tracked as one request.
    If one fails, the ones already created are deleted again: all or nothing."""
    client = ctx.client()
    created: list[Post] = []
    uploaded = [*pieces[0].media_ids, *pieces[0].cover_ids]
    try:
        for i, piece in enumerate(pieces):
            new_post = build_post(spec, when, piece)
            post = await _create(ctx, new_post) if i == 0 else await client.create_post(new_post)
            created.append(post.post)
    except ApiError as e:
        undone = await _undo(ctx, created)
        if not created and not isinstance(e, AmbiguousCreateError):
            await media_mod.discard(client, uploaded)
        nothing = "nothing was posted" if undone else "some posts may exist: check /status"
        raise translate(e, ctx.action("create the posts", "posts:write", nothing)) from e
    captions = {p: c for piece in pieces for p, c in piece.captions.items()}
    rows = [
        tracked_row(ctx, post, when, pieces[0].summary, targets, captions, pieces[0].caption)
        for post in created
    ]
    inv = ctx.inv
    await groups.ready(ctx.core.db)
    if when.slot:
        await slotclaims.ready(ctx.core.db)

    def write(sdb: sqlite_utils.Database) -> None:
        for row in rows:
            tracking.record(sdb, row)
        groups.record(
            sdb, [(p.post_id, piece.label) for p, piece in zip(created, pieces, strict=True)]
        )
        journal.note_post(sdb, inv.delivery_id, created[0].post_id)
        if when.slot:
            slotclaims.attach(sdb, inv.delivery_id, created[0].post_id)

    await ctx.core.db.transaction(write)
    human = when_human(ctx, when)
    first = pieces[0]
    out = confirmation(ctx, created[0].post_id, targets, when, human, first.pt, first.sources)
    parts = " · ".join(
        f"{piece.label} ({p.post_id})" for p, piece in zip(created, pieces, strict=True)
    )
    fields = [f for f in out.fields if f.name != "Type"] + [Field("Posts", parts)]
    if slot_why is not None:
        fields.append(Field("Slot", slot_why))
    return (replace(out, fields=tuple(fields)),)


async def _undo(ctx: Context, created: Sequence[Post]) -> bool:
    """Delete posts created for a request that failed half-way; False if one could not be."""
    ok = True
    for post in created:
        try:
            await ctx.client().delete_post(post.post_id)
        except ApiError:
            ok = False
    return ok
