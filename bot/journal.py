"""The command journal: a request the bot accepted is either done or reported failed.

An adapter acknowledges a command (or event) and does the work in the background, so a
crash between the ack and the end of the work would lose it. Through ``bot.deliveries`` (the
same code for every adapter) the delivery is recorded here (``record``, state ``pending``) with everything needed to run it
again; ``commands.dispatch`` marks it ``done`` when it has finished (whatever the outcome:
a result, a user error or an apology are all answers). At start-up the runner takes over the
entries a previous process left pending (``take_over``) and runs them again (``resuming`` is
set while they run).

Re-running must not repeat an effect that already happened:

- a post the dead process created: the create step records the post id here in the same
  transaction as its ``requests`` row (``note_post``); an entry with a post id is finished, not
  re-run. If the process died after the API created the post but before that transaction, the
  resumed create first looks for the post (``find_created``: the request's fingerprint among
  the listed posts, excluding every post id already tracked in ``requests``) and adopts it.
- a reaction the dead process half-processed: votes are idempotent per user, and a decision
  left ``approving`` is finished (or reopened) by ``approvals.recover_stuck`` before the
  journal is resumed, so the re-run vote completes it.

Ownership: each process has a random ``owner`` token; an entry pending under another token is
stale (its process is gone — one bot process per database). A platform retry of a delivery
that is pending under this process is already being handled and is ignored.

Residual window: where the ack goes before the ``record`` commit (Slack over HTTP, Discord's
defer) a SIGKILL in that millisecond still loses the delivery; Slack does not retry what it got
a 200 for. Slack Socket Mode records first and acks after (README "Crash safety").
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import secrets
import weakref
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.api.client import SocialClient
from bot.api.errors import ApiError
from bot.api.models import NewPost, Post
from bot.api.reconcile import PostFingerprint, find_candidates
from bot.storage import Database

log = logging.getLogger(__name__)

NAMESPACE = "journal"
PENDING = "pending"
DONE = "done"

# Set while a journal entry left by a dead process is being run again.
resuming: ContextVar[bool] = ContextVar("socialbot_journal_resuming", default=False)


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE command_journal (
            id TEXT PRIMARY KEY,          -- the delivery id (retries carry the same one)
            platform TEXT NOT NULL,       -- chat platform
            kind TEXT NOT NULL,           -- "command" | "reaction" | "button"
            payload TEXT NOT NULL,        -- JSON: what is needed to run it again
            state TEXT NOT NULL,          -- pending | done
            owner TEXT NOT NULL,          -- the process that is running it
            thread TEXT,                  -- the request's thread message, once posted
            post_id TEXT,                 -- the post it created, once recorded
            attempts INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    sdb.execute("CREATE INDEX command_journal_state ON command_journal(state, platform)")


def _v2(sdb: sqlite_utils.Database) -> None:
    # Set just before the request's create call is sent: only then can a resumed run find a
    # post of its own to adopt (otherwise it skips the lookup, a listing of every post).
    sdb.execute("ALTER TABLE command_journal ADD COLUMN creating INTEGER NOT NULL DEFAULT 0")


MIGRATIONS = [_v1, _v2]
OWNER = secrets.token_hex(8)  # this process
# An entry taken over more often than this keeps dying with the process: reported failed.
MAX_ATTEMPTS = 20

_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def migrate(db: Database) -> None:
    await db.migrate(NAMESPACE, MIGRATIONS)
    _migrated.add(db)


async def _ready(db: Database) -> None:
    if db not in _migrated:
        await migrate(db)


class Begin(enum.StrEnum):
    NEW = "new"  # first time: run it
    TAKEN_OVER = "taken_over"  # a retry of an entry a dead process left pending: run it again
    BUSY = "busy"  # pending in this process: already being handled
    DONE = "done"  # finished before: dispatch answers it as a duplicate


@dataclass(frozen=True)
class Entry:
    id: str
    platform: str
    kind: str
    payload: dict[str, Any]
    thread: str | None
    post_id: str | None
    attempts: int


def _entry(r: dict[str, Any]) -> Entry:
    return Entry(
        id=str(r["id"]),
        platform=str(r["platform"]),
        kind=str(r["kind"]),
        payload=json.loads(r["payload"]),
        thread=r["thread"],
        post_id=r["post_id"],
        attempts=int(r["attempts"]),
    )


async def record(
    db: Database, *, id: str, platform: str, kind: str, payload: dict[str, Any], now: datetime
) -> tuple[Begin, Entry | None]:
    """Record a delivery right after its ack; what to do with it, and the entry if it existed."""
    await _ready(db)
    at = now.isoformat()
    body = json.dumps(payload, sort_keys=True)

    def write(sdb: sqlite_utils.Database) -> tuple[Begin, Entry | None]:
        cur = sdb.execute(
            """INSERT INTO command_journal (id, platform, kind, payload, state, owner,
                   created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO NOTHING""",
            [id, platform, kind, body, PENDING, OWNER, at, at],
        )
        if cur.rowcount == 1:
            return Begin.NEW, None
        r = next(iter(sdb.query("SELECT * FROM command_journal WHERE id = ?", [id])))
        if r["state"] == DONE:
            return Begin.DONE, _entry(r)
        if r["owner"] == OWNER:
            return Begin.BUSY, _entry(r)
        sdb.execute(
            "UPDATE command_journal SET owner = ?, attempts = attempts + 1, updated_at = ? "
            "WHERE id = ?",
            [OWNER, at, id],
        )
        return Begin.TAKEN_OVER, _entry(r)

    return await db.transaction(write)


async def take_over(db: Database, platform: str, now: datetime) -> list[Entry]:
    """Entries of ``platform`` left pending by another (dead) process, now owned by this one."""
    await _ready(db)

    def take(sdb: sqlite_utils.Database) -> list[Entry]:
        rows = list(
            sdb.query(
                "SELECT * FROM command_journal WHERE state = ? AND platform = ? AND owner != ? "
                "ORDER BY created_at",
                [PENDING, platform, OWNER],
            )
        )
        if rows:
            sdb.execute(
                "UPDATE command_journal SET owner = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE state = ? AND platform = ? AND owner != ?",
                [OWNER, now.isoformat(), PENDING, platform, OWNER],
            )
        return [replace(_entry(r), attempts=int(r["attempts"]) + 1) for r in rows]

    return await db.transaction(take)


async def set_thread(db: Database, id: str, thread: str) -> None:
    await _ready(db)
    await db.run(
        lambda sdb: (
            sdb.execute(
                "UPDATE command_journal SET thread = ? WHERE id = ? AND thread IS NULL",
                [thread, id],
            ).rowcount
        )
    )


def note_post(sdb: sqlite_utils.Database, id: str, post_id: str) -> None:
    """The post this delivery created (call in the transaction that records the post).
    A no-op for deliveries that are not journaled, or before the table exists."""
    try:
        sdb.execute(
            "UPDATE command_journal SET post_id = ?, state = ? WHERE id = ?",
            [post_id, DONE, id],
        )
    except Exception as e:  # sqlite3.OperationalError: no such table (journal never used)
        if "no such table" not in str(e):
            raise


async def mark_done(db: Database, id: str, now: datetime) -> None:
    await _ready(db)
    await db.run(
        lambda sdb: (
            sdb.execute(
                "UPDATE command_journal SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                [DONE, now.isoformat(), id, PENDING],
            ).rowcount
        )
    )


async def mark_creating(db: Database, id: str) -> None:
    """The request is about to send its create call (see ``find_created``)."""
    await _ready(db)
    await db.run(
        lambda sdb: (
            sdb.execute(
                "UPDATE command_journal SET creating = 1 WHERE id = ? AND creating = 0", [id]
            ).rowcount
        )
    )


async def _was_creating(db: Database, id: str) -> bool:
    await _ready(db)

    def read(sdb: sqlite_utils.Database) -> bool:
        row = sdb.execute("SELECT creating FROM command_journal WHERE id = ?", [id]).fetchone()
        return row is None or bool(row[0])  # not journaled: cannot tell, so look

    return await db.run(read)


async def pending_count(db: Database) -> int:
    await _ready(db)

    def count(sdb: sqlite_utils.Database) -> int:
        row = sdb.execute(
            "SELECT COUNT(*) FROM command_journal WHERE state = ?", [PENDING]
        ).fetchone()
        return int(row[0])

    return await db.run(count)


# ---------------------------------------------------------------- adopting a lost create


def _without_media(p: Post) -> Post:
    extra = {k: v for k, v in p.extra.items() if k != "mediaIds"}
    return replace(p, media_ids=(), extra=extra)


async def find_created(
    db: Database,
    client: SocialClient,
    post: NewPost,
    delivery_id: str,
    *,
    attempts: int = 5,
    pause: float = 1.0,
) -> Post | None:
    """The post a resumed request already created (it is not tracked yet), or None.

    Only a request whose earlier run got as far as its create call (``mark_creating``) looks.

    Media ids are not compared: a resumed request uploads its media again (new ids). Several
    matches: the oldest listed is adopted (only this request can have created untracked posts
    with its fingerprint). The listing is retried; if it keeps failing the error propagates
    (the request is then reported failed rather than risk a duplicate).
    """
    if not await _was_creating(db, delivery_id):
        return None
    fp = replace(PostFingerprint.of(post, server_sets_time=True), media_ids=())

    def tracked(sdb: sqlite_utils.Database) -> set[str]:
        return {str(r[0]) for r in sdb.execute("SELECT post_id FROM requests")}

    last: ApiError | None = None
    for i in range(attempts):
        try:
            posts = await client.list_posts()
            break
        except ApiError as e:
            last = e
            await asyncio.sleep(pause * (i + 1))
    else:
        assert last is not None
        raise last
    known = await db.run(tracked)
    found = await find_candidates([_without_media(p) for p in posts], fp, known_ids=known)
    if not found:
        return None
    if len(found) > 1:
        log.warning(
            "journal: %d untracked posts match a resumed request; adopting %s",
            len(found),
            found[0].post_id,
        )
    chosen = found[0]
    log.info("journal: adopting post %s created before the restart", chosen.post_id)
    return next((p for p in posts if p.post_id == chosen.post_id), chosen)
