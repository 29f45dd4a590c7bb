"""Storage: sqlite-utils over SQLite, owned by one thread, used from asyncio."""

from bot.storage.db import Database, Migration

__all__ = ["Database", "Migration"]
