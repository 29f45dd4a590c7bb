"""Optional SQLite persistence (``--db FILE``): one JSON blob per record, written on each change.

Tables: ``records(ws, kind, id, blob)`` with kind ``post`` / ``media`` / ``native_deleted``, and
``meta(name, value)`` (the upload-URL signing secret, so URLs survive a restart). stdlib
``sqlite3``; every call is short and synchronous on the event loop thread (sandbox scale).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    ws TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (ws, kind, id)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.parent:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def put(self, ws: str, kind: str, rec_id: str, blob: Any) -> None:
        self._db.execute(
            "INSERT INTO records (ws, kind, id, blob) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (ws, kind, id) DO UPDATE SET blob = excluded.blob",
            (ws, kind, rec_id, json.dumps(blob, separators=(",", ":"))),
        )

    def delete(self, ws: str, kind: str, rec_id: str) -> None:
        self._db.execute(
            "DELETE FROM records WHERE ws = ? AND kind = ? AND id = ?", (ws, kind, rec_id)
        )

    def load(self, ws: str, kind: str) -> list[Any]:
        rows = self._db.execute(
            "SELECT blob FROM records WHERE ws = ? AND kind = ? ORDER BY rowid", (ws, kind)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
