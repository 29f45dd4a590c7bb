"""One step of rising load and the table of steps, shared by the platforms of ``bench capacity``.

A platform driver supplies ``send(rate, seconds, i0)``: it runs one open-loop step against the
bot and returns a JSON-like dict (``sent``, ``achieved_rate``, ``latencies`` per kind in
seconds, ``statuses`` and ``errors`` counted by name). This samples the bot around it (its
CPU per thread, RSS, ``/healthz`` latency every 200 ms, its ``/metrics`` counters) and prints
one table row per step, stopping when p99 > 1 s or anything failed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench._capacity_bot import Bot, metrics

Send = Callable[[float, float, int], Awaitable[dict[str, Any]]]


def pct(xs: Sequence[float], p: float) -> float:
    """The ``p``-th percentile of ``xs`` (seconds) in milliseconds."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))] * 1000


@dataclass
class Step:
    rate: float
    result: dict[str, Any]
    lag_p99: float
    cpu_main: float
    cpu_other: float
    rss: float
    finished: float
    api_per_s: float
    limited: float

    @property
    def all_latencies(self) -> list[float]:
        return [x for xs in self.result["latencies"].values() for x in xs]

    @property
    def failures(self) -> int:
        return int(sum(self.result["statuses"].values()) + sum(self.result["errors"].values()))


async def step(
    http: aiohttp.ClientSession, bot: Bot, send: Send, rate: float, seconds: float, i0: int
) -> Step:
    lags: list[float] = []
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                async with http.get(f"{bot.base}/healthz") as r:
                    await r.read()
                lags.append(time.perf_counter() - t0)
            except aiohttp.ClientError:
                lags.append(float("inf"))
            await asyncio.sleep(0.2)

    m0, c0, t0 = await metrics(http, bot), bot.cpu_seconds(), time.perf_counter()
    sampler = asyncio.create_task(sample())
    result = await send(rate, seconds, i0)
    stop.set()
    await sampler
    m1, c1, t1 = await metrics(http, bot), bot.cpu_seconds(), time.perf_counter()
    wall = t1 - t0

    def delta(name: str) -> float:
        return m1.get(name, 0) - m0.get(name, 0)

    return Step(
        rate=rate,
        result=result,
        lag_p99=pct(lags, 99),
        cpu_main=100 * (c1[0] - c0[0]) / wall,
        cpu_other=100 * (c1[1] - c0[1]) / wall,
        rss=bot.rss_mib(),
        finished=delta("socialbot_commands"),
        api_per_s=delta("socialbot_api_requests") / wall,
        limited=delta("socialbot_api_rate_limited"),
    )


def verdict(s: Step, keys: int) -> str:
    """What saturates first at this step, from the indicators."""
    if s.cpu_main >= 85:
        return "event loop (its thread ≥ 85% of a core)"
    if s.cpu_other >= 85:
        return "the SQLite/worker threads (≥ 85% of a core)"
    if s.api_per_s >= 0.9 * keys * 2:
        return "the Social API limiter (120/min per key)"
    if s.cpu_main + s.cpu_other >= 170:
        return "the machine's 2 cores (bot + fakes + load)"
    if s.finished < 0.9 * s.result["sent"]:
        return "work behind the acks queues (the adapter runs 8 at a time); acks unaffected"
    return "—"


async def rising(
    http: aiohttp.ClientSession,
    bot: Bot,
    send: Send,
    rates: Sequence[float],
    secs: float,
    keys: int,
    unit: str = "cmds/s",
    latency: str = "",
) -> list[Step]:
    """One step per rate; a table row each. ``latency`` names what p50/p99/max time."""
    steps: list[Step] = []
    lat_h = f" {latency}" if latency else ""
    print(
        f"| {unit} asked | achieved | p50{lat_h} ms | p99{lat_h} ms | max{lat_h} ms | failed "
        "| loop lag p99 ms | CPU loop % | CPU other % | RSS MiB | finished/sent | API req/s "
        "| 429s | saturating |"
    )
    print("|" + "---|" * 14)
    i0 = 0
    for rate in rates:
        s = await step(http, bot, send, rate, secs, i0)
        i0 += s.result["sent"]
        steps.append(s)
        lat = s.all_latencies
        print(
            f"| {rate:.0f} | {s.result['achieved_rate']:.0f} | {pct(lat, 50):.1f} | "
            f"{pct(lat, 99):.1f} | {max(lat, default=0) * 1000:.0f} | {s.failures} | "
            f"{s.lag_p99:.1f} | {s.cpu_main:.0f} | {s.cpu_other:.0f} | {s.rss:.0f} | "
            f"{s.finished:.0f}/{s.result['sent']} | {s.api_per_s:.1f} | {s.limited:.0f} | "
            f"{verdict(s, keys)} |",
            flush=True,
        )
        if pct(lat, 99) > 1000 or s.failures:
            break
    return steps


def best_rates(steps: Sequence[Step]) -> tuple[float, float]:
    """(highest rate with p99 ≤ 100 ms, highest with p99 ≤ 1 s), among steps with no failure."""
    good = [s for s in steps if not s.failures and s.all_latencies]
    p99 = {id(s): pct(s.all_latencies, 99) for s in good}
    best100 = max((s.rate for s in good if p99[id(s)] <= 100), default=0.0)
    best1s = max((s.rate for s in good if p99[id(s)] <= 1000), default=0.0)
    return best100, best1s


def failures_text(s: Step) -> str:
    """What failed at a step, by name (empty when nothing did)."""
    named = {**s.result["statuses"], **s.result["errors"]}
    return ", ".join(f"{k}: {v}" for k, v in sorted(named.items()) if v and not math.isnan(v))
