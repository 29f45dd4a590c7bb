"""/social retry <id> — a new post to the failed targets of a post, same content and media.

The retry is tracked like any post, announced in the thread of the first post ("Retry of
pst_…"), and goes through approval where the channel needs it. Targets that went out are left
alone; a post still scheduled or publishing has nothing to retry yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from bot import approvals, tracking
from bot.api.models import Article, NewPost, Platform, Post, PostStatus, PostType, ThreadSegment
from bot.chat import Confirmation, Destination, Field, Reply
from commands.apierrors import api_errors
from commands.context import Context
from commands.errors import PostConflict, UsageError
from commands.handlers.manage import need_id
from commands.handlers.status import tracked
from commands.render import caption_fields, preview, targets_text
from commands.targets import platform_label

_RETRYABLE = (PostStatus.FAILED, PostStatus.PARTIAL, PostStatus.PUBLISHED, PostStatus.CANCELED)


def _str(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return v if isinstance(v, str) and v else None


def retry_post(post: Post, account_ids: tuple[str, ...], platforms: set[Platform]) -> NewPost:
    """The original's content and media, to ``account_ids``, publishing now."""
    d = post.extra
    pt_raw = _str(d, "postType")
    try:
        pt = PostType(pt_raw) if pt_raw else None
    except ValueError:
        pt = None
    art = d.get("article")
    article = (
        Article(str(art["url"]), _str(art, "title"), _str(art, "description"))
        if isinstance(art, Mapping) and art.get("url")
        else None
    )
    thread = tuple(
        ThreadSegment(
            str(s.get("text") or s.get("content") or ""),
            tuple(str(m) for m in s.get("mediaIds") or []),
        )
        for s in d.get("thread") or []
        if isinstance(s, Mapping)
    )
    offset = d.get("coverOffsetMs")
    return NewPost(
        account_ids=account_ids,
        content=post.content,
        media_ids=post.media_ids,
        post_type=pt,
        publish_now=True,
        platform_content={
            p: c
            for p, c in post.platform_content.items()
            if isinstance(p, Platform) and p in platforms
        },
        thread=thread,
        article=article,
        link=_str(d, "link"),
        cover_media_id=_str(d, "coverMediaId"),
        cover_offset_ms=offset if isinstance(offset, int) else None,
        document_title=_str(d, "documentTitle"),
        yt_privacy=_str(d, "ytPrivacy"),
    )


async def retry(ctx: Context, post_id: str | None) -> tuple[Reply, ...]:
    pid = need_id(post_id, "retry")
    row = await tracked(ctx, pid)
    client = ctx.client()
    with api_errors(ctx.action("read the post", "posts:read", "nothing was posted", pid)):
        post = await client.get_post(pid)
    status = str(post.status)
    if status not in _RETRYABLE:
        raise PostConflict(
            f"Post {pid} is {status or 'unknown'}: nothing has failed yet",
            problems=["Retry works on a post whose targets failed (partly published or failed)."],
            hint=f"/status {pid} shows where it stands.",
        )
    failed = [t for t in post.targets if str(t.status) == PostStatus.FAILED]
    if not failed:
        raise UsageError(
            f"Nothing to retry on {pid}",
            problems=["No target of this post failed."],
            hint=f"/status {pid} shows each target.",
        )
    accounts = {a.account_id: a for a in await ctx.accounts()}
    targets = tuple(accounts[t.account_id] for t in failed if t.account_id in accounts)
    if not targets:
        raise UsageError(
            "The failed targets' accounts are no longer connected",
            problems=[", ".join(platform_label(t.platform) for t in failed)],
            hint="Reconnect them in the dashboard, then /social retry again.",
        )
    platforms = {a.platform for a in targets if isinstance(a.platform, Platform)}
    new_post = retry_post(post, tuple(a.account_id for a in targets), platforms)
    summary = preview(f"Retry of {pid}: {post.content or (row.summary if row else '') or ''}", 200)
    # the retry is announced where the first post was asked for
    inv = ctx.inv
    channel = row.channel if row is not None and row.platform == inv.platform else inv.channel
    thread = row.thread if row is not None and row.platform == inv.platform else inv.thread
    policy = ctx.config.approval
    if policy.required:
        request = approvals.PostRequest(
            workspace=ctx.workspace,
            post=new_post,
            targets=targets,
            when="now",
            summary=summary,
            media=tuple(post.media_ids),
            origin=Destination(inv.platform, channel, thread=thread, team=inv.team),
            requester=inv.user,
            delivery_id=inv.delivery_id,
        )
        with api_errors(
            ctx.action("save the retry for approval", "posts:write", "nothing was posted")
        ):
            return await approvals.submit(ctx.core, request, policy)
    with api_errors(ctx.action("create the retry", "posts:write", "nothing was posted")):
        created = await client.create_post(new_post)
    new_id = created.post.post_id
    tracked_row = tracking.TrackedPost(
        post_id=new_id,
        workspace=ctx.workspace,
        platform=inv.platform,
        team=inv.team,
        channel=channel,
        thread=thread,
        requester=inv.user.id,
        requester_name=inv.user.name,
        created_at=ctx.now(),
        scheduled_at=None,
        last_due_at=None,
        status=PostStatus.PUBLISHING.value
        if tracking.is_terminal(str(created.post.status))
        else str(created.post.status) or PostStatus.PUBLISHING.value,
        summary=summary,
        accounts=tracking.account_labels(targets, new_post.platform_content, post.content),
    )

    def write(sdb: sqlite_utils.Database) -> None:
        tracking.record(sdb, tracked_row)

    await ctx.core.db.transaction(write)
    fields = [
        Field("Post", new_id),
        Field("Retry of", pid),
        Field("Targets", targets_text(targets)),
        *caption_fields(post.content, new_post.platform_content),
    ]
    return (
        Confirmation(
            title=f"Retrying {pid} on {', '.join(platform_label(p) for p in platforms)}",
            fields=tuple(fields),
            text="A new post to the failed targets only; I'll announce the result in the first post's thread.",
        ),
    )
