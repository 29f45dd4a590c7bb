"""Starting the Slack app: configuration checks and SLACK_API_URL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from adapters.slack.app import api_base_url, build_slack_adapter, create_slack_app
from adapters.slack.runner import socket_mode_probe, start_http, start_socket_mode, stop_http
from bot.config import ConfigError, Settings
from bot.core import Core
from bot.secret import Secret
from tests.slack.fake_slack import APP_TOKEN, FakeSlack


@pytest.mark.parametrize(
    ("url", "base"),
    [
        (None, "https://slack.com/api/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/"),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/"),
        ("https://proxy.example/slack/", "https://proxy.example/slack/api/"),
    ],
)
def test_slack_api_url_is_the_web_api_base(url: str | None, base: str) -> None:
    assert api_base_url(Settings(slack_api_url=url)) == base


async def test_http_mode_needs_the_signing_secret(core: Core) -> None:
    settings = Settings(
        slack_bot_token=Secret("xoxb-test-token"), slack_api_url="http://127.0.0.1:9"
    )
    app = create_slack_app(core, settings)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        await start_http(app, "127.0.0.1", 0)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        await start_socket_mode(app, None)


async def test_no_bot_token_is_a_config_error(core: Core) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        create_slack_app(core, Settings())


async def test_rejected_token_stops_start_and_registers_port(core: Core, fake: FakeSlack) -> None:
    fake.fail("auth.test", "invalid_auth")
    adapter = build_slack_adapter(core, core.settings)
    assert core.port("slack") is adapter.port
    with pytest.raises(ConfigError, match="invalid_auth"):
        await start_http(adapter.app, "127.0.0.1", 0)
    runner = await start_http(adapter.app, "127.0.0.1", 0)  # a good token the second time
    assert adapter.identity.result is not None and adapter.identity.result.bot_user_id == "UBOT"
    await stop_http(adapter.app, runner)
    assert "slack" not in core.ports


async def test_socket_mode_readiness_follows_the_websocket(core: Core, fake: FakeSlack) -> None:
    adapter = build_slack_adapter(core, core.settings)
    handler = await start_socket_mode(adapter.app, APP_TOKEN)
    probe = socket_mode_probe(handler)
    try:
        assert await probe() == (True, "socket mode connected")
        # Slack drops the socket and refuses a new one for now: not ready while reconnecting
        fake.fail("apps.connections.open", "internal_error", times=10_000)
        for ws in list(fake._ws):
            await ws.close()
        ok, detail = await _until(probe, lambda r: not r[0])
        assert (ok, detail) == (False, "socket mode not connected (reconnecting)")
        fake.failures.clear()  # Slack is back: the client reconnects by itself
        assert await _until(probe, lambda r: r[0]) == (True, "socket mode connected")
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await adapter.aclose()
    assert await probe() == (False, "socket mode closed")


async def _until(
    probe: Callable[[], Awaitable[tuple[bool, str]]],
    ok: Callable[[tuple[bool, str]], bool],
    deadline: float = 30.0,
) -> tuple[bool, str]:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while True:
        got = await probe()
        if ok(got) or loop.time() > end:
            return got
        await asyncio.sleep(0.05)
