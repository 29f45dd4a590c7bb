"""The notifier over the real ``SocialClient`` (httpx.MockTransport): 5xx, 429, timeouts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from bot.api.client import SocialClient
from bot.api.ratelimit import LimiterRegistry
from bot.notifier import Notifier
from bot.secret import Secret
from tests.notifier.conftest import Env


class MockApi:
    def __init__(self) -> None:
        self.posts: dict[str, dict[str, Any]] = {}
        self.script: list[str] = []  # "503" / "429" / "timeout" for the next requests
        self.seen: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.path)
        if self.script:
            what = self.script.pop(0)
            if what == "timeout":
                raise httpx.ReadTimeout("read timed out", request=request)
            if what == "429":
                body = {"error": {"code": "rate_limited", "message": "slow down"}}
                return httpx.Response(429, json=body, headers={"Retry-After": "45"})
            return httpx.Response(int(what), text="upstream trouble")
        parts = request.url.path.strip("/").split("/")
        if parts == ["v1", "posts"]:
            return httpx.Response(200, json={"posts": list(self.posts.values())})
        if len(parts) == 4 and parts[3] == "status":
            p = self.posts[parts[2]]
            return httpx.Response(200, content=json.dumps({**p, "ready": True}))
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})

    def publish(self, pid: str) -> None:
        self.posts[pid] = {
            "postId": pid,
            "status": "published",
            "targets": [
                {
                    "accountId": "acc_ig",
                    "platform": "instagram",
                    "status": "published",
                    "permalink": f"https://instagram.example/p/{pid}",
                }
            ],
        }


async def test_faults_through_the_real_client_are_caught_up_once(env: Env) -> None:
    api = MockApi()
    client = SocialClient(
        "http://social.test",
        Secret("sk_test_notifier"),
        transport=httpx.MockTransport(api.handler),
        clock=env.clock,
        max_retries=0,
        limiters=LimiterRegistry(),
    )
    n = Notifier(env.core, client_factory=lambda ws: client.share(0.5))
    ids = [f"p{i}" for i in range(4)]
    await env.track_many(ids, at=env.now - timedelta(seconds=1))
    for pid in ids:
        api.publish(pid)
    api.script = ["503", "timeout", "429"]
    for _ in range(12):
        await n.tick(env.now)
        env.clock.advance(30)
    for pid in ids:
        assert env.slack.times_announced(pid) == 1
    stats = n.stats("default")
    assert stats.errors == 3 and stats.rate_limited == 1
    # 3 failed lists, then 1 list + 4 details; nothing twice.
    assert api.seen.count("/v1/posts") == 4
    assert len(api.seen) == 8
    link = env.slack.visible[0].announcement.lines[0]
    assert "https://instagram.example/p/p0" in link
    await client.aclose()
