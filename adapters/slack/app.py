"""The Slack adapter: a slack-bolt ``AsyncApp`` that translates Slack payloads into command-layer
calls and renders what comes back. No decisions are made here. Its parts:

    listeners.py   the Bolt listeners: ack, record, start (what each request becomes)
    delivery.py    running an accepted request and showing its replies; replay after a crash
    compose.py     the compose form's flow (views in modal.py)
    identity.py    the bot's identity (auth.test) and Web API client; directory.py: people
    port.py        the core's ChatPort (cards, announcements; find_sent by metadata key)

Crash safety is ``bot.deliveries`` (the same for every adapter): every command, form
submission, reaction and button press is recorded in the journal when acknowledged; dispatch
marks it done. ``resume()`` (called by the runner at start-up, before serving) re-runs what a
dead process left pending, reusing the request's recorded "⏳ working" message as its thread.

Slack API failures become a sentence for the person (``errors.explain``) and a log line; an
unexpected exception becomes an apology with a reference id. Nothing crashes the app.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import aiohttp
import httpx
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import listeners, oauth
from adapters.slack.compose import ComposeFlow, quick_check
from adapters.slack.connect import ConnectFlow
from adapters.slack.delivery import SlackDelivery
from adapters.slack.directory import Directory
from adapters.slack.files import DEFAULT_MAX_BYTES, FileFetcher
from adapters.slack.identity import BotIdentity, api_base_url, build_web_client
from adapters.slack.installations import DbInstallationStore
from adapters.slack.port import SlackPort
from adapters.slack.teams import TeamRoutedClient, TeamTokens, current_team, quiet_logger
from adapters.slack.translate import PLATFORM
from bot.config import ConfigError, Settings
from bot.core import Core
from bot.deliveries import DEFAULT_CONCURRENCY, Deliveries
from bot.installations import InstallationRecords
from commands.dispatcher import CommandLayer, Dispatcher

log = logging.getLogger(__name__)


class _OneWay(logging.Filter):
    """Bolt is configured one way — our client (API base URL, one session) and ``authorize``
    — but it also reads SLACK_BOT_TOKEN from the environment and warns that it "will be
    unused". It is the same token the client uses: that warning is dropped, nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_ONE_WAY = _OneWay()


