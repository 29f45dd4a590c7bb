"""Slack ack latency: the bot vs a bare Bolt app whose handler only acks, in the same run.

    python -m bench slack_ack
    python -m bench.slack_ack --commands 500 --concurrency 50 [--stub]
    python -m bench.slack_ack --teams 100 [--stub]     single-team bot vs distributed bot

``--teams N``: the single-team bot (one bot token) against the distributed bot (OAuth mode,
``adapters.slack.oauth``) with N installed teams (installations encrypted in its database,
commands spread over the N teams, each authorized with its own installation through the
bounded token cache), alternating in the same run. Target: distributed p99 ≤ 1.2 × single.
Each slice starts after a gc.collect() (both bots share this process and its collector); full
passes inside the slices are counted and printed.

500 signed ``/post`` commands, 50 in flight, over loopback HTTP to ``/slack/events`` (real
slack-bolt, real request verification). Latency is measured by the client, from sending the
request to receiving Slack's answer (the ack). The bot runs its real work behind each ack —
users.info, the "working" message and ``chat.update`` against a fake Slack Web API on loopback,
and the real ``commands.dispatch`` against the in-process sandbox (``--stub``: a dispatch that
answers at once) — on the same event loop, so the background work competes with the acks.

Targets: bot p99 ≤ 1.3 × bare p99 (5 of 5 runs on a quiet machine), and ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import build_slack_adapter
from adapters.slack.installations import DbInstallationStore
from adapters.slack.runner import start_http
from bench._child import child_service, keep_off_first_core
from bot import heap, installations
from bot.chat import (
    Confirmation,
    Invocation,
    Outcome,
)
from bot.clock import SystemClock
from bot.config import ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.notifier.pacing import ChannelPacer
from bot.sandbox import SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack, FakeTeam
from tests.stand_in import NullDispatcher

SECRET = "bench-signing-secret"
CHANNELS = 50
ROOT = Path(__file__).resolve().parent.parent  # spread over channels, as a real workspace would be


@dataclass
class Result:
    name: str
    latencies: list[float]  # seconds
    statuses: dict[int, int]

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        k = min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))
        return xs[k] * 1000


def team_of(i: int, teams: int) -> str:
    return f"TB{i % teams:04d}" if teams else "T111"


def body(i: int, response_url: str, teams: int = 0) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": team_of(i, teams),
            "team_domain": "t",
            # each team its own channels (the fake Slack refuses a channel of another team)
            "channel_id": f"C{i % CHANNELS:04d}{team_of(i, teams) if teams else ''}",
            "channel_name": "general",
            "user_id": f"U{i % 7}",
            "user_name": "bench",
            "command": "/post",
            "text": f"x “Bench post {i}”",
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"bench.{i}.{time.time_ns()}",
        }
    )


def headers(b: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{b}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={sig}",
    }


async def _client(
    url: str, n: int, concurrency: int, response_url: str, teams: int = 0, warm: int = 0
) -> list[float]:
    """The load generator (runs in its own process, like Slack would be elsewhere)."""
    sem = asyncio.Semaphore(concurrency)
    lat: list[float] = []
    bad: list[int] = []
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as http:

        async def one(i: int, record: bool) -> None:
            b = body(i, response_url, teams)
            h = headers(b)
            async with sem:
                t0 = time.perf_counter()
                async with http.post(url, data=b.encode(), headers=h) as r:
                    await r.read()
                    dt = time.perf_counter() - t0
                    if record:
                        lat.append(dt)
                        if r.status != 200:
                            bad.append(r.status)

        # warm-up: every team once (steady state, not first contact); the same count for both
        # bots compared, so both carry the same background work into the measured part
        warm = max(concurrency, teams, warm)
        await asyncio.gather(*(one(i, False) for i in range(warm)))
        await asyncio.gather(*(one(i, True) for i in range(n)))
    if bad:
        raise SystemExit(f"non-200 answers: {sorted(set(bad))}")
    return lat


async def fire(
    url: str, n: int, concurrency: int, response_url: str, name: str, teams: int = 0,
    warm: int = 0,
) -> Result:  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.slack_ack", "--client", url, "--commands", str(n),
        "--concurrency", str(concurrency), "--response-url", response_url,
        "--teams", str(teams), "--warm", str(warm), stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
    )  # fmt: skip
    keep_off_first_core(proc.pid)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode})")
    lat = [float(x) for x in json.loads(out)]
    return Result(name, lat, {200: len(lat)})


async def _serve(kind: str, teams: int = 0) -> None:
    """``--serve slack|sandbox``: run a fake service in this process; print its URL; stop
    when stdin closes. ``teams``: the fake Slack knows that many teams' bot tokens."""
    async with AsyncExitStack() as stack:
        if kind == "slack":
            fake = await FakeSlack().start()
            for i in range(teams):
                team = team_of(i, teams)
                fake.teams[team] = FakeTeam(team, f"Bench {i}")
                fake.tokens[bench_token(team)] = team
            stack.push_async_callback(fake.stop)
            url = fake.url
        else:
            sandbox = await stack.enter_async_context(
                start_sandbox(SandboxOptions(publish_delay=0.5, rate_limit=1_000_000))
            )
            url = f"{sandbox.url} {sandbox.demo_key}"
        print(url, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


def bench_token(team: str) -> str:
    return f"xoxb-bench-{team}"


@asynccontextmanager
async def service(kind: str, teams: int = 0) -> AsyncIterator[str]:
    """A fake remote service (Slack Web API or the Social API sandbox) in its own process."""
    # Niced: they answer the bot's background work; the acks measured never wait on them, and
    # the load generator (the clock of the measurement) shares their core.
    async with child_service(
        "bench.slack_ack", ["--serve", kind, "--teams", str(teams)], kind, niceness=10
    ) as url:
        yield url


@asynccontextmanager
async def bare_app(slack_url: str) -> AsyncIterator[str]:
    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=BOT_TOKEN,
            bot_user_id="UBOT", bot_id="BBOT",
        )  # fmt: skip

    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(base_url=f"{slack_url}/api/"),
        authorize=authorize,
    )

    @app.command("/post")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()


