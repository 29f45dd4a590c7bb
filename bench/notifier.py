"""Notifier cost: this design vs the naive poller, on the in-process sandbox.

    python -m bench notifier            # 1,000 and 10,000 followed posts
    python -m bench.notifier --sizes 1000 --ticks 12

Both run against the sandbox under its real 120 requests/min per key, on a ``FakeClock``
shared by the sandbox and the bot (a tick is 30 s of sandbox time; nothing really sleeps).
The sandbox's and the bot's state are seeded directly (10,000 posts cannot be created over
HTTP at 120/min): a mix of far-future scheduled (next week), due during the run, publishing
now, and already terminal posts. Every target on Pinterest fails (partial results).

* this design — ``Notifier.tick()`` (poll_once + flush_outbox) through ``SocialClient.share(0.5)``.
* naive — one ``GET /v1/posts/{id}/status`` per followed (non-terminal) post per tick, in a
  random order, over a plain HTTP client (no limiter, no retries), announcing a post when it
  is seen terminal. Within a tick the clock stands still and refused requests do not count
  against the limit, so after the first 429 every further request of that tick would get a
  429 too: those are counted (as requests and as 429s) without being sent.

Printed per design: requests per tick (mean / max), requests per announced result, ticks from
publish to announcement (mean / max), 429s seen (server log), results announced of those that
went out. Requests are counted in the sandbox's own request log.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import sqlite_utils

from bot import tracking
from bot.api.client import SocialClient
from bot.api.models import Platform
from bot.api.ratelimit import LimiterRegistry
from bot.chat import Announcement, Destination, MessageRef, Reply
from bot.clock import FakeClock
from bot.config import Settings, Workspace
from bot.core import Clients, Core
from bot.notifier import Notifier
from bot.sandbox import SandboxOptions, start_sandbox
from bot.sandbox.records import PostRecord, PostSpec, TargetRecord
from bot.secret import Secret
from bot.storage import Database
from bot.tracking import TrackedPost

KEY = "sk_bench_notifier"
INTERVAL = 30.0
DUE_PER_TICK = 4
PUBLISHING = 5
CHANNELS = 20
TERMINAL = ("published", "partial", "failed", "canceled")


@dataclass
class Seeded:
    post_id: str
    kind: str  # far / due / publishing / terminal
    due_at: datetime
    platforms: tuple[Platform, ...]


@dataclass
class Result:
    design: str
    followed: int
    ticks: int
    per_tick: list[int]
    announced: dict[str, datetime]  # post id → when announced (sandbox time)
    went_out: dict[str, datetime]  # post id → when its last target settled
    r429: int
    wall: float
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.per_tick)

    def latency_ticks(self) -> list[float]:
        return [
            max(0.0, (self.announced[p] - t).total_seconds() / INTERVAL)
            for p, t in self.went_out.items()
            if p in self.announced
        ]


class CountingPort:
    """A chat port that only records what was announced (digests expanded by outbox rows)."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.messages = 0
        self._ids = itertools.count(1)

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        assert isinstance(reply, Announcement)
        self.messages += 1
        return MessageRef(self.platform, dest.channel, str(next(self._ids)))

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        return None

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        return None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


def plan(n: int, ticks: int, start: datetime) -> list[Seeded]:
    due_n = DUE_PER_TICK * max(1, ticks - 2)
    terminal_n = n // 10
    far_n = n - due_n - PUBLISHING - terminal_n
    out: list[Seeded] = []
    ids = (f"pst_b{i:06d}" for i in itertools.count())
    for i in range(far_n):
        out.append(Seeded(next(ids), "far", start + timedelta(days=7, minutes=i), _plats(i)))
    for i in range(due_n):  # spread over the run, between ticks
        at = start + timedelta(seconds=INTERVAL * (i / DUE_PER_TICK) + 7)
        out.append(Seeded(next(ids), "due", at, _plats(i)))
    for i in range(PUBLISHING):
        out.append(Seeded(next(ids), "publishing", start - timedelta(seconds=1), _plats(i)))
    for i in range(terminal_n):
        out.append(Seeded(next(ids), "terminal", start - timedelta(days=1, minutes=i), _plats(i)))
    return out


def _plats(i: int) -> tuple[Platform, ...]:
    if i % 5 == 4:
        return (Platform.INSTAGRAM, Platform.PINTEREST)  # Pinterest fails → partial
    return (Platform.INSTAGRAM, Platform.X)


