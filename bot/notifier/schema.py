"""The notifier's tables (migration namespace ``notifier``; steps are append-only).

``notifier_outbox``
    One row per announcement, keyed by its announcement key ``"<post_id>:<status>"`` (UNIQUE:
    the same status seen on many polls yields one row). Written in the same transaction as the
    status change that causes it (``requests.status``). ``batch`` is the send batch the row was
    claimed into before the send: a digest covers several rows, and a re-send after a crash
    reuses the same batch, so the same de-duplication key (Discord nonce). ``sent_at`` is set
    in the transaction right after a successful send; ``abandoned_at`` when the send failed
    ``Settings.announce_attempts`` times and was given up.

``notifier_posts``
    Per followed post poll state: when it next needs a look (``next_check_at``), used to defer
    posts with per-platform schedules until their last target's time and to back off on a post
    the API cannot find. Rows are removed when the post reaches a terminal status.

``notifier_external``
    Posts created outside the bot that were already there when a workspace's external
    following started (its baseline): never announced.

``notifier_workspaces``
    Per workspace: ``baseline_at`` of external following.
"""

from __future__ import annotations

import sqlite_utils

from bot.storage import Migration


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE notifier_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,          -- announcement key "<post_id>:<status>"
            workspace TEXT NOT NULL,
            post_id TEXT NOT NULL,
            result TEXT NOT NULL,              -- published / partial / failed / canceled
            platform TEXT NOT NULL,            -- chat platform of the destination
            team TEXT,
            channel TEXT NOT NULL,
            thread TEXT,
            payload TEXT NOT NULL,             -- the Announcement, JSON
            created_at TEXT NOT NULL,
            batch TEXT,                        -- claimed send batch = de-duplication key
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            sent_at TEXT,
            message_id TEXT
        )"""
    )
    sdb.execute(
        "CREATE INDEX notifier_outbox_pending ON notifier_outbox(next_attempt_at) "
        "WHERE sent_at IS NULL"
    )
    sdb.execute(
        """CREATE TABLE notifier_posts (
            post_id TEXT PRIMARY KEY,
            next_check_at TEXT,
            checks INTEGER NOT NULL DEFAULT 0,
            last_checked_at TEXT
        )"""
    )
    sdb.execute(
        """CREATE TABLE notifier_external (
            workspace TEXT NOT NULL,
            post_id TEXT NOT NULL,
            PRIMARY KEY (workspace, post_id)
        )"""
    )
    sdb.execute("CREATE TABLE notifier_workspaces (workspace TEXT PRIMARY KEY, baseline_at TEXT)")


def _v2(sdb: sqlite_utils.Database) -> None:
    # An announcement that keeps failing is given up (``abandoned_at``): no longer pending, no
    # longer counted in the outbox gauges, deleted by retention like a sent one.
    sdb.execute("ALTER TABLE notifier_outbox ADD COLUMN abandoned_at TEXT")
    sdb.execute("DROP INDEX notifier_outbox_pending")
    sdb.execute(
        "CREATE INDEX notifier_outbox_pending ON notifier_outbox(next_attempt_at) "
        "WHERE sent_at IS NULL AND abandoned_at IS NULL"
    )
    # Marking a batch sent / failed finds its rows without scanning the table.
    sdb.execute(
        "CREATE INDEX notifier_outbox_batch ON notifier_outbox(batch) "
        "WHERE sent_at IS NULL AND abandoned_at IS NULL"
    )


NOTIFIER_MIGRATIONS: list[Migration] = [_v1, _v2]
