"""Retention: the database file and a poll tick over a simulated year of 200 posts a day.

    python -m bench retention                       # one year, retention on (the defaults)
    python -m bench.retention --days 365 --compare  # also the same year with nothing deleted

Everything runs on a ``FakeClock`` (nothing sleeps): each simulated day 200 posts are asked for
(a delivery id, a finished journal entry, a ``requests`` row; one in ten through an approval
card with its events), due at times spread over the day; the notifier ticks every 2 hours of
simulated time against an in-memory Social API that publishes each post at its time (one
``list_posts`` plus a ``get_status`` per finished post), announces through a null chat port
into 20 channels (bursts become digests), and the retention job runs once a simulated day.

Printed at days 1, 30, 90, 180, 270 and 365: the database file size (after a WAL checkpoint),
the median wall and CPU time (process, all threads: the database thread included) of that
day's ticks, and the rows of each table. The machine is shared: CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot import approvals, journal, tracking
from bot.api.models import Post, PostStatus, StatusInfo, Target
from bot.chat import Destination, MessageRef, Reply
from bot.clock import FakeClock
from bot.config import Retention, Settings, Workspace
from bot.core import Clients, Core
from bot.notifier import Notifier
from bot.notifier.pacing import ChannelPacer
from bot.secret import Secret
from bot.storage import Database
from bot.tracking import TrackedPost

POSTS_PER_DAY = 200
TICKS_PER_DAY = 12
CHANNELS = 20
REPORT_DAYS = (1, 30, 90, 180, 270, 365)
TABLES = (
    "deliveries",
    "command_journal",
    "requests",
    "notifier_outbox",
    "approval_cards",
    "approval_events",
)


class MemoryApi:
    """Posts publish at their time; ``list_posts`` lists the recent ones, as an API would."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.due: dict[str, datetime] = {}

    def _status(self, pid: str) -> str:
        return "published" if self.due[pid] <= self.clock.now() else "scheduled"

    async def list_posts(self) -> list[Post]:
        return [
            Post(post_id=pid, status=self._status(pid), scheduled_at=at)
            for pid, at in self.due.items()
        ]

    async def get_status(self, post_id: str) -> StatusInfo:
        status = self._status(post_id)
        targets = (
            Target(
                account_id="acc_ig",
                platform="instagram",
                status=PostStatus(status),
                permalink=f"https://instagram.example/p/{post_id}",
            ),
        )
        self.due.pop(post_id, None) if status == "published" else None
        return StatusInfo(
            post_id=post_id,
            status=status,
            ready=status == "published",
            scheduled_at=None,
            targets=targets,
        )


@dataclass
class NullPort:
    platform: str = "slack"
    sent: int = 0

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        self.sent += 1
        return MessageRef(self.platform, dest.channel, str(self.sent))

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        return None

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        return None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


@dataclass
class Report:
    day: int
    size: int
    tick_ms: float
    tick_cpu_ms: float
    rows: dict[str, int]


@dataclass
class Run:
    retention: bool
    reports: list[Report] = field(default_factory=list)
    wall: float = 0.0
    announced: int = 0


def _seed_day(sdb: sqlite_utils.Database, day: int, start: datetime, api: MemoryApi) -> None:
    deliveries, entries, posts = [], [], []
    for i in range(POSTS_PER_DAY):
        pid = f"p{day:03d}_{i:03d}"
        asked = start + timedelta(seconds=i * 86400 / POSTS_PER_DAY)
        due = asked + timedelta(minutes=30)
        deliveries.append((f"slack:cmd:{pid}", asked.isoformat()))
        payload = json.dumps({"text": f'x "post {pid}"', "channel": f"C{i % CHANNELS}"})
        entries.append(
            (f"slack:cmd:{pid}", "slack", "command", payload, "done", "bench", pid,
             asked.isoformat(), asked.isoformat())
        )  # fmt: skip
        posts.append(
            TrackedPost(
                post_id=pid, workspace="default", platform="slack", channel=f"C{i % CHANNELS}",
                thread=f"{asked.timestamp():.6f}", requester=f"U{i % 37}", requester_name=None,
                created_at=asked, scheduled_at=due, last_due_at=due, status="scheduled",
                summary=f"post {pid}", accounts={"acc_ig": "@acme"},
            )
        )  # fmt: skip
        api.due[pid] = due
        if i % 10 == 0:
            _approval(sdb, pid, asked)
    sdb.conn.executemany("INSERT INTO deliveries (id, seen_at) VALUES (?, ?)", deliveries)
    sdb.conn.executemany(
        "INSERT INTO command_journal (id, platform, kind, payload, state, owner, post_id, "
        "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        entries,
    )
    for tp in posts:
        tracking.record(sdb, tp)


