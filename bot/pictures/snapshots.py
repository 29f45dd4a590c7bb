"""The daily analytics snapshot of each workspace: the chart's data.

The Social API only gives a running summary (``GET /v1/analytics``: counts by status, total
engagement), so the bot keeps one row per workspace per UTC day. ``take_due`` (run by the
scheduler, see ``bot.reports.service``) asks the API once per workspace per day, only when that
day has no row yet; ``record`` also keeps the answer of a ``/social analytics`` that came first
(same day: the first answer wins). Per-day published/failed counts are the differences of the
running counts between consecutive snapshots.

Table ``analytics_snapshots`` (migration namespace ``pictures``)::

    workspace TEXT, day TEXT (UTC date), taken_at TEXT, total_posts INTEGER,
    by_status TEXT (JSON), engagement TEXT (JSON); PRIMARY KEY (workspace, day)
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from bot.api.models import Analytics
from bot.storage import Database, Migration

NAMESPACE = "pictures"
METRICS = ("likes", "comments", "shares", "impressions")


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE analytics_snapshots (
            workspace TEXT NOT NULL,
            day TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            total_posts INTEGER NOT NULL,
            by_status TEXT NOT NULL,
            engagement TEXT NOT NULL,
            PRIMARY KEY (workspace, day)
        )"""
    )


MIGRATIONS: list[Migration] = [_v1]
_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def migrate(db: Database) -> None:
    if db not in _migrated:
        await db.migrate(NAMESPACE, MIGRATIONS)
        _migrated.add(db)


@dataclass(frozen=True)
class Snapshot:
    workspace: str
    day: date
    taken_at: datetime
    total_posts: int
    by_status: dict[str, int]
    engagement: dict[str, int]


def utc_day(now: datetime) -> date:
    return now.astimezone(UTC).date()


async def record(db: Database, workspace: str, a: Analytics, now: datetime) -> bool:
    """Keep ``a`` as today's snapshot unless today has one; True if it was stored."""
    await migrate(db)

    def put(sdb: sqlite_utils.Database) -> bool:
        cur = sdb.execute(
            "INSERT OR IGNORE INTO analytics_snapshots VALUES (?,?,?,?,?,?)",
            [
                workspace,
                utc_day(now).isoformat(),
                now.isoformat(),
                a.total_posts,
                json.dumps(dict(a.by_status)),
                json.dumps(dict(a.engagement)),
            ],
        )
        return cur.rowcount == 1

    return await db.transaction(put)


async def has_today(db: Database, workspace: str, now: datetime) -> bool:
    await migrate(db)

    def read(sdb: sqlite_utils.Database) -> bool:
        row = sdb.execute(
            "SELECT 1 FROM analytics_snapshots WHERE workspace = ? AND day = ?",
            [workspace, utc_day(now).isoformat()],
        ).fetchone()
        return row is not None

    return await db.run(read)


async def take_due(
    db: Database,
    workspaces: Iterable[str],
    fetch: Callable[[str], Awaitable[Analytics]],
    now: datetime,
) -> list[str]:
    """One ``GET /v1/analytics`` per workspace that has no snapshot today; the workspaces
    snapshotted. A failing workspace is skipped (the next run tries again) and re-raised last."""
    done: list[str] = []
    failure: Exception | None = None
    for ws in workspaces:
        if await has_today(db, ws, now):
            continue
        try:
            a = await fetch(ws)
        except Exception as e:  # one workspace's failure does not stop the others
            failure = e
            continue
        if await record(db, ws, a, now):
            done.append(ws)
    if failure is not None:
        raise failure
    return done


async def between(db: Database, workspace: str, first: date, last: date) -> list[Snapshot]:
    """Snapshots of ``workspace`` from ``first`` to ``last`` (UTC days, inclusive), oldest first."""
    await migrate(db)

    def read(sdb: sqlite_utils.Database) -> list[Snapshot]:
        rows = sdb.query(
            "SELECT * FROM analytics_snapshots WHERE workspace = ? AND day >= ? AND day <= ? "
            "ORDER BY day",
            [workspace, first.isoformat(), last.isoformat()],
        )
        return [
            Snapshot(
                workspace=str(r["workspace"]),
                day=date.fromisoformat(str(r["day"])),
                taken_at=datetime.fromisoformat(str(r["taken_at"])),
                total_posts=int(r["total_posts"]),
                by_status={str(k): int(v) for k, v in json.loads(r["by_status"]).items()},
                engagement={str(k): int(v) for k, v in json.loads(r["engagement"]).items()},
            )
            for r in rows
        ]

    return await db.run(read)


async def count(db: Database, workspace: str) -> int:
    await migrate(db)

    def read(sdb: sqlite_utils.Database) -> int:
        row = sdb.execute(
            "SELECT COUNT(*) FROM analytics_snapshots WHERE workspace = ?", [workspace]
        ).fetchone()
        return int(row[0])

    return await db.run(read)


def next_snapshot_day(now: datetime) -> date:
    return utc_day(now) + timedelta(days=1)