class StubCommands(NullDispatcher):
    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        return Outcome((Confirmation(title=f"Publishing now: {inv.text[:20]}"),))


@asynccontextmanager
async def bot_app(
    slack_url: str, tmp: Path, stub: bool, teams: int = 0, sandbox: str | None = None
) -> AsyncIterator[tuple[str, object]]:
    """The bot: single-team (``teams`` 0, SLACK_BOT_TOKEN) or distributed with ``teams``
    installations (OAuth mode; installed straight into its encrypted store)."""
    async with AsyncExitStack() as stack:
        api_url, key = "http://127.0.0.1:9", Secret("sk_unused")
        if not stub:
            if sandbox is None:
                sandbox = await stack.enter_async_context(service("sandbox"))
            api_url, demo_key = sandbox.split()
            key = Secret(demo_key)
        distributed = dict(
            slack_client_id="bench.client",
            slack_client_secret=Secret("bench-client-secret"),
            encryption_key=Secret(Fernet.generate_key().decode()),
            # one binding for every team (what a real set-up has per team)
            bindings=(ChannelBinding("slack", None, None, ChannelConfig()),),
        )
        settings = Settings(
            api_url=api_url,
            db_path=str(tmp / f"bench{teams}.db"),
            workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=key)},
            slack_bot_token=None if teams else Secret(BOT_TOKEN),
            slack_signing_secret=Secret(SECRET),
            slack_api_url=slack_url,
            **(distributed if teams else {}),  # type: ignore[arg-type]
        )
        db = await Database.open(settings.db_path)
        clock = SystemClock()
        core = Core(settings=settings, db=db, clients=Clients(settings, clock), clock=clock)
        core.pacers["slack"] = ChannelPacer(clock)
        records = None
        if teams:
            assert settings.encryption_key is not None and settings.slack_client_id
            records = await installations.open_records(
                db, settings.encryption_key.reveal(), clock, settings.slack_client_id
            )
            store = DbInstallationStore(records)
            for i in range(teams):
                team = team_of(i, teams)
                await store.async_save(
                    Installation(
                        app_id="A1", team_id=team, team_name=f"Bench {i}",
                        bot_token=bench_token(team), bot_id="BBOT", bot_user_id="UBOT",
                        bot_scopes="commands,chat:write", user_id="U_INSTALLER",
                    )
                )  # fmt: skip
        adapter = build_slack_adapter(
            core, settings, dispatcher=StubCommands() if stub else None, records=records
        )
        runner = await start_http(adapter.app, "127.0.0.1", 0)
        heap.settle()  # as ``socialbot run`` does at the end of its start-up
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", adapter
        finally:
            await runner.cleanup()
            await adapter.aclose(grace=0.0)
            await core.clients.aclose()
            await db.close()


