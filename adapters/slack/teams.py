"""Many Slack teams, one bot: whose token each Web API call uses.

In distributed mode (``adapters.slack.oauth``) every team has its own installation. Two things
need its token:

* **Bolt**, to authorize each incoming request (``TeamTokens.authorize``, given to
  ``AsyncApp(authorize=…)``): Bolt's own ``AsyncInstallationStoreAuthorize`` (installation
  store look-up, token rotation with refresh tokens, ``auth.test``) behind a bounded cache;
* **the bot's own calls** (replies, cards, announcements, the directory, file downloads), made
  through one ``TeamRoutedClient``: each call goes out with the token of the team it is for.

Which team a call is for, in order: the team of the request being handled (``team_scope``, a
context variable ``TeamTokens.__call__`` sets when it authorizes the request, and the tasks it
starts inherit; the port sets it from
``Destination.team`` when the core sends on its own); else the team the call's ``channel``
belongs to (``slack_channels``, learned from requests and from the bot's own posts). A call for
no known team, or for a team with no installation, fails (``not_installed``) — it is never
made with another team's token.

Enterprise Grid: an org-wide install is one installation (one token) for every workspace of the
enterprise. A request from one of its workspaces carries the enterprise and
``is_enterprise_install``; its team is the workspace when the payload names one (commands) and
None when it names only the enterprise (events' ``authorizations``; ``team: null`` actions and
views, where Bolt falls back to the enterprise id). What requests teach —
workspace → (enterprise, org-wide) — lets a call for a workspace alone (the core's
``Destination.team``, a channel's team) find the org's token; calls Slack documents as needing
``team_id`` with an org token (``ORG_TEAM_ID_METHODS``) get the workspace's.

The cache holds up to ``max_entries`` teams (least recently used dropped first) for ``ttl``
seconds, or until shortly before a rotating token expires; a save or delete of a team's
installation (install, uninstall, token rotation) drops its entry at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import (
    AsyncAuthorize,
    AsyncInstallationStoreAuthorize,
)
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.clock import Clock
from bot.installations import InstallationRecords

log = logging.getLogger(__name__)

# Methods that need ``team_id`` when called with an org-wide token (Slack: "Using APIs with
# organization-wide apps"); of these the bot calls usergroups.users.list (the connect group).
ORG_TEAM_ID_METHODS = frozenset(
    {"usergroups.users.list", "usergroups.list", "users.list", "conversations.list"}
)


@dataclass(frozen=True)
class TeamKey:
    team: str | None
    enterprise: str | None = None
    is_enterprise_install: bool = False

    @property
    def cache_key(self) -> tuple[str, str]:
        # An org-wide install is one installation for every team of the enterprise.
        return (self.enterprise or "", "" if self.is_enterprise_install else self.team or "")


_current: ContextVar[TeamKey | None] = ContextVar("slack_team", default=None)


def current_team() -> TeamKey | None:
    return _current.get()


@contextlib.contextmanager
def team_scope(key: TeamKey | None) -> Iterator[None]:
    """Calls made inside (and tasks started inside) are for ``key``'s team."""
    token = _current.set(key)
    try:
        yield
    finally:
        _current.reset(token)


def enter_team(key: TeamKey) -> None:
    """Set the scope for the rest of the current task (a request's own task: see
    ``TeamTokens.__call__``)."""
    _current.set(key)


def quiet_logger() -> logging.Logger:
    """For the Web API clients of distributed mode: slack_sdk logs whole responses at DEBUG,
    and ``oauth.v2.access`` answers with a token — never let those records exist."""
    quiet = logging.getLogger("adapters.slack.webapi")
    quiet.setLevel(logging.INFO)
    return quiet


def not_installed(method: str, detail: str) -> SlackApiError:
    resp = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url=method,
        req_args={},
        data={"ok": False, "error": "not_installed"},
        headers={},
        status_code=200,
    )
    return SlackApiError(f"not installed: {detail}", resp)  # type: ignore[no-untyped-call]


@dataclass
class _Entry:
    result: AuthorizeResult
    expires: float