def _approval(sdb: sqlite_utils.Database, pid: str, at: datetime) -> None:
    cur = sdb.execute(
        """INSERT INTO approval_cards (post_id, workspace, state, origin_platform, origin_channel,
               requester_id, approvers, quorum, allow_self, card_platform, card_channel,
               card_message_id, intended, preview, created_at, updated_at)
           VALUES (?, 'default', 'approved', 'slack', 'C0', 'U1', '["U2"]', 1, 0, 'slack',
               'C_REVIEW', ?, '{}', '{}', ?, ?)""",
        [pid, f"m{pid}", at.isoformat(), at.isoformat()],
    )
    for action in ("submitted", "approved", "activated"):
        sdb.execute(
            "INSERT INTO approval_events (card_id, post_id, at, actor_id, action, post_version) "
            "VALUES (?, ?, ?, 'U2', ?, 1)",
            [cur.lastrowid, pid, at.isoformat(), action],
        )


def _size(sdb: sqlite_utils.Database) -> tuple[int, dict[str, int]]:
    sdb.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = sdb.execute("PRAGMA page_count").fetchone()[0]
    page = sdb.execute("PRAGMA page_size").fetchone()[0]
    rows = {t: int(sdb.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
    return int(pages) * int(page), rows


async def simulate(days: int, keep: bool, workdir: Path) -> Run:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    path = workdir / f"bench-{'retention' if keep else 'none'}.db"
    retention = Retention() if keep else Retention(None, None, None, None, None)
    settings = Settings(
        db_path=str(path),
        workspaces={"default": Workspace("default", "SOCIAL_API_KEY", Secret("sk_bench"))},
        poll_interval=86400 / TICKS_PER_DAY,
        retention=retention,
    )
    db = await Database.open(str(path))
    core = Core(settings, db, Clients(settings, clock), clock)
    port = NullPort()
    core.ports["slack"] = port
    core.pacers["slack"] = ChannelPacer(clock, per_second=1e6)  # pacing is not measured here
    await journal.migrate(db)
    await approvals.migrate(db)
    api = MemoryApi(clock)
    notifier = Notifier(core, client_factory=lambda ws: api, requests_per_tick=1000)
    await notifier.migrate()
    run = Run(keep)
    started = time.perf_counter()
    for day in range(1, days + 1):
        start = clock.now()

        def seed(sdb: sqlite_utils.Database, d: int = day, s: datetime = start) -> None:
            _seed_day(sdb, d, s, api)

        await db.transaction(seed)
        ticks: list[float] = []
        cpu: list[float] = []
        for _ in range(TICKS_PER_DAY):
            clock.advance(86400 / TICKS_PER_DAY)
            t0, c0 = time.perf_counter(), time.process_time()
            await notifier.tick(clock.now())
            ticks.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        if keep:
            await notifier.prune(clock.now())
        if day in REPORT_DAYS or day == days:
            size, rows = await db.run(_size)
            run.reports.append(
                Report(
                    day, size, statistics.median(ticks) * 1000, statistics.median(cpu) * 1000, rows
                )
            )
    run.wall = time.perf_counter() - started
    run.announced = port.sent
    await core.clients.aclose()
    await db.close()
    return run


def _print(run: Run) -> None:
    title = "retention on (defaults)" if run.retention else "nothing deleted"
    print(f"-- {title}: {run.announced} announcement messages, {run.wall:.1f} s wall")
    print(
        f"{'day':>5} {'db size':>10} {'tick wall':>10} {'tick cpu':>9}  rows (medians of the day)"
    )
    for r in run.reports:
        rows = " ".join(f"{t}={n}" for t, n in r.rows.items())
        print(
            f"{r.day:>5} {r.size / 1e6:>7.2f} MB {r.tick_ms:>7.2f} ms {r.tick_cpu_ms:>6.2f} ms  {rows}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.retention")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--compare", action="store_true", help="also run with nothing deleted")
    args = ap.parse_args(list(argv) if argv is not None else None)
    print(
        f"{POSTS_PER_DAY} posts/day, {TICKS_PER_DAY} ticks/day, {args.days} simulated days "
        "(FakeClock)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs = [True, False] if args.compare else [True]
        for keep in runs:
            _print(asyncio.run(simulate(args.days, keep, Path(tmp))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