def table(results: Sequence[Result]) -> str:
    rows = [
        "| app  | commands | p50 ms | p99 ms | max ms | statuses |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r.name} | {len(r.latencies)} | {r.pct(50):.1f} | {r.pct(99):.1f} | "
            f"{max(r.latencies) * 1000:.1f} | {dict(sorted(r.statuses.items()))} |"
        )
    return "\n".join(rows)


async def run(n: int, concurrency: int, stub: bool, rounds: int) -> int:
    """Both apps up at once; ``rounds`` alternating slices of the ``n`` commands each, so a
    busy host slows both alike. Before each bare slice the bot's background work is drained
    (it shares this process)."""
    bare = Result("bare", [], {})
    bot = Result("bot ", [], {})
    backlog = 0
    async with service("slack") as slack_url, bare_app(slack_url) as bare_url:
        response_url = f"{slack_url}/respond/bench"
        with tempfile.TemporaryDirectory() as tmp:
            async with bot_app(slack_url, Path(tmp), stub) as (bot_url, adapter):
                per = max(1, n // rounds)
                for r in range(rounds):
                    if stub:  # with the real API the queue drains at 120 calls/min: don't wait
                        await adapter.idle()  # type: ignore[attr-defined]
                    order = [(bare, bare_url), (bot, bot_url)][:: 1 if r % 2 == 0 else -1]
                    for result, url in order:
                        if result is bare and stub:
                            await adapter.idle()  # type: ignore[attr-defined]
                        part = await fire(url, per, concurrency, response_url, result.name)
                        result.latencies += part.latencies
                        if result is bot:
                            backlog = max(backlog, adapter.busy)  # type: ignore[attr-defined]
    for res in (bare, bot):
        res.statuses = {200: len(res.latencies)}
    print(table([bare, bot]))
    ratio = bot.pct(99) / bare.pct(99) if bare.pct(99) else float("inf")
    ok_ratio, ok_abs = ratio <= 1.3, bot.pct(99) <= 100
    print(
        f"\nbot p99 / bare p99 = {ratio:.2f} (target ≤ 1.3: {'ok' if ok_ratio else 'MISSED'}); "
        f"bot p99 {bot.pct(99):.1f} ms (target ≤ 100 ms: {'ok' if ok_abs else 'MISSED'})"
    )
    print(
        f"dispatch: {'stub' if stub else 'real commands.dispatch + sandbox (own process)'}; "
        f"fake Slack Web API, sandbox and load generator each in their own process; "
        f"{rounds} alternating rounds; most background jobs queued behind the acks: {backlog}"
    )
    return 0 if ok_ratio and ok_abs else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.slack_ack", description=__doc__.split("\n")[0]
    )
    p.add_argument("--commands", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--stub", action="store_true", help="answer dispatch at once (no sandbox)")
    p.add_argument("--rounds", type=int, default=5, help="alternating bare/bot slices")
    p.add_argument(
        "--teams", type=int, default=0, help="single-team vs distributed bot with N teams"
    )
    p.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--serve", choices=["slack", "sandbox"], help=argparse.SUPPRESS)
    p.add_argument("--response-url", default="http://127.0.0.1:9/", help=argparse.SUPPRESS)
    p.add_argument("--warm", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.serve:
        asyncio.run(_serve(args.serve, args.teams))
        return 0
    if args.client:
        lat = asyncio.run(
            _client(
                args.client,
                args.commands,
                args.concurrency,
                args.response_url,
                args.teams,
                args.warm,
            )
        )
        print(json.dumps(lat))
        return 0
    if args.teams:
        from bench._slack_ack_teams import run_teams

        return asyncio.run(
            run_teams(args.commands, args.concurrency, args.stub, args.rounds, args.teams)
        )
    return asyncio.run(run(args.commands, args.concurrency, args.stub, args.rounds))


if __name__ == "__main__":
    raise SystemExit(main())