def seed_sandbox(state: object, posts: Sequence[Seeded], now: datetime) -> None:
    from bot.sandbox.state import SandboxState

    assert isinstance(state, SandboxState)
    ws = state.workspace(KEY)
    acc = {a.platform: a.account_id for a in ws.accounts.values()}
    for s in posts:
        targets = [TargetRecord(acc[p], p, s.due_at) for p in s.platforms]
        ws.posts[s.post_id] = PostRecord(
            post_id=s.post_id,
            spec=PostSpec(content=f"bench post {s.post_id}"),
            account_ids=[acc[p] for p in s.platforms],
            created_at=now - timedelta(days=2),
            updated_at=now - timedelta(days=2),
            scheduled_at=s.due_at,
            targets=targets,
        )
    state.settle(ws)  # the terminal ones are settled now


async def seed_bot(db: Database, posts: Sequence[Seeded], now: datetime) -> None:
    def write(sdb: sqlite_utils.Database) -> None:
        for i, s in enumerate(posts):
            status = {"terminal": "published", "publishing": "publishing"}.get(s.kind, "scheduled")
            tracking.record(
                sdb,
                TrackedPost(
                    post_id=s.post_id,
                    workspace="default",
                    platform="slack",
                    channel=f"C{i % CHANNELS}",
                    thread=f"{i}.0001",
                    requester=f"U{i % 7}",
                    requester_name=None,
                    created_at=now - timedelta(days=2),
                    scheduled_at=s.due_at,
                    last_due_at=s.due_at,
                    status=status,
                    summary=f"bench post {s.post_id}",
                ),
            )

    await db.transaction(write)


def went_out(state: object, posts: Sequence[Seeded], end: datetime) -> dict[str, datetime]:
    from bot.sandbox.state import SandboxState

    assert isinstance(state, SandboxState)
    out: dict[str, datetime] = {}
    for s in posts:
        if s.kind not in ("due", "publishing"):
            continue
        rec = state.post(KEY, s.post_id)
        assert rec is not None
        done = [t.settled_at for t in rec.targets]
        if done and all(d is not None and d <= end for d in done):
            out[s.post_id] = max(d for d in done if d is not None)
    return out


async def run_design(n: int, ticks: int) -> Result:
    clock = FakeClock()
    start = clock.now()
    posts = plan(n, ticks, start)
    opts = SandboxOptions(
        keys=(KEY,), clock=clock, publish_delay=2.0, fail_platforms=("pinterest",), rate_limit=120
    )
    async with start_sandbox(opts) as sb:
        seed_sandbox(sb.state, posts, start)
        with tempfile.TemporaryDirectory() as tmp:
            db = await Database.open(str(Path(tmp) / "bench.db"))
            settings = Settings(
                api_url=sb.url,
                workspaces={"default": Workspace("default", "BENCH_KEY", key=Secret(KEY))},
                poll_interval=INTERVAL,
            )
            clients = Clients(settings, clock)
            clients.overrides["default"] = SocialClient(
                sb.url, Secret(KEY), clock=clock, limiters=LimiterRegistry()
            )
            port = CountingPort("slack")
            core = Core(settings, db, clients, clock=clock, ports={"slack": port})
            notifier = Notifier(core)
            await notifier.migrate()
            await seed_bot(db, posts, start)
            per_tick: list[int] = []
            t0 = time.perf_counter()
            for i in range(ticks):
                at = start + timedelta(seconds=INTERVAL * i)
                if clock.now() < at:
                    clock.advance((at - clock.now()).total_seconds())
                before = len(sb.state.log)
                await notifier.tick(clock.now())
                per_tick.append(len(sb.state.log) - before)
            wall = time.perf_counter() - t0
            end = start + timedelta(seconds=INTERVAL * (ticks - 1))
            rows = await db.run(
                lambda sdb: list(
                    sdb.query(
                        "SELECT post_id, sent_at FROM notifier_outbox WHERE sent_at IS NOT NULL"
                    )
                )
            )
            announced = {str(r["post_id"]): datetime.fromisoformat(r["sent_at"]) for r in rows}
            r429 = sum(1 for e in sb.state.log if e.status == 429)
            res = Result(
                "this design", n, ticks, per_tick, announced, went_out(sb.state, posts, end),
                r429, wall,
            )  # fmt: skip
            res.notes.append(f"{port.messages} chat messages")
            await clients.aclose()
            await db.close()
            return res