class SlackAdapter:
    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        client: AsyncWebClient | None = None,
        dispatcher: Dispatcher | None = None,
        http: httpx.AsyncClient | None = None,
        max_upload_bytes: int = DEFAULT_MAX_BYTES,
        max_concurrent: int = DEFAULT_CONCURRENCY,
        records: InstallationRecords | None = None,
    ) -> None:
        # Distributed mode (``records`` given: installations through OAuth, adapters.slack.oauth)
        # or single-team mode (one bot token).
        self.records = records
        self.tokens: TeamTokens | None = None
        # Bolt's own client: no token (the token comes from ``authorize``), same base URL and
        # retry handlers, so request-scoped clients (and OAuth) honour SLACK_API_URL too.
        bolt_client = AsyncWebClient(
            base_url=api_base_url(settings), timeout=30, logger=quiet_logger()
        )
        bolt_client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        store: DbInstallationStore | None = None
        if records is not None:
            store = DbInstallationStore(records)
            self.tokens = oauth.team_tokens(settings, records, store, bolt_client, core.clock)
            client = TeamRoutedClient(
                self.tokens,
                records,
                base_url=bolt_client.base_url,
                timeout=30,
                logger=quiet_logger(),
            )
            client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        token = settings.slack_bot_token.reveal() if settings.slack_bot_token else None
        if client is None:
            if not token:
                raise ConfigError("SLACK_BOT_TOKEN is not set")
            client = build_web_client(settings, token)
        elif not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
            client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        if records is None:
            bolt_client = AsyncWebClient(
                base_url=client.base_url,
                timeout=client.timeout,
                retry_handlers=client.retry_handlers,
            )
        self.core = core
        self.client = client
        self.dispatcher: Dispatcher = dispatcher or CommandLayer()
        self.identity = BotIdentity(client)
        self.directory = Directory(client, core.clock, scope=_team_of_request)
        self.port = SlackPort(client, core.pacer(PLATFORM), self.directory)
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, read=120.0), follow_redirects=True
        )
        self._owns_http = http is None
        routed = client if isinstance(client, TeamRoutedClient) else None
        self.files = FileFetcher(
            self._http,
            routed.current_token if routed is not None else (lambda: self.client.token or ""),
            extra_hosts=[urlsplit(client.base_url).hostname or ""],
            max_bytes=max_upload_bytes,
        )
        self.deliveries = Deliveries(core, PLATFORM, max_concurrent=max_concurrent)
        self.delivery = SlackDelivery(
            core, self.port, self.directory, self.dispatcher, self.deliveries
        )
        self.compose = ComposeFlow(client, self.delivery, self.files)
        self.connect = ConnectFlow(self)
        # Socket Mode: record each request in the journal *before* acknowledging it (the ack
        # is ours to send within 3 s); over HTTP the ack is the response and goes first.
        self.record_first = False
        self._session: aiohttp.ClientSession | None = None
        self.signing_secret_set = bool(settings.slack_signing_secret)
        secret = (
            settings.slack_signing_secret.reveal()
            if settings.slack_signing_secret
            else secrets.token_hex(32)  # no secret: no HTTP request can ever verify
        )
        self._bolt_client = bolt_client
        bolt_log = logging.getLogger("adapters.slack.bolt")
        bolt_log.addFilter(_ONE_WAY)
        # Every listener acks and returns at once (its work is spawned), so Bolt may run it
        # inline and answer as soon as it returns (process_before_response), instead of running
        # it as a task and polling every 10 ms for the ack (a 10 ms step and a wake-up per
        # in-flight request on the loop: bench slack_ack).
        if records is not None and store is not None and self.tokens is not None:
            self.app = AsyncApp(
                name="socialbot",
                signing_secret=secret,
                client=bolt_client,
                authorize=self.tokens,  # type: ignore[arg-type]  # an AsyncAuthorize: allowed
                oauth_settings=oauth.oauth_settings(settings, records, store),
                logger=bolt_log,
                process_before_response=True,
            )
        else:
            self.app = AsyncApp(
                name="socialbot",
                signing_secret=secret,
                client=bolt_client,
                authorize=self.identity.authorize_function(),
                logger=bolt_log,
                process_before_response=True,
            )
        listeners.register(self)
        core.ports[PLATFORM] = self.port
        _ADAPTERS[self.app] = self

    @property
    def distributed(self) -> bool:
        return self.records is not None

    def team_gone(self, team: str | None) -> None:
        """A team uninstalled the app: forget what was cached about it."""
        if team:
            self.directory.forget(team)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Check the token (auth.test) and open one HTTP session for every Web API call.
        The runner helpers call this; without it each call opens its own connection."""
        if not self.distributed:  # distributed: each team's identity comes with its install
            await self.identity.load()
        await self._warm()
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self.client.session = self._session
            self._bolt_client.session = self._session

    async def _warm(self) -> None:
        """One-time costs paid before the first command rather than during it: the API
        clients (an SSL context each) and the date parser's language data (~2 s)."""
        for name, ws in self.core.settings.workspaces.items():
            if ws.key is not None:
                self.core.clients.for_workspace(name)
        try:
            from commands import times
        except ImportError:  # pragma: no cover
            return
        await asyncio.to_thread(times.warm)

    def spawn(self, coro: Coroutine[Any, Any, None], name: str, *, urgent: bool = False) -> None:
        self.deliveries.spawn(coro, name, urgent=urgent)

    @property
    def busy(self) -> int:
        """Background tasks still running."""
        return self.deliveries.busy

    async def idle(self) -> None:
        """Wait until every background task (and any they started) has finished."""
        await self.deliveries.idle()

    async def resume(self) -> int:
        """Re-run what a dead process accepted and did not finish (``bot.deliveries``); the
        number of deliveries resumed. The runner calls it at start-up, before serving."""
        return await self.deliveries.resume(self.delivery)

    async def aclose(self, grace: float = 10.0) -> None:
        """Let running work finish (up to ``grace`` seconds), then release the HTTP client."""
        await self.deliveries.drain(grace)
        if self._owns_http:
            await self._http.aclose()
        if self._session is not None:
            self.client.session = self._bolt_client.session = None
            await self._session.close()
            self._session = None
        if self.core.ports.get(PLATFORM) is self.port:
            del self.core.ports[PLATFORM]


def _team_of_request() -> str:
    key = current_team()
    return key.team or key.enterprise or "" if key is not None else ""


_ADAPTERS: WeakKeyDictionary[AsyncApp, SlackAdapter] = WeakKeyDictionary()


def adapter_of(app: AsyncApp) -> SlackAdapter:
    """The adapter behind an app made by ``create_slack_app``."""
    return _ADAPTERS[app]


def build_slack_adapter(
    core: Core,
    settings: Settings,
    *,
    client: AsyncWebClient | None = None,
    dispatcher: Dispatcher | None = None,
    http: httpx.AsyncClient | None = None,
    max_upload_bytes: int = DEFAULT_MAX_BYTES,
    max_concurrent: int = DEFAULT_CONCURRENCY,
    records: InstallationRecords | None = None,
) -> SlackAdapter:
    return SlackAdapter(
        core,
        settings,
        client=client,
        dispatcher=dispatcher,
        http=http,
        max_upload_bytes=max_upload_bytes,
        max_concurrent=max_concurrent,
        records=records,
    )


def create_slack_app(
    core: Core,
    settings: Settings,
    *,
    client: AsyncWebClient | None = None,
    records: InstallationRecords | None = None,
) -> AsyncApp:
    """The bot's Slack app; registers its ``ChatPort`` as ``core.ports["slack"]``.

    Single-team: ``client`` defaults to an ``AsyncWebClient`` on ``SLACK_BOT_TOKEN`` and
    ``SLACK_API_URL`` (with a 429 retry handler). Distributed (``records``, the encrypted
    installations; see ``adapters.slack.oauth``): each team's own token. Serve it with
    ``adapters.slack.runner``.
    """
    return build_slack_adapter(core, settings, client=client, records=records).app


__all__ = [
    "CommandLayer",
    "Dispatcher",
    "SlackAdapter",
    "adapter_of",
    "api_base_url",
    "build_slack_adapter",
    "create_slack_app",
    "quick_check",
]
