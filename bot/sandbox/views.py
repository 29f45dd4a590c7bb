"""The API's JSON shapes of posts and targets (computed at ``now``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.api.models import PostStatus
from bot.sandbox.lifecycle import post_status, target_status
from bot.sandbox.records import PostRecord, TargetRecord, iso

Json = dict[str, Any]


def post_json(post: PostRecord, now: datetime, delay: float) -> Json:
    spec = post.spec
    out: Json = {
        "postId": post.post_id,
        "content": spec.content,
        "postType": spec.post_type.value,
        "status": post_status(post, now, delay).value,
        "scheduledAt": iso(post.scheduled_at),
        "platforms": list(dict.fromkeys(t.platform.value for t in post.targets)),
        "accountIds": list(post.account_ids),
        "mediaIds": list(spec.media_ids),
        "createdAt": iso(post.created_at),
        "updatedAt": iso(post.updated_at),
    }
    if spec.platform_content:
        out["platformContent"] = {p.value: c for p, c in spec.platform_content.items()}
    if post.platform_schedules:
        out["platformSchedules"] = {p.value: iso(t) for p, t in post.platform_schedules.items()}
    if spec.thread:
        out["thread"] = [s.to_json() for s in spec.thread]
    optional = {
        "article": spec.article,
        "link": spec.link,
        "coverMediaId": spec.cover_media_id,
        "coverOffsetMs": spec.cover_offset_ms,
        "documentTitle": spec.document_title,
        "ytPrivacy": spec.yt_privacy,
        "canceledAt": iso(post.canceled_at),
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def target_json(
    post: PostRecord, t: TargetRecord, now: datetime, delay: float, *, ready: bool = False
) -> Json:
    status = target_status(post, t, now, delay)
    out: Json = {
        "accountId": t.account_id,
        "platform": t.platform.value,
        "status": status.value,
        "scheduledAt": iso(t.due_at),
        "platformPostId": t.platform_post_id,
        "permalink": t.permalink,
        "error": t.error,
        "publishedAt": iso(t.settled_at) if t.outcome == "published" else None,
    }
    if ready:
        out["ready"] = status is PostStatus.PUBLISHED
    return out


def targets_json(
    post: PostRecord, now: datetime, delay: float, *, ready: bool = False
) -> list[Json]:
    return [target_json(post, t, now, delay, ready=ready) for t in post.targets]


def status_json(post: PostRecord, now: datetime, delay: float) -> Json:
    status = post_status(post, now, delay)
    return {
        "postId": post.post_id,
        "status": status.value,
        "ready": status in (PostStatus.PUBLISHED, PostStatus.PARTIAL),
        "scheduledAt": iso(post.scheduled_at),
        "targets": targets_json(post, now, delay, ready=True),
    }
