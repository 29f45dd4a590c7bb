"""The post creation flow shared by /post and /schedule.

resolve targets → read times → open media (headers only) → validate every target → upload →
build ``NewPost`` → approval (``bot.approvals.submit``) or ``client.create_post`` + the tracked
row the notifier follows → a confirmation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, tzinfo

import sqlite_utils

from bot import approvals, journal, tracking
from bot.api.errors import AmbiguousCreateError, ApiError
from bot.api.models import (
    Account,
    Article,
    CreatedPost,
    NewPost,
    Platform,
    PostStatus,
    PostType,
    ThreadSegment,
)
from bot.chat import Confirmation, Field, Reply
from bot.platforms import auto_post_type, platform_by_name
from bot.text import clip
from commands import media as media_mod
from commands.apierrors import api_errors, translate
from commands.context import Context
from commands.errors import TimeError, UsageError, ValidationFailed
from commands.render import caption_fields, preview, schedules_text, targets_text, when_text
from commands.spec import PostSpec
from commands.targets import platform_label, resolve
from commands.times import HINT as TIME_HINT
from commands.times import format_when, parse_when, written_zone
from commands.validate import Draft, problems

TYPE_ALIASES: dict[str, PostType] = {
    "photo": PostType.IMAGE, "picture": PostType.IMAGE, "pic": PostType.IMAGE, "img": PostType.IMAGE,
    "gallery": PostType.CAROUSEL, "album": PostType.CAROUSEL, "images": PostType.CAROUSEL,
    "photos": PostType.CAROUSEL, "slides": PostType.CAROUSEL,
    "short": PostType.REEL, "shorts": PostType.REEL, "reels": PostType.REEL,
    "stories": PostType.STORY, "tweet": PostType.TEXT, "status": PostType.TEXT,
    "pdf": PostType.DOCUMENT, "doc": PostType.DOCUMENT, "deck": PostType.DOCUMENT,
    "link": PostType.ARTICLE, "linkshare": PostType.ARTICLE, "movie": PostType.VIDEO,
}  # fmt: skip


def post_type(value: str | None) -> PostType | None:
    if value is None:
        return None
    v = value.strip().lower()
    try:
        return PostType(v)
    except ValueError:
        pass
    if v in TYPE_ALIASES:
        return TYPE_ALIASES[v]
    raise UsageError(
        f"Unknown post type “{value}”",
        problems=[f"Post types: {', '.join(t.value for t in PostType)}."],
        hint="type:reel",
        field="type",
    )


def platform_keys(values: Mapping[str, str], what: str) -> dict[Platform, str]:
    out: dict[Platform, str] = {}
    for name, v in values.items():
        p = platform_by_name(name)
        if p is None:
            raise UsageError(
                f"Unknown platform “{name}” in {what}",
                problems=[
                    "Platforms: x, instagram, facebook, linkedin, tiktok, threads, pinterest, youtube."
                ],
                hint='ig:"Casual caption ✨"' if what == "captions" else 'x@"tomorrow 12:00"',
                field=what,
            )
        out[p] = v
    return out


def cover_offset(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?)?\s*", value.lower())
    if not m:
        raise UsageError(
            f"cover-offset must be a time into the video (got “{value}”)",
            hint="cover-offset:1500 (milliseconds) or cover-offset:1.5s",
            field="cover_offset",
        )
    n = float(m.group(1))
    return int(n * 1000) if m.group(2) and m.group(2).startswith("s") else int(n)


@dataclass(frozen=True)
class Timing:
    publish_now: bool
    scheduled_at: datetime | None
    schedules: dict[Platform, datetime]
    draft: bool
    named: tzinfo | None = None  # the zone the user wrote ("9am Europe/Berlin"), if any

    def times(self) -> list[datetime]:
        return ([self.scheduled_at] if self.scheduled_at else []) + list(self.schedules.values())


def timing(ctx: Context, spec: PostSpec, schedule: bool, targets: tuple[Account, ...]) -> Timing:
    """When it goes out: a draft, now (/post), or the times read from the text (/schedule)."""
    schedules = {
        p: _when(t, ctx, f"the {platform_label(p)} time")
        for p, t in platform_keys(spec.times, "times").items()
    }
    main = _when(spec.when, ctx, "the time") if spec.when else None
    if spec.draft:
        return Timing(False, None, {}, True)
    if main is None and schedule:
        covered = bool(schedules) and all(a.platform in schedules for a in targets)
        if not covered:
            raise UsageError(
                "When should it go out?",
                problems=["/schedule needs a time."],
                hint='/schedule ig,x "caption" tomorrow 9am — or at:"next monday 14:30". '
                + TIME_HINT,
                field="when",
            )
        return Timing(False, None, schedules, False)
    if main is None:
        return Timing(True, None, schedules, False)
    return Timing(False, main, schedules, False, written_zone(spec.when))


def _when(text: str, ctx: Context, what: str) -> datetime:
    """``parse_when`` in the user's zone; errors say which time they are about."""
    try:
        return parse_when(text, ctx.now(), ctx.tz)
    except TimeError as e:
        raise TimeError(
            e.title,
            problems=[f"{what[0].upper()}{what[1:]}: {p}" for p in e.problems],
            hint=e.hint,
            field="when" if what == "the time" else "times",
        ) from None


