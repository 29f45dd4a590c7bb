"""The Social API of the approval tests: the project's sandbox in-process on 127.0.0.1:0 and the
real ``SocialClient``, both on the test's ``FakeClock``.

``requests(method, post_id)`` reads the sandbox's own request log (what the server saw);
``sandbox.faults`` injects failures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.api.client import SocialClient
from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret

KEY = "sk_test_sandbox"


@dataclass
class SocialFixture:
    sandbox: Sandbox
    client: SocialClient
    key: str = KEY

    @property
    def url(self) -> str:
        return self.sandbox.url

    def requests(self, method: str, post_id: str | None = None) -> list[str]:
        """Paths of the successful ``method`` requests on posts the sandbox answered."""
        out = []
        for e in self.sandbox.state.log:
            if e.method != method or not e.path.startswith("/v1/posts") or e.status >= 400:
                continue
            if post_id is not None and e.path != f"/v1/posts/{post_id}":
                continue
            out.append(e.path)
        return out

    async def status(self, post_id: str) -> str:
        return str((await self.client.get_post(post_id)).status)


@asynccontextmanager
async def start_social(clock: FakeClock) -> AsyncIterator[SocialFixture]:
    async with start_sandbox(SandboxOptions(clock=clock, publish_delay=2.0), port=0) as sb:
        client = SocialClient(sb.url, Secret(KEY), clock=clock)
        try:
            yield SocialFixture(sb, client)
        finally:
            await client.aclose()
