"""Where a distributed Slack app keeps its installations, in the bot's SQLite database.

    slack_installations   one row per (client, enterprise, team, installing user): the ids in
                          clear (to find the row), everything else — bot token, refresh token,
                          scopes, names, webhook — as one JSON document encrypted with the vault
                          (Fernet, ``bot.vault``). No token is ever written in clear.
    oauth_states          one-time OAuth ``state`` values with their expiry (not secrets: a
                          state only proves that this browser started the install here)
    slack_teams           team → its enterprise (org-wide installs are found by enterprise),
                          learned from each request
    slack_channels        channel → team, learned from requests and the bot's own posts (calls
                          the core makes outside a request — an announcement, a card's update
                          — are made with the token of the team the channel belongs to)

The records are plain dicts (slack_sdk's ``Installation.to_dict()``); the slack_sdk store
interface around them is ``adapters.slack.installations``. Empty ids are stored as ``''``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlite_utils

from bot.clock import Clock
from bot.config import ConfigError
from bot.storage import Database, Migration
from bot.vault import Vault, VaultError

log = logging.getLogger(__name__)

MEMO_LIMIT = 100_000  # teams / channels remembered in memory before starting afresh


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE slack_installations (
            client_id TEXT NOT NULL,
            enterprise_id TEXT NOT NULL,      -- '' when none
            team_id TEXT NOT NULL,            -- '' for an org-wide install
            user_id TEXT NOT NULL,            -- the installing user
            is_enterprise_install INTEGER NOT NULL,
            installed_at REAL NOT NULL,
            data TEXT NOT NULL,               -- Fernet(JSON of the installation)
            PRIMARY KEY (client_id, enterprise_id, team_id, user_id)
        )"""
    )
    sdb.execute("CREATE TABLE oauth_states (state TEXT PRIMARY KEY, expires_at REAL NOT NULL)")
    sdb.execute(
        """CREATE TABLE slack_teams (team TEXT PRIMARY KEY, enterprise TEXT NOT NULL,
            is_enterprise_install INTEGER NOT NULL)"""
    )
    sdb.execute("CREATE TABLE slack_channels (channel TEXT PRIMARY KEY, team TEXT NOT NULL)")


MIGRATIONS: list[Migration] = [_v1]


async def migrate(db: Database) -> None:
    await db.migrate("installations", MIGRATIONS)


def _k(v: str | None) -> str:
    return v or ""


