"""Native platform posts: ``GET/DELETE /v1/accounts/{id}/posts[/{platformPostId}]``.

An account's native posts are the ones published through the sandbox for it (``inDb: true``)
plus three seeded posts made "outside" the API (``inDb: false``), newest first, minus any
deleted. Paginated with an opaque cursor. Listing is unsupported (422) on LinkedIn personal
profiles and Threads; deleting answers ``deleted: false`` with a reason on LinkedIn personal,
TikTok, Threads and YouTube.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.api.models import Platform
from bot.sandbox.accounts import SandboxAccount
from bot.sandbox.auth import api
from bot.sandbox.context import Ctx
from bot.sandbox.errors import ApiFailure, bad_request, not_found
from bot.sandbox.handlers import ok
from bot.sandbox.lifecycle import fake_metrics, platform_ids
from bot.sandbox.records import PostRecord, TargetRecord
from bot.sandbox.state import Workspace

SEEDED = (
    ("Behind the scenes at the Acme workshop", "image"),
    ("Our spring collection is here 🌸", "video"),
    ("Thank you for 10k followers!", "image"),
)
SEED_START = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
NO_DELETE = {
    Platform.TIKTOK: "TikTok's API has no delete endpoint — delete it in the TikTok app",
    Platform.THREADS: "Threads' API has no delete endpoint — delete it in the Threads app",
    Platform.YOUTUBE: "YouTube deletion isn't available through this API — delete it in YouTube Studio",
}
LINKEDIN_PERSONAL = (
    "LinkedIn personal-profile posts can't be deleted via the API — delete it in the LinkedIn app"
)


@dataclass
class Native:
    platform_post_id: str
    caption: str
    media_type: str
    permalink: str
    timestamp: datetime
    post: PostRecord | None = None
    target: TargetRecord | None = None

    def to_json(self, origin: str) -> dict[str, Any]:
        return {
            "platformPostId": self.platform_post_id,
            "caption": self.caption,
            "mediaType": self.media_type,
            "permalink": self.permalink,
            "thumbnail": None
            if self.media_type == "text"
            else f"{origin}/_thumb/{self.platform_post_id}.png",
            "timestamp": self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
            "metrics": fake_metrics(self.platform_post_id),
            "inDb": self.post is not None,
            "dbPostId": self.post.post_id if self.post is not None else None,
        }


def native_posts(ws: Workspace, acc: SandboxAccount) -> list[Native]:
    out: list[Native] = []
    for i, (caption, kind) in enumerate(SEEDED):
        pid, link = platform_ids(acc.platform, acc.bare_handle, f"native{i}", acc.account_id)
        out.append(Native(pid, caption, kind, link, SEED_START + timedelta(days=3 * i)))
    for post in ws.posts.values():
        for t in post.targets:
            if (
                t.account_id == acc.account_id
                and t.outcome == "published"
                and not t.removed
                and t.platform_post_id
                and t.permalink
                and t.settled_at
            ):
                caption = t.caption if t.caption is not None else post.spec.caption_for(t.platform)
                out.append(
                    Native(
                        t.platform_post_id,
                        caption,
                        post.spec.post_type.value,
                        t.permalink,
                        t.settled_at,
                        post,
                        t,
                    )
                )
    out = [n for n in out if f"{acc.account_id}/{n.platform_post_id}" not in ws.native_deleted]
    out.sort(key=lambda n: n.timestamp, reverse=True)
    return out


def platform_error(acc: SandboxAccount, message: str) -> ApiFailure:
    return ApiFailure(
        502, "platform_error", f"{acc.label} API call failed for {acc.handle}: {message}"
    )


def _account(ctx: Ctx, request: web.Request) -> SandboxAccount:
    aid = request.match_info["id"]
    acc = ctx.ws.accounts.get(aid)
    if acc is None:
        raise not_found(f"account {aid} is not in your workspace")
    return acc


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith("o:") or not raw[2:].isdigit():
        raise bad_request("invalid cursor: pass back the nextCursor of the previous page")
    return int(raw[2:])


def _make_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


@api("posts:read")
async def list_native(request: web.Request, ctx: Ctx) -> web.Response:
    acc = _account(ctx, request)
    raw_limit = request.query.get("limit", "25")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise bad_request("limit must be an integer from 1 to 100")
    limit = int(raw_limit)
    start = _cursor(request.query.get("cursor"))
    if acc.platform_error:
        raise platform_error(acc, acc.platform_error)
    if not acc.can_list_native():
        what = "LinkedIn personal profiles" if acc.linkedin_personal else acc.label
        raise ApiFailure(
            422, "unsupported", f"{what} can't list posts via the API (account {acc.handle})"
        )
    posts = native_posts(ctx.ws, acc)
    page = posts[start : start + limit]
    nxt = start + limit if start + limit < len(posts) else None
    origin = str(request.url.origin())
    return ok(
        {
            "accountId": acc.account_id,
            "platform": acc.platform.value,
            "posts": [n.to_json(origin) for n in page],
            "nextCursor": _make_cursor(nxt) if nxt is not None else None,
        }
    )


@api("posts:write")
async def delete_native(request: web.Request, ctx: Ctx) -> web.Response:
    acc = _account(ctx, request)
    ppid = request.match_info["platformPostId"]
    found = next((n for n in native_posts(ctx.ws, acc) if n.platform_post_id == ppid), None)
    base: dict[str, Any] = {
        "accountId": acc.account_id,
        "platform": acc.platform.value,
        "platformPostId": ppid,
    }
    db_post_id = found.post.post_id if found is not None and found.post is not None else None
    reason = LINKEDIN_PERSONAL if acc.linkedin_personal else NO_DELETE.get(acc.platform)
    if reason is not None:
        return ok({**base, "deleted": False, "dbPostId": db_post_id, "reason": reason})
    blocker = acc.delete_blocker()
    if blocker is not None:
        raise platform_error(acc, blocker)
    if found is None:
        raise not_found(f"no post {ppid} on {acc.label} account {acc.handle}")
    ref = f"{acc.account_id}/{ppid}"
    ctx.ws.native_deleted.add(ref)
    ctx.state.save_native_deleted(ctx.ws, ref)
    if found.post is not None and found.target is not None:
        found.target.removed = True
        if found.post.canceled_at is None:
            found.post.canceled_at = ctx.now
            for t in found.post.targets:
                if t.outcome is None:
                    t.canceled = True
        found.post.updated_at = ctx.now
        ctx.state.save_post(ctx.ws, found.post)
    return ok({**base, "deleted": True, "dbPostId": db_post_id})
