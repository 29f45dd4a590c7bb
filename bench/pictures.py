"""Pictures: render time and memory, the Slack ack while calendars render, idle memory.

    python -m bench pictures
    python -m bench.pictures [--repeat 5] [--commands 200] [--rounds 4] [--real]

1. A month calendar with 300 posts and a 90-day chart, drawn in a fresh process (as the render
   worker does): time per picture after the first (median and max of ``--repeat``), the first
   (cold: matplotlib import + fonts), and peak RSS growth (VmHWM) from before the import.
   Targets: each ≤ 300 ms; peak RSS growth ≤ 80 MiB.
2. The same two through ``Renderer`` (the worker process): time per picture seen by the bot.
3. Idle memory: a process with the bot's modules loaded (Slack, Discord, commands), before and
   after its first picture — the bot process and the worker process apart — and whether
   importing the bot loads matplotlib (it must not).
4. The Slack ack p99 of the bot (``bench.slack_ack`` machinery: signed commands over loopback
   to the real Bolt app, load generator and fake Slack in their own processes) without
   rendering and while 10 calendars render, in alternating slices of one run.
   Target: with ≤ 1.2 × without.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # typing only: bot.pictures is imported inside the functions, when used
    from bot.pictures.model import CalendarSpec, ChartSpec, Rendered

ROOT = Path(__file__).resolve().parent.parent


def month_spec(posts: int = 300) -> CalendarSpec:
    from bot.pictures.model import PLATFORM_COLOUR, STATES, CalendarSpec, Chip

    rng = random.Random(16)
    tz = ZoneInfo("Europe/Berlin")
    plats = list(PLATFORM_COLOUR)
    chips = []
    for i in range(posts):
        d = date(2026, 7, 1) + timedelta(days=rng.randrange(31))
        at = datetime(d.year, d.month, d.day, rng.randrange(7, 22), rng.choice([0, 15, 30, 45]),
                      tzinfo=tz)  # fmt: skip
        chips.append(
            Chip(
                at,
                tuple(rng.sample(plats, rng.randint(1, 2))),
                f"Post {i}: launch news 🚀 新製品 and a longer caption that goes on",
                rng.choice(STATES),
                f"pst_{i}",
            )
        )
    return CalendarSpec("month", date(2026, 7, 1), date(2026, 8, 1), "Europe/Berlin",
                        "Content calendar — July 2026 · times in Europe/Berlin", tuple(chips))  # fmt: skip


def chart_spec(days: int = 90) -> ChartSpec:
    from bot.pictures.model import ChartSpec

    rng = random.Random(90)
    ds = tuple(date(2026, 4, 1) + timedelta(days=i) for i in range(days))
    total = 0
    series: dict[str, list[int]] = {m: [] for m in ("likes", "comments", "shares", "impressions")}
    for _ in ds:
        total += rng.randrange(200)
        for k, f in (("likes", 1), ("comments", 0.1), ("shares", 0.05), ("impressions", 20)):
            series[k].append(int(total * f))
    return ChartSpec("Analytics — last 90 days", "UTC", ds,
                     tuple(rng.randrange(8) for _ in ds), tuple(rng.randrange(2) for _ in ds),
                     tuple((k, tuple(v)) for k, v in series.items()))  # fmt: skip


def _status(field: str, pid: str = "self") -> float:
    """VmRSS / VmHWM of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ 1. in a fresh process


def _render_child(repeat: int) -> dict[str, object]:
    rss0, hwm0 = _status("VmRSS"), _status("VmHWM")
    from bot.pictures.calendar import render_calendar
    from bot.pictures.chart import render_chart

    month, chart = month_spec(), chart_spec()
    out: dict[str, object] = {"rss_before": rss0}
    renders: tuple[tuple[str, Callable[[], Rendered]], ...] = (
        ("month", lambda: render_calendar(month)),
        ("chart", lambda: render_chart(chart)),
    )
    for name, fn in renders:
        t0 = time.perf_counter()
        fn()
        cold = time.perf_counter() - t0
        times, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            r = fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out[name] = {"cold_ms": cold * 1000, "median_ms": statistics.median(times) * 1000,
                     "max_ms": max(times) * 1000, "cpu_ms": statistics.median(cpu) * 1000,
                     "bytes": len(r.png)}  # fmt: skip
    out["peak_growth"] = _status("VmHWM") - max(hwm0, rss0)
    out["rss_after"] = _status("VmRSS")
    return out