class InstallationRecords:
    """Encrypted installation records and one-time OAuth states (see the module docstring)."""

    def __init__(self, db: Database, vault: Vault, clock: Clock, client_id: str) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.client_id = client_id
        # Called with (enterprise_id, team_id) after every save or delete (cache invalidation).
        self.on_change: list[Callable[[str | None, str | None], None]] = []
        # What ``learn`` already wrote (so a request costs no write once its place is known).
        self._teams: dict[str, tuple[str | None, bool]] = {}
        self._channels: dict[str, str] = {}

    def _changed(self, enterprise_id: str | None, team_id: str | None) -> None:
        for fn in self.on_change:
            fn(enterprise_id or None, team_id or None)

    # ------------------------------------------------------------ installations

    async def save(self, record: dict[str, Any]) -> None:
        enterprise = _k(record.get("enterprise_id"))
        is_org = bool(record.get("is_enterprise_install"))
        team = "" if is_org else _k(record.get("team_id"))
        user = _k(record.get("user_id"))
        blob = self.vault.encrypt(json.dumps(record, default=str))
        now = self.clock.now().timestamp()

        def run(sdb: sqlite_utils.Database) -> None:
            sdb.execute(
                """INSERT INTO slack_installations (client_id, enterprise_id, team_id, user_id,
                       is_enterprise_install, installed_at, data)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (client_id, enterprise_id, team_id, user_id) DO UPDATE SET
                       is_enterprise_install = excluded.is_enterprise_install,
                       installed_at = excluded.installed_at, data = excluded.data""",
                [self.client_id, enterprise, team, user, int(is_org), now, blob],
            )

        await self.db.transaction(run)
        self._changed(enterprise, team)

    async def find(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        *,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> dict[str, Any] | None:
        """The latest installation of the team (or of that user in it); None if none."""
        team = "" if is_enterprise_install else _k(team_id)
        args: list[Any] = [self.client_id, _k(enterprise_id), team]
        where = "client_id = ? AND enterprise_id = ? AND team_id = ?"
        if user_id is not None:
            where += " AND user_id = ?"
            args.append(user_id)

        def run(sdb: sqlite_utils.Database) -> str | None:
            row = sdb.execute(
                f"SELECT data FROM slack_installations WHERE {where} "
                "ORDER BY installed_at DESC LIMIT 1",
                args,
            ).fetchone()
            return str(row[0]) if row else None

        blob = await self.db.run(run)
        if blob is None:
            return None
        doc: dict[str, Any] = json.loads(self.vault.decrypt(blob))
        return doc

    async def delete(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> int:
        """Delete the team's installations (or only that user's); how many rows went."""
        args: list[Any] = [self.client_id, _k(enterprise_id), _k(team_id)]
        where = "client_id = ? AND enterprise_id = ? AND team_id = ?"
        if user_id is not None:
            where += " AND user_id = ?"
            args.append(user_id)

        def run(sdb: sqlite_utils.Database) -> int:
            cur = sdb.execute(f"DELETE FROM slack_installations WHERE {where}", args)
            return int(cur.rowcount or 0)

        n = await self.db.transaction(run)
        self._changed(enterprise_id, team_id)
        return n

    async def count(self) -> int:
        def run(sdb: sqlite_utils.Database) -> int:
            row = sdb.execute(
                "SELECT count(*) FROM slack_installations WHERE client_id = ?", [self.client_id]
            ).fetchone()
            return int(row[0])

        return await self.db.run(run)

    async def check_all(self) -> tuple[int, int]:
        """(rows, rows the vault opens) over every stored installation."""

        def run(sdb: sqlite_utils.Database) -> list[str]:
            return [str(r[0]) for r in sdb.execute("SELECT data FROM slack_installations")]

        blobs = await self.db.run(run)
        opened = 0
        for b in blobs:
            try:
                self.vault.decrypt(b)
                opened += 1
            except VaultError:
                pass
        return len(blobs), opened

    async def reencrypt_all(self) -> int:
        """Re-encrypt every row with the first key (after a key rotation); rows rewritten."""

        def run(sdb: sqlite_utils.Database) -> int:
            rows = list(sdb.execute("SELECT rowid, data FROM slack_installations"))
            for rowid, data in rows:
                sdb.execute(
                    "UPDATE slack_installations SET data = ? WHERE rowid = ?",
                    [self.vault.rotate(str(data)), rowid],
                )
            return len(rows)

        return await self.db.transaction(run)

    # ------------------------------------------------------------ OAuth states

    async def issue_state(self, expiration: timedelta) -> str:
        state = secrets.token_urlsafe(24)
        now = self.clock.now().timestamp()

        def run(sdb: sqlite_utils.Database) -> None:
            sdb.execute("DELETE FROM oauth_states WHERE expires_at < ?", [now])
            sdb.execute(
                "INSERT INTO oauth_states(state, expires_at) VALUES (?, ?)",
                [state, now + expiration.total_seconds()],
            )

        await self.db.transaction(run)
        return state

    async def consume_state(self, state: str) -> bool:
        """True once for a state issued here and not expired; False ever after."""
        now = self.clock.now().timestamp()

        def run(sdb: sqlite_utils.Database) -> bool:
            cur = sdb.execute(
                "DELETE FROM oauth_states WHERE state = ? AND expires_at >= ?", [state, now]
            )
            return bool(cur.rowcount)

        return await self.db.transaction(run)

    # ------------------------------------------------------------ where things belong

    async def learn(
        self,
        *,
        team: str | None,
        enterprise: str | None = None,
        is_enterprise_install: bool = False,
        channels: tuple[str, ...] = (),
    ) -> None:
        if not team:
            return
        place = (enterprise or None, is_enterprise_install)
        new_channels = tuple(c for c in channels if self._channels.get(c) != team)
        if self._teams.get(team) == place and not new_channels:
            return
        channels = new_channels
        if len(self._channels) > MEMO_LIMIT:
            self._channels.clear()
        if len(self._teams) > MEMO_LIMIT:
            self._teams.clear()

        def run(sdb: sqlite_utils.Database) -> None:
            sdb.execute(
                "INSERT INTO slack_teams(team, enterprise, is_enterprise_install) VALUES (?,?,?) "
                "ON CONFLICT(team) DO UPDATE SET enterprise = excluded.enterprise, "
                "is_enterprise_install = excluded.is_enterprise_install",
                [team, _k(enterprise), int(is_enterprise_install)],
            )
            for ch in channels:
                sdb.execute(
                    "INSERT INTO slack_channels(channel, team) VALUES (?, ?) "
                    "ON CONFLICT(channel) DO UPDATE SET team = excluded.team",
                    [ch, team],
                )

        await self.db.transaction(run)
        self._teams[team] = place
        self._channels.update((c, team) for c in channels)

    async def team_of_channel(self, channel: str) -> str | None:
        known = self._channels.get(channel)
        if known is not None:
            return known

        def run(sdb: sqlite_utils.Database) -> str | None:
            row = sdb.execute(
                "SELECT team FROM slack_channels WHERE channel = ?", [channel]
            ).fetchone()
            return str(row[0]) if row else None

        return await self.db.run(run)

    async def enterprise_of_team(self, team: str) -> tuple[str | None, bool]:
        known = self._teams.get(team)
        if known is not None:
            return known

        def run(sdb: sqlite_utils.Database) -> tuple[str | None, bool]:
            row = sdb.execute(
                "SELECT enterprise, is_enterprise_install FROM slack_teams WHERE team = ?", [team]
            ).fetchone()
            return (str(row[0]) or None, bool(row[1])) if row else (None, False)

        return await self.db.run(run)

    async def teams_of_enterprise(self, enterprise: str) -> list[str]:
        """The workspaces requests came from under ``enterprise``'s org-wide install."""

        def run(sdb: sqlite_utils.Database) -> list[str]:
            rows = sdb.execute(
                "SELECT team FROM slack_teams WHERE enterprise = ? AND is_enterprise_install = 1",
                [enterprise],
            )
            return [str(r[0]) for r in rows]

        return await self.db.run(run)

    async def forget_team(self, team: str) -> None:
        self._teams.pop(team, None)
        for c in [c for c, t in self._channels.items() if t == team]:
            del self._channels[c]

        def run(sdb: sqlite_utils.Database) -> None:
            sdb.execute("DELETE FROM slack_channels WHERE team = ?", [team])
            sdb.execute("DELETE FROM slack_teams WHERE team = ?", [team])

        await self.db.transaction(run)


async def close_pending(db: Database, platform: str, team: str, now_iso: str) -> tuple[int, int]:
    """A team is gone (uninstalled, tokens revoked): its unsent announcements are closed
    (marked sent with ``last_error`` 'team uninstalled') and its unfinished requests marked
    done, so nothing retries against a team the bot can no longer reach. Returns
    (announcements, requests) closed."""

    def run(sdb: sqlite_utils.Database) -> tuple[int, int]:
        tables = set(sdb.table_names())
        sent = done = 0
        if "notifier_outbox" in tables:
            cur = sdb.execute(
                "UPDATE notifier_outbox SET sent_at = ?, last_error = 'team uninstalled' "
                "WHERE platform = ? AND team = ? AND sent_at IS NULL",
                [now_iso, platform, team],
            )
            sent = int(cur.rowcount or 0)
        if "command_journal" in tables:
            cur = sdb.execute(
                "UPDATE command_journal SET state = 'done', updated_at = ? WHERE platform = ? "
                "AND state = 'pending' AND json_extract(payload, '$.team') = ?",
                [now_iso, platform, team],
            )
            done = int(cur.rowcount or 0)
        return sent, done

    return await db.transaction(run)


async def open_records(
    db: Database, key_text: str | None, clock: Clock, client_id: str
) -> InstallationRecords:
    """Start-up of distributed mode: the vault from ``SOCIALBOT_ENCRYPTION_KEY`` (``ConfigError``,
    one line, when missing, malformed or not the key the database was written with), the
    tables, and — when old keys are still listed — every row re-encrypted with the first key."""
    vault = Vault.from_text(key_text)
    await migrate(db)
    await vault.check(db)
    records = InstallationRecords(db, vault, clock, client_id)
    rows, opened = await records.check_all()
    if opened < rows:
        raise ConfigError(
            f"SOCIALBOT_ENCRYPTION_KEY: {rows - opened} of {rows} stored Slack installation(s) "
            "do not open with this key — list the key they were stored with (new,old)"
        )
    if vault.key_count > 1 and rows:
        n = await records.reencrypt_all()
        log.info(
            "vault: %d installation(s) re-encrypted with the first key; the old key(s) can "
            "now be removed from SOCIALBOT_ENCRYPTION_KEY",
            n,
        )
    return records
