"""A scripted, recording stand-in of the Social API for ``httpx.MockTransport`` unit tests."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.clock import FakeClock

Outcome = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Call:
    at: float
    method: str
    path: str
    raw_path: bytes
    query: dict[str, str]
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def error(status: int, code: str, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message}}, headers=headers
    )


class FakeApi:
    """Routes answer with a default response; ``push`` queues one-shot outcomes per route.

    ``POST /v1/posts`` and ``GET /v1/posts`` share an in-memory list of posts, so tests can make
    the server create a post and then fail the answer (``push(..., create_then(exc))``).
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self.routes: dict[tuple[str, str], Outcome] = {}
        self.queued: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
        self.posts: list[dict[str, Any]] = []
        # When set, the fake enforces the API's rate limit itself: 429 beyond it in any window.
        self.enforce_limit: tuple[int, float] | None = None
        self.rejected = 0
        self.route("POST", "/v1/posts", self._create)
        self.route("GET", "/v1/posts", lambda r: httpx.Response(200, json={"posts": self.posts}))

    def route(self, method: str, path: str, outcome: Outcome | dict[str, Any]) -> None:
        if isinstance(outcome, dict):
            outcome = httpx.Response(200, json=outcome)
        self.routes[(method, path)] = outcome

    def push(self, method: str, path: str, *outcomes: Outcome) -> None:
        self.queued[(method, path)].extend(outcomes)

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        post = {
            "postId": f"pst_{len(self.posts) + 1}",
            "status": "publishing" if body.get("publishNow") else "scheduled",
            "content": body.get("content"),
            "postType": body.get("postType", "text"),
            "accountIds": body.get("accountIds", []),
            "mediaIds": body.get("mediaIds", []),
            "scheduledAt": body.get("scheduledAt") or "2026-06-01T12:00:00+00:00",
        }
        if "thread" in body:
            post["thread"] = body["thread"]
        self.posts.append(post)
        return httpx.Response(
            201,
            json={
                "postId": post["postId"],
                "status": post["status"],
                "immediate": bool(body.get("publishNow")),
                "post": post,
                "targets": [
                    {"accountId": a, "platform": "instagram", "status": post["status"]}
                    for a in post["accountIds"]
                ],
            },
        )

    def create_then(self, exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
        """An outcome: the server creates the post, then the answer is lost."""

        def outcome(request: httpx.Request) -> httpx.Response:
            self._create(request)
            raise exc

        return outcome

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(
            Call(
                at=self.clock.monotonic(),
                method=request.method,
                path=request.url.path,
                raw_path=request.url.raw_path,
                query=dict(request.url.params),
                headers=request.headers,
                body=request.content,
            )
        )
        if self.enforce_limit is not None:
            limit, window = self.enforce_limit
            now = self.clock.monotonic()
            recent = [c for c in self.calls if now - c.at < window]
            if len(recent) > limit:
                self.rejected += 1
                return error(429, "rate_limited", "over the limit", **{"Retry-After": "1"})
        key = (request.method, request.url.path)
        outcome: Outcome | None
        if self.queued.get(key):
            outcome = self.queued[key].pop(0)
        else:
            outcome = self.routes.get(key)
        if outcome is None:
            return error(404, "not_found", f"no route {request.method} {request.url.path}")
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, httpx.Response):
            return httpx.Response(
                outcome.status_code, headers=outcome.headers, content=outcome.content
            )
        return outcome(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


class StreamingTransport(httpx.AsyncBaseTransport):
    """Hands API calls to a ``FakeApi``; consumes presigned PUT bodies chunk by chunk.

    ``httpx.MockTransport`` reads the whole body before its handler runs, which would hide
    whether the client streams; this transport reads the request stream incrementally and
    logs every chunk in ``events`` (interleaved with the producer's own events).
    """

    def __init__(self, api: FakeApi, upload_host: str, events: list[str]) -> None:
        self.api = api
        self.upload_host = upload_host
        self.events = events
        self.put_requests: list[httpx.Request] = []
        self.received = 0
        self.put_status = 200

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self.upload_host:
            self.put_requests.append(request)
            assert isinstance(request.stream, httpx.AsyncByteStream)
            stream: AsyncIterator[bytes] = request.stream.__aiter__()
            async for chunk in stream:
                self.received += len(chunk)
                self.events.append(f"consumed {len(chunk)}")
            return httpx.Response(self.put_status)
        await request.aread()
        return self.api(request)
