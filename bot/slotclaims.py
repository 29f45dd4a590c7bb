"""Who holds which posting slot (table ``slot_claims``): compare-and-set in the database.

A claim is one row per (chat platform, channel, slot instant, social platform). ``claim_next``
walks the candidate instants soonest first and, in ONE transaction, takes the first whose rows
for the request's social platforms are all free — so two requests racing for the same slot get
different slots: the database runs on one thread (``bot.storage.db``), the transaction is
``BEGIN IMMEDIATE``, and the primary key refuses a second row even across processes.

A claim is made before the post is created (owner = the delivery id), linked to the post once it
exists (``attach``) and dropped if creating it failed (``release``). A claim stops counting when
its post is canceled, when the post was moved to another time (``/social edit … when:``), or —
never linked — after ``PENDING_TTL`` (the process died between claim and create).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot.api.models import PostStatus
from bot.storage import Database

NAMESPACE = "slots"
PENDING_TTL = timedelta(minutes=10)
KEEP_PAST = timedelta(days=7)  # claims on slots older than this are deleted


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE slot_claims (
            chat_platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            slot_at TEXT NOT NULL,           -- UTC ISO instant of the slot
            social TEXT NOT NULL,            -- social platform: x, instagram, …
            owner TEXT NOT NULL,             -- the delivery that claimed it
            post_id TEXT,                    -- set once the post (or draft) exists
            summary TEXT,
            claimed_at TEXT NOT NULL,
            PRIMARY KEY (chat_platform, channel, slot_at, social)
        )"""
    )
    sdb.execute("CREATE INDEX slot_claims_owner ON slot_claims(owner)")


MIGRATIONS = [_v1]


_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def ready(db: Database) -> None:
    """Create the table on first use (each area owns its migrations; see ``bot.storage.db``)."""
    if db not in _migrated:
        await db.migrate(NAMESPACE, MIGRATIONS)
        _migrated.add(db)


@dataclass(frozen=True)
class Taker:
    """What holds a slot for one social platform."""

    social: str
    post_id: str | None
    summary: str | None

    def label(self) -> str:
        return self.post_id or (f"“{self.summary}”" if self.summary else "a request in progress")


@dataclass(frozen=True)
class Claimed:
    slot_at: datetime
    skipped: tuple[tuple[datetime, tuple[Taker, ...]], ...]  # earlier slots and who holds them


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def _when(v: object) -> datetime | None:
    return datetime.fromisoformat(v).astimezone(UTC) if isinstance(v, str) and v else None


def _live(sdb: sqlite_utils.Database, row: dict[str, object], now: datetime) -> bool:
    post_id = row.get("post_id")
    if not post_id:
        claimed = _when(row["claimed_at"])
        return claimed is not None and now - claimed < PENDING_TTL
    found = list(
        sdb.query("SELECT status, scheduled_at FROM requests WHERE post_id = ?", [post_id])
    )
    if not found:
        return True
    if found[0]["status"] == PostStatus.CANCELED.value:
        return False
    moved_to = _when(found[0]["scheduled_at"])
    return moved_to is None or moved_to == _when(row["slot_at"])


def _holders(
    sdb: sqlite_utils.Database,
    chat_platform: str,
    channel: str,
    slot_at: datetime,
    now: datetime,
    social: Iterable[str] | None = None,
) -> tuple[Taker, ...]:
    """Live claims on one slot (dead ones are deleted on the way)."""
    rows = list(
        sdb.query(
            "SELECT * FROM slot_claims WHERE chat_platform = ? AND channel = ? AND slot_at = ?",
            [chat_platform, channel, _iso(slot_at)],
        )
    )
    wanted = set(social) if social is not None else None
    out: list[Taker] = []
    for r in rows:
        if not _live(sdb, r, now):
            sdb.execute(
                "DELETE FROM slot_claims WHERE chat_platform = ? AND channel = ? AND slot_at = ? "
                "AND social = ?",
                [chat_platform, channel, r["slot_at"], r["social"]],
            )
            continue
        if wanted is None or r["social"] in wanted:
            post_id = r.get("post_id")
            summary = r.get("summary")
            out.append(
                Taker(
                    str(r["social"]),
                    str(post_id) if post_id else None,
                    str(summary) if summary else None,
                )
            )
    return tuple(sorted(out, key=lambda t: t.social))


async def claim_next(
    db: Database,
    *,
    chat_platform: str,
    channel: str,
    candidates: Sequence[datetime],
    social: Iterable[str],
    owner: str,
    summary: str | None,
    now: datetime,
) -> Claimed | None:
    """Take the first candidate slot free for every platform in ``social``; None if none is."""
    platforms = sorted(set(social))
    await ready(db)

    def take(sdb: sqlite_utils.Database) -> Claimed | None:
        # slots long past are of no use: dropped as new ones are taken (no table grows)
        sdb.execute("DELETE FROM slot_claims WHERE slot_at < ?", [_iso(now - KEEP_PAST)])
        skipped: list[tuple[datetime, tuple[Taker, ...]]] = []
        for slot_at in candidates:
            holders = _holders(sdb, chat_platform, channel, slot_at, now, platforms)
            if holders:
                skipped.append((slot_at, holders))
                continue
            for p in platforms:
                sdb.execute(
                    "INSERT INTO slot_claims (chat_platform, channel, slot_at, social, owner, "
                    "summary, claimed_at) VALUES (?,?,?,?,?,?,?)",
                    [chat_platform, channel, _iso(slot_at), p, owner, summary, _iso(now)],
                )
            return Claimed(slot_at, tuple(skipped))
        return None

    return await db.transaction(take)


def attach(sdb: sqlite_utils.Database, owner: str, post_id: str) -> None:
    """Link ``owner``'s claims to the post it created (inside the caller's transaction)."""
    sdb.execute("UPDATE slot_claims SET post_id = ? WHERE owner = ?", [post_id, owner])


async def release(db: Database, owner: str) -> None:
    """Drop ``owner``'s claims (creating the post failed)."""
    await ready(db)
    await db.run(lambda sdb: sdb.execute("DELETE FROM slot_claims WHERE owner = ?", [owner]))


def note(
    sdb: sqlite_utils.Database,
    *,
    chat_platform: str,
    channel: str,
    slot_at: datetime,
    social: Iterable[str],
    owner: str,
    post_id: str,
    summary: str | None,
    now: datetime,
) -> None:
    """A post scheduled by time that lands exactly on a slot holds it too (where still free)."""
    for p in sorted(set(social)):
        sdb.execute(
            "INSERT OR IGNORE INTO slot_claims (chat_platform, channel, slot_at, social, owner, "
            "post_id, summary, claimed_at) VALUES (?,?,?,?,?,?,?,?)",
            [chat_platform, channel, _iso(slot_at), p, owner, post_id, summary, _iso(now)],
        )


async def holders(
    db: Database, chat_platform: str, channel: str, instants: Sequence[datetime], now: datetime
) -> dict[datetime, tuple[Taker, ...]]:
    """Who holds each of ``instants`` (every platform); an empty tuple = free."""
    await ready(db)

    def read(sdb: sqlite_utils.Database) -> dict[datetime, tuple[Taker, ...]]:
        return {t: _holders(sdb, chat_platform, channel, t, now) for t in instants}

    return await db.transaction(read)
