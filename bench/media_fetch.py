"""What the media fetch rules cost: ``python -m bench media_fetch``.

Downloads the same 1 MB file from a loopback server N times, plainly with httpx and through the
bot's ``Fetcher`` (check → pinned, guarded transport), and times ``Guard.check`` alone for a
literal address and for a name (resolver answering at once). Loopback only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack

import httpx
from aiohttp import web

from bot.config import MediaRules
from bot.netguard import Guard, Network
from commands.media import Fetcher, MediaSet

N = 200
BODY = b"\xff\xd8\xff" + b"x" * (1024 * 1024 - 3)


async def _serve() -> tuple[web.AppRunner, int]:
    async def photo(request: web.Request) -> web.Response:
        return web.Response(body=BODY, headers={"Content-Type": "image/jpeg"})

    app = web.Application()
    app.router.add_get("/photo.jpg", photo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


async def _plain(url: str) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(N):
            async with http.stream("GET", url) as resp:
                async for _chunk in resp.aiter_bytes():
                    pass
    return (time.perf_counter() - start) / N


async def _guarded(url: str) -> float:
    start = time.perf_counter()
    for i in range(N):  # one Fetcher per command, as the bot does
        async with AsyncExitStack() as stack:
            src = await MediaSet(stack, Fetcher(MediaRules.local())).open_url(url, i)
            assert src.open is not None
            async for _chunk in src.open():
                pass
    return (time.perf_counter() - start) / N


async def _checks() -> tuple[float, float]:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    net = Network(resolve=resolve)
    urls = [httpx.URL(f"http://h{i}.example.com/a.jpg") for i in range(2000)]
    literal = httpx.URL("http://93.184.216.34/a.jpg")
    start = time.perf_counter()
    for _ in range(2000):
        await Guard(MediaRules(), net.resolve).check(literal)
    t_literal = (time.perf_counter() - start) / 2000
    guard = Guard(MediaRules(), net.resolve)
    start = time.perf_counter()
    for u in urls:
        await guard.check(u)
    return t_literal, (time.perf_counter() - start) / len(urls)


async def _run() -> None:
    runner, port = await _serve()
    url = f"http://127.0.0.1:{port}/photo.jpg"
    try:
        await _plain(url)  # warm up
        plain = await _plain(url)
        guarded = await _guarded(url)
    finally:
        await runner.cleanup()
    t_literal, t_name = await _checks()
    print(f"1 MB download, plain httpx (one client):     {plain * 1000:7.2f} ms")
    print(f"1 MB download, Fetcher (check + pinned):     {guarded * 1000:7.2f} ms")
    print(f"Guard.check, literal address:                {t_literal * 1e6:7.1f} µs")
    print(f"Guard.check, name (resolver answers at once): {t_name * 1e6:7.1f} µs")


def main(argv: Sequence[str]) -> int:
    asyncio.run(_run())
    return 0
