"""Create, edit and delete posts (the rules of ``/v1/posts``), independent of HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.api.models import MediaKind, Platform, PostStatus, PostType
from bot.platforms import RULES, auto_post_type
from bot.sandbox.accounts import SandboxAccount
from bot.sandbox.errors import ApiFailure, bad_request, not_editable, not_found
from bot.sandbox.lifecycle import has_gone_out, post_status, target_status
from bot.sandbox.parse import Fields, parse_fields
from bot.sandbox.records import PostRecord, PostSpec, TargetRecord, iso, new_id
from bot.sandbox.state import SandboxState, Workspace
from bot.sandbox.validate import check_caption_edit, check_media, validate_post
from bot.sandbox.views import post_json, targets_json

Json = dict[str, Any]
_FLAG = {"publishNow": "publish_now", "draft": "draft"}
NEAR_NOW = timedelta(seconds=30)  # a scheduledAt this close (or past) publishes now
_AUTO_TYPES = frozenset(
    {PostType.TEXT, PostType.IMAGE, PostType.CAROUSEL, PostType.VIDEO, PostType.DOCUMENT}
)


def _accounts(ws: Workspace, ids: list[str]) -> list[SandboxAccount]:
    out = []
    for aid in ids:
        acc = ws.accounts.get(aid)
        if acc is None:
            raise not_found(f"account {aid} is not in your workspace")
        out.append(acc)
    return out


def _detect_type(spec: PostSpec, ws: Workspace) -> PostType:
    if spec.thread:
        return PostType.THREAD
    if spec.article and not spec.media_ids:
        return PostType.ARTICLE
    kinds: list[MediaKind] = [ws.media[m].kind for m in spec.media_ids]
    return auto_post_type(kinds)


def _has_content(spec: PostSpec, platforms: list[Platform]) -> bool:
    if spec.content or spec.media_ids or spec.thread:
        return True
    return bool(platforms) and all(p in spec.platform_content for p in platforms)


def _due(when: datetime, now: datetime) -> datetime:
    return now if when <= now + NEAR_NOW else when


def _schedule(post: PostRecord, base: datetime | None, now: datetime) -> None:
    """Set each target's due time from the base time and the per-platform schedules."""
    dues: list[datetime] = []
    for t in post.targets:
        when = post.platform_schedules.get(t.platform, base)
        t.due_at = None if when is None else _due(when, now)
        if t.due_at is not None:
            dues.append(t.due_at)
    post.scheduled_at = _due(base, now) if base is not None else (min(dues) if dues else None)
    post.immediate = post.scheduled_at is not None and post.scheduled_at <= now


def _targets(accounts: list[SandboxAccount]) -> list[TargetRecord]:
    return [TargetRecord(a.account_id, a.platform, None) for a in accounts]


def _spec_from(f: Fields, base: PostSpec | None = None) -> PostSpec:
    spec = base or PostSpec()
    p = f.present
    changes: dict[str, Any] = {}
    names = {
        "content": ("content", f.content),
        "mediaIds": ("media_ids", f.media_ids),
        "platformContent": ("platform_content", f.platform_content),
        "thread": ("thread", f.thread),
        "article": ("article", f.article),
        "link": ("link", f.link),
        "coverMediaId": ("cover_media_id", f.cover_media_id),
        "coverOffsetMs": ("cover_offset_ms", f.cover_offset_ms),
        "documentTitle": ("document_title", f.document_title),
        "ytPrivacy": ("yt_privacy", f.yt_privacy),
    }
    for api_name, (attr, value) in names.items():
        if base is None or api_name in p:
            changes[attr] = value
    return replace(spec, **changes)


def _typed(spec: PostSpec, f: Fields, ws: Workspace, old_type: PostType | None) -> PostSpec:
    check_media(spec, ws.media)
    if f.post_type is not None:
        return replace(spec, post_type=f.post_type)
    if old_type is None or (
        old_type in _AUTO_TYPES and f.present & {"mediaIds", "thread", "article"}
    ):
        return replace(spec, post_type=_detect_type(spec, ws))
    return replace(spec, post_type=old_type)