def render_in_fresh_process(repeat: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.pictures", "--child-render", str(repeat)],
        cwd=str(ROOT), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ------------------------------------------------------------------ 2 + 3. the bot's view


def _idle_child() -> dict[str, object]:
    t0 = time.perf_counter()
    import adapters.discord.client
    import adapters.slack.app  # noqa: F401
    import bot.runner  # noqa: F401
    import commands.dispatch  # noqa: F401

    import_s = time.perf_counter() - t0
    loaded = "matplotlib" in sys.modules
    from bot.pictures.worker import Renderer

    async def go() -> dict[str, object]:
        before = _status("VmRSS")
        r = Renderer()
        t0 = time.perf_counter()
        await r.calendar(month_spec())
        first = time.perf_counter() - t0
        times: dict[str, list[float]] = {"month": [], "chart": []}
        for _ in range(5):
            t0 = time.perf_counter()
            await r.calendar(month_spec())
            times["month"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await r.chart(chart_spec())
            times["chart"].append(time.perf_counter() - t0)
        pool = r._pool
        pids = list(getattr(pool, "_processes", {}) or {})
        worker = _status("VmRSS", str(pids[0])) if pids else float("nan")
        after = _status("VmRSS")
        await r.aclose()
        return {
            "import_s": import_s, "matplotlib_loaded_by_bot_import": loaded,
            "bot_rss_before": before, "bot_rss_after": after, "worker_rss": worker,
            "first_picture_s": first,
            "via_worker_month_ms": statistics.median(times["month"]) * 1000,
            "via_worker_chart_ms": statistics.median(times["chart"]) * 1000,
        }  # fmt: skip

    return asyncio.run(go())


def idle_in_fresh_process() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.pictures", "--child-idle"],
        cwd=str(ROOT), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ------------------------------------------------------------------ 4. acks while rendering


async def acks(
    n: int, concurrency: int, rounds: int, real: bool, nice: int = 10
) -> tuple[float, float, int, tuple[float, float]]:
    from bench.slack_ack import Result, bot_app, fire, service
    from bot.pictures.worker import Renderer

    quiet = Result("bot, no pictures", [], {})
    busy = Result("bot, 10 calendars", [], {})
    drawn = 0
    slices: dict[str, list[float]] = {"quiet": [], "busy": []}
    async with service("slack") as slack_url:
        response_url = f"{slack_url}/respond/bench"
        with tempfile.TemporaryDirectory() as tmp:
            async with bot_app(slack_url, Path(tmp), not real) as (url, adapter):
                core = adapter.core  # type: ignore[attr-defined]
                core.pictures = Renderer(nice=nice)
                spec = month_spec()
                await core.pictures.calendar(spec)  # the worker is up and warm
                for r in range(rounds):
                    for res in (quiet, busy) if r % 2 == 0 else (busy, quiet):
                        await adapter.idle()  # type: ignore[attr-defined]
                        stop = asyncio.Event()
                        count = [0]

                        async def keep_rendering(stop: asyncio.Event = stop,
                                                 count: list[int] = count) -> None:  # fmt: skip
                            async def one() -> None:
                                while not stop.is_set():
                                    await core.pictures.calendar(spec)
                                    count[0] += 1

                            await asyncio.gather(*(one() for _ in range(10)))

                        task = asyncio.create_task(keep_rendering()) if res is busy else None
                        if task is not None:
                            await asyncio.sleep(0.3)  # the ten are in flight
                        part = await fire(url, n, concurrency, response_url, res.name)
                        res.latencies += part.latencies
                        slices["busy" if res is busy else "quiet"].append(part.pct(99))
                        if task is not None:
                            stop.set()
                            await task
                            drawn += count[0]
                await core.pictures.aclose()
    return (
        quiet.pct(99),
        busy.pct(99),
        drawn,
        (
            statistics.median(slices["quiet"]),
            statistics.median(slices["busy"]),
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pictures", description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--commands", type=int, default=150, help="per slice")
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--rounds", type=int, default=10, help="each: a quiet and a busy slice")
    p.add_argument("--real", action="store_true", help="real commands.dispatch + sandbox")
    p.add_argument("--child-render", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-idle", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--nice", type=int, default=10, help="the render worker's nice value")
    p.add_argument("--acks-only", action="store_true", help="only part 4")
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.child_render:
        print(json.dumps(_render_child(args.child_render)))
        return 0
    if args.child_idle:
        print(json.dumps(_idle_child()))
        return 0

    if args.acks_only:
        q, b, d, (mq, mb) = asyncio.run(
            acks(args.commands, args.concurrency, args.rounds, args.real, args.nice)
        )
        print(
            f"ack p99 {q:.1f} ms quiet, {b:.1f} ms rendering ({d} drawn): ratio {b / q:.2f}; "
            f"median slice p99 {mq:.1f} / {mb:.1f} ms: ratio {mb / mq:.2f}"
        )
        return 0
    r = render_in_fresh_process(args.repeat)
    m, c = r["month"], r["chart"]
    assert isinstance(m, dict) and isinstance(c, dict)
    growth = float(r["peak_growth"])  # type: ignore[arg-type]
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"(load average {load} on {os.cpu_count()} cores; wall times include waiting for CPU)")
    print("| picture | first (cold) ms | median ms | max ms | CPU ms (median) | PNG bytes |")
    print("|---|---|---|---|---|---|")
    for name, x in (("month calendar, 300 posts", m), ("90-day chart", c)):
        print(f"| {name} | {x['cold_ms']:.0f} | {x['median_ms']:.0f} | {x['max_ms']:.0f} | "
              f"{x['cpu_ms']:.0f} | {x['bytes']:,} |")  # fmt: skip
    ok_time = m["median_ms"] <= 300 and c["median_ms"] <= 300
    ok_mem = growth <= 80
    print(f"\nrender (median, warm) ≤ 300 ms each: {'ok' if ok_time else 'MISSED'}; "
          f"peak RSS growth {growth:.1f} MiB incl. the matplotlib import "
          f"(≤ 80 MiB: {'ok' if ok_mem else 'MISSED'})")  # fmt: skip

    i = idle_in_fresh_process()
    print(
        f"\nidle bot process: {i['bot_rss_before']:.1f} MiB before the first picture, "
        f"{i['bot_rss_after']:.1f} MiB after (matplotlib lives in the worker: "
        f"{i['worker_rss']:.1f} MiB); importing the bot loads matplotlib: "
        f"{i['matplotlib_loaded_by_bot_import']}; bot modules import in {i['import_s']:.2f} s"
    )
    print(
        f"through the worker: first picture {i['first_picture_s']:.2f} s (starts the worker), "
        f"then month {i['via_worker_month_ms']:.0f} ms, chart {i['via_worker_chart_ms']:.0f} ms"
    )

    quiet, busy, drawn, (mq, mb) = asyncio.run(
        acks(args.commands, args.concurrency, args.rounds, args.real, args.nice)
    )
    ratio = busy / quiet if quiet else float("inf")
    ok_ack = ratio <= 1.2
    print(
        f"\nSlack ack p99: {quiet:.1f} ms without pictures, {busy:.1f} ms while 10 calendars "
        f"render ({drawn} drawn meanwhile) — ratio {ratio:.2f} (≤ 1.2: {'ok' if ok_ack else 'MISSED'})"
        f"; median of the slices' p99: {mq:.1f} / {mb:.1f} ms (ratio {mb / mq:.2f}); "
        f"{args.rounds} × 2 alternating slices of {args.commands} commands, {args.concurrency} "
        f"in flight, dispatch {'real + sandbox' if args.real else 'stub'}, worker nice {args.nice}"
    )
    ok = ok_time and ok_mem and ok_ack and not i["matplotlib_loaded_by_bot_import"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
