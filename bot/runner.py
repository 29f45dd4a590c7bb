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
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot import approvals, heap, installations, journal, readiness, recovery
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings
from bot.connections import Connections
from bot.core import Clients, Core
from bot.health import Health
from bot.logs import setup_logging
from bot.notifier import Notifier
from bot.startup import StartupError, outside
from bot.storage import Database
from bot.vault import Vault

log = logging.getLogger(__name__)

SLACK_CHECK = (
    "SLACK_API_URL (unset for slack.com), the network, DNS, proxy and firewall, and that "
    "SLACK_BOT_TOKEN is the bot token of this app"
)
DISCORD_CHECK = (
    "DISCORD_API_URL / DISCORD_GATEWAY_URL (unset for discord.com), the network, DNS, proxy "
    "and firewall, and that DISCORD_BOT_TOKEN is this bot's token"
)
EXPIRY_INTERVAL = 60.0
SHUTDOWN_GRACE = 20.0


def validate_for_run(settings: Settings) -> None:
    """What ``run`` needs beyond what ``load_settings`` checks (one line, naming it)."""
    if settings.slack_mode is None and settings.discord_bot_token is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN / DISCORD_BOT_TOKEN: neither is set — set one to run the bot "
            "(or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET for a distributed Slack app; "
            "or try `socialbot demo`, which needs no account)"
        )
    if settings.slack_mode == "distributed":
        if settings.encryption_key is None:
            raise ConfigError(
                "SOCIALBOT_ENCRYPTION_KEY is not set (required with SLACK_CLIENT_ID: the Slack "
                "installations are stored encrypted; see README 'Slack')"
            )
        if settings.slack_signing_secret is None and settings.slack_app_token is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set (required for Slack over HTTP; "
                "or set SLACK_APP_TOKEN for Socket Mode)"
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
    http: list[web.AppRunner] = field(default_factory=list)
    http_port: int | None = None  # where /healthz answers
    metrics_port: int | None = None  # where /metrics answers
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


async def start(
    settings: Settings,
    host: str,
    port: int,
    health_port: int | None,
    metrics_port: int | None = None,
) -> Running:
    clock = SystemClock()
    db = await Database.open(settings.db_path)
    core = Core(settings, db, Clients(settings, clock), clock)
    await approvals.migrate(db)
    health = Health()
    running = Running(core, health)
    try:
        return await _start(running, settings, host, port, health_port, metrics_port)
    except BaseException:
        await stop(running)  # close what did start (sessions, database): no "Unclosed …"
        raise


async def _start(
    running: Running,
    settings: Settings,
    host: str,
    port: int,
    health_port: int | None,
    metrics_port: int | None,
) -> Running:
    core, db, health, clock = running.core, running.core.db, running.health, running.core.clock

    every = settings.readiness.db_check_every
    health.add("database", readiness.database_probe(db, clock, every))
    for ws in settings.workspaces.values():
        if ws.key is not None:
            probe = readiness.social_api_probe(core.clients, ws.name, settings.readiness, clock)
            health.add(f"social_api:{ws.name}", probe)

    if settings.encryption_key is not None:  # keys connected from chat (/social connect)
        vault = Vault.from_text(settings.encryption_key.reveal())
        await vault.check(db)
        core.use_connections(await Connections.open(db, vault, clock, settings.api_url))

    web_app: web.Application | None = None
    oauth_routes: list[web.RouteDef] = []
    if settings.slack_mode is not None:
        from adapters.slack.app import adapter_of, api_base_url, create_slack_app
        from adapters.slack.runner import (
            EVENTS_PATH,
            oauth_route_defs,
            socket_mode_probe,
            start_socket_mode,
        )

        records = None
        if settings.slack_mode == "distributed":
            assert settings.slack_client_id is not None
            key = settings.encryption_key.reveal() if settings.encryption_key else None
            records = await installations.open_records(db, key, clock, settings.slack_client_id)
            log.info(
                "slack: distributed mode, %d installation(s); install at /slack/install",
                await records.count(),
            )
        slack_app = create_slack_app(core, settings, records=records)
        adapter = adapter_of(slack_app)

        async def close_slack() -> None:
            await adapter.aclose(SHUTDOWN_GRACE)

        running.stops.append(close_slack)
        slack_at = outside("Slack", api_base_url(settings), SLACK_CHECK)
        if settings.slack_app_token is not None:
            with slack_at:
                handler = await start_socket_mode(slack_app, settings.slack_app_token)
            oauth_routes = oauth_route_defs(slack_app)  # Socket Mode: install pages over HTTP

            async def drain_socket() -> None:
                await handler.close_async()  # type: ignore[no-untyped-call]
                await _drain(adapter.idle())

            running.drains.append(drain_socket)
            health.add("slack", socket_mode_probe(handler))
        else:
            from adapters.slack.guard import guarded_web_app

            with slack_at:
                await adapter.start()  # auth.test + one shared HTTP session (as start_http)
            assert settings.slack_signing_secret is not None  # validate_for_run
            web_app = guarded_web_app(
                slack_app, settings.slack_signing_secret.reveal(), EVENTS_PATH
            )

            async def drain_slack_http() -> None:
                await _drain(adapter.idle())

            running.drains.append(drain_slack_http)
            health.add("slack", _const(True, f"HTTP mode at {EVENTS_PATH}"))

        running.resumes.append(adapter.resume)

    if settings.discord_bot_token is not None:
        from adapters.discord.client import close_discord, create_discord_client, start_discord

        dclient = create_discord_client(core, settings)

        async def stop_discord() -> None:
            await dclient.deliveries.drain(SHUTDOWN_GRACE)  # resumed requests still running
            await close_discord(dclient)

        running.resumes.append(dclient.resume)
        running.stops.append(stop_discord)
        discord_url = settings.discord_api_url or "https://discord.com/api/v10"
        with outside("Discord", discord_url, DISCORD_CHECK):
            await start_discord(dclient, settings.discord_bot_token)

        from adapters.discord.health import gateway_probe

        health.add("discord", gateway_probe(dclient))

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
    from bot.reports.config import load_reports
    from bot.reports.service import Reports
    from commands.reports import compose

    Reports(core, notifier, load_reports(settings), compose).start()

    async def scheduler_probe() -> tuple[bool, str]:
        sched = notifier.scheduler
        ok = sched is not None and sched.running
        return ok, "running" if ok else "stopped"

    health.add("scheduler", scheduler_probe)
    running.tasks.append(asyncio.create_task(_expiry_loop(core, EXPIRY_INTERVAL)))

    if oauth_routes:  # Socket Mode, distributed: the install pages on the public port
        web_app = web.Application()
        web_app.add_routes(oauth_routes)
    await _serve_http(running, web_app, host, port, health_port, metrics_port)

    async def stop_notifier() -> None:
        await notifier.stop(SHUTDOWN_GRACE)

    # Order matters: adapters drain their in-flight commands first (``drains``), then the
    # outbox flushes through the still-open chat ports, then the adapters close.
    running.stops.insert(0, stop_notifier)
    heap.settle()  # start-up's objects out of the collector's way: short pauses for the acks
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
    for http in running.http:
        await http.cleanup()
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
    health_port = args.health_port if args.health_port is not None else settings.health_port
    metrics_port = getattr(args, "metrics_port", None)
    if metrics_port is None:
        metrics_port = settings.metrics_port
    running = await start(settings, args.host, args.port, health_port, metrics_port)
    try:
        await stop_event.wait()
        log.info("signal received: stopping (grace %.0f s)", SHUTDOWN_GRACE)
    finally:
        await stop(running)
    return 0


async def _serve_http(
    running: Running,
    events: web.Application | None,
    host: str,
    port: int,
    health_port: int | None,
    metrics_port: int | None,
) -> None:
    """Bind the HTTP servers. Roles: ``public`` (``--port``: Slack events in HTTP mode),
    ``health`` (``/healthz``, ``/readyz``) and ``metrics`` (``/metrics`` plus health). With no
    health or metrics port every role shares ``--port`` (as before); otherwise health goes to
    the health port (else the metrics port) and the public port serves ``/slack/events`` only.
    Roles whose requested ports are equal (and not 0) share one server."""
    if health_port is None and metrics_port is None:
        health_role = metrics_role = "public"
    else:
        health_role = "health" if health_port is not None else "metrics"
        metrics_role = "metrics" if metrics_port is not None else "health"
    roles: dict[str, set[str]] = {"public": set(), "health": set(), "metrics": set()}
    if events is not None:
        roles["public"].add("events")
    roles[health_role].add("health")
    roles[metrics_role] |= {"health", "metrics"}
    wanted = {"public": port, "health": health_port, "metrics": metrics_port}
    servers: dict[str, tuple[int, set[str]]] = {}  # server name → (port, what it serves)
    for role, serves in roles.items():
        p = wanted[role]
        if not serves or p is None:
            continue
        same = next((n for n, (q, _) in servers.items() if q == p and p != 0), None)
        if same is not None:
            servers[same][1].update(serves)
        else:
            servers[role] = (p, set(serves))
    for p, serves in servers.values():
        app = events if "events" in serves and events is not None else web.Application()
        running.health.install(app, health="health" in serves, metrics="metrics" in serves)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, p).start()
        running.http.append(runner)
        addresses = runner.addresses
        bound = int(addresses[0][1]) if addresses else p
        if "health" in serves:
            running.http_port = bound
        if "metrics" in serves:
            running.metrics_port = bound
        paths = [
            *(["/slack/events"] if "events" in serves else []),
            *(["/healthz", "/readyz"] if "health" in serves else []),
            *(["/metrics"] if "metrics" in serves else []),
        ]
        log.info("listening on http://%s:%d for %s", host, bound, " ".join(paths))
    log.info("socialbot is running; health at http://%s:%s/healthz", host, running.http_port)
    if running.metrics_port != running.http_port:
        log.info("metrics at http://%s:%s/metrics", host, running.metrics_port)


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
    from bot.reports.config import load_reports

    load_reports(settings)  # a malformed [[reports]] stops the start here, with its name
    setup_logging(args.log_format, args.log_level, settings.secrets())
    try:
        return asyncio.run(serve(settings, args))
    except StartupError as e:
        print(e.line(), file=sys.stderr)
        return 1