async def run_naive(n: int, ticks: int) -> Result:
    clock = FakeClock()
    start = clock.now()
    posts = plan(n, ticks, start)
    opts = SandboxOptions(
        keys=(KEY,), clock=clock, publish_delay=2.0, fail_platforms=("pinterest",), rate_limit=120
    )
    async with start_sandbox(opts) as sb:
        seed_sandbox(sb.state, posts, start)
        followed = [s.post_id for s in posts if s.kind != "terminal"]
        announced: dict[str, datetime] = {}
        per_tick: list[int] = []
        t0 = time.perf_counter()
        async with httpx.AsyncClient(
            base_url=sb.url, headers={"X-Api-Key": KEY}, timeout=60
        ) as http:
            refused = 0  # 429s counted without sending (see below)

            async def check(pid: str) -> int:
                r = await http.get(f"/v1/posts/{pid}/status")
                if r.status_code == 200 and r.json().get("status") in TERMINAL:
                    announced.setdefault(pid, clock.now())
                return r.status_code

            for i in range(ticks):
                at = start + timedelta(seconds=INTERVAL * i)
                if clock.now() < at:
                    clock.advance((at - clock.now()).total_seconds())
                before = len(sb.state.log)
                todo = [p for p in followed if p not in announced]
                random.Random(i).shuffle(todo)  # no order favours the posts going out
                sent = 0
                for pid in todo:
                    sent += 1
                    if await check(pid) == 429:
                        break
                # The clock stands still within a tick and refused requests do not count, so
                # every later request of this tick would get the same 429: count, don't send.
                refused += len(todo) - sent
                per_tick.append(len(sb.state.log) - before + len(todo) - sent)
        wall = time.perf_counter() - t0
        end = start + timedelta(seconds=INTERVAL * (ticks - 1))
        r429 = sum(1 for e in sb.state.log if e.status == 429) + refused
        return Result(
            "naive", n, ticks, per_tick, announced, went_out(sb.state, posts, end), r429, wall
        )


def _fmt(r: Result) -> list[str]:
    lat = r.latency_ticks()
    results = len([p for p in r.went_out if p in r.announced])
    per_result = f"{r.total / results:.1f}" if results else "∞ (none announced)"
    return [
        f"{r.followed:,}",
        r.design,
        f"{statistics.mean(r.per_tick):.1f} / {max(r.per_tick)}",
        per_result,
        f"{statistics.mean(lat):.2f} / {max(lat):.2f}" if lat else "—",
        str(r.r429),
        f"{results}/{len(r.went_out)}",
        f"{r.wall:.1f}s",
    ]


def print_table(rows: list[Result]) -> None:
    head = [
        "followed", "design", "req/tick mean/max", "req/result",
        "ticks→announce mean/max", "429s", "announced/out", "wall",
    ]  # fmt: skip
    cells = [head] + [_fmt(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    for j, c in enumerate(cells):
        print("  ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def check_targets(r: Result) -> str:
    results = len([p for p in r.went_out if p in r.announced])
    budget = 2 * r.ticks + results
    lat = r.latency_ticks()
    ok = (
        r.total <= budget
        and r.r429 == 0
        and (not lat or max(lat) <= 1.0)
        and results == len(r.went_out)
    )
    return (
        f"{r.followed:,} followed: {r.total} requests in {r.ticks} ticks "
        f"(target ≤ 2/tick + 1/result = {budget}), 429s {r.r429} (target 0), "
        f"max {max(lat) if lat else 0:.2f} ticks to announce (target ≤ 1), "
        f"{results}/{len(r.went_out)} announced → {'OK' if ok else 'MISSED'}"
    )


async def amain(sizes: Sequence[int], ticks: int, naive: bool) -> int:
    rows: list[Result] = []
    for n in sizes:
        rows.append(await run_design(n, ticks))
        if naive:
            rows.append(await run_naive(n, ticks))
    print(
        f"notifier benchmark: {ticks} ticks of {INTERVAL:.0f}s, sandbox limit 120 req/min/key, "
        f"{DUE_PER_TICK} posts going out per tick"
    )
    print_table(rows)
    print()
    ours = [r for r in rows if r.design == "this design"]
    for r in ours:
        print(check_targets(r))
    return 0 if all("OK" in check_targets(r) for r in ours) else 1


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench notifier", description=__doc__)
    ap.add_argument("--sizes", default="1000,10000", help="followed posts, comma-separated")
    ap.add_argument("--ticks", type=int, default=12)
    ap.add_argument("--no-naive", action="store_true", help="skip the naive poller")
    args = ap.parse_args(list(argv) if argv is not None else None)
    sizes = [int(x) for x in str(args.sizes).split(",") if x.strip()]
    return asyncio.run(amain(sizes, args.ticks, not args.no_naive))


if __name__ == "__main__":
    raise SystemExit(main())
