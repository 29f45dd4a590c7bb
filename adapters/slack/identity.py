"""Who the bot is on Slack and how it reaches the Web API: the bot's own identity
(``auth.test``, loaded once) and the ``AsyncWebClient`` built from the settings.
Who the people are (time zones, user groups) is ``adapters.slack.directory``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import error_code
from bot.config import ConfigError, Settings

DEFAULT_SLACK_API = "https://slack.com/api/"


def api_base_url(settings: Settings) -> str:
    """``SLACK_API_URL`` (e.g. ``http://127.0.0.1:8080``) → the Web API base ``…/api/``."""
    base = (settings.slack_api_url or "").rstrip("/")
    if not base:
        return DEFAULT_SLACK_API
    return base + "/" if base.endswith("/api") else base + "/api/"


def build_web_client(settings: Settings, token: str | None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_base_url(settings), timeout=30)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


class BotIdentity:
    """Who the bot is (auth.test), loaded once: Bolt uses ``bot_user_id`` / ``bot_id`` to drop
    the bot's own events (its seeded ✅ ❌ included)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> AuthorizeResult:
        if self.result is not None:
            return self.result
        async with self._lock:
            if self.result is None:
                try:
                    resp = await self._client.auth_test()
                except SlackApiError as e:
                    code = error_code(e)
                    raise ConfigError(f"SLACK_BOT_TOKEN: Slack refused it ({code})") from None
                self.result = AuthorizeResult(
                    enterprise_id=resp.get("enterprise_id"),
                    team_id=resp.get("team_id"),
                    team=resp.get("team"),
                    url=resp.get("url"),
                    bot_token=self._client.token,
                    bot_id=resp.get("bot_id"),
                    bot_user_id=resp.get("user_id"),
                )
            return self.result

    def authorize_function(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """For ``AsyncApp(authorize=…)`` (Bolt reads the parameter names)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return await self.load()

        return authorize
