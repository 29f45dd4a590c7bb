"""``socialbot run``: the bot with its adapters (Slack and/or Discord), the notifier, the
approval expiry sweep and the health/metrics endpoints, in one process.

Start-up: settings → database (migrations) → core → adapters → notifier (+ the daily
analytics snapshots and weekly reports on its scheduler) → health server.
SIGTERM/SIGINT: stop taking new work (readiness goes 503, adapters stop listening), finish
in-flight commands, flush the outbox within a grace period, stop the scheduler and adapters,
close the database, exit 0. Nothing is lost across the restart: anything not yet announced is
still in the outbox and is sent by the next start; pending approvals live in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot import approvals, journal, recovery
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings
from bot.core import Clients, Core
from bot.health import Health
from bot.logs import setup_logging
from bot.notifier import Notifier
from bot.storage import Database

log = logging.getLogger(__name__)

EXPIRY_INTERVAL = 60.0
SHUTDOWN_GRACE = 20.0


def validate_for_run(settings: Settings) -> None:
    """What ``run`` needs beyond what ``load_settings`` checks (one line, naming it)."""
    if settings.slack_bot_token is None and settings.discord_bot_token is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN / DISCORD_BOT_TOKEN: neither is set — set one to run the bot "
            "(or try `socialbot demo`, which needs no account)"
        )
    if (
        settings.slack_bot_token is not None
        and settings.slack_app_token is None
        and settings.slack_signing_secret is None
    ):
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set (required for Slack over HTTP; "
            "or set SLACK_APP_TOKEN for Socket Mode)"
        )


@dataclass
class Running:
    """What ``serve`` started, for the shutdown sequence and for tests."""

    core: Core
    health: Health
    http: web.AppRunner | None = None
    http_port: int | None = None
    # Shutdown, in order: ``drains`` (stop taking work, finish in-flight commands), then
    # ``stops`` (the notifier's outbox flush first, while the chat ports still work, then the
    # adapters' connections).
    drains: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    stops: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # Start-up: re-run what a killed process accepted and did not finish (bot.journal).
    resumes: list[Callable[[], Awaitable[int]]] = field(default_factory=list)


async def _expiry_loop(core: Core, interval: float) -> None:
    while True:
        await core.clock.sleep(interval)
        try:
            await approvals.expire_due(core, core.clock.now())
        except Exception:
            log.exception("approvals: the expiry sweep failed; it runs again in %.0f s", interval)


async def start(settings: Settings, host: str, port: int, health_port: int | None) -> Running:
    clock = SystemClock()
    db = await Database.open(settings.db_path)
    core = Core(settings, db, Clients(settings, clock), clock)
    await approvals.migrate(db)
    health = Health()
    running = Running(core, health)

    async def db_probe() -> tuple[bool, str]:
        def write(sdb: Any) -> None:
            sdb.execute(
                "INSERT INTO meta(key, value) VALUES ('ready_probe', datetime('now')) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            )

        await db.transaction(write)
        return True, "writable"

    health.add("database", db_probe)

    def api_probe(name: str) -> Callable[[], Awaitable[tuple[bool, str]]]:
        async def probe() -> tuple[bool, str]:
            client = core.clients.overrides.get(name)
            last = getattr(client, "last_success", None) if client is not None else None
            if last is None:
                return True, "no call yet"
            return True, f"last successful call {last.isoformat()}"

        return probe

    for ws in settings.workspaces.values():
        if ws.key is not None:
            health.add(f"social_api:{ws.name}", api_probe(ws.name))

    web_app: web.Application | None = None
    if settings.slack_bot_token is not None:
        from adapters.slack.app import adapter_of, create_slack_app
        from adapters.slack.runner import EVENTS_PATH, start_socket_mode

        slack_app = create_slack_app(core, settings)
        adapter = adapter_of(slack_app)
        if settings.slack_app_token is not None:
            handler = await start_socket_mode(slack_app, settings.slack_app_token)

            async def drain_socket() -> None:
                await handler.close_async()  # type: ignore[no-untyped-call]
                await _drain(adapter.idle())

            running.drains.append(drain_socket)
            health.add("slack", _const(True, "socket mode connected"))
        else:
            from adapters.slack.guard import guarded_web_app

            await adapter.start()  # auth.test + one shared HTTP session (as start_http does)
            assert settings.slack_signing_secret is not None  # validate_for_run
            web_app = guarded_web_app(
                slack_app, settings.slack_signing_secret.reveal(), EVENTS_PATH
            )

            async def drain_slack_http() -> None:
                await _drain(adapter.idle())

            running.drains.append(drain_slack_http)
            health.add("slack", _const(True, f"HTTP mode at {EVENTS_PATH}"))

        async def close_slack() -> None:
            await adapter.aclose(SHUTDOWN_GRACE)

        running.resumes.append(adapter.resume)

        running.stops.append(close_slack)

    if settings.discord_bot_token is not None:
        from adapters.discord.client import close_discord, create_discord_client, start_discord

        dclient = create_discord_client(core, settings)
        await start_discord(dclient, settings.discord_bot_token)

        async def stop_discord() -> None:
            await close_discord(dclient)

        running.stops.append(stop_discord)

        async def discord_probe() -> tuple[bool, str]:
            ok = dclient.is_ready() and not dclient.is_closed()
            return ok, "gateway connected" if ok else "gateway not connected"

        health.add("discord", discord_probe)

    # Before serving: finish what a killed process left half-done (approval decisions, cards
    # never posted), then re-run the commands and events it accepted (bot.journal).
    await journal.migrate(db)
    await recovery.on_start(core)
    for resume in running.resumes:
        try:
            n = await resume()
            if n:
                log.info("resumed %d unfinished request(s) from before the restart", n)
        except Exception:
            log.exception("resuming unfinished requests failed")

    notifier = Notifier(core)
    await notifier.start()
    # Daily analytics snapshots and the [[reports]] of the TOML, on the notifier's scheduler.
    from bot.reports import Reports, load_reports
    from commands.reports import compose

    Reports(core, notifier, load_reports(settings), compose).start()

    async def scheduler_probe() -> tuple[bool, str]:
        sched = notifier.scheduler
        ok = sched is not None and sched.running
        return ok, "running" if ok else "stopped"

    health.add("scheduler", scheduler_probe)
    running.tasks.append(asyncio.create_task(_expiry_loop(core, EXPIRY_INTERVAL)))

    # HTTP: Slack events (HTTP mode) and health on --port; otherwise health on --health-port.
    if web_app is None:
        web_app = web.Application()
        bind_port = health_port if health_port is not None else port
    else:
        bind_port = port
    health.install(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, bind_port)
    await site.start()
    running.http = runner
    addresses = runner.addresses
    running.http_port = int(addresses[0][1]) if addresses else bind_port
    log.info("socialbot is running; health at http://%s:%s/healthz", host, running.http_port)

    async def stop_notifier() -> None:
        await notifier.stop(SHUTDOWN_GRACE)

    # Order matters: adapters drain their in-flight commands first (``drains``), then the
    # outbox flushes through the still-open chat ports, then the adapters close.
    running.stops.insert(0, stop_notifier)
    return running


async def stop(running: Running) -> None:
    running.health.stopping = True
    for task in running.tasks:
        task.cancel()
    for fn in [*running.drains, *running.stops]:
        try:
            await fn()
        except Exception:
            log.exception("shutdown step failed; continuing")
    if running.http is not None:
        await running.http.cleanup()
    await running.core.clients.aclose()
    await running.core.pictures.aclose()
    await running.core.db.close()
    log.info("socialbot stopped")


async def serve(settings: Settings, args: argparse.Namespace) -> int:
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop_event.set)
    running = await start(settings, args.host, args.port, args.health_port)
    try:
        await stop_event.wait()
        log.info("signal received: stopping (grace %.0f s)", SHUTDOWN_GRACE)
    finally:
        await stop(running)
    return 0


async def _drain(idle: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(idle, SHUTDOWN_GRACE)
    except TimeoutError:
        log.warning("shutdown: commands still running after %.0f s", SHUTDOWN_GRACE)


def _const(ok: bool, detail: str) -> Callable[[], Awaitable[tuple[bool, str]]]:
    async def probe() -> tuple[bool, str]:
        return ok, detail

    return probe


def run_bot(args: argparse.Namespace) -> int:
    settings = load_settings()
    validate_for_run(settings)
    from bot.reports import load_reports

    load_reports(settings)  # a malformed [[reports]] stops the start here, with its name
    setup_logging(args.log_format, args.log_level, settings.secrets())
    return asyncio.run(serve(settings, args))
