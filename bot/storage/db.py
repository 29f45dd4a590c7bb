"""An asyncio front for a sqlite-utils database.

sqlite3 connections are bound to the thread that made them, so one single-thread executor owns
the connection and every operation runs there: ``await db.run(fn)`` calls ``fn(sdb)`` with the
``sqlite_utils.Database`` on that thread. Operations are therefore serialised, which is what
makes compare-and-set updates (``UPDATE … WHERE state = 'pending'``) exact.

Schema: each area of the bot (core, approvals, notifier, adapters…) owns a named list of
migrations; ``await db.migrate(name, steps)`` applies the steps not yet applied, each in its own
transaction, and records the version in ``schema_versions``. Steps are append-only.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import sqlite_utils

T = TypeVar("T")
Migration = Callable[[sqlite_utils.Database], None]


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._sdb: sqlite_utils.Database | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: str) -> Database:
        db = cls(path)
        await db.run_raw(db._connect)
        await db.migrate("core", CORE_MIGRATIONS)
        return db

    def _connect(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        sdb = sqlite_utils.Database(conn)
        if self.path != ":memory:":
            sdb.enable_wal()
        sdb.execute("PRAGMA foreign_keys = ON")
        sdb.execute("PRAGMA busy_timeout = 30000")
        sdb.execute("PRAGMA synchronous = NORMAL")
        sdb.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER)"
        )
        self._sdb = sdb

    async def run_raw(self, fn: Callable[[], T]) -> T:
        if self._closed:
            raise RuntimeError("database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    async def run(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn(sdb)`` on the database thread."""

        def call() -> T:
            assert self._sdb is not None, "Database.open() first"
            return fn(self._sdb)

        return await self.run_raw(call)

    async def transaction(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn(sdb)`` in one transaction (rolled back if it raises)."""

        def call(sdb: sqlite_utils.Database) -> T:
            with sdb.conn:
                sdb.execute("BEGIN IMMEDIATE")
                return fn(sdb)

        return await self.run(call)

    async def migrate(self, name: str, steps: Sequence[Migration]) -> int:
        def apply(sdb: sqlite_utils.Database) -> int:
            row = sdb.execute(
                "SELECT version FROM schema_versions WHERE name = ?", [name]
            ).fetchone()
            current = int(row[0]) if row else 0
            for version, step in enumerate(steps, start=1):
                if version <= current:
                    continue
                with sdb.conn:
                    sdb.execute("BEGIN IMMEDIATE")
                    step(sdb)
                    sdb.execute(
                        "INSERT INTO schema_versions(name, version) VALUES (?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET version = excluded.version",
                        [name, version],
                    )
            return len(steps)

        return await self.run(apply)

    async def close(self) -> None:
        if self._closed:
            return

        def shut() -> None:
            if self._sdb is not None:
                self._sdb.conn.close()
                self._sdb = None

        await self.run_raw(shut)
        self._closed = True
        self._executor.shutdown(wait=True)


def _core_v1(sdb: sqlite_utils.Database) -> None:
    # Key/value facts (e.g. the Discord command tree hash).
    sdb.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # Deliveries already processed (platform retries are de-duplicated here).
    sdb.execute("CREATE TABLE deliveries (id TEXT PRIMARY KEY, seen_at TEXT NOT NULL, result TEXT)")
    # Posts the bot asked for: where they were asked from, for status and announcements.
    sdb.execute(
        """CREATE TABLE requests (
            post_id TEXT PRIMARY KEY,
            workspace TEXT NOT NULL,
            platform TEXT NOT NULL,          -- chat platform: slack / discord / console
            team TEXT,
            channel TEXT NOT NULL,
            thread TEXT,
            requester TEXT NOT NULL,
            requester_name TEXT,
            created_at TEXT NOT NULL,
            scheduled_at TEXT,               -- earliest time any target fires (UTC ISO)
            last_due_at TEXT,                -- latest time any target fires (UTC ISO)
            status TEXT NOT NULL,
            summary TEXT,                    -- short caption preview
            external INTEGER NOT NULL DEFAULT 0
        )"""
    )
    sdb.execute("CREATE INDEX requests_channel ON requests(platform, channel, created_at)")
    sdb.execute("CREATE INDEX requests_status ON requests(workspace, status, scheduled_at)")


def _core_v2(sdb: sqlite_utils.Database) -> None:
    # How each target account is named to people ({"acc_…": "@acme"}), for announcements.
    sdb.execute("ALTER TABLE requests ADD COLUMN accounts TEXT")


CORE_MIGRATIONS: list[Migration] = [_core_v1, _core_v2]
