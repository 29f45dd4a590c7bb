"""The post creation flow shared by /post and /schedule.

resolve targets → read times → open media (headers only) → validate every target (a caption
too long for X / Threads: offer a thread, or with ``split`` plan one) → upload → take a posting
slot (``next``) → ``commands.create``: approval (``bot.approvals.submit``) or
``client.create_post`` + the tracked row the notifier follows → a confirmation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime

from bot import slotclaims
from bot.api.errors import AmbiguousCreateError
from bot.api.models import Account, MediaKind, Platform, PostType
from bot.chat import Confirmation, MediaPreview, Reply
from bot.platforms import auto_post_type, platform_by_name
from bot.text import clip
from commands import media as media_mod
from commands import slotting, threadoffer
from commands.apierrors import api_errors
from commands.context import Context
from commands.create import Built, Timing, create_several, submit_or_create
from commands.errors import TimeError, UsageError, ValidationFailed
from commands.render import preview
from commands.spec import PostSpec
from commands.targets import platform_label, resolve
from commands.threadoffer import Overflow
from commands.times import HINT as TIME_HINT
from commands.times import parse_when, written_zone
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


def timing(ctx: Context, spec: PostSpec, schedule: bool, targets: tuple[Account, ...]) -> Timing:
    """When it goes out: a draft, now (/post), or the times read from the text (/schedule)."""
    schedules = {
        p: _when(t, ctx, f"the {platform_label(p)} time")
        for p, t in platform_keys(spec.times, "times").items()
    }
    if schedule and slotting.wanted(spec.when) and not spec.draft:
        if schedules:
            raise UsageError(
                "A posting slot is one time for every target",
                problems=[
                    "“next” takes the channel's next free slot; per-platform times can't "
                    "be combined with it."
                ],
                hint='/schedule x,li "…" next — or give the times: x@"tomorrow 12:00"',
                field="times",
            )
        return Timing(False, None, {}, False, slot=True)
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
    fetcher = ctx.media_fetcher()
    await fetcher.precheck(spec.media, spec.cover)  # a refused link: nothing asked of the API
    fetcher.check_link(spec.article, "article")
    fetcher.check_link(spec.link, "link")
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
                fetcher=fetcher,
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
        over = threadoffer.overflows(draft, targets)
        found = problems(threadoffer.without_overflow(draft, over) if over else draft, targets)
        if over and not spec.split:
            every = problems(draft, targets)
            if not found:  # only too long: offer the thread
                raise await threadoffer.offer(
                    ctx.core, ctx.inv, over, _others(targets, over), every
                )
            found = every
        if found:
            hint = "Nothing was posted. Fix these and send it again — `/post help` shows the forms."
            if over and not spec.split:
                hint += " Too long for " + " and ".join(o.label for o in over) + "? Add `split`."
            raise ValidationFailed(
                problems=found, hint=hint, field_errors=[(p.field, p) for p in found]
            )
        plan = _plan(targets, over if spec.split else [])
        if len(plan) > 1 and policy.required:
            raise UsageError(
                "A thread for some targets and one post for the others can't go through approval "
                "yet",
                problems=["Under approval a request is one post: here it would be "
                          f"{len(plan)} (a thread on {', '.join(o.label for o in over)}, the "
                          "whole caption elsewhere)."],
                hint="Send the thread and the rest as two requests: "
                '/post x "…" split, then /post fb "…"',
                field="targets",
            )  # fmt: skip
        if len(plan) == 1 and plan[0][1] is not None:  # every target takes the same thread
            pt, thread, caption = PostType.THREAD, list(plan[0][1].parts), ""
            captions = {}
        with api_errors(ctx.action("upload the media", "media:write", "nothing was posted")):
            media_ids = await media_mod.upload(client, sources)
            cover_ids = await media_mod.upload(client, [cover]) if cover else []
    uploaded = [*media_ids, *cover_ids]
    summary = preview(caption or (thread[0] if thread else "") or spec.article or "", 200)
    slot_why: str | None = None
    if when.slot:
        try:
            claimed, slot_why = await slotting.take(ctx, targets, summary)
        except BaseException:
            await media_mod.discard(client, uploaded)
            raise
        when = replace(when, scheduled_at=claimed.slot_at)
    built = Built(
        targets, captions, pt, explicit, offset, caption, thread, sources,
        media_ids, cover_ids, summary, previews=media_previews(sources, cover),
    )  # fmt: skip
    try:
        if len(plan) > 1:
            pieces = [_piece(built, accounts, o) for accounts, o in plan]
            replies = await create_several(ctx, spec, when, pieces, slot_why, targets)
        else:
            replies = await submit_or_create(ctx, spec, when, built, slot_why)
    except BaseException as e:
        maybe_created = isinstance(e, AmbiguousCreateError) or isinstance(
            e.__cause__, AmbiguousCreateError
        )
        if when.slot and not maybe_created:  # (a claim never linked lapses on its own)
            await slotclaims.release(ctx.core.db, ctx.inv.delivery_id)
        raise
    if when.slot and not any(isinstance(r, Confirmation) for r in replies):
        await slotclaims.release(ctx.core.db, ctx.inv.delivery_id)
    return replies


def _others(targets: Sequence[Account], over: Sequence[Overflow]) -> list[str]:
    """Labels of the target platforms that keep the whole caption."""
    split = {o.platform for o in over}
    return list(
        dict.fromkeys(platform_label(a.platform) for a in targets if a.platform not in split)
    )


def _plan(
    targets: Sequence[Account], over: Sequence[Overflow]
) -> list[tuple[tuple[Account, ...], Overflow | None]]:
    """The API posts of a request: the targets that keep the caption (if any) first, then one
    thread per overflowing platform. Without ``split`` (``over`` empty): one post."""
    by = {o.platform: o for o in over}
    rest = tuple(a for a in targets if a.platform not in by)
    out: list[tuple[tuple[Account, ...], Overflow | None]] = [(rest, None)] if rest else []
    for p, o in by.items():
        out.append((tuple(a for a in targets if a.platform == p), o))
    return out


def _piece(b: Built, accounts: tuple[Account, ...], o: Overflow | None) -> Built:
    """One post of several: the thread for ``o``'s platform, or the caption for the rest."""
    platforms = {a.platform for a in accounts}
    if o is None:
        labels = ", ".join(dict.fromkeys(platform_label(p) for p in platforms))
        captions = {p: c for p, c in b.captions.items() if p in platforms}
        return replace(b, targets=accounts, captions=captions, label=f"{labels}: the caption")
    return replace(
        b,
        targets=accounts,
        captions={},
        pt=PostType.THREAD,
        explicit=None,
        caption="",
        thread=list(o.parts),
        cover_ids=[],
        label=f"{o.label}: thread of {len(o.parts)}",
    )


def media_previews(
    sources: list[media_mod.Source], cover: media_mod.Source | None
) -> tuple[MediaPreview, ...]:
    """How the approval card shows the media: in post order, a video's cover last."""
    out = [s.preview() for s in sources]
    if cover is not None:
        video = next((s.info.name for s in sources if s.info.kind is MediaKind.VIDEO), None)
        out.append(cover.preview(cover_for=video or "the video"))
    return tuple(out)
