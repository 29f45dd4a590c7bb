"""Several API posts asked for as ONE request (table ``request_groups``).

A caption too long for X, posted with ``split`` to X and Facebook, becomes two API posts: a
thread on X, the whole caption on Facebook. Each post has its own ``requests`` row (so the
notifier follows each as usual); this table ties them to the first one, the *primary*:

- the notifier records each member's final targets as it lands (``settle``, inside the same
  transaction as its status change) and announces ONCE, for the primary, when the last member
  has landed — every target and link of every member in one summary;
- ``/status <id>`` of any member shows the whole request (``members``).
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.api.models import TERMINAL_STATUSES, Target
from bot.storage import Database

NAMESPACE = "groups"
_TERMINAL = frozenset(s.value for s in TERMINAL_STATUSES)


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE request_groups (
            post_id TEXT PRIMARY KEY,
            primary_id TEXT NOT NULL,
            label TEXT NOT NULL,             -- "X: thread of 3" / "Facebook: the caption"
            status TEXT,                     -- final status, once landed
            targets TEXT                     -- final targets (JSON), once landed
        )"""
    )
    sdb.execute("CREATE INDEX request_groups_primary ON request_groups(primary_id)")


_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def ready(db: Database) -> None:
    if db not in _migrated:
        await db.migrate(NAMESPACE, [_v1])
        _migrated.add(db)


@dataclass(frozen=True)
class Member:
    post_id: str
    primary_id: str
    label: str
    status: str | None


@dataclass(frozen=True)
class Settled:
    primary_id: str
    complete: bool  # every member has landed: announce now
    status: str = ""  # the request's overall status (when complete)
    targets: tuple[Target, ...] = ()  # every member's targets (when complete)


def record(sdb: sqlite_utils.Database, members: Sequence[tuple[str, str]]) -> None:
    """Tie ``members`` ((post id, label), the primary first) together (caller's transaction)."""
    primary = members[0][0]
    for post_id, label in members:
        sdb.execute(
            "INSERT OR REPLACE INTO request_groups (post_id, primary_id, label) VALUES (?,?,?)",
            [post_id, primary, label],
        )


def _rows(sdb: sqlite_utils.Database, post_id: str) -> list[dict[str, object]]:
    try:
        found = list(
            sdb.query("SELECT primary_id FROM request_groups WHERE post_id = ?", [post_id])
        )
    except sqlite3.OperationalError as e:  # never used on this database
        if "no such table" in str(e):
            return []
        raise
    if not found:
        return []
    return list(
        sdb.query(
            "SELECT * FROM request_groups WHERE primary_id = ? ORDER BY rowid",
            [found[0]["primary_id"]],
        )
    )


def members(sdb: sqlite_utils.Database, post_id: str) -> list[Member]:
    """Every post of ``post_id``'s request, the primary first; ``[]`` if it stands alone."""
    return [
        Member(
            str(r["post_id"]),
            str(r["primary_id"]),
            str(r["label"]),
            str(r["status"]) if r["status"] else None,
        )
        for r in _rows(sdb, post_id)
    ]


def secondary(sdb: sqlite_utils.Database, post_ids: Sequence[str]) -> set[str]:
    """Those of ``post_ids`` that are a non-primary post of a request (lists show the primary)."""
    if not post_ids:
        return set()
    marks = ",".join("?" for _ in post_ids)
    try:
        rows = sdb.query(
            f"SELECT post_id FROM request_groups WHERE post_id IN ({marks}) "
            "AND post_id != primary_id",
            list(post_ids),
        )
        return {str(r["post_id"]) for r in rows}
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return set()
        raise


def overall(statuses: Sequence[str]) -> str:
    """One status for the request: all alike → that; any that went out → partial; else failed."""
    if len(set(statuses)) == 1:
        return statuses[0]
    if any(s in ("published", "partial") for s in statuses):
        return "partial"
    return "failed"


def _target_json(t: Target) -> dict[str, object]:
    return {
        "account_id": t.account_id,
        "platform": str(t.platform),
        "status": str(t.status),
        "permalink": t.permalink,
        "error": t.error,
        "scheduled_at": t.scheduled_at.isoformat() if t.scheduled_at else None,
    }


def _target(d: dict[str, object]) -> Target:
    at = d.get("scheduled_at")
    return Target(
        account_id=str(d["account_id"]),
        platform=str(d["platform"]),
        status=str(d["status"]),
        permalink=str(d["permalink"]) if d.get("permalink") else None,
        error=str(d["error"]) if d.get("error") else None,
        scheduled_at=datetime.fromisoformat(at) if isinstance(at, str) else None,
    )


def settle(
    sdb: sqlite_utils.Database, post_id: str, status: str, targets: Sequence[Target]
) -> Settled | None:
    """``post_id`` landed with ``status``: record it; None if it is not part of a group. Call
    inside the transaction that records the status (the notifier's)."""
    rows = _rows(sdb, post_id)
    if not rows:
        return None
    sdb.execute(
        "UPDATE request_groups SET status = ?, targets = ? WHERE post_id = ?",
        [status, json.dumps([_target_json(t) for t in targets]), post_id],
    )
    rows = _rows(sdb, post_id)
    primary = str(rows[0]["primary_id"])
    if any(r["status"] not in _TERMINAL for r in rows):
        return Settled(primary, complete=False)
    every = tuple(_target(d) for r in rows for d in json.loads(str(r["targets"] or "[]")))
    return Settled(primary, True, overall([str(r["status"]) for r in rows]), every)
