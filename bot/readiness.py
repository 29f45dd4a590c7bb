"""The ``/readyz`` probes of the core: the database and each workspace key's Social API.

    health.add("database", database_probe(db, clock, every=timedelta(seconds=5)))
    health.add("social_api:brand", social_api_probe(clients, "brand", settings.readiness, clock))

The database probe writes one row (a full disk or a read-only volume shows), but at most once
per ``every``: probes in between get the cached answer, so a flood of ``/readyz`` requests
cannot queue writes on the one database thread. The Social API probe reads the client's
``Reachability`` (``bot.api.reachability``) and makes no call of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import sqlite_utils

from bot.clock import Clock
from bot.config import Readiness
from bot.core import Clients
from bot.storage import Database

Probe = Callable[[], Awaitable[tuple[bool, str]]]


def cached(probe: Probe, clock: Clock, every: timedelta) -> Probe:
    """``probe`` run at most once per ``every``; concurrent callers share one run."""
    state: dict[str, object] = {}
    lock = asyncio.Lock()

    async def run() -> tuple[bool, str]:
        async with lock:
            at = state.get("at")
            if isinstance(at, float) and clock.monotonic() - at < every.total_seconds():
                result = state["result"]
                assert isinstance(result, tuple)
                return result
            try:
                result = await probe()
            except Exception as e:  # an error is an answer too (and is cached like one)
                result = (False, f"{type(e).__name__}: {e}"[:200])
            state["at"], state["result"] = clock.monotonic(), result
            return result

    return run


def database_probe(db: Database, clock: Clock, every: timedelta) -> Probe:
    async def write() -> tuple[bool, str]:
        def touch(sdb: sqlite_utils.Database) -> None:
            sdb.execute(
                "INSERT INTO meta(key, value) VALUES ('ready_probe', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [clock.now().isoformat()],
            )

        await db.transaction(touch)
        return True, "writable"

    return cached(write, clock, every)


def social_api_probe(clients: Clients, workspace: str, policy: Readiness, clock: Clock) -> Probe:
    async def probe() -> tuple[bool, str]:
        client = clients.overrides.get(workspace)
        if client is None:
            return True, "no call yet"
        return client.reachability.verdict(clock.now(), policy.api_failures, policy.api_window)

    return probe
