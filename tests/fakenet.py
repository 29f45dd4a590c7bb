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
from aiohttp import web

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
        if pinned == "127.0.0.1":  # already loopback (private hosts allowed)
            local = request.url
        else:
            port = self._dialer.routes.get(pinned)
            if port is None:
                raise AssertionError(f"a test tried to connect to {pinned} (only loopback)")
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


IMAGES: dict[str, tuple[str, bytes]] = {
    **{f"img{i}.jpg": ("image/jpeg", b"\xff\xd8\xff" + bytes([i]) * 900) for i in range(1, 8)},
    "two.png": ("image/png", b"\x89PNG" + b"p" * 700),
    "clip.mp4": ("video/mp4", b"\x00\x00\x00\x18ftypmp4" + b"v" * 5000),
    "deck.pdf": ("application/pdf", b"%PDF-1.7" + b"d" * 3000),
}


class MediaSite:
    """Media files on 127.0.0.1:<port> (``/m/<name>``), reached by tests as a public host:
    ``url(name)`` is ``http://cdn.example.com/m/<name>``, which ``network`` resolves to
    ``PUBLIC_IP`` and the dialer sends here."""

    HOST = "cdn.example.com"

    def __init__(self) -> None:
        self.hits: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> MediaSite:
        async def serve(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            self.hits.append(name)
            if name not in IMAGES:
                return web.Response(status=404)
            ctype, body = IMAGES[name]
            return web.Response(body=body, headers={"Content-Type": ctype})

        app = web.Application()
        app.router.add_get("/m/{name}", serve)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, name: str) -> str:
        return f"http://{self.HOST}/m/{name}"

    def network(self) -> Network:
        net, _, _ = network({self.HOST: [PUBLIC_IP]}, LoopbackDialer({PUBLIC_IP: self.port}))
        return net
