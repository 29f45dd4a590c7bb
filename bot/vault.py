"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) keyed by
``SOCIALBOT_ENCRYPTION_KEY``.

The variable holds one or more Fernet keys separated by commas (make one with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).
The first key encrypts; every key decrypts
(``MultiFernet``). Key rotation:

1. put the new key first and keep the old one after it: ``SOCIALBOT_ENCRYPTION_KEY=new,old``;
2. restart: at start-up every stored secret is re-encrypted with the new key
   (``Vault.rotate``) — the log says how many;
3. once that line has been seen, drop the old key: ``SOCIALBOT_ENCRYPTION_KEY=new``.

A canary (a known text encrypted with the key in force) is kept in the database's ``meta``
table, so a wrong key is noticed at start-up even before anything else is stored:
``check(db)`` raises ``ConfigError`` with one line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import sqlite_utils
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import ConfigError
from bot.storage import Database

log = logging.getLogger(__name__)

ENV = "SOCIALBOT_ENCRYPTION_KEY"
CANARY_KEY = "vault_canary"
CANARY_TEXT = "socialbot vault canary"


class VaultError(Exception):
    """A stored secret could not be decrypted with any of the keys in force."""


class Vault:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError(f"{ENV} is not set")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self.key_count = len(keys)

    @classmethod
    def from_text(cls, text: str | None) -> Vault:
        """``key[,old_key…]`` → a vault; ``ConfigError`` (one line, no value) if malformed."""
        parts = [p.strip() for p in (text or "").split(",") if p.strip()]
        if not parts:
            raise ConfigError(
                f"{ENV} is not set — the Slack installations are stored encrypted; make a key "
                'with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            )
        for i, p in enumerate(parts, start=1):
            try:
                Fernet(p.encode())
            except (ValueError, TypeError):
                raise ConfigError(
                    f"{ENV}: key {i} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return cls([p.encode() for p in parts])

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Vault:
        return cls.from_text(env.get(ENV))

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as e:
            raise VaultError("a stored secret does not open with the keys in force") from e

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted with the first key (it must open with one of the keys)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as e:
            raise VaultError("a stored secret does not open with the keys in force") from e

    # ------------------------------------------------------------ start-up

    async def check(self, db: Database) -> None:
        """Open (or lay) the canary; ``ConfigError`` if the keys in force cannot open it."""

        def run(sdb: sqlite_utils.Database) -> str | None:
            row = sdb.execute("SELECT value FROM meta WHERE key = ?", [CANARY_KEY]).fetchone()
            if row is None:
                sdb.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [CANARY_KEY, self.encrypt(CANARY_TEXT)],
                )
                return None
            return str(row[0])

        stored = await db.transaction(run)
        if stored is None:
            return
        try:
            ok = self.decrypt(stored) == CANARY_TEXT
        except VaultError:
            ok = False
        if not ok:
            raise ConfigError(
                f"{ENV}: this key does not open the secrets stored in the database — use the "
                "key they were stored with (to change keys, list the new one first: new,old)"
            )
        if self.key_count > 1:
            rotated = self.rotate(stored)

            def put(sdb: sqlite_utils.Database) -> None:
                sdb.execute("UPDATE meta SET value = ? WHERE key = ?", [rotated, CANARY_KEY])

            await db.transaction(put)
