"""The approval workflow's tables (migration namespace ``approvals``) and their queries.

(Over 400 lines: the schema, its row types and the queries on it are one idea; the state
changes themselves live in ``transition``.)

Everything here is synchronous and takes the ``sqlite_utils.Database``: callers run it on the
database thread with ``await core.db.run(...)`` / ``await core.db.transaction(...)``.

Tables
    approval_cards   one row per request sent for approval (key: ``id``; unique ``post_id``;
                     looked up by the card message ``(card_platform, card_channel,
                     card_message_id)``). ``state`` moves by compare-and-set only:

                         pending ──✅ quorum──▶ approving ──PUT ok──▶ approved
                            │  ▲ ▲                  │                    │
                            │  │ └── PUT failed ────┘                    │ (votes kept: the
                            │  └──── edited while still scheduled ───────┤  next ✅ retries)
                            ├──❌──▶ rejecting ──▶ rejected               │
                            ├──expiry──▶ expired                         │
                            └──/social cancel, card not posted──▶ canceled ◀┘ /social cancel

                     Every change of state is ``transition.apply`` (compare-and-set on
                     ``version``, which also increases when votes change);
                     ``post_version`` increases on every edit of the post (votes reset).
    approval_votes   current ✅ per (card, user) for the current ``post_version``
    approval_events  every decision: who, what, when, which post version (for /status)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.storage.db import Migration

NAMESPACE = "approvals"

PENDING = "pending"
APPROVING = "approving"
APPROVED = "approved"
REJECTING = "rejecting"
REJECTED = "rejected"
EXPIRED = "expired"
CANCELED = "canceled"

OPEN_STATES = frozenset({PENDING})
BUSY_STATES = frozenset({APPROVING, REJECTING})
FINAL_STATES = frozenset({APPROVED, REJECTED, EXPIRED, CANCELED})


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE approval_cards (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            post_id TEXT NOT NULL UNIQUE,
            workspace TEXT NOT NULL,
            state TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,       -- compare-and-set token
            post_version INTEGER NOT NULL DEFAULT 1,  -- bumped by every edit (votes reset)
            origin_platform TEXT NOT NULL,
            origin_team TEXT,
            origin_channel TEXT NOT NULL,
            origin_thread TEXT,
            requester_id TEXT NOT NULL,
            requester_name TEXT,
            approvers TEXT NOT NULL,                  -- JSON list (policy snapshot)
            quorum INTEGER NOT NULL,
            allow_self INTEGER NOT NULL,
            card_platform TEXT NOT NULL,
            card_team TEXT,
            card_channel TEXT NOT NULL,
            card_message_id TEXT,                     -- NULL until the card is posted
            intended TEXT NOT NULL,                   -- JSON: scheduled_at, publish_now, platform_schedules
            preview TEXT NOT NULL,                    -- JSON: title, previews, targets, when, summary
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT,
            decided_by TEXT,
            decided_by_name TEXT,
            note TEXT
        )"""
    )
    sdb.execute(
        "CREATE UNIQUE INDEX approval_cards_message "
        "ON approval_cards(card_platform, card_channel, card_message_id)"
    )
    sdb.execute("CREATE INDEX approval_cards_state ON approval_cards(state, expires_at)")
    sdb.execute(
        """CREATE TABLE approval_votes (
            card_id INTEGER NOT NULL REFERENCES approval_cards(id),
            user_id TEXT NOT NULL,
            user_name TEXT,
            post_version INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (card_id, user_id)
        )"""
    )
    sdb.execute(
        """CREATE TABLE approval_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            card_id INTEGER NOT NULL REFERENCES approval_cards(id),
            post_id TEXT NOT NULL,
            at TEXT NOT NULL,
            actor_id TEXT,
            actor_name TEXT,
            action TEXT NOT NULL,   -- submitted approved withdrawn rejected activated ...
            post_version INTEGER NOT NULL,
            detail TEXT
        )"""
    )
    sdb.execute("CREATE INDEX approval_events_post ON approval_events(post_id, id)")


