"""The posts the bot asked for (table ``requests``): origin channel, thread and requester.

The command layer records a row when it creates a post (or an approval draft); the approval
workflow updates it on activation; the notifier follows rows that are not terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from bot.api.models import TERMINAL_STATUSES, Account, Platform, PostStatus


@dataclass(frozen=True)
class TrackedPost:
    post_id: str
    workspace: str
    platform: str  # chat platform
    channel: str
    thread: str | None
    requester: str
    requester_name: str | None
    created_at: datetime
    scheduled_at: datetime | None  # earliest target time (None: now / draft)
    last_due_at: datetime | None  # latest target time
    status: str
    summary: str | None
    team: str | None = None
    external: bool = False
    accounts: Mapping[str, str] = field(default_factory=dict)  # account id → "@handle"

    def account_label(self, account_id: str) -> str:
        return self.accounts.get(account_id, account_id)

    @property
    def captions(self) -> dict[str, str]:
        """Per-platform captions that differ from the default (platform value → text)."""
        return {
            k.removeprefix(CAPTION_KEY): v
            for k, v in self.accounts.items()
            if k.startswith(CAPTION_KEY)
        }


# Per-platform captions ride in the ``accounts`` JSON under "caption:<platform>" keys (account
# ids never contain ":"), so announcements can show them without a schema change.
CAPTION_KEY = "caption:"


def account_labels(
    accounts: Iterable[Account],
    captions: Mapping[Platform, str] | None = None,
    default: str | None = None,
) -> dict[str, str]:
    """How people know each account: ``@handle``, else its display name; plus the
    per-platform ``captions`` that differ from ``default``."""
    out: dict[str, str] = {}
    for a in accounts:
        handle = a.handle.strip()
        if handle and not handle.startswith("@") and a.platform in _AT_HANDLES:
            handle = "@" + handle
        out[a.account_id] = handle or a.display_name or a.account_id
    for p, text in (captions or {}).items():
        if text.strip() and text.strip() != (default or "").strip():
            out[CAPTION_KEY + p.value] = text
    return out


# Platforms whose handles people write with an "@" (Facebook pages and LinkedIn do not).
_AT_HANDLES = frozenset(
    {Platform.X, Platform.INSTAGRAM, Platform.TIKTOK, Platform.THREADS, Platform.YOUTUBE}
)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def record(sdb: sqlite_utils.Database, post: TrackedPost) -> None:
    """Insert or replace the row for ``post.post_id`` (call inside the caller's transaction)."""
    sdb.execute(
        """INSERT INTO requests (post_id, workspace, platform, team, channel, thread, requester,
               requester_name, created_at, scheduled_at, last_due_at, status, summary, external,
               accounts)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT(post_id) DO UPDATE SET
               scheduled_at = excluded.scheduled_at, last_due_at = excluded.last_due_at,
               status = excluded.status, summary = excluded.summary,
               accounts = COALESCE(excluded.accounts, requests.accounts)""",
        [
            post.post_id,
            post.workspace,
            post.platform,
            post.team,
            post.channel,
            post.thread,
            post.requester,
            post.requester_name,
            post.created_at.isoformat(),
            _iso(post.scheduled_at),
            _iso(post.last_due_at),
            post.status,
            post.summary,
            int(post.external),
            json.dumps(dict(post.accounts), ensure_ascii=False) if post.accounts else None,
        ],
    )


def set_status(
    sdb: sqlite_utils.Database,
    post_id: str,
    status: str,
    scheduled_at: datetime | None = None,
    last_due_at: datetime | None = None,
) -> None:
    if scheduled_at is None and last_due_at is None:
        sdb.execute("UPDATE requests SET status = ? WHERE post_id = ?", [status, post_id])
    else:
        sdb.execute(
            "UPDATE requests SET status = ?, scheduled_at = ?, last_due_at = ? WHERE post_id = ?",
            [status, _iso(scheduled_at), _iso(last_due_at), post_id],
        )


def get(sdb: sqlite_utils.Database, post_id: str) -> TrackedPost | None:
    rows = list(sdb.query("SELECT * FROM requests WHERE post_id = ?", [post_id]))
    return _row(rows[0]) if rows else None


def recent(
    sdb: sqlite_utils.Database, platform: str, channel: str, limit: int = 10
) -> list[TrackedPost]:
    rows = sdb.query(
        "SELECT * FROM requests WHERE platform = ? AND channel = ? "
        "ORDER BY created_at DESC LIMIT ?",
        [platform, channel, limit],
    )
    return [_row(r) for r in rows]


def is_terminal(status: str) -> bool:
    try:
        return PostStatus(status) in TERMINAL_STATUSES
    except ValueError:
        return False


def _row(r: dict[str, object]) -> TrackedPost:
    def t(v: object) -> datetime | None:
        return datetime.fromisoformat(v) if isinstance(v, str) and v else None

    created = t(r["created_at"])
    assert created is not None
    return TrackedPost(
        post_id=str(r["post_id"]),
        workspace=str(r["workspace"]),
        platform=str(r["platform"]),
        team=str(r["team"]) if r.get("team") else None,
        channel=str(r["channel"]),
        thread=str(r["thread"]) if r.get("thread") else None,
        requester=str(r["requester"]),
        requester_name=str(r["requester_name"]) if r.get("requester_name") else None,
        created_at=created,
        scheduled_at=t(r.get("scheduled_at")),
        last_due_at=t(r.get("last_due_at")),
        status=str(r["status"]),
        summary=str(r["summary"]) if r.get("summary") else None,
        external=bool(r.get("external")),
        accounts=_accounts(r.get("accounts")),
    )


def _accounts(raw: object) -> dict[str, str]:
    if not isinstance(raw, str):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}
