"""slack_sdk's installation and OAuth state store interfaces over the bot's database.

Bolt's OAuth flow (``AsyncOAuthFlow``) and its authorize (``AsyncInstallationStoreAuthorize``)
talk to these; the rows, their encryption (Fernet, ``bot.vault``) and the one-time states live
in ``bot.installations``. An ``Installation`` is kept whole (bot token, refresh token and its
expiry, scopes, ids) as one encrypted JSON document per (enterprise, team, installing user).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.installations import InstallationRecords

log = logging.getLogger(__name__)


def _plain(key: str, value: Any) -> Any:
    if not isinstance(value, datetime):
        return value
    # slack_sdk reads *_expires_at back as int epoch seconds only (installed_at: any number).
    return int(value.timestamp()) if key.endswith("_expires_at") else value.timestamp()


def to_record(installation: Installation) -> dict[str, Any]:
    return {k: _plain(k, v) for k, v in installation.to_dict_for_copying().items()}


def from_record(record: dict[str, Any]) -> Installation:
    return Installation(**record)


class DbInstallationStore(AsyncInstallationStore):
    def __init__(self, records: InstallationRecords) -> None:
        self.records = records
        self._logger = log

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        await self.records.save(to_record(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        """A rotated bot token: written into the team's latest installation."""
        record = await self.records.find(
            bot.enterprise_id, bot.team_id, is_enterprise_install=bot.is_enterprise_install
        )
        if record is None:
            return
        inst = from_record(record)
        inst.bot_token = bot.bot_token
        inst.bot_refresh_token = bot.bot_refresh_token
        inst.bot_token_expires_at = bot.bot_token_expires_at
        inst.bot_scopes = bot.bot_scopes
        await self.async_save(inst)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        record = await self.records.find(
            enterprise_id, team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
        )
        return from_record(record) if record is not None else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        inst = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if inst is None or not inst.bot_token:
            return None
        return inst.to_bot()

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.records.delete(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self.records.delete(enterprise_id, team_id, user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.records.delete(enterprise_id, team_id)


class DbStateStore(AsyncOAuthStateStore):
    """One-time ``state`` values for the OAuth flow, in the database (``oauth_states``)."""

    def __init__(self, records: InstallationRecords, expiration_seconds: int = 600) -> None:
        self.records = records
        self.expiration = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await self.records.issue_state(self.expiration)

    async def async_consume(self, state: str) -> bool:
        return await self.records.consume_state(state)
