"""Serving the Slack app: HTTP (Events API + interactivity at ``/slack/events``) or Socket Mode.

    runner = await start_http(app, "0.0.0.0", 3000)       # …later: await stop_http(app, runner)
    handler = await start_socket_mode(app, settings.slack_app_token)
                                                           # …later: await stop_socket_mode(app, handler)

Both check the bot token first (auth.test), so Bolt knows the bot's own user id before the first
event arrives and no request pays for that call before its ``ack()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import adapter_of
from adapters.slack.guard import guarded_web_app
from bot.config import ConfigError
from bot.secret import Secret

EVENTS_PATH = "/slack/events"


async def start_http(app: AsyncApp, host: str, port: int) -> web.AppRunner:
    """Serve ``app`` on ``http://host:port/slack/events`` (signature-verified; bad or stale
    signatures get 401). Requires ``SLACK_SIGNING_SECRET``. The bound port of ``port=0`` is
    ``runner.addresses[0][1]``."""
    adapter = adapter_of(app)
    if not adapter.signing_secret_set:
        raise ConfigError("SLACK_SIGNING_SECRET is not set (required to receive Slack over HTTP)")
    await adapter.start()
    # The guard answers malformed bodies 400 / bad signatures 401 before Bolt parses them; it
    # verifies with the very secret Bolt was given.
    secret: str = app._signing_secret
    runner = web.AppRunner(guarded_web_app(app, secret, EVENTS_PATH), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


async def start_socket_mode(
    app: AsyncApp, app_token: Secret | str | None, web_client: AsyncWebClient | None = None
) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode with the app-level token (``xapp-…``,
    ``SLACK_APP_TOKEN``). ``web_client`` (for ``apps.connections.open``) defaults to one on
    the app's Web API base URL, so ``SLACK_API_URL`` is honoured."""
    token = app_token.reveal() if isinstance(app_token, Secret) else app_token
    if not token:
        raise ConfigError("SLACK_APP_TOKEN is not set (required for Socket Mode)")
    adapter = adapter_of(app)
    await adapter.start()
    # The ack is a websocket message sent when the bot likes (within 3 s): each request is
    # recorded in the journal before it is acknowledged (``adapters.slack.listeners``).
    adapter.record_first = True
    if web_client is None:
        web_client = AsyncWebClient(base_url=adapter.client.base_url)
    handler = AsyncSocketModeHandler(app, app_token=token, web_client=web_client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


async def stop_http(app: AsyncApp, runner: web.AppRunner, grace: float = 10.0) -> None:
    """Stop receiving, let the work behind earlier acks finish (up to ``grace`` s), close."""
    await runner.cleanup()
    await adapter_of(app).aclose(grace)


async def stop_socket_mode(
    app: AsyncApp, handler: AsyncSocketModeHandler, grace: float = 10.0
) -> None:
    await handler.close_async()  # type: ignore[no-untyped-call]
    await adapter_of(app).aclose(grace)


def socket_mode_probe(
    handler: AsyncSocketModeHandler,
) -> Callable[[], Awaitable[tuple[bool, str]]]:
    """``/readyz``: whether the Socket Mode websocket is connected right now (slack_sdk's
    ``is_connected``: not closed, not stale, a live session)."""

    async def probe() -> tuple[bool, str]:
        client = handler.client
        if await client.is_connected():
            return True, "socket mode connected"
        if client.closed:
            return False, "socket mode closed"
        return False, "socket mode not connected (reconnecting)"

    return probe
