"""How much one ``socialbot run`` carries, and what saturates first.

    python -m bench capacity                       # Slack: the whole table (about 3–4 minutes)
    python -m bench capacity --platform discord    # Discord's rising-load table (about 2 minutes)
    python -m bench capacity --platform both       # both, one after the other
    python -m bench.capacity --rates 25,50,100,200,300 --step-seconds 8 --teams 50

Everything is real and in its own process, over loopback: ``python -m bot run`` in Slack HTTP
mode (the process measured), a fake Slack Web API, the Social API sandbox (its rate limit
lifted; the bot's own per-key limiter of 120/min stays, so the load is spread over ``--teams``
Slack teams, each bound to its own workspace key), and an open-loop load generator
(``bench/_capacity_load.py``: 70% ``/status`` and ``/social queue``, 20% ``/post`` and
``/schedule``, 10% ``reaction_added``).

1. **Rising load.** One step per rate, ``--step-seconds`` each, until ack p99 > 1 s or a
   request fails. Per step: ack p50/p99, the bot's CPU (the event-loop thread apart from the
   others — the SQLite thread is most of those), RSS, ``/healthz`` latency sampled every 200 ms
   (the event loop's lag: it is served on the same loop), commands finished vs sent, Social API
   requests/s and 429s (from ``/metrics``).
2. **Announcements.** 500 ``/post`` over 50 channels; announcements/s the notifier delivers.
3. **Start-up with tracked posts.** The same bot started on a database holding 0, 10,000 and
   100,000 tracked posts (20% still followed): seconds to ``/readyz`` 200 and RSS once ready.

Discord (``--platform discord``, ``bench/_capacity_discord.py``): the same bot against the fake
Discord, ``--teams`` guilds bound to as many keys; the load is gateway ``INTERACTION_CREATE``
events and the time measured is to the bot's interaction callback (the defer). Rising load
only (the notifier and start-up are the platform-neutral parts measured above).

Targets (benchmark, not tests): ≥ 200 mixed commands/s with p99 ack ≤ 100 ms; ≤ 100 MiB RSS with
100,000 tracked posts; ``/readyz`` 200 within 3 s of start with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench._capacity_bot import (
    MIB,
    ROOT,
    Bot,
    bot_process,
    key_of,
    metrics,
    wait_ready,
    workspaces_toml,
)
from bench._capacity_steps import best_rates, rising
from bench._child import child_service

SECRET = "bench-capacity-signing-secret"
BOT_TOKEN = "xoxb-test-token"  # the fake Slack's


# ---------------------------------------------------------------- services in child processes


async def _serve(kind: str, teams: int) -> None:
    """``--serve slack|sandbox``: print the URL, run until stdin closes."""
    async with AsyncExitStack() as stack:
        if kind == "slack":
            from tests.slack.fake_slack import FakeSlack

            fake = await FakeSlack().start()
            stack.push_async_callback(fake.stop)
            url = fake.url
        else:
            from bot.sandbox import SandboxOptions, start_sandbox

            options = SandboxOptions(
                keys=[key_of(i) for i in range(teams)], publish_delay=1.0, rate_limit=10**9
            )
            sandbox = await stack.enter_async_context(start_sandbox(options))
            url = sandbox.url
        print(url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@asynccontextmanager
async def service(kind: str, teams: int = 0) -> AsyncIterator[str]:
    """A fake remote service (Slack Web API or the Social API sandbox) in its own process."""
    async with child_service(
        "bench.capacity", ["--serve", kind, "--teams", str(teams)], kind
    ) as url:
        yield url


def config_toml(teams: int, interval: float) -> str:
    lines = workspaces_toml(teams, interval)
    for i in range(teams):
        lines.append(
            f'[[channels]]\nplatform = "slack"\nteam = "T{i:04d}"\nworkspace = "w{i:04d}"\n'
            'default_targets = ["x"]\n'
        )
    return "\n".join(lines)


@asynccontextmanager
async def slack_bot(
    tmp: Path, slack_url: str, api_url: str, teams: int, db: Path, interval: float = 2.0
) -> AsyncIterator[Bot]:
    """The bot in Slack HTTP mode, ``teams`` Slack teams bound to as many workspace keys."""
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack_url}
    async with bot_process(tmp, config_toml(teams, interval), env, api_url, teams, db) as bot:
        yield bot


# ---------------------------------------------------------------- one step of Slack load


async def load(
    url: str, rate: float, seconds: float, teams: int, response_url: str, i0: int
) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.capacity", "--load", url, "--rate", str(rate),
        "--seconds", str(seconds), "--teams", str(teams), "--response-url", response_url,
        "--start-index", str(i0), stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
    )  # fmt: skip
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("load generator failed")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- phases


async def announcements(
    http: aiohttp.ClientSession, bot: Bot, teams: int, resp: str, posts: int = 500
) -> tuple[float, float, int]:
    """(announcements/s, seconds from the first to the last, how many were announced within
    180 s) for ``posts`` posts over 50 channels."""
    from bench._capacity_load import sign, slash_body

    before = (await metrics(http, bot)).get("socialbot_announcements", 0)
    url = f"{bot.base}/slack/events"
    for i in range(posts):
        body = slash_body("post", 10**7 + i, teams, 50, resp)
        headers = {"content-type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
        async with http.post(url, data=body.encode(), headers=headers) as r:
            await r.read()
    first = last = None
    n: float = 0
    seen: float = 0
    deadline = time.perf_counter() + 180
    while time.perf_counter() < deadline:
        n = (await metrics(http, bot)).get("socialbot_announcements", 0) - before
        now = time.perf_counter()
        if n > 0 and first is None:
            first = now
        if n > seen:
            seen, last = n, now
        if n >= posts:
            break
        await asyncio.sleep(0.25)
    if first is None or last is None:
        return 0.0, float("nan"), 0
    # Few keys (``--teams``) may not publish all of them within the deadline (each key's
    # 120 requests a minute): the rate is then over those announced.
    return seen / max(last - first, 0.25), last - first, int(seen)


def populate(db: Path, n: int) -> None:
    """``n`` tracked posts (80% published, 20% scheduled and followed) in a migrated database."""
    from bot.storage import Database

    async def migrate() -> None:
        d = await Database.open(str(db))
        await d.close()

    asyncio.run(migrate())
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        followed = i % 5 == 0
        when = now + timedelta(days=1 + i % 30) if followed else now - timedelta(days=i % 180)
        rows.append(
            (
                f"pst_cap{i:08d}", f"w{i % 50:04d}", "slack", f"T{i % 50:04d}", f"C{i % 50:04d}",
                f"{1700000000 + i}.000100", f"U{i % 13:04d}", "cap", (when - timedelta(hours=1)).isoformat(),
                when.isoformat(), when.isoformat(), "scheduled" if followed else "published",
                f"Capacity post {i} with a caption of ordinary length for a social post", 0,
                '{"acc_x_1": "@acme_x"}',
            )
        )  # fmt: skip
    with sqlite3.connect(db) as c:
        c.executemany(
            """INSERT INTO requests (post_id, workspace, platform, team, channel, thread, requester,
               requester_name, created_at, scheduled_at, last_due_at, status, summary, external,
               accounts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            rows,
        )


