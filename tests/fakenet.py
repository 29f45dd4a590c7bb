"""The network seams of media downloads (``bot.netguard.Network``) for tests.

``FakeResolver`` answers names from a table (and records every lookup); ``LoopbackDialer`` is
the only way a guarded request leaves the process: it sends a request pinned to one of its
"public" addresses to a server on 127.0.0.1, and fails the test on any other address — so no
test can open a connection anywhere but loopback, whatever the code under test does.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from bot.netguard import Network

PUBLIC_IP = "93.184.216.34"  # a globally routable address no test ever connects to
PUBLIC_IP_2 = "151.101.1.69"


@dataclass
class FakeResolver:
    answers: Mapping[str, Sequence[str]]
    default: Sequence[str] | None = None  # the answer for any other name (None: no such name)
    lookups: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        found = self.answers.get(host, self.default)
        if found is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return found


@dataclass
class Sent:
    pinned: str  # the address the request was pinned to
    host_header: str
    path: str


class _Route(httpx.AsyncBaseTransport):
    def __init__(self, dialer: LoopbackDialer) -> None:
        self._dialer = dialer
        self._real = httpx.AsyncHTTPTransport(trust_env=False, retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pinned = request.url.host
        self._dialer.sent.append(Sent(pinned, request.headers.get("host", ""), request.url.path))
        port = self._dialer.routes.get(pinned)
        if port is None:
            raise AssertionError(f"a test tried to connect to {pinned} (only loopback is allowed)")
        local = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)
        forwarded = httpx.Request(
            request.method, local, headers=request.headers, stream=request.stream
        )
        return await self._real.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self._real.aclose()


@dataclass
class LoopbackDialer:
    """Pinned address → port of a loopback server. ``sent`` lists every request that got out."""

    routes: dict[str, int] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def __call__(self) -> httpx.AsyncBaseTransport:
        return _Route(self)


class NoDialer:
    """For tests where nothing may connect at all: any connection attempt fails the test."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def __call__(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self._refuse)

    def _refuse(self, request: httpx.Request) -> httpx.Response:
        self.attempts.append(str(request.url))
        raise AssertionError(f"a connection was attempted to {request.url.host}")


def network(
    answers: Mapping[str, Sequence[str]], dial: LoopbackDialer | NoDialer | None = None
) -> tuple[Network, FakeResolver, LoopbackDialer | NoDialer]:
    resolver = FakeResolver(answers)
    dialer = dial if dial is not None else LoopbackDialer()
    return Network(resolve=resolver, dial=dialer), resolver, dialer
