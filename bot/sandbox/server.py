"""The sandbox's aiohttp app and its in-process API.

async with start_sandbox(SandboxOptions(clock=FakeClock()), port=0) as sb:
    sb.url        # "http://127.0.0.1:PORT"
    sb.state      # SandboxState: posts(key), post(key, id), media(key), create_calls(key), log
    sb.faults     # Faults: error_rate, timeout_rate, slow_seconds, burst_429(), fail_after_commit()
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime

from aiohttp import web

from bot.sandbox import handlers, media, native, samples
from bot.sandbox.context import FAULTS, KEY_ID, LIMITER, STATE
from bot.sandbox.errors import ApiFailure, error_body
from bot.sandbox.faults import Faults
from bot.sandbox.openapi import document
from bot.sandbox.options import DEMO_KEY, SandboxOptions
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.state import LogEntry, SandboxState

log = logging.getLogger("bot.sandbox")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ConnectionDropped(web.HTTPInternalServerError):
    """The connection was aborted on purpose (fault injection): nothing more is sent."""


def _drop(request: web.Request) -> ConnectionDropped:
    if request.transport is not None:
        request.transport.abort()
    return ConnectionDropped()


@web.middleware
async def log_mw(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    status = 0
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except ConnectionDropped:
        status = 0
        raise
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        entry = LogEntry(
            request.method,
            request.path,
            status,
            state.now(),
            state.clock.monotonic(),
            request.get(KEY_ID),
        )
        state.log.append(entry)
        log.info("%s %s %s", entry.method, entry.path, entry.status or "dropped")


@web.middleware
async def error_mw(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiFailure as e:
        return web.json_response(e.body(), status=e.status, headers=e.headers)
    except ConnectionDropped:
        raise
    except web.HTTPNotFound:
        return web.json_response(
            error_body("not_found", f"no such endpoint: {request.method} {request.path}"),
            status=404,
        )
    except web.HTTPMethodNotAllowed as e:
        return web.json_response(
            error_body("method_not_allowed", f"{request.method} is not allowed on {request.path}"),
            status=405,
            headers={"Allow": ", ".join(sorted(e.allowed_methods))},
        )
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code = "bad_request" if e.status < 500 else "internal_error"
        return web.json_response(error_body(code, e.reason), status=e.status)
    except Exception:
        log.exception("sandbox bug answering %s %s", request.method, request.path)
        return web.json_response(
            error_body("internal_error", "internal error in the sandbox"), status=500
        )


def _faulty(request: web.Request, faults: Faults) -> bool:
    path = request.path
    if path.startswith("/_upload/"):
        return faults.include_uploads
    return path.startswith("/v1/") and path != "/v1/openapi.json"


@web.middleware
async def faults_mw(request: web.Request, handler: Handler) -> web.StreamResponse:
    faults = request.app[FAULTS]
    if not _faulty(request, faults):
        return await handler(request)
    if faults.slow_seconds > 0:
        await asyncio.sleep(faults.slow_seconds)
    burst = faults.take_burst()
    if burst is not None:
        retry, as_date = burst
        now = request.app[STATE].now()
        value = (
            format_datetime(now + timedelta(seconds=retry), usegmt=True)
            if as_date
            else str(math.ceil(retry))
        )
        raise ApiFailure(
            429,
            "rate_limited",
            "more than 120 requests in one minute for this key (injected)",
            headers={"Retry-After": value},
        )
    if faults.roll_timeout():
        if faults.timeout_mode == "hang":
            await faults.hang()
        raise _drop(request)
    if faults.roll_error():
        raise ApiFailure(
            faults.error_status,
            "internal_error",
            "the Social API is temporarily unavailable (injected fault)",
        )
    resp = await handler(request)
    if request.method == "POST" and request.path == "/v1/posts" and resp.status == 201:
        mode = faults.take_after_commit()
        if mode == "hang":
            await faults.hang()
        if mode in ("close", "hang"):
            raise _drop(request)
        if mode is not None:
            raise ApiFailure(500, "internal_error", "internal error (injected after commit)")
    return resp


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())


async def thumb(request: web.Request) -> web.Response:
    return web.Response(body=media.PIXEL, content_type="image/png")


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/openapi.json", openapi_json),
    ("GET", "/v1/accounts", handlers.list_accounts),
    ("GET", "/v1/accounts/{id}/posts", native.list_native),
    ("DELETE", "/v1/accounts/{id}/posts/{platformPostId}", native.delete_native),
    ("POST", "/v1/media/upload-url", media.upload_url),
    ("POST", "/v1/media/{id}/complete", media.complete),
    ("GET", "/v1/media", media.list_media),
    ("DELETE", "/v1/media/{id}", media.delete_media),
    ("POST", "/v1/posts", handlers.create),
    ("GET", "/v1/posts", handlers.list_all),
    ("GET", "/v1/posts/{id}", handlers.get_one),
    ("PUT", "/v1/posts/{id}", handlers.edit),
    ("PATCH", "/v1/posts/{id}", handlers.edit),
    ("DELETE", "/v1/posts/{id}", handlers.delete),
    ("GET", "/v1/posts/{id}/status", handlers.get_status),
    ("GET", "/v1/analytics", handlers.analytics),
    ("PUT", "/_upload/{ws}/{media}/{filename}", media.put_upload),
    ("GET", "/_preview/{ws}/{media}", media.get_preview),
    ("GET", "/_thumb/{name}", thumb),
    ("GET", "/samples/", samples.list_samples),
    ("GET", "/samples/{name}", samples.get_sample),
]


def create_app(state: SandboxState, faults: Faults | None = None) -> web.Application:
    app = web.Application(middlewares=[log_mw, error_mw, faults_mw])
    app[STATE] = state
    app[FAULTS] = faults or Faults(seed=state.options.seed)
    app[LIMITER] = RateLimiter(state.rate_limit)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    return app


@dataclass
class Sandbox:
    url: str
    host: str
    port: int
    state: SandboxState
    faults: Faults
    app: web.Application
    demo_key: str = DEMO_KEY


@asynccontextmanager
async def start_sandbox(
    options: SandboxOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Faults | None = None,
) -> AsyncIterator[Sandbox]:
    """Run the sandbox on ``host:port`` (0 = a free port) until the block exits."""
    state = SandboxState(options or SandboxOptions())
    app = create_app(state, faults)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        yield Sandbox(f"http://{url_host}:{bound}", host, bound, state, app[FAULTS], app)
    finally:
        app[FAULTS].release_hangs()
        await runner.cleanup()
        state.close()
