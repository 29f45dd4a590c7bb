"""``/readyz`` tells the truth: a Social API key that keeps failing is not ready (with its last
error), and a flood of probes writes to the database once per interval, not once per probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.clock import FakeClock
from bot.config import Readiness, Settings, Workspace
from bot.core import Clients
from bot.health import Health
from bot.readiness import database_probe, social_api_probe
from bot.secret import Secret
from bot.storage import Database

KEY = "sk_test_readiness"


class Api:
    """A Social API answering whatever the test says next (an httpx transport: no sockets)."""

    def __init__(self) -> None:
        self.mode = "ok"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "5xx":
            return httpx.Response(503, json={"error": {"code": "unavailable", "message": "x"}})
        if self.mode == "404":
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "x"}})
        if self.mode == "401":
            return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "x"}})
        return httpx.Response(200, json={"data": []})


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
async def clients(api: Api) -> AsyncIterator[tuple[Clients, FakeClock]]:
    from bot.api.client import SocialClient

    clock = FakeClock()
    settings = Settings(
        api_url="http://api.invalid",
        workspaces={"default": Workspace("default", "K", Secret(KEY))},
    )
    c = Clients(settings, clock)
    c.overrides["default"] = SocialClient(
        settings.api_url,
        Secret(KEY),
        transport=httpx.MockTransport(api),
        clock=clock,
        max_retries=0,
    )
    yield c, clock
    await c.aclose()


async def _call(clients: Clients) -> None:
    try:
        await clients.for_workspace("default").list_accounts()
    except Exception:
        pass


async def test_consecutive_failures_make_a_key_not_ready(
    api: Api, clients: tuple[Clients, FakeClock]
) -> None:
    c, clock = clients
    probe = social_api_probe(c, "default", Readiness(api_failures=3), clock)
    assert await probe() == (True, "no call yet")
    await _call(c)
    ok, detail = await probe()
    assert ok and detail.startswith("last successful call")
    api.mode = "5xx"
    for _ in range(2):
        await _call(c)
    assert (await probe())[0], "two failures are not yet three"
    await _call(c)
    ok, detail = await probe()
    assert not ok
    assert detail == "3 consecutive failed calls; last error: GET /v1/accounts: HTTP 503"
    api.mode = "down"
    await _call(c)
    assert (await probe())[1].endswith("GET /v1/accounts: ConnectError")
    assert KEY not in (await probe())[1]
    api.mode = "404"  # the API answers again (a 4xx is an answer): ready
    await _call(c)
    assert (await probe())[0]


async def test_no_answer_within_the_window_while_calling(
    api: Api, clients: tuple[Clients, FakeClock]
) -> None:
    c, clock = clients
    probe = social_api_probe(
        c, "default", Readiness(api_failures=100, api_window=timedelta(minutes=2)), clock
    )
    api.mode = "down"
    await _call(c)
    assert (await probe())[0]
    clock.advance(121)
    await _call(c)
    ok, detail = await probe()
    assert not ok and detail.startswith("no good answer for 121 s while calling"), detail
    api.mode = "ok"
    await _call(c)
    assert (await probe())[0]


async def test_readyz_writes_to_the_database_at_most_once_per_interval(tmp_path: Path) -> None:
    clock = FakeClock()
    db = await Database.open(str(tmp_path / "bot.db"))

    def counting(sdb: object) -> None:
        sdb.execute("CREATE TABLE writes (n INTEGER)")  # type: ignore[attr-defined]
        sdb.execute("INSERT INTO writes VALUES (0)")  # type: ignore[attr-defined]
        for event in ("INSERT", "UPDATE"):
            sdb.execute(  # type: ignore[attr-defined]
                f"CREATE TRIGGER count_{event.lower()} AFTER {event} ON meta "
                "BEGIN UPDATE writes SET n = n + 1; END"
            )

    await db.transaction(counting)
    health = Health()
    health.add("database", database_probe(db, clock, timedelta(seconds=5)))
    app = web.Application()
    health.install(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    async def writes() -> int:
        return int(await db.run(lambda sdb: sdb.execute("SELECT n FROM writes").fetchone()[0]))

    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answers = await asyncio.gather(*(http.get("/readyz") for _ in range(50)))
            assert {r.status_code for r in answers} == {200}
            assert answers[0].json()["checks"]["database"] == {"ok": True, "detail": "writable"}
            assert await writes() == 1
            clock.advance(4)
            await http.get("/readyz")
            assert await writes() == 1
            clock.advance(2)
            await http.get("/readyz")
            assert await writes() == 2
    finally:
        await runner.cleanup()
        await db.close()


async def test_a_refused_key_is_not_ready_once_the_window_passes(
    api: Api, clients: tuple[Clients, FakeClock]
) -> None:
    c, clock = clients
    policy = Readiness(api_failures=3, api_window=timedelta(minutes=2))
    probe = social_api_probe(c, "default", policy, clock)
    api.mode = "401"  # the key was revoked: the API answers, but nothing works
    for _ in range(5):
        await _call(c)
    assert (await probe())[0], "a 401 is not a transport failure"
    clock.advance(121)
    await _call(c)
    ok, detail = await probe()
    assert not ok and detail.endswith("last error: GET /v1/accounts: HTTP 401"), detail
