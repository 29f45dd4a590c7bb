"""``socialbot run`` as a real subprocess: a fake Slack Web API and the sandbox in this process,
the bot on 127.0.0.1 port 0 (it logs the bound port), SQLite in a temp file."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlite_utils

from bot.api.client import SocialClient
from bot.chat import Announcement, Destination, TargetLine
from bot.notifier import outbox, render
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from tests.discord.fake_discord import GUILD_ID, FakeDiscord
from tests.ops.harness import BotProcess, eventually
from tests.secrets import DISCORD_BOT_TOKEN, OPS_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_BOT_TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import FORM, SlackDriver, slash

KEY = "sk_test_ops_one"
GRACE = 20.0  # bot.runner.SHUTDOWN_GRACE


@dataclass
class World:
    tmp: Path
    fake: FakeSlack
    sandbox: Sandbox
    api: SocialClient
    http: httpx.AsyncClient

    @property
    def db(self) -> Path:
        return self.tmp / "bot.db"

    def env(self, interval: str = "0.3", **extra: str) -> dict[str, str]:
        config = self.tmp / "socialbot.toml"
        config.write_text(f"[notifier]\ninterval = {interval}\n", encoding="utf-8")
        env = {
            "SOCIAL_API_URL": self.sandbox.url,
            "SOCIAL_API_KEY": KEY,
            "SOCIALBOT_DB": str(self.db),
            "SOCIALBOT_CONFIG": str(config),
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": OPS_SIGNING_SECRET,
            "SLACK_API_URL": self.fake.url,
        }
        env.update(extra)
        return env

    def outbox(self) -> list[tuple[str, str | None]]:
        with sqlite3.connect(self.db) as c:
            return list(c.execute("SELECT key, sent_at FROM notifier_outbox ORDER BY id"))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    fake = await FakeSlack().start()
    options = SandboxOptions(keys=(KEY,), publish_delay=0.2, demo_key=False)
    async with start_sandbox(options) as sandbox:
        api = SocialClient(sandbox.url, Secret(KEY))
        async with httpx.AsyncClient(timeout=10) as http:
            try:
                yield World(tmp_path, fake, sandbox, api, http)
            finally:
                await api.aclose()
                await fake.stop()


@pytest.fixture
async def procs() -> AsyncIterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for p in started:
        await p.close()


async def start_bot(procs: list[BotProcess], env: dict[str, str], *args: str) -> BotProcess:
    bot = await BotProcess.start(list(args), env, name="socialbot run")
    procs.append(bot)
    return bot


def announcements(fake: FakeSlack, thread: str) -> list[dict[str, Any]]:
    return [p for p in fake.calls_to("chat.postMessage") if p.get("thread_ts") == thread]


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    rx = re.compile(rf"^{re.escape(name)}(?:{{{re.escape(want)}}})? ([0-9.e+-]+)$", re.M)
    m = rx.search(text)
    return float(m.group(1)) if m else 0.0


async def test_run_serves_health_posts_announces_and_stops_cleanly(
    world: World, procs: list[BotProcess]
) -> None:
    bot = await start_bot(
        # the option after the subcommand, as ``docker run IMAGE --log-format json`` passes it
        procs,
        world.env(),
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-format",
        "json",
    )
    port = await bot.health_port()
    base = f"http://127.0.0.1:{port}"

    r = await world.http.get(f"{base}/healthz")
    assert r.status_code == 200
    r = await world.http.get(f"{base}/readyz")
    assert r.status_code == 200, r.text
    ready = r.json()
    assert ready["ready"] is True
    assert {"database", "scheduler", "slack", "social_api:default"} <= set(ready["checks"])
    assert all(c["ok"] for c in ready["checks"].values()), ready

    # a signed slash command over HTTP: acked, posted to the sandbox, announced in the thread
    slack = SlackDriver(
        f"{base}/slack/events", world.fake.response_url("ops"), secret=OPS_SIGNING_SECRET
    )
    try:
        r = await slack.command("/post", 'x "Hello from the runner test"', channel="C1")
        assert r.status_code == 200
        # the wrong signing secret is refused before anything happens
        forged = slash("/post", 'x "forged"', slack.response_url)
        r = await slack.send(forged, FORM, secret="not-the-secret")
        assert r.status_code == 401
    finally:
        await slack.aclose()
    posts = await eventually(world.api.list_posts, lambda p: len(p) == 1, what="the post")
    assert posts[0].content == "Hello from the runner test"
    working = await eventually(
        lambda: _first_in_channel(world.fake, "C1"), lambda m: m is not None, what="working msg"
    )
    assert working is not None
    thread = working[0]
    [ann] = await eventually(
        _async(lambda: announcements(world.fake, thread)), what="the announcement"
    )
    assert ann["channel"] == "C1"
    post_id = posts[0].post_id

    # /metrics: the command, the API calls (endpoint templates, never raw ids), the announcement
    text = await eventually(
        _async_get(world.http, f"{base}/metrics"),
        lambda t: (
            metric(t, "socialbot_outbox_depth") == 0
            and metric(t, "socialbot_announcements_total", result="published") >= 1
        ),
        what="metrics after the announcement",
    )
    assert metric(text, "socialbot_commands_total", command="post", outcome="ok") == 1
    assert re.search(
        r'^socialbot_api_requests_total\{endpoint="POST /v1/posts",status="2\d\d"\} 1\.0$',
        text,
        re.M,
    ), text
    assert 'endpoint="GET /v1/posts/{id}' in text or 'endpoint="GET /v1/posts"' in text
    assert post_id not in text
    assert metric(text, "socialbot_poll_duration_seconds_count") >= 1
    assert "socialbot_outbox_oldest_age_seconds 0.0" in text
    assert "socialbot_api_rate_limited_total 0.0" in text

    # readiness now reports the last successful Social API call
    ready = (await world.http.get(f"{base}/readyz")).json()
    assert ready["checks"]["social_api:default"]["detail"].startswith("last successful call")

    rc = await bot.terminate(GRACE + 5)
    assert rc == 0, bot.stderr
    assert world.outbox() and all(sent for _, sent in world.outbox())

    # --log-format json: one JSON object per line, each with a request id
    records = [json.loads(line) for line in bot.lines]
    assert records and all(
        {"ts", "level", "logger", "msg", "request_id"} <= set(r) for r in records
    )
    assert any(r["msg"] == "socialbot stopped" for r in records)
    assert any(r["request_id"] != "-" for r in records), "no line carries a request id"
    assert SLACK_BOT_TOKEN not in bot.stderr and KEY not in bot.stderr


async def test_sigterm_flushes_the_outbox(world: World, procs: list[BotProcess]) -> None:
    # a long poll interval: after the start-up tick, only the shutdown flush sends anything
    bot = await start_bot(
        procs, world.env(interval="60"), "run", "--host", "127.0.0.1", "--port", "0"
    )
    port = await bot.health_port()
    base = f"http://127.0.0.1:{port}"
    await eventually(
        _async_get(world.http, f"{base}/metrics"),
        lambda t: metric(t, "socialbot_poll_duration_seconds_count") >= 1,
        what="the start-up tick",
    )
    # an announcement waiting in the outbox (as if its post had just been seen published)
    ann = Announcement(
        title="Published", result="published", post_id="p_pending",
        targets=(TargetLine("X", "@acme", "published"),),
    )  # fmt: skip
    sdb = sqlite_utils.Database(world.db)
    try:
        sdb.conn.execute("PRAGMA busy_timeout = 5000")
        with sdb.conn:
            outbox.enqueue(
                sdb, key="p_pending:published", workspace="default", post_id="p_pending",
                result="published", dest=Destination("slack", "C9", thread="1700000000.000001"),
                payload=render.to_json(ann), now=datetime.now(UTC),
            )  # fmt: skip
    finally:
        sdb.close()
    assert [p for p in world.fake.calls_to("chat.postMessage") if p["channel"] == "C9"] == []

    rc = await bot.terminate(GRACE + 5)
    assert rc == 0, bot.stderr
    sent = [p for p in world.fake.calls_to("chat.postMessage") if p["channel"] == "C9"]
    assert len(sent) == 1, bot.stderr
    assert sent[0]["thread_ts"] == "1700000000.000001"
    assert world.outbox() and all(at for _, at in world.outbox()), world.outbox()


async def test_socket_mode_serves_health_on_the_health_port(
    world: World, procs: list[BotProcess]
) -> None:
    env = world.env(SLACK_APP_TOKEN=SLACK_APP_TOKEN)
    bot = await start_bot(
        procs, env, "run", "--host", "127.0.0.1", "--port", "1", "--health-port", "0"
    )
    port = await bot.health_port()
    assert port != 1
    base = f"http://127.0.0.1:{port}"
    ready = (await world.http.get(f"{base}/readyz")).json()
    assert ready["checks"]["slack"] == {"ok": True, "detail": "socket mode connected"}
    assert (await world.http.get(f"{base}/slack/events")).status_code == 404
    assert "socialbot_" in (await world.http.get(f"{base}/metrics")).text
    assert await bot.terminate(GRACE + 5) == 0


async def test_missing_settings_exit_2_with_one_line(world: World) -> None:
    env = world.env()
    del env["SLACK_SIGNING_SECRET"]
    bot = await BotProcess.start(["run", "--port", "0"], env, name="socialbot run (no secret)")
    try:
        rc = await bot.wait(30)
    finally:
        await bot.close()
    assert rc == 2
    assert "SLACK_SIGNING_SECRET" in bot.stderr
    assert SLACK_BOT_TOKEN not in bot.stderr


async def _first_in_channel(fake: FakeSlack, channel: str) -> tuple[str, dict[str, Any]] | None:
    for (ch, ts), msg in fake.messages.items():
        if ch == channel and not msg.get("thread_ts"):
            return ts, msg
    return None


def _async(fn: Any) -> Any:
    async def probe() -> Any:
        return fn()

    return probe


def _async_get(http: httpx.AsyncClient, url: str) -> Any:
    async def probe() -> str:
        return (await http.get(url)).text

    return probe


def _async_get_response(http: httpx.AsyncClient, url: str) -> Any:
    async def probe() -> httpx.Response:
        return await http.get(url)

    return probe


async def test_discord_only_serves_health_on_the_health_port(
    world: World, procs: list[BotProcess]
) -> None:
    discord = await FakeDiscord().start()
    try:
        env = world.env(
            DISCORD_BOT_TOKEN=DISCORD_BOT_TOKEN,
            DISCORD_API_URL=discord.api_url,
            DISCORD_GATEWAY_URL=discord.gateway_url,
            DISCORD_GUILD_IDS=GUILD_ID,
        )
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
            del env[name]
        bot = await start_bot(
            procs, env, "run", "--host", "127.0.0.1", "--port", "1", "--health-port", "0"
        )
        port = await bot.health_port()
        base = f"http://127.0.0.1:{port}"
        r = await eventually(
            _async_get_response(world.http, f"{base}/readyz"),
            lambda r: r.status_code == 200,
            what="discord ready",
        )
        checks = r.json()["checks"]
        assert checks["discord"] == {"ok": True, "detail": "gateway connected"}
        assert "slack" not in checks
        assert discord.identify is not None  # it really logged in to the fake gateway
        assert await bot.terminate(GRACE + 5) == 0, bot.stderr
        assert DISCORD_BOT_TOKEN not in bot.stderr
    finally:
        await discord.stop()


LISTEN = re.compile(r"listening on http://127\.0\.0\.1:(\d+) for (.+)$")


async def test_metrics_port_leaves_the_public_port_to_slack_events(
    world: World, procs: list[BotProcess]
) -> None:
    bot = await start_bot(
        procs, world.env(), "run", "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0"
    )
    health = await bot.health_port()
    listening = {}
    for line in bot.lines:
        m = LISTEN.search(line)
        if m:
            listening[m.group(2)] = int(m.group(1))
    assert listening.keys() == {"/slack/events", "/healthz /readyz /metrics"}, bot.stderr
    public = listening["/slack/events"]
    assert listening["/healthz /readyz /metrics"] == health != public
    for path in ("/metrics", "/healthz", "/readyz"):
        r = await world.http.get(f"http://127.0.0.1:{public}{path}")
        assert r.status_code == 404, path
    r = await world.http.post(f"http://127.0.0.1:{public}/slack/events", content=b"{}")
    assert r.status_code == 401  # Slack events are served there (and unsigned ones refused)
    assert "socialbot_" in (await world.http.get(f"http://127.0.0.1:{health}/metrics")).text
    assert (await world.http.get(f"http://127.0.0.1:{health}/readyz")).status_code == 200
    assert await bot.terminate(GRACE + 5) == 0


async def test_socialbot_health_port_is_where_health_answers(
    world: World, procs: list[BotProcess]
) -> None:
    # the Dockerfile's HEALTHCHECK asks SOCIALBOT_HEALTH_PORT: the bot must listen there
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    env = world.env(SLACK_APP_TOKEN=SLACK_APP_TOKEN, SOCIALBOT_HEALTH_PORT=str(free))
    bot = await start_bot(procs, env, "run", "--host", "127.0.0.1", "--port", "1")
    assert await bot.health_port() == free
    r = await world.http.get(f"http://127.0.0.1:{free}/healthz")
    assert r.status_code == 200
    assert await bot.terminate(GRACE + 5) == 0


def test_dockerfile_healthcheck_asks_where_the_bot_serves_health() -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    check = next(line for line in dockerfile.splitlines() if "urlopen" in line)
    assert "e.get('SOCIALBOT_HEALTH_PORT') or e.get('SOCIALBOT_METRICS_PORT') or '3000'" in check
