"""Retention: rows the bot no longer needs are deleted, so the database does not grow for ever.

    counts = await prune(core.db, now, core.settings.retention)   # {"deliveries": 120, …}

Run by the notifier's scheduler (``Notifier.start``: a job every ``[retention] interval``,
default 1 h). What goes, with the defaults (``[retention]``, days; 0 keeps for ever):

=====================  ====  ====================================================================
deliveries             14    platform delivery ids already handled (retries come within minutes)
journal                14    finished command-journal entries (pending ones are never deleted)
sent outbox            30    announcements sent — or given up — that long ago
tracked posts          180   ``requests`` rows of finished posts (published, partial, failed,
                             canceled) created and due that long ago
approval history       180   decided approval cards (with their votes and events), and events
=====================  ====  ====================================================================

Bounded batches: each statement deletes at most ``batch_size`` rows in its own transaction, and
one run does at most ``max_batches`` per table, so the one database thread is never held for
long and commands interleave. A table with more to delete continues at the next run.

A tracked post of a workspace that follows external posts is remembered in
``notifier_external`` when its row goes, so the API listing it again does not announce it anew.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import sqlite_utils

from bot.config import Retention
from bot.storage import Database

log = logging.getLogger(__name__)

MAX_BATCHES = 50
_TERMINAL = ("published", "partial", "failed", "canceled")
_FINAL_CARDS = ("approved", "rejected", "expired", "canceled")


def _table(sdb: sqlite_utils.Database, name: str) -> bool:
    return bool(
        sdb.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name]).fetchone()
    )


def ensure_indexes(sdb: sqlite_utils.Database) -> None:
    """Indexes that let each delete find its old rows without a full scan (created on the
    first run that finds the table; ``IF NOT EXISTS`` makes later runs a catalog lookup)."""
    wanted = {
        "deliveries": "CREATE INDEX IF NOT EXISTS deliveries_seen ON deliveries(seen_at)",
        "command_journal": (
            "CREATE INDEX IF NOT EXISTS command_journal_updated ON command_journal(updated_at)"
        ),
        "notifier_outbox": (
            "CREATE INDEX IF NOT EXISTS notifier_outbox_sent ON notifier_outbox(sent_at) "
            "WHERE sent_at IS NOT NULL"
        ),
        "requests": "CREATE INDEX IF NOT EXISTS requests_created ON requests(created_at)",
        "approval_events": "CREATE INDEX IF NOT EXISTS approval_events_at ON approval_events(at)",
        "approval_cards": (
            "CREATE INDEX IF NOT EXISTS approval_cards_updated ON approval_cards(updated_at)"
        ),
    }
    for table, sql in wanted.items():
        if _table(sdb, table):
            sdb.execute(sql)


Step = Callable[[sqlite_utils.Database, str, int], int]


def _deliveries(sdb: sqlite_utils.Database, cutoff: str, limit: int) -> int:
    return _delete(sdb, "deliveries", "seen_at < ?", [cutoff], limit)


def _journal(sdb: sqlite_utils.Database, cutoff: str, limit: int) -> int:
    return _delete(sdb, "command_journal", "state = 'done' AND updated_at < ?", [cutoff], limit)


def _outbox(sdb: sqlite_utils.Database, cutoff: str, limit: int) -> int:
    n = _delete(sdb, "notifier_outbox", "sent_at IS NOT NULL AND sent_at < ?", [cutoff], limit)
    if n < limit:
        n += _delete(
            sdb,
            "notifier_outbox",
            "sent_at IS NULL AND abandoned_at IS NOT NULL AND abandoned_at < ?",
            [cutoff],
            limit - n,
        )
    return n


def _posts(following: Iterable[str]) -> Step:
    follow = sorted(set(following))

    def step(sdb: sqlite_utils.Database, cutoff: str, limit: int) -> int:
        marks = ",".join("?" * len(_TERMINAL))
        rows = sdb.execute(
            f"""SELECT rowid, post_id, workspace FROM requests
                WHERE created_at < ? AND status IN ({marks})
                  AND COALESCE(last_due_at, scheduled_at, created_at) < ? LIMIT ?""",
            [cutoff, *_TERMINAL, cutoff, limit],
        ).fetchall()
        if not rows:
            return 0
        remember = [(ws, pid) for _, pid, ws in rows if ws in follow]
        if remember and _table(sdb, "notifier_external"):
            sdb.conn.executemany(
                "INSERT INTO notifier_external (workspace, post_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                remember,
            )
        ids = [r[1] for r in rows]
        if _table(sdb, "notifier_posts"):
            sdb.execute(
                f"DELETE FROM notifier_posts WHERE post_id IN ({','.join('?' * len(ids))})", ids
            )
        sdb.execute(
            f"DELETE FROM requests WHERE rowid IN ({','.join('?' * len(rows))})",
            [r[0] for r in rows],
        )
        return len(rows)

    return step


def _approvals(sdb: sqlite_utils.Database, cutoff: str, limit: int) -> int:
    if not _table(sdb, "approval_cards"):
        return 0
    marks = ",".join("?" * len(_FINAL_CARDS))
    cards = [
        r[0]
        for r in sdb.execute(
            f"SELECT id FROM approval_cards WHERE updated_at < ? AND state IN ({marks}) LIMIT ?",
            [cutoff, *_FINAL_CARDS, limit],
        ).fetchall()
    ]
    n = 0
    if cards:
        ids = ",".join("?" * len(cards))
        n += sdb.execute(f"DELETE FROM approval_events WHERE card_id IN ({ids})", cards).rowcount
        sdb.execute(f"DELETE FROM approval_votes WHERE card_id IN ({ids})", cards)
        n += sdb.execute(f"DELETE FROM approval_cards WHERE id IN ({ids})", cards).rowcount
    if n < limit:  # old events of decided cards still within their own retention
        n += _delete(
            sdb,
            "approval_events",
            f"at < ? AND card_id IN (SELECT id FROM approval_cards WHERE state IN ({marks}))",
            [cutoff, *_FINAL_CARDS],
            limit - n,
        )
    return n


def _delete(
    sdb: sqlite_utils.Database, table: str, where: str, args: list[object], limit: int
) -> int:
    if limit <= 0 or not _table(sdb, table):
        return 0
    cur = sdb.execute(
        f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT ?)",
        [*args, limit],
    )
    return int(cur.rowcount)


def _run(step: Step, cutoff: str, limit: int, sdb: sqlite_utils.Database) -> int:
    return step(sdb, cutoff, limit)


async def prune(
    db: Database,
    now: datetime,
    policy: Retention,
    *,
    following: Iterable[str] = (),
    max_batches: int = MAX_BATCHES,
) -> dict[str, int]:
    """Delete what is older than the policy allows, in batches; rows deleted per kind."""
    await db.transaction(ensure_indexes)
    plan: list[tuple[str, timedelta | None, Step]] = [
        ("deliveries", policy.deliveries, _deliveries),
        ("journal", policy.journal, _journal),
        ("sent_outbox", policy.sent_outbox, _outbox),
        ("tracked_posts", policy.tracked_posts, _posts(following)),
        ("approval_history", policy.approval_history, _approvals),
    ]
    counts: dict[str, int] = {}
    for name, keep, step in plan:
        if keep is None:
            continue
        cutoff = (now - keep).isoformat()
        total = 0
        for _ in range(max_batches):
            size = policy.batch_size
            n = await db.transaction(functools.partial(_run, step, cutoff, size))
            total += n
            if n < size:
                break
            await asyncio.sleep(0)  # let commands waiting for the database go first
        counts[name] = total
    if any(counts.values()):
        log.info(
            "retention: deleted %s",
            ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n),
        )
    return counts