def created_json(post: PostRecord, state: SandboxState, now: datetime) -> Json:
    status = post_status(post, now, state.publish_delay)
    return {
        "postId": post.post_id,
        "status": status.value,
        "scheduledAt": iso(post.scheduled_at),
        "immediate": post.immediate,
        "post": post_json(post, now, state.publish_delay),
        "targets": targets_json(post, now, state.publish_delay),
    }


def create_post(state: SandboxState, ws: Workspace, body: Any) -> PostRecord:
    now = state.now()
    f = parse_fields(body, state.tz)
    if not f.account_ids:
        raise bad_request("accountIds is required: an array of account ids from GET /v1/accounts")
    if f.draft and f.publish_now:
        raise bad_request("draft and publishNow cannot both be true")
    accounts = _accounts(ws, f.account_ids)
    platforms = [a.platform for a in accounts]
    spec = _spec_from(f)
    if not _has_content(spec, platforms):
        raise bad_request("provide content, mediaIds or thread")
    covered = bool(f.platform_schedules) and all(p in f.platform_schedules for p in platforms)
    if not (f.draft or f.publish_now or f.scheduled_at or covered):
        raise bad_request("say when: scheduledAt, publishNow: true or draft: true")
    spec = _typed(spec, f, ws, None)
    validate_post(spec, accounts, ws.media)
    post = PostRecord(
        post_id=new_id("pst"),
        spec=spec,
        account_ids=list(f.account_ids),
        created_at=now,
        updated_at=now,
        scheduled_at=None,
        platform_schedules=dict(f.platform_schedules),
        targets=_targets(accounts),
    )
    if not f.draft:
        _schedule(post, now if f.publish_now else f.scheduled_at, now)
    ws.posts[post.post_id] = post
    ws.create_calls += 1
    state.save_post(ws, post)
    return post


def get_post(ws: Workspace, post_id: str) -> PostRecord:
    post = ws.posts.get(post_id)
    if post is None:
        raise not_found(f"post {post_id} does not exist in your workspace")
    return post


def update_post(state: SandboxState, ws: Workspace, post_id: str, body: Any) -> Json:
    now, delay = state.now(), state.publish_delay
    post = get_post(ws, post_id)
    status = post_status(post, now, delay)
    f = parse_fields(body, state.tz)
    if status not in (PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.PUBLISHED):
        raise not_editable(
            f"post {post_id} is {status.value}: only draft, scheduled and published posts can be edited"
        )
    if has_gone_out(post):
        extra: Json = _edit_live(state, ws, post, f)
    else:
        extra = _edit_pending(state, ws, post, f, was_draft=status is PostStatus.DRAFT)
    post.updated_at = now
    state.save_post(ws, post)
    return {
        "postId": post.post_id,
        **extra,
        "post": post_json(post, now, delay),
        "targets": targets_json(post, now, delay),
    }


def _edit_pending(
    state: SandboxState, ws: Workspace, post: PostRecord, f: Fields, *, was_draft: bool
) -> Json:
    now = state.now()
    if "accountIds" in f.present and not f.account_ids:
        raise bad_request("accountIds cannot be empty")
    if f.draft and f.publish_now:
        raise bad_request("draft and publishNow cannot both be true")
    account_ids = f.account_ids if "accountIds" in f.present else post.account_ids
    accounts = _accounts(ws, account_ids)
    spec = _spec_from(f, post.spec)
    if not _has_content(spec, [a.platform for a in accounts]):
        raise bad_request("provide content, mediaIds or thread")
    spec = _typed(spec, f, ws, post.spec.post_type)
    validate_post(spec, accounts, ws.media)
    retimed = f.publish_now or f.scheduled_at is not None or "platformSchedules" in f.present
    rescheduled = retimed and not was_draft and not f.draft
    activated = was_draft and (f.publish_now or f.scheduled_at is not None)
    post.spec = spec
    post.account_ids = list(account_ids)
    if "platformSchedules" in f.present:
        post.platform_schedules = dict(f.platform_schedules)
    post.targets = _targets(accounts)
    if f.publish_now or f.scheduled_at is not None:
        _schedule(post, now if f.publish_now else f.scheduled_at, now)
    elif f.draft or was_draft:
        post.scheduled_at, post.immediate = None, False
    else:
        _schedule(post, post.scheduled_at, now)
    out: Json = {"updated": True, "rescheduled": rescheduled}
    if was_draft:
        out["activated"] = activated
    return out