async def startup(
    tmp: Path, slack_url: str, api_url: str, teams: int, sizes: Sequence[int]
) -> None:
    if not sizes:  # --tracked ""
        return
    print("\n| tracked posts | DB MiB | seconds to /readyz 200 | RSS when ready MiB |")
    print("|---|---|---|---|")
    rss: dict[int, float] = {}
    async with aiohttp.ClientSession() as http:
        for n in sizes:
            db = tmp / f"startup_{n}.db"
            await asyncio.get_running_loop().run_in_executor(None, populate, db, n)
            async with slack_bot(tmp, slack_url, api_url, teams, db, interval=30) as bot:
                secs = await wait_ready(http, bot)
                await asyncio.sleep(3)  # first notifier tick and start-up work settle
                rss[n] = bot.rss_mib()
            size = db.stat().st_size / MIB
            print(f"| {n:,} | {size:.1f} | {secs:.2f} | {rss[n]:.1f} |", flush=True)
    if len(rss) > 1:
        lo, hi = min(rss), max(rss)
        per = (rss[hi] - rss[lo]) / ((hi - lo) / 10_000) if hi > lo else 0.0
        print(f"RSS per 10,000 tracked posts: {per:.1f} MiB")


async def run_slack(args: argparse.Namespace) -> int:
    rates = [float(r) for r in (args.rates or "25,50,100,200,300,400").split(",")]
    print(f"Slack: {os.cpu_count()} CPUs; {args.teams} Slack teams → {args.teams} workspace keys; "
          f"{args.step_seconds:.0f} s per step", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        async with (
            service("slack", args.teams) as slack_url,
            service("sandbox", args.teams) as api_url,
            aiohttp.ClientSession() as http,
        ):
            resp = f"{slack_url}/respond/capacity"
            async with slack_bot(tmp, slack_url, api_url, args.teams, tmp / "load.db") as bot:
                print(f"start → /readyz 200: {await wait_ready(http, bot):.2f} s\n", flush=True)
                url = f"{bot.base}/slack/events"

                async def send(rate: float, secs: float, i0: int) -> dict[str, Any]:
                    return await load(url, rate, secs, args.teams, resp, i0)

                steps = await rising(http, bot, send, rates, args.step_seconds, args.teams)
            best100, best1s = best_rates(steps)
            print(f"\nhighest sustained rate with p99 ack ≤ 100 ms: {best100:.0f} commands/s "
                  f"(target ≥ 200: {'met' if best100 >= 200 else 'MISSED'}); "
                  f"with p99 ≤ 1 s: {best1s:.0f} commands/s")  # fmt: skip
            async with slack_bot(tmp, slack_url, api_url, args.teams, tmp / "ann.db") as bot:
                await wait_ready(http, bot)
                per_s, span, done = await announcements(http, bot, args.teams, resp)
            print(
                f"announcements: {per_s:.1f}/s over 50 channels ({done} of 500 posts announced, "
                f"in {span:.1f} s)"
            )
            sizes = [int(s) for s in args.tracked.split(",") if s]
            await startup(tmp, slack_url, api_url, args.teams, sizes)
    return 0


async def run(args: argparse.Namespace) -> int:
    status = 0
    if args.platform in ("slack", "both"):
        status = await run_slack(args)
    if args.platform in ("discord", "both"):
        from bench._capacity_discord import run_discord

        if args.platform == "both":
            print(flush=True)
        status = status or await run_discord(args)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.split("\n")[0])
    p.add_argument("--platform", choices=["slack", "discord", "both"], default="slack")
    p.add_argument(
        "--rates",
        help="commands/s, one step each (Slack: 25,50,100,200,300,400; Discord: …,600,800)",
    )
    p.add_argument("--step-seconds", type=float, default=10.0)
    p.add_argument("--teams", type=int, default=50, help="Slack teams / Discord guilds = keys")
    p.add_argument("--tracked", default="0,10000,100000", help="tracked posts for start-up runs")
    p.add_argument("--serve", choices=["slack", "sandbox"], help=argparse.SUPPRESS)
    p.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--rate", type=float, default=10.0, help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, default=10.0, help=argparse.SUPPRESS)
    p.add_argument("--response-url", default="http://127.0.0.1:9/", help=argparse.SUPPRESS)
    p.add_argument("--start-index", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.serve:
        asyncio.run(_serve(args.serve, args.teams))
        return 0
    if args.load:
        from bench._capacity_load import run_load

        out = asyncio.run(
            run_load(args.load, SECRET, args.rate, args.seconds, args.teams, 50,
                     args.response_url, seed=args.start_index, start_index=args.start_index)
        )  # fmt: skip
        print(json.dumps(out))
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
