"""Handlers of ``/v1/accounts``, ``/v1/posts`` and ``/v1/analytics``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.api.models import PostStatus
from bot.sandbox.auth import api
from bot.sandbox.context import Ctx
from bot.sandbox.errors import bad_request
from bot.sandbox.lifecycle import fake_metrics, post_status
from bot.sandbox.posts import (
    create_post,
    created_json,
    delete_post,
    get_post,
    list_posts,
    update_post,
)
from bot.sandbox.views import post_json, status_json, targets_json


async def json_body(request: web.Request, *, empty_ok: bool = False) -> Any:
    raw = await request.read()
    if not raw.strip():
        if empty_ok:
            return {}
        raise bad_request("the request body must be a JSON object")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("malformed JSON body") from None


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


@api("accounts:read")
async def list_accounts(request: web.Request, ctx: Ctx) -> web.Response:
    return ok({"accounts": [a.to_json() for a in ctx.ws.accounts.values()]})


@api("posts:write")
async def create(request: web.Request, ctx: Ctx) -> web.Response:
    body = await json_body(request)
    post = create_post(ctx.state, ctx.ws, body)
    return ok(created_json(post, ctx.state, ctx.now), 201)


@api("posts:read")
async def list_all(request: web.Request, ctx: Ctx) -> web.Response:
    delay = ctx.state.publish_delay
    posts = list_posts(ctx.state, ctx.ws)
    return ok({"posts": [post_json(p, ctx.now, delay) for p in posts]})


@api("posts:read")
async def get_one(request: web.Request, ctx: Ctx) -> web.Response:
    post = get_post(ctx.ws, request.match_info["id"])
    delay = ctx.state.publish_delay
    return ok(
        {"post": post_json(post, ctx.now, delay), "targets": targets_json(post, ctx.now, delay)}
    )


@api("posts:read")
async def get_status(request: web.Request, ctx: Ctx) -> web.Response:
    post = get_post(ctx.ws, request.match_info["id"])
    return ok(status_json(post, ctx.now, ctx.state.publish_delay))


@api("posts:write")
async def edit(request: web.Request, ctx: Ctx) -> web.Response:
    body = await json_body(request, empty_ok=True)
    return ok(update_post(ctx.state, ctx.ws, request.match_info["id"], body))


@api("posts:write")
async def delete(request: web.Request, ctx: Ctx) -> web.Response:
    return ok(delete_post(ctx.state, ctx.ws, request.match_info["id"]))


@api("analytics:read")
async def analytics(request: web.Request, ctx: Ctx) -> web.Response:
    delay = ctx.state.publish_delay
    by_status = {s.value: 0 for s in PostStatus}
    engagement = {"likes": 0, "comments": 0, "shares": 0, "impressions": 0}
    for post in ctx.ws.posts.values():
        by_status[post_status(post, ctx.now, delay).value] += 1
        for t in post.targets:
            if t.outcome == "published" and not t.removed and t.platform_post_id:
                for k, v in fake_metrics(t.platform_post_id).items():
                    engagement[k] += v
    return ok({"totalPosts": len(ctx.ws.posts), "byStatus": by_status, "engagement": engagement})