class TeamTokens(AsyncAuthorize):
    """Bolt's installation-store authorize with a bounded, invalidated cache in front."""

    def __init__(
        self,
        inner: AsyncInstallationStoreAuthorize,
        records: InstallationRecords,
        auth_client: AsyncWebClient,
        clock: Clock,
        *,
        max_entries: int = 1000,
        ttl: float = 600.0,
    ) -> None:
        self.inner = inner
        self.records = records
        self.auth_client = auth_client
        self.clock = clock
        self.max_entries = max_entries
        self.ttl = ttl
        self._cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        # One look-up (and so at most one token refresh) per team at a time.
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.hits = 0
        self.misses = 0
        records.on_change.append(self.invalidate)

    # Bolt sets this from AsyncOAuthSettings.token_rotation_expiration_minutes.
    @property
    def token_rotation_expiration_minutes(self) -> int:
        return int(self.inner.token_rotation_expiration_minutes)

    @token_rotation_expiration_minutes.setter
    def token_rotation_expiration_minutes(self, value: int) -> None:
        self.inner.token_rotation_expiration_minutes = value

    def invalidate(self, enterprise_id: str | None, team_id: str | None) -> None:
        for k in [k for k in self._cache if k[0] == (enterprise_id or "")]:
            if not team_id or k[1] in ("", team_id):
                del self._cache[k]

    def __len__(self) -> int:
        return len(self._cache)

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        org = bool(context.is_enterprise_install)
        # In org-wide payloads without a workspace (``team: null``) Bolt's team id is the
        # enterprise's (user.team_id, view.app_installed_team_id): not a workspace.
        team = None if org and team_id == enterprise_id else team_id
        key = TeamKey(team, enterprise_id, org)
        result = await self._resolve(key, context, user_id)
        if result is not None:
            # The request's team scope, set here rather than in a middleware of its own (one
            # less step on every request's path: bench slack_ack --teams). Bolt authorizes in
            # the request's own task and runs the listeners after, in the same task, so the
            # scope holds for the rest of the request; tasks it starts copy it. Every
            # request sets it afresh.
            channel = context.channel_id
            await self.records.learn(
                team=key.team,
                enterprise=key.enterprise,
                is_enterprise_install=key.is_enterprise_install,
                channels=(channel,) if channel else (),
            )
            enter_team(key)
        return result

    async def _resolve(
        self, key: TeamKey, context: AsyncBoltContext, user_id: str | None
    ) -> AuthorizeResult | None:
        ck = key.cache_key
        hit = self._fresh(ck)
        if hit is not None:
            self.hits += 1
            return hit
        if len(self._locks) > 2 * self.max_entries:  # bounded like the cache
            for k in [k for k, lk in self._locks.items() if not lk.locked()]:
                del self._locks[k]
        lock = self._locks.setdefault(ck, asyncio.Lock())
        async with lock:
            hit = self._fresh(ck)  # another look-up of this team finished meanwhile
            if hit is not None:
                self.hits += 1
                return hit
            return await self._load(key, ck, context, user_id)

    def _fresh(self, ck: tuple[str, str]) -> AuthorizeResult | None:
        hit = self._cache.get(ck)
        if hit is None or hit.expires <= self.clock.monotonic():
            return None
        self._cache.move_to_end(ck)
        return hit.result

    async def _load(
        self, key: TeamKey, ck: tuple[str, str], context: AsyncBoltContext, user_id: str | None
    ) -> AuthorizeResult | None:
        self.misses += 1
        now = self.clock.monotonic()
        result = await self.inner(
            context=context,
            enterprise_id=key.enterprise,
            team_id=key.team,
            user_id=user_id,
        )
        if result is None:
            self._cache.pop(ck, None)
            return None
        self._cache[ck] = _Entry(result, now + await self._lifetime(key))
        self._cache.move_to_end(ck)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return result

    async def _lifetime(self, key: TeamKey) -> float:
        """``ttl``, or less when the token rotates: the entry must be gone before Bolt would
        refresh the token (``token_rotation_expiration_minutes`` before it expires)."""
        record = await self.records.find(
            key.enterprise, key.team, is_enterprise_install=key.is_enterprise_install
        )
        expires_at = record.get("bot_token_expires_at") if record else None
        if not isinstance(expires_at, int | float):
            return self.ttl
        margin = self.token_rotation_expiration_minutes * 60
        left = float(expires_at) - self.clock.now().timestamp() - margin
        return max(0.0, min(self.ttl, left))

    async def placed(self, key: TeamKey) -> TeamKey:
        """``key`` with its enterprise (and whether that has an org-wide install) filled in
        from what requests taught, when it names a team alone."""
        if key.team and key.enterprise is None and not key.is_enterprise_install:
            enterprise, org = await self.records.enterprise_of_team(key.team)
            return TeamKey(key.team, enterprise, org)
        return key

    async def token_for(self, key: TeamKey, *, placed: bool = False) -> str | None:
        """The bot token of ``key``'s team for the bot's own calls (None: not installed);
        ``placed``: ``key`` comes from ``placed`` already."""
        key = key if placed else await self.placed(key)
        hit = self._fresh(key.cache_key)  # every Web API call asks: no context built for a hit
        if hit is not None:
            self.hits += 1
            return hit.bot_token
        context = AsyncBoltContext()
        context["client"] = self.auth_client
        context["is_enterprise_install"] = key.is_enterprise_install
        result = await self._resolve(key, context, None)
        return result.bot_token if result is not None else None


