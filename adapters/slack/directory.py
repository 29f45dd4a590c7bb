"""Cached Slack look-ups: a user's time zone (users.info) and user-group members
(usergroups.users.list). Entries live ``ttl`` seconds on the injected clock; concurrent
look-ups of one key share a single call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import error_code, from_api_error
from bot.clock import Clock

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, clock: Clock, ttl: float, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._data: dict[K, tuple[float, V]] = {}
        self._inflight: dict[K, asyncio.Future[V]] = {}

    def peek(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is None or hit[0] <= self._clock.monotonic():
            return None
        return hit[1]

    def drop(self, which: Callable[[K], bool]) -> None:
        for k in [k for k in self._data if which(k)]:
            del self._data[k]

    def put(self, key: K, value: V) -> None:
        if len(self._data) >= self._max:
            now = self._clock.monotonic()
            for k in [k for k, (t, _) in self._data.items() if t <= now] or list(self._data)[:1]:
                del self._data[k]
        self._data[key] = (self._clock.monotonic() + self._ttl, value)

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        hit = self._data.get(key)
        if hit is not None and hit[0] > self._clock.monotonic():
            return hit[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            value = await load()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        else:
            fut.set_result(value)
            self.put(key, value)
            return value
        finally:
            del self._inflight[key]


class Directory:
    """Who is who in the workspace, as far as the bot needs it. Entries are kept per team
    (``scope()``: the team of the request being handled; '' in single-team mode)."""

    def __init__(
        self, client: AsyncWebClient, clock: Clock, *, tz_ttl: float = 6 * 3600,
        group_ttl: float = 300, scope: Callable[[], str] = lambda: "",
    ) -> None:  # fmt: skip
        self._client = client
        self._scope = scope
        self._tz: TtlCache[tuple[str, str], str | None] = TtlCache(clock, tz_ttl)
        self._groups: TtlCache[tuple[str, str], frozenset[str]] = TtlCache(clock, group_ttl)

    def forget(self, team: str) -> None:
        """Drop what is cached about ``team`` (it uninstalled the app)."""
        self._tz.drop(lambda k: k[0] == team)
        self._groups.drop(lambda k: k[0] == team)

    def cached_tz(self, user_id: str) -> str | None:
        return self._tz.peek((self._scope(), user_id))

    async def user_tz(self, user_id: str) -> str | None:
        """The user's IANA time zone from their Slack profile (None if Slack won't say)."""

        async def load() -> str | None:
            try:
                resp = await self._client.users_info(user=user_id)
            except SlackApiError as e:
                log.warning("users.info failed for %s: %s", user_id, error_code(e))
                return None
            user = resp.get("user")
            tz = user.get("tz") if isinstance(user, dict) else None
            return tz if isinstance(tz, str) and tz else None

        return await self._tz.get((self._scope(), user_id), load)

    async def group_members(self, group_id: str) -> frozenset[str]:
        async def load() -> frozenset[str]:
            try:
                resp = await self._client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as e:
                raise from_api_error(e) from None
            users = resp.get("users")
            return frozenset(u for u in users or () if isinstance(u, str))

        return await self._groups.get((self._scope(), group_id), load)
