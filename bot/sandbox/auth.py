"""Authentication, rate limiting and scopes, in that order, wrapped around each API handler.

401 ``unauthorized`` (no key / unknown key) → 429 ``rate_limited`` (key over its budget) →
403 ``forbidden`` (key lacks the endpoint's scope). The workspace's posts are then settled at
the sandbox clock's ``now`` before the handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.sandbox.context import KEY_ID, LIMITER, STATE, Ctx
from bot.sandbox.errors import ApiFailure
from bot.sandbox.state import key_id

Handler = Callable[[web.Request, Ctx], Awaitable[web.StreamResponse]]


def request_key(request: web.Request) -> str | None:
    key = request.headers.get("X-Api-Key", "").strip()
    if key:
        return key
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def api(scope: str) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            state = request.app[STATE]
            key = request_key(request)
            if key is None:
                raise ApiFailure(
                    401,
                    "unauthorized",
                    "missing API key: send X-Api-Key: <key> or Authorization: Bearer <key>",
                )
            scopes = state.keys.get(key)
            if scopes is None:
                raise ApiFailure(401, "unauthorized", "invalid API key")
            kid = key_id(key)
            request[KEY_ID] = kid
            limiter = request.app[LIMITER]
            limiter.limit = state.rate_limit
            wait = limiter.hit(kid, state.clock.monotonic())
            if wait is not None:
                raise ApiFailure(
                    429,
                    "rate_limited",
                    f"more than {state.rate_limit} requests in one minute for this key — "
                    f"retry in {int(wait)} s",
                    headers={"Retry-After": str(int(wait))},
                )
            if scope not in scopes:
                raise ApiFailure(403, "forbidden", f"this API key lacks the {scope} scope")
            ws = state.workspace(key)
            state.settle(ws)
            return await handler(request, Ctx(state, ws, kid, state.now()))

        run.__name__ = handler.__name__
        return run

    return wrap
