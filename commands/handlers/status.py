"""/status <id>, /status (this channel lately), /status queue (what is scheduled next)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

import sqlite_utils

from bot import approvals, groups, tracking
from bot.api.models import Account, Post, PostStatus, StatusInfo
from bot.chat import Field, ListReply, Reply, StatusCard
from commands.apierrors import api_errors, not_found
from commands.context import Context
from commands.render import caption_fields, preview, status_word, target_line, when_text
from commands.targets import platform_label
from commands.times import format_when

QUEUE_LIMIT = 15
RECENT_LIMIT = 10


async def tracked(ctx: Context, post_id: str) -> tracking.TrackedPost | None:
    """The tracked row of ``post_id``; a row of another workspace is "not found"."""

    def read(sdb: sqlite_utils.Database) -> tracking.TrackedPost | None:
        return tracking.get(sdb, post_id)

    row = await ctx.core.db.run(read)
    if row is not None and row.workspace != ctx.workspace:
        raise not_found(post_id)
    return row


async def one(ctx: Context, post_id: str) -> tuple[Reply, ...]:
    row = await tracked(ctx, post_id)
    members = await ctx.core.db.run(lambda sdb: groups.members(sdb, post_id))
    if members:  # several API posts asked for as one request: show them as one
        return (await _group_card(ctx, members, row),)
    client = ctx.client()
    action = ctx.action("read the post", "posts:read", "nothing was changed", post_id)
    with api_errors(action):
        post, info = await asyncio.gather(client.get_post(post_id), client.get_status(post_id))
    accounts = {a.account_id: a for a in await ctx.accounts()}
    history = await approvals.history(ctx.core, post_id)
    return (card(ctx, post, info, accounts, history, row),)


async def _group_card(
    ctx: Context, members: list[groups.Member], row: tracking.TrackedPost | None
) -> StatusCard:
    """One card for a request made of several posts (a thread on X, the caption elsewhere)."""
    client = ctx.client()
    primary = members[0].primary_id
    action = ctx.action("read the posts", "posts:read", "nothing was changed", primary)
    with api_errors(action):
        read = await asyncio.gather(
            *(asyncio.gather(client.get_post(m.post_id), client.get_status(m.post_id))
              for m in members)
        )  # fmt: skip
    accounts = {a.account_id: a for a in await ctx.accounts()}
    cards = [card(ctx, post, info, accounts, (), row) for post, info in read]
    statuses = [str(info.status or post.status) for post, info in read]
    status = status_word(groups.overall(statuses))
    first = cards[0]
    posts = " · ".join(
        f"{m.label}: {m.post_id} ({c.status})" for m, c in zip(members, cards, strict=True)
    )
    return replace(
        first,
        post_id=primary,
        status=status,
        title=f"Post {primary} — {status}",
        caption=first.caption or next((c.caption for c in cards if c.caption), None),
        targets=tuple(t for c in cards for t in c.targets),
        fields=(*first.fields, Field("Posts", posts)),
    )


def card(
    ctx: Context,
    post: Post,
    info: StatusInfo,
    accounts: dict[str, Account],
    history: tuple[str, ...],
    row: tracking.TrackedPost | None,
) -> StatusCard:
    by_account = {t.account_id: t for t in post.targets}
    lines = []
    status = info.status or post.status
    when = post.scheduled_at or info.scheduled_at
    for t in info.targets or post.targets:
        base = by_account.get(t.account_id)
        if t.scheduled_at is None and base is not None and base.scheduled_at is not None:
            t = replace(t, scheduled_at=base.scheduled_at)
        if t.scheduled_at == when:  # the card's one time line says it
            t = replace(t, scheduled_at=None)
        lines.append(target_line(t, accounts))
    fields = [Field("Type", str(post.post_type or "—"))]
    fields += caption_fields(post.content, post.platform_content)
    if row is not None:
        fields.append(Field("Asked by", row.requester_name or f"<@{row.requester}>"))
    return StatusCard(
        post_id=post.post_id or info.post_id,
        status=status_word(status),
        title=f"Post {post.post_id or info.post_id}",
        caption=preview(post.content, 300) if post.content else None,
        scheduled_at=when,
        targets=tuple(lines),
        history=history,
        fields=tuple(fields),
    )


async def recent(ctx: Context) -> tuple[Reply, ...]:
    inv = ctx.inv

    def read(sdb: sqlite_utils.Database) -> list[tracking.TrackedPost]:
        rows = tracking.recent(sdb, inv.platform, inv.channel, limit=RECENT_LIMIT * 3)
        hidden = groups.secondary(sdb, [r.post_id for r in rows])  # one line per request
        return [r for r in rows if r.post_id not in hidden]

    rows = [r for r in await ctx.core.db.run(read) if r.workspace == ctx.workspace]
    rows = rows[:RECENT_LIMIT]
    items = tuple(
        f"{r.post_id} · {status_word(r.status)} · "
        f"{when_text(r.scheduled_at, ctx.tz) if r.scheduled_at else 'asked ' + _ago(ctx, r.created_at)}"
        f" · {preview(r.summary, 60) or '—'}"
        for r in rows
    )
    return (
        ListReply(
            title="Posts asked for from this channel lately",
            items=items or ("None yet — try /post help.",),
            footer="/status <post id> for the details · /status queue for what is scheduled next",
        ),
    )


def _ago(ctx: Context, t: datetime) -> str:
    secs = int((ctx.now() - t).total_seconds())
    if secs < 90:
        return "just now"
    if secs < 90 * 60:
        return f"{secs // 60} min ago"
    if secs < 36 * 3600:
        return f"{secs // 3600} h ago"
    return f"{secs // 86400} days ago"


def _first_time(p: Post) -> datetime | None:
    times = [t.scheduled_at for t in p.targets if t.scheduled_at] + (
        [p.scheduled_at] if p.scheduled_at else []
    )
    return min(times) if times else None


async def queue(ctx: Context) -> tuple[Reply, ...]:
    client = ctx.client()
    with api_errors(ctx.action("list the posts", "posts:read", "nothing was changed")):
        posts = await client.list_posts()
    upcoming = [(t, p) for p in posts if p.status == PostStatus.SCHEDULED and (t := _first_time(p))]
    upcoming.sort(key=lambda tp: tp[0])
    items = tuple(
        f"{format_when(t, ctx.tz)} · {p.post_id} · "
        f"{', '.join(platform_label(x) for x in p.platforms) or '—'} · {preview(p.content, 60) or '—'}"
        for t, p in upcoming[:QUEUE_LIMIT]
    )
    more = len(upcoming) - QUEUE_LIMIT
    return (
        ListReply(
            title=f"Scheduled next — workspace {ctx.workspace}",
            items=items or ("Nothing is scheduled.",),
            footer=f"…and {more} more" if more > 0 else "Times in " + str(ctx.tz.key),
        ),
    )
