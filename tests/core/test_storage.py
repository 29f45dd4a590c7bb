import asyncio
from pathlib import Path

import pytest
import sqlite_utils

from bot.storage import Database


async def test_migrations_are_versioned_and_applied_once(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    calls: list[str] = []

    def v1(sdb: sqlite_utils.Database) -> None:
        calls.append("v1")
        sdb.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")

    def v2(sdb: sqlite_utils.Database) -> None:
        calls.append("v2")
        sdb.execute("ALTER TABLE things ADD COLUMN size INTEGER")

    db = await Database.open(path)
    await db.migrate("area", [v1])
    await db.close()
    db = await Database.open(path)
    await db.migrate("area", [v1, v2])
    await db.migrate("area", [v1, v2])
    cols = await db.run(lambda s: [c.name for c in s["things"].columns])
    journal = await db.run(lambda s: s.execute("PRAGMA journal_mode").fetchone()[0])
    await db.close()
    assert calls == ["v1", "v2"]
    assert cols == ["id", "name", "size"]
    assert journal == "wal"


async def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    db = await Database.open(str(tmp_path / "f.db"))

    def bad(sdb: sqlite_utils.Database) -> None:
        sdb.execute("CREATE TABLE half (id INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.migrate("x", [bad])
    names = await db.run(lambda s: s.table_names())
    version = await db.run(
        lambda s: s.execute("SELECT version FROM schema_versions WHERE name='x'").fetchone()
    )
    await db.close()
    assert "half" not in names and version is None


async def test_compare_and_set_under_concurrency(tmp_path: Path) -> None:
    db = await Database.open(str(tmp_path / "c.db"))
    await db.run(lambda s: s.execute("CREATE TABLE card (id INTEGER PRIMARY KEY, state TEXT)"))
    await db.run(lambda s: s.execute("INSERT INTO card VALUES (1, 'pending')"))

    def cas(s: sqlite_utils.Database) -> int:
        return s.execute("UPDATE card SET state='approved' WHERE id=1 AND state='pending'").rowcount

    wins = await asyncio.gather(*(db.transaction(cas) for _ in range(20)))
    await db.close()
    assert sorted(wins) == [0] * 19 + [1]


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(str(tmp_path / "t.db"))

    def write_then_fail(s: sqlite_utils.Database) -> None:
        s.execute("INSERT INTO meta(key, value) VALUES ('a', 'b')")
        raise ValueError("no")

    with pytest.raises(ValueError):
        await db.transaction(write_then_fail)
    rows = await db.run(lambda s: list(s.query("SELECT * FROM meta")))
    await db.close()
    assert rows == []
