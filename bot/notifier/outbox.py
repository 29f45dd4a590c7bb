"""The announcement outbox: enqueue with the status change, claim into batches, mark sent.

Every function takes the ``sqlite_utils.Database`` and runs inside the caller's transaction
(``await db.transaction(lambda sdb: ...)``).

Delivery protocol (exactly once, as far as a chat platform allows):

1. ``enqueue`` — in the transaction that records the status change (``requests.status``); the
   announcement key ``"<post_id>:<status>"`` is UNIQUE, so re-seeing a status adds nothing.
2. ``claim`` — pending rows are grouped into send batches (one row, or a digest of a channel's
   burst) and the batch id is stored *before* sending. The batch id is the message's
   de-duplication key (Discord nonce): a re-send after a crash reuses it.
3. send, then ``mark_sent`` in its own transaction. A failed send is retried with the same
   batch after an exponential back-off (``mark_failed``); after ``max_attempts`` failures the
   batch is given up (``abandoned_at``) and the notifier tells the requesters by DM.

Digests: when ``digest_min`` (3) or more results are ready in one channel at once they go out as
digests of up to 25 entries ("12 posts published: …"), in their common thread if they share
one, else in the channel; requesters of partial/failed results are still mentioned.

What remains: a crash after the chat platform accepted a message and before ``mark_sent``
commits would re-send that batch on restart. A batch claimed in an earlier attempt
(``in_doubt``) is first looked for in its thread/channel by its key (``find_sent`` on the chat
port: Slack message metadata; Discord a marker in the embed footer, since its nonce
de-duplicates for a few minutes only) and marked sent if found, so it is not posted twice.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from bot.chat import Destination
from bot.notifier.render import DIGEST_MAX_ENTRIES

REPORT = "report"  # result of a weekly-report row (bot.reports): drawn when sent, never digested


def dedup_key(keys: Iterable[str]) -> str:
    """A short stable key for a message (Discord nonces are at most 25 characters)."""
    joined = "\n".join(sorted(keys))
    return "n" + hashlib.sha256(joined.encode()).hexdigest()[:24]


def announcement_key(post_id: str, status: str) -> str:
    return f"{post_id}:{status}"


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    post_id: str
    result: str
    payload: str
    thread: str | None


@dataclass(frozen=True)
class Batch:
    batch: str  # de-duplication key of the message
    platform: str
    team: str | None
    channel: str
    rows: tuple[OutboxRow, ...]
    in_doubt: bool = False  # claimed by an earlier attempt: it may have been sent already

    @property
    def channel_key(self) -> str:
        return f"{self.platform}:{self.channel}"

    @property
    def digest(self) -> bool:
        return len(self.rows) > 1

    @property
    def destination(self) -> Destination:
        threads = {r.thread for r in self.rows}
        thread = threads.pop() if len(threads) == 1 else None
        return Destination(self.platform, self.channel, thread, team=self.team)


def enqueue(
    sdb: sqlite_utils.Database,
    *,
    key: str,
    workspace: str,
    post_id: str,
    result: str,
    dest: Destination,
    payload: str,
    now: datetime,
) -> bool:
    """Add an announcement; False if one with this key exists (already announced or queued)."""
    cur = sdb.execute(
        """INSERT INTO notifier_outbox (key, workspace, post_id, result, platform, team,
               channel, thread, payload, created_at, next_attempt_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO NOTHING""",
        [
            key,
            workspace,
            post_id,
            result,
            dest.platform,
            dest.team,
            dest.channel,
            dest.thread,
            payload,
            now.isoformat(),
            now.isoformat(),
        ],
    )
    return cur.rowcount == 1


def _row(r: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        id=int(r["id"]),
        key=str(r["key"]),
        post_id=str(r["post_id"]),
        result=str(r["result"]),
        payload=str(r["payload"]),
        thread=str(r["thread"]) if r["thread"] else None,
    )


def claim(
    sdb: sqlite_utils.Database, now: datetime, *, digest_min: int, platforms: Iterable[str]
) -> list[Batch]:
    """Group ready rows into send batches (stored), oldest first; in-doubt batches come back
    unchanged. A channel with ``digest_min`` or more new rows gets digests of up to
    ``DIGEST_MAX_ENTRIES`` entries instead of one message per result."""
    plats = list(platforms)
    if not plats:
        return []
    marks = ",".join("?" * len(plats))
    # No ORDER BY in SQL: it would make SQLite scan the whole table instead of the pending
    # rows' index; the few ready rows are sorted here.
    rows = sorted(
        sdb.query(
            f"""SELECT * FROM notifier_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL
                AND next_attempt_at <= ? AND platform IN ({marks})""",
            [now.isoformat(), *plats],
        ),
        key=lambda r: int(r["id"]),
    )
    claimed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fresh: dict[tuple[str, str | None, str], list[dict[str, Any]]] = defaultdict(list)
    groups: list[list[dict[str, Any]]] = []
    for r in rows:
        if r["batch"]:
            claimed[str(r["batch"])].append(r)
        elif r["result"] == REPORT:
            groups.append([r])
        else:
            fresh[(str(r["platform"]), r["team"], str(r["channel"]))].append(r)
    groups += list(claimed.values())
    for rs in fresh.values():
        if len(rs) >= digest_min:
            groups += [
                rs[i : i + DIGEST_MAX_ENTRIES] for i in range(0, len(rs), DIGEST_MAX_ENTRIES)
            ]
        else:
            groups += [[r] for r in rs]
    out: list[Batch] = []
    for g in groups:
        batch = str(g[0]["batch"]) if g[0]["batch"] else dedup_key(str(r["key"]) for r in g)
        if not g[0]["batch"]:
            sdb.execute(
                f"UPDATE notifier_outbox SET batch = ? WHERE id IN ({','.join('?' * len(g))})",
                [batch, *(r["id"] for r in g)],
            )
        out.append(
            Batch(
                batch=batch,
                platform=str(g[0]["platform"]),
                team=g[0]["team"],
                channel=str(g[0]["channel"]),
                rows=tuple(_row(r) for r in g),
                in_doubt=bool(g[0]["batch"]),
            )
        )
    out.sort(key=lambda b: min(r.id for r in b.rows))
    return out


def mark_sent(sdb: sqlite_utils.Database, batch: str, message_id: str, now: datetime) -> int:
    cur = sdb.execute(
        "UPDATE notifier_outbox SET sent_at = ?, message_id = ?, last_error = NULL "
        "WHERE batch = ? AND sent_at IS NULL AND abandoned_at IS NULL",
        [now.isoformat(), message_id, batch],
    )
    return int(cur.rowcount)


@dataclass(frozen=True)
class Failed:
    attempts: int
    retry_at: datetime | None  # None: given up (abandoned)


def mark_failed(
    sdb: sqlite_utils.Database,
    batch: str,
    error: str,
    now: datetime,
    *,
    max_attempts: int | None = None,
    backoff_max: float = 600.0,
) -> Failed:
    """A send failed: retry the same batch (same key) later, with exponential back-off
    (5 s, 10 s, 20 s … at most ``backoff_max``), or give it up after ``max_attempts``."""
    row = sdb.execute(
        "SELECT MAX(attempts) FROM notifier_outbox "
        "WHERE batch = ? AND sent_at IS NULL AND abandoned_at IS NULL",
        [batch],
    ).fetchone()
    attempts = int(row[0] or 0) + 1
    if max_attempts is not None and attempts >= max_attempts:
        sdb.execute(
            "UPDATE notifier_outbox SET attempts = ?, last_error = ?, abandoned_at = ? "
            "WHERE batch = ? AND sent_at IS NULL AND abandoned_at IS NULL",
            [attempts, error[:500], now.isoformat(), batch],
        )
        return Failed(attempts, None)
    retry_at = now + timedelta(seconds=min(5 * 2 ** min(attempts - 1, 30), backoff_max))
    sdb.execute(
        "UPDATE notifier_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? "
        "WHERE batch = ? AND sent_at IS NULL AND abandoned_at IS NULL",
        [attempts, retry_at.isoformat(), error[:500], batch],
    )
    return Failed(attempts, retry_at)


def requesters(sdb: sqlite_utils.Database, post_ids: Iterable[str]) -> list[tuple[str, str | None]]:
    """(requester, team) of the posts the bot asked for (external posts have none)."""
    ids = list(post_ids)
    if not ids:
        return []
    rows = sdb.execute(
        f"SELECT DISTINCT requester, team FROM requests WHERE post_id IN ({','.join('?' * len(ids))})"
        " AND requester != '' ORDER BY requester",
        ids,
    ).fetchall()
    return [(str(r[0]), r[1]) for r in rows]


def pending_summary(sdb: sqlite_utils.Database) -> tuple[int, datetime | None]:
    """Unsent announcements: how many, and when the oldest was enqueued."""
    row = sdb.execute(
        "SELECT COUNT(*), MIN(created_at) FROM notifier_outbox "
        "WHERE sent_at IS NULL AND abandoned_at IS NULL"
    ).fetchone()
    return int(row[0]), datetime.fromisoformat(row[1]) if row[1] else None
