"""Sync the app-command tree only when it changed.

The hash of the tree's JSON (what ``tree.sync`` would PUT) is kept in the core ``meta`` table,
one row per application and scope (``global`` or ``guild:<id>``). With DISCORD_GUILD_IDS the
tree is copied to each guild and synced there (instant updates); otherwise it is synced
globally (Discord propagates global commands itself). Discord allows 200 command creates a day
per guild: an unchanged tree at boot makes zero calls.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import discord
import sqlite_utils
from discord import app_commands

from bot.storage import Database

log = logging.getLogger(__name__)


def tree_payload(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    cmds = [c.to_dict(tree) for c in tree.get_commands()]
    return sorted(cmds, key=lambda c: (c.get("type", 1), c["name"]))


def tree_hash(tree: app_commands.CommandTree[Any]) -> str:
    raw = json.dumps(tree_payload(tree), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _key(app_id: int, scope: str) -> str:
    return f"discord.commands.{app_id}.{scope}"


async def _get(db: Database, key: str) -> str | None:
    def q(sdb: sqlite_utils.Database) -> str | None:
        row = sdb.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    return await db.run(q)


async def _put(db: Database, key: str, value: str) -> None:
    def q(sdb: sqlite_utils.Database) -> None:
        sdb.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    await db.transaction(q)


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    db: Database,
    app_id: int,
    guild_ids: Sequence[int] = (),
) -> list[str]:
    """Sync each scope whose stored hash differs; returns the scopes synced."""
    digest = tree_hash(tree)
    scopes: list[tuple[str, discord.Object | None]] = (
        [(f"guild:{g}", discord.Object(id=g)) for g in guild_ids]
        if guild_ids
        else [("global", None)]
    )
    synced: list[str] = []
    for scope, guild in scopes:
        key = _key(app_id, scope)
        if await _get(db, key) == digest:
            continue
        try:
            if guild is not None:
                tree.copy_global_to(guild=guild)
                await tree.sync(guild=guild)
            else:
                await tree.sync()
        except discord.Forbidden as e:
            # 50001: the bot was invited without the applications.commands scope.
            log.error(
                "discord: cannot register commands (%s): invite the bot with the "
                "'applications.commands' scope (HTTP %s, code %s)",
                scope,
                e.status,
                e.code,
            )
            continue
        except discord.HTTPException as e:
            log.error(
                "discord: command sync failed for %s (HTTP %s, code %s)", scope, e.status, e.code
            )
            continue
        await _put(db, key, digest)
        synced.append(scope)
        log.info("discord: commands synced (%s)", scope)
    return synced