class TeamRoutedClient(AsyncWebClient):
    """An ``AsyncWebClient`` whose every call carries the token of the team it is for (see
    the module docstring); it holds no token of its own."""

    def __init__(self, tokens: TeamTokens, records: InstallationRecords, **kw: Any) -> None:
        super().__init__(token=None, **kw)
        self.tokens = tokens
        self.records = records

    async def team_for(self, channel: str | None) -> TeamKey | None:
        key = current_team()
        if key is not None:
            return key
        if channel:
            team = await self.records.team_of_channel(channel)
            if team:
                return TeamKey(team)
        return None

    async def current_token(self, channel: str | None = None) -> str:
        return (await self.route(channel))[1]

    async def route(self, channel: str | None = None) -> tuple[TeamKey, str]:
        """The team a call is for (its enterprise filled in) and its token."""
        key = await self.team_for(channel)
        if key is None:
            raise not_installed("-", "no team known for this call")
        key = await self.tokens.placed(key)
        token = await self.tokens.token_for(key, placed=True)
        if token is None:
            raise not_installed("-", f"team {key.team or key.enterprise} has no installation")
        return key, token

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        key: TeamKey | None = None
        if not any(isinstance(d, dict) and "token" in d for d in (params, json)):
            channel = next(
                (
                    str(d["channel"])
                    for d in (json, params, data)
                    if isinstance(d, dict) and d.get("channel")
                ),
                None,
            )
            try:
                key, token = await self.route(channel)
            except SlackApiError as e:
                log.warning("slack %s not made: %s", api_method, e.args[0] if e.args else e)
                raise
            params = {**(params or {}), "token": token}
            if (
                key.is_enterprise_install
                and key.team
                and api_method in ORG_TEAM_ID_METHODS
                and not any(isinstance(d, dict) and d.get("team_id") for d in (params, json, data))
            ):
                params["team_id"] = key.team  # the org's token acts in this workspace
        resp = await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )
        if api_method == "chat.postMessage" and resp.get("channel"):
            if key is not None and key.team:  # placed: its enterprise is never forgotten
                await self.records.learn(
                    team=key.team,
                    enterprise=key.enterprise,
                    is_enterprise_install=key.is_enterprise_install,
                    channels=(str(resp["channel"]),),
                )
        return resp


def scope_for(team: str | None) -> contextlib.AbstractContextManager[None]:
    """The scope of a call the core asked for about ``team`` (its ``Destination.team``); the
    request's own scope when that is the same team or no team is named."""
    key = current_team()
    if not team or (key is not None and key.team == team):
        return contextlib.nullcontext()
    return team_scope(TeamKey(team))