def _v2(sdb: sqlite_utils.Database) -> None:
    """Cards keep a chat platform's own media link (``platform_url``) as the adapter hands it
    over — sealed, opaque to the core. Older rows kept a Discord attachment's signed CDN URL in
    clear (a capability): drop it (the card then names the file without its image; the link
    would have expired within a day anyway)."""
    rows = sdb.execute(
        "SELECT id, preview FROM approval_cards WHERE preview LIKE '%platform_url%'"
    ).fetchall()
    for card_id, raw in rows:
        d = json.loads(raw)
        media = (d.get("content") or {}).get("media") or []
        clear = [m for m in media if "://" in str(m.get("platform_url") or "")]
        for m in clear:  # a sealed value is url-safe base64: never "://"
            m["platform_url"] = None
        if clear:
            sdb.execute(
                "UPDATE approval_cards SET preview = ? WHERE id = ?", [json.dumps(d), card_id]
            )


MIGRATIONS: list[Migration] = [_v1, _v2]


@dataclass(frozen=True)
class Intended:
    """When the post should go out once approved (kept out of the API draft)."""

    scheduled_at: datetime | None
    publish_now: bool
    platform_schedules: dict[str, datetime]

    def to_json(self) -> str:
        return json.dumps(
            {
                "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
                "publish_now": self.publish_now,
                "platform_schedules": {
                    p: t.isoformat() for p, t in self.platform_schedules.items()
                },
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> Intended:
        d = json.loads(raw)
        at = d.get("scheduled_at")
        return cls(
            scheduled_at=datetime.fromisoformat(at) if at else None,
            publish_now=bool(d.get("publish_now")),
            platform_schedules={
                str(p): datetime.fromisoformat(t)
                for p, t in (d.get("platform_schedules") or {}).items()
            },
        )

    @property
    def times(self) -> list[datetime]:
        out = list(self.platform_schedules.values())
        if self.scheduled_at is not None:
            out.append(self.scheduled_at)
        return out


@dataclass(frozen=True)
class Preview:
    title: str
    previews: tuple[tuple[str, str], ...]  # (platform label, text)
    targets: tuple[str, ...]
    when: str
    summary: str
    content: dict[str, Any] | None = None  # render.CardContent: caption, media, per platform

    def to_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "previews": [list(p) for p in self.previews],
                "targets": list(self.targets),
                "when": self.when,
                "summary": self.summary,
                **({"content": self.content} if self.content is not None else {}),
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> Preview:
        d = json.loads(raw)
        return cls(
            title=str(d.get("title", "")),
            previews=tuple((str(a), str(b)) for a, b in d.get("previews", [])),
            targets=tuple(str(t) for t in d.get("targets", [])),
            when=str(d.get("when", "")),
            summary=str(d.get("summary", "")),
            content=d["content"] if isinstance(d.get("content"), dict) else None,
        )


@dataclass(frozen=True)
class CardRow:
    id: int
    post_id: str
    workspace: str
    state: str
    version: int
    post_version: int
    origin_platform: str
    origin_team: str | None
    origin_channel: str
    origin_thread: str | None
    requester_id: str
    requester_name: str | None
    approvers: tuple[str, ...]
    quorum: int
    allow_self: bool
    card_platform: str
    card_team: str | None
    card_channel: str
    card_message_id: str | None
    intended: Intended
    preview: Preview
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    decided_by: str | None
    decided_by_name: str | None
    note: str | None


@dataclass(frozen=True)
class Vote:
    user_id: str
    user_name: str | None
    at: datetime


@dataclass(frozen=True)
class Event:
    at: datetime
    actor_id: str | None
    actor_name: str | None
    action: str
    post_version: int
    detail: str | None


def _opt(v: Any) -> str | None:
    return str(v) if v is not None and v != "" else None


def _row(r: dict[str, Any]) -> CardRow:
    exp = r.get("expires_at")
    return CardRow(
        id=int(r["id"]),
        post_id=str(r["post_id"]),
        workspace=str(r["workspace"]),
        state=str(r["state"]),
        version=int(r["version"]),
        post_version=int(r["post_version"]),
        origin_platform=str(r["origin_platform"]),
        origin_team=_opt(r.get("origin_team")),
        origin_channel=str(r["origin_channel"]),
        origin_thread=_opt(r.get("origin_thread")),
        requester_id=str(r["requester_id"]),
        requester_name=_opt(r.get("requester_name")),
        approvers=tuple(str(a) for a in json.loads(r["approvers"])),
        quorum=int(r["quorum"]),
        allow_self=bool(r["allow_self"]),
        card_platform=str(r["card_platform"]),
        card_team=_opt(r.get("card_team")),
        card_channel=str(r["card_channel"]),
        card_message_id=_opt(r.get("card_message_id")),
        intended=Intended.from_json(str(r["intended"])),
        preview=Preview.from_json(str(r["preview"])),
        created_at=datetime.fromisoformat(str(r["created_at"])),
        updated_at=datetime.fromisoformat(str(r["updated_at"])),
        expires_at=datetime.fromisoformat(str(exp)) if exp else None,
        decided_by=_opt(r.get("decided_by")),
        decided_by_name=_opt(r.get("decided_by_name")),
        note=_opt(r.get("note")),
    )


def insert_card(sdb: sqlite_utils.Database, values: dict[str, Any]) -> int:
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cur = sdb.execute(
        f"INSERT INTO approval_cards ({cols}) VALUES ({marks})", list(values.values())
    )
    rowid = cur.lastrowid
    assert rowid is not None
    return int(rowid)


def get_card(sdb: sqlite_utils.Database, card_id: int) -> CardRow | None:
    rows = list(sdb.query("SELECT * FROM approval_cards WHERE id = ?", [card_id]))
    return _row(rows[0]) if rows else None


def card_by_post(sdb: sqlite_utils.Database, post_id: str) -> CardRow | None:
    rows = list(sdb.query("SELECT * FROM approval_cards WHERE post_id = ?", [post_id]))
    return _row(rows[0]) if rows else None


def card_by_message(
    sdb: sqlite_utils.Database, platform: str, channel: str, message_id: str
) -> CardRow | None:
    rows = list(
        sdb.query(
            "SELECT * FROM approval_cards WHERE card_platform = ? AND card_channel = ? "
            "AND card_message_id = ?",
            [platform, channel, message_id],
        )
    )
    return _row(rows[0]) if rows else None


def card_being_posted(sdb: sqlite_utils.Database, platform: str, channel: str) -> bool:
    """A pending card of that channel whose message id is not stored yet (its send is in
    flight, or was cut short by a crash and waits for start-up recovery)."""
    rows = sdb.execute(
        "SELECT 1 FROM approval_cards WHERE card_platform = ? AND card_channel = ? "
        "AND card_message_id IS NULL AND state = 'pending' LIMIT 1",
        [platform, channel],
    ).fetchall()
    return bool(rows)


def set_message(sdb: sqlite_utils.Database, card_id: int, message_id: str) -> None:
    sdb.execute("UPDATE approval_cards SET card_message_id = ? WHERE id = ?", [message_id, card_id])


def compare_and_set(
    sdb: sqlite_utils.Database,
    card_id: int,
    *,
    from_states: frozenset[str],
    version: int,
    to_state: str,
    now: datetime,
    **extra: Any,
) -> bool:
    """Move the card to ``to_state`` if it is still in ``from_states`` at ``version``."""
    sets = ["state = ?", "version = version + 1", "updated_at = ?"]
    args: list[Any] = [to_state, now.isoformat()]
    for k, v in extra.items():
        sets.append(f"{k} = ?")
        args.append(v)
    marks = ", ".join("?" for _ in from_states)
    cur = sdb.execute(
        f"UPDATE approval_cards SET {', '.join(sets)} "
        f"WHERE id = ? AND version = ? AND state IN ({marks})",
        [*args, card_id, version, *sorted(from_states)],
    )
    return cur.rowcount == 1


def bump(sdb: sqlite_utils.Database, card_id: int, now: datetime, **extra: Any) -> None:
    """Bump the version (votes changed) and set ``extra`` columns."""
    sets = ["version = version + 1", "updated_at = ?"]
    args: list[Any] = [now.isoformat()]
    for k, v in extra.items():
        sets.append(f"{k} = ?")
        args.append(v)
    sdb.execute(f"UPDATE approval_cards SET {', '.join(sets)} WHERE id = ?", [*args, card_id])


def add_vote(
    sdb: sqlite_utils.Database,
    card_id: int,
    user_id: str,
    user_name: str | None,
    post_version: int,
    now: datetime,
) -> bool:
    """True when this is a new vote (a second ✅ from the same person counts once)."""
    cur = sdb.execute(
        "INSERT OR IGNORE INTO approval_votes (card_id, user_id, user_name, post_version, at) "
        "VALUES (?,?,?,?,?)",
        [card_id, user_id, user_name, post_version, now.isoformat()],
    )
    return cur.rowcount == 1


def remove_vote(sdb: sqlite_utils.Database, card_id: int, user_id: str) -> bool:
    cur = sdb.execute(
        "DELETE FROM approval_votes WHERE card_id = ? AND user_id = ?", [card_id, user_id]
    )
    return cur.rowcount == 1


def clear_votes(sdb: sqlite_utils.Database, card_id: int) -> int:
    cur = sdb.execute("DELETE FROM approval_votes WHERE card_id = ?", [card_id])
    return int(cur.rowcount)


def votes(sdb: sqlite_utils.Database, card_id: int) -> list[Vote]:
    return [
        Vote(str(r["user_id"]), _opt(r.get("user_name")), datetime.fromisoformat(str(r["at"])))
        for r in sdb.query(
            "SELECT * FROM approval_votes WHERE card_id = ? ORDER BY at, rowid", [card_id]
        )
    ]


def add_event(
    sdb: sqlite_utils.Database,
    card: CardRow,
    action: str,
    now: datetime,
    *,
    actor_id: str | None = None,
    actor_name: str | None = None,
    detail: str | None = None,
    post_version: int | None = None,
) -> None:
    sdb.execute(
        "INSERT INTO approval_events (card_id, post_id, at, actor_id, actor_name, action, "
        "post_version, detail) VALUES (?,?,?,?,?,?,?,?)",
        [
            card.id,
            card.post_id,
            now.isoformat(),
            actor_id,
            actor_name,
            action,
            card.post_version if post_version is None else post_version,
            detail,
        ],
    )


def events(sdb: sqlite_utils.Database, post_id: str) -> list[Event]:
    return [
        Event(
            at=datetime.fromisoformat(str(r["at"])),
            actor_id=_opt(r.get("actor_id")),
            actor_name=_opt(r.get("actor_name")),
            action=str(r["action"]),
            post_version=int(r["post_version"]),
            detail=_opt(r.get("detail")),
        )
        for r in sdb.query("SELECT * FROM approval_events WHERE post_id = ? ORDER BY id", [post_id])
    ]


def due_for_expiry(sdb: sqlite_utils.Database, now: datetime) -> list[CardRow]:
    return [
        _row(r)
        for r in sdb.query(
            "SELECT * FROM approval_cards WHERE state = ? AND expires_at IS NOT NULL "
            "AND expires_at <= ? ORDER BY expires_at",
            [PENDING, now.isoformat()],
        )
    ]


def busy_since(sdb: sqlite_utils.Database, before: datetime) -> list[CardRow]:
    marks = ", ".join("?" for _ in BUSY_STATES)
    return [
        _row(r)
        for r in sdb.query(
            f"SELECT * FROM approval_cards WHERE state IN ({marks}) AND updated_at <= ?",
            [*sorted(BUSY_STATES), before.isoformat()],
        )
    ]


def pending_count(sdb: sqlite_utils.Database) -> int:
    row = sdb.execute(
        f"SELECT COUNT(*) FROM approval_cards WHERE state IN ('{PENDING}', '{APPROVING}', "
        f"'{REJECTING}')"
    ).fetchone()
    return int(row[0]) if row else 0


def open_cards(sdb: sqlite_utils.Database, workspace: str) -> list[CardRow]:
    """Requests of ``workspace`` still waiting for approval (the calendar shows them)."""
    return [
        _row(r)
        for r in sdb.query(
            "SELECT * FROM approval_cards WHERE workspace = ? AND state = ? ORDER BY id",
            [workspace, PENDING],
        )
    ]
