"""Social API keys connected from chat (``/social connect``): one per Slack team or Discord
guild, encrypted at rest with the vault (Fernet, ``bot.vault``), binding that team/guild to a
workspace of its own, named ``chat:<platform>:<team>``.

    chat_connections   (platform, team) → the key (Fernet), its last 4 characters (what people
                       are ever shown again), who connected it and when

A TOML binding naming the team/guild (or one of its channels) wins over a chat-made one
(``Connections.workspace_for`` is asked only where no TOML binding matches; ``socialbot check``
says which teams have both). The key is never logged, never echoed: only ``…last4``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlite_utils

from bot.api.client import SocialClient
from bot.clock import Clock
from bot.secret import Secret
from bot.storage import Database, Migration
from bot.vault import Vault

log = logging.getLogger(__name__)


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE chat_connections (
            platform TEXT NOT NULL,
            team TEXT NOT NULL,
            key TEXT NOT NULL,              -- Fernet(the Social API key)
            last4 TEXT NOT NULL,
            connected_by TEXT NOT NULL,
            connected_at TEXT NOT NULL,
            PRIMARY KEY (platform, team)
        )"""
    )


MIGRATIONS: list[Migration] = [_v1]


def workspace_name(platform: str, team: str) -> str:
    return f"chat:{platform}:{team}"


@dataclass(frozen=True)
class Connection:
    platform: str
    team: str
    last4: str
    connected_by: str
    connected_at: str

    @property
    def workspace(self) -> str:
        return workspace_name(self.platform, self.team)


class Connections:
    """The chat-made bindings, kept in memory (read at start-up) and in the database."""

    def __init__(self, db: Database, vault: Vault, clock: Clock, api_url: str) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.api_url = api_url
        self._by_team: dict[tuple[str, str], Connection] = {}
        self.clients: dict[str, SocialClient] = {}  # workspace name → client on its key

    @classmethod
    async def open(cls, db: Database, vault: Vault, clock: Clock, api_url: str) -> Connections:
        await db.migrate("chat_connections", MIGRATIONS)
        conns = cls(db, vault, clock, api_url)

        def rows(sdb: sqlite_utils.Database) -> list[dict[str, str]]:
            return [dict(r) for r in sdb.query("SELECT * FROM chat_connections")]

        for r in await db.run(rows):
            conns._remember(r, Secret(vault.decrypt(r["key"])))
        return conns

    def _remember(self, r: dict[str, str], key: Secret) -> Connection:
        c = Connection(r["platform"], r["team"], r["last4"], r["connected_by"], r["connected_at"])
        self._by_team[(c.platform, c.team)] = c
        old = self.clients.pop(c.workspace, None)
        if old is not None:
            log.info("chat connection %s: replaced (key …%s)", c.workspace, c.last4)
        self.clients[c.workspace] = SocialClient(self.api_url, key, clock=self.clock)
        return c

    def get(self, platform: str, team: str | None) -> Connection | None:
        return self._by_team.get((platform, team)) if team else None

    def workspace_for(self, platform: str, team: str | None) -> str | None:
        c = self.get(platform, team)
        return c.workspace if c is not None else None

    def __len__(self) -> int:
        return len(self._by_team)

    def all(self) -> list[Connection]:
        return list(self._by_team.values())

    async def connect(self, platform: str, team: str, key: Secret, user: str) -> Connection:
        """Store ``key`` (encrypted) for the team, replacing any earlier one."""
        text = key.reveal()
        row = {
            "platform": platform,
            "team": team,
            "key": self.vault.encrypt(text),
            "last4": text[-4:],
            "connected_by": user,
            "connected_at": self.clock.now().isoformat(),
        }

        def run(sdb: sqlite_utils.Database) -> None:
            sdb.execute(
                "INSERT INTO chat_connections(platform, team, key, last4, connected_by, "
                "connected_at) VALUES (:platform, :team, :key, :last4, :connected_by, "
                ":connected_at) ON CONFLICT(platform, team) DO UPDATE SET key = excluded.key, "
                "last4 = excluded.last4, connected_by = excluded.connected_by, "
                "connected_at = excluded.connected_at",
                row,
            )

        await self.db.transaction(run)
        c = self._remember(row, key)
        log.info("chat connection %s: connected by %s (key …%s)", c.workspace, user, c.last4)
        return c

    async def disconnect(self, platform: str, team: str) -> Connection | None:
        c = self._by_team.pop((platform, team), None)

        def run(sdb: sqlite_utils.Database) -> None:
            sdb.execute(
                "DELETE FROM chat_connections WHERE platform = ? AND team = ?", [platform, team]
            )

        await self.db.transaction(run)
        if c is not None:
            client = self.clients.pop(c.workspace, None)
            if client is not None:
                await client.aclose()
            log.info("chat connection %s: disconnected (key …%s)", c.workspace, c.last4)
        return c

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        self.clients.clear()