def _edit_live(state: SandboxState, ws: Workspace, post: PostRecord, f: Fields) -> Json:
    """A post that went out (fully, or on some platforms with others still scheduled)."""
    others = sorted(
        k
        for k in f.present - {"content"}
        if not (k in ("publishNow", "draft") and not getattr(f, _FLAG[k]))
    )
    if others:
        raise not_editable(
            f"post {post.post_id} is already live: only the caption (content) can change "
            f"(got {', '.join(others)})"
        )
    if "content" not in f.present:
        return {"updated": False, "rescheduled": False, "unsupported": []}
    caption = f.content or ""
    now, delay = state.now(), state.publish_delay
    unsupported: list[str] = []
    editable: list[TargetRecord] = []
    pending: list[SandboxAccount] = []
    for t in post.targets:
        acc = ws.accounts.get(t.account_id)
        status = target_status(post, t, now, delay)
        if acc is None or status in (PostStatus.FAILED, PostStatus.CANCELED):
            continue
        if status is PostStatus.SCHEDULED:
            pending.append(acc)
        elif RULES[t.platform].edit_live:
            check_caption_edit(caption, acc)
            editable.append(t)
        elif t.platform.value not in unsupported:
            unsupported.append(t.platform.value)
    new_spec = replace(post.spec, content=caption)
    for acc in pending:
        validate_post(new_spec, [acc], ws.media)
    for t in editable:
        t.caption = caption
    if editable or pending:
        post.spec = new_spec
    return {
        "updated": bool(editable or pending),
        "rescheduled": False,
        "unsupported": unsupported,
    }


def delete_post(state: SandboxState, ws: Workspace, post_id: str) -> Json:
    now, delay = state.now(), state.publish_delay
    post = get_post(ws, post_id)
    status = post_status(post, now, delay)
    if status is PostStatus.PUBLISHING:
        raise ApiFailure(
            409,
            "publishing",
            f"post {post_id} is being published right now — retry in a few seconds",
        )
    removed: list[str] = []
    manual: list[Json] = []
    if post.canceled_at is None:
        for t in post.targets:
            if t.outcome == "published" and not t.removed:
                acc = ws.accounts.get(t.account_id)
                if acc is not None and acc.can_delete():
                    t.removed = True
                    removed.append(t.platform.value)
                else:
                    manual.append(
                        {
                            "platform": t.platform.value,
                            "accountId": t.account_id,
                            "reason": manual_reason(acc, t.platform),
                            "platformPostId": t.platform_post_id,
                            "permalink": t.permalink,
                        }
                    )
            elif t.outcome is None:
                t.canceled = True
        post.canceled_at = now
        post.updated_at = now
        state.save_post(ws, post)
    return {
        "postId": post.post_id,
        "status": PostStatus.CANCELED.value,
        "removedFrom": removed,
        "manual": manual,
    }


def manual_reason(acc: SandboxAccount | None, platform: Platform) -> str:
    blocker = acc.delete_blocker() if acc is not None else None
    if blocker is not None:
        return blocker
    if acc is not None and acc.linkedin_personal:
        return (
            "LinkedIn personal-profile posts can't be deleted via the API — delete it in the "
            "LinkedIn app"
        )
    return "platform has no delete API"


def list_posts(state: SandboxState, ws: Workspace) -> list[PostRecord]:
    far = datetime.max.replace(tzinfo=state.now().tzinfo)
    return sorted(
        ws.posts.values(),
        key=lambda p: (p.scheduled_at is None, p.scheduled_at or far, p.created_at),
    )