async def publish(ctx: Context, spec: PostSpec, *, schedule: bool) -> tuple[Reply, ...]:
    if spec.extra_words:
        raise UsageError(
            "I didn't understand part of that",
            problems=[f"Not understood: {clip(' '.join(spec.extra_words))}"],
            hint=(
                '/schedule ig,x "caption" tomorrow 9am'
                if schedule
                else '/post ig,x "caption" — put the caption in quotes, options as key:value'
            ),
        )
    client = ctx.client()
    accounts = await ctx.accounts()
    targets = resolve(spec.targets, accounts, ctx.config.aliases, ctx.config.default_targets)
    captions = platform_keys(spec.captions, "captions")
    when = timing(ctx, spec, schedule, targets)
    policy = ctx.config.approval
    if when.draft and policy.required:
        raise UsageError(
            "Drafts aren't available in this channel",
            problems=["Posts from this channel need approval; a draft would skip it."],
            hint="Schedule it instead — approvers will see it before it goes out.",
            field="draft",
        )
    explicit = post_type(spec.post_type)
    offset = cover_offset(spec.cover_offset)
    thread = list(spec.thread)
    caption = spec.caption or ""
    if thread and caption:
        thread.insert(0, caption)
        caption = ""

    async with AsyncExitStack() as stack:
        with api_errors(ctx.action("look up media", "media:read", "nothing was posted")):
            sources, cover = await media_mod.open_media(
                spec.media,
                ctx.inv.attachments,
                spec.cover,
                stack=stack,
                allow_private=ctx.allow_private_media,
                client=client,
            )
        kinds = [s.info.kind for s in sources]
        if explicit is not None:
            pt = explicit
        elif thread:
            pt = PostType.THREAD
        elif spec.article and not sources:
            pt = PostType.ARTICLE
        else:
            pt = auto_post_type(kinds)
        draft = Draft(
            post_type=pt,
            caption=caption,
            captions=captions,
            media=tuple(s.info for s in sources),
            thread=tuple(thread),
            article_url=spec.article,
            link=spec.link,
            cover=cover.info if cover else None,
            cover_offset_ms=offset,
            privacy=spec.privacy.lower() if spec.privacy else None,
            document_title=spec.document_title,
            schedules=when.schedules,
        )
        found = problems(draft, targets)
        if found:
            raise ValidationFailed(
                problems=found,
                hint="Nothing was posted. Fix these and send it again — `/post help` shows the forms.",
                field_errors=[(p.field, p) for p in found],
            )
        with api_errors(ctx.action("upload the media", "media:write", "nothing was posted")):
            media_ids = await media_mod.upload(client, sources)
            cover_ids = await media_mod.upload(client, [cover]) if cover else []
    uploaded = [*media_ids, *cover_ids]

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
    summary = preview(caption or (thread[0] if thread else "") or spec.article or "", 200)
    when_human = _when_human(ctx, when)

    if policy.required:
        request = approvals.PostRequest(
            workspace=ctx.workspace,
            post=new_post,
            targets=targets,
            when=when_human,
            summary=summary,
            media=tuple(s.info.name for s in sources),
            origin=ctx.origin(),
            requester=ctx.inv.user,
            delivery_id=ctx.inv.delivery_id,
        )
        try:
            return await approvals.submit(ctx.core, request, policy)
        except ApiError as e:
            if not isinstance(e, AmbiguousCreateError):
                await media_mod.discard(client, uploaded)
            raise translate(
                e, ctx.action("save the post for approval", "posts:write", "nothing was posted")
            ) from e

    try:
        created = await _create(ctx, new_post)
    except ApiError as e:
        if not isinstance(e, AmbiguousCreateError):  # it may exist, and need its media
            await media_mod.discard(client, uploaded)
        raise translate(
            e, ctx.action("create the post", "posts:write", "nothing was posted")
        ) from e
    post = created.post
    times = when.times()
    inv = ctx.inv
    status = str(post.status) or ("draft" if when.draft else "scheduled")
    if tracking.is_terminal(status):
        # Found already finished (adopted after a restart, or reconciled late): record it as
        # in flight so the notifier sees it land and announces it.
        status = PostStatus.PUBLISHING.value
    row = tracking.TrackedPost(
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

    def write(sdb: sqlite_utils.Database) -> None:
        tracking.record(sdb, row)
        journal.note_post(sdb, inv.delivery_id, post.post_id)

    await ctx.core.db.transaction(write)
    shown = caption_fields(caption, captions)
    return (_confirmation(ctx, post.post_id, targets, when, when_human, pt, sources, shown),)


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


def _when_human(ctx: Context, when: Timing) -> str:
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


def _confirmation(
    ctx: Context,
    post_id: str,
    targets: tuple[Account, ...],
    when: Timing,
    when_human: str,
    pt: PostType,
    sources: list[media_mod.Source],
    captions: list[Field],
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
