"""Fuzzing: hostile command texts through ``commands.dispatch``, and malformed Slack requests
at the bot's HTTP endpoint.

1. ``N_COMMANDS`` (10,000) seeded random invocations — odd Unicode, smart and unmatched quotes,
   control characters, huge captions, option soup, random structured options — go through the
   real ``dispatch`` in-process, with a real ``SocialClient`` against the in-process sandbox
   (the texts that parse into a valid request reach it; most fail validation first). No
   exception may escape, every invocation gets at least one reply with a title, and none is
   the "something went wrong on my side" apology (an unexpected exception inside).
2. ``N_SLACK`` (400) malformed bodies (broken JSON, wrong types, missing fields, huge bodies,
   odd Unicode), each posted correctly signed and unsigned to the real Bolt app over aiohttp's
   test server (behind the guard ``socialbot run`` puts in front, ``adapters.slack.guard``) →
   never a 5xx; unsigned ones 401 (413 when too big to read). The templates include the real
   payload corpus (``tests/corpus/slack``).
3. ``N_CORPUS`` (600) mutations of that corpus (fields removed, ``null``ed, turned into arrays),
   signed: never a 5xx, and a mutation that only makes variations Slack documents
   (``tests/corpus/documented.py``) is acked 200, never refused 400; every sample cut short is
   still a 400.

Seeds are fixed (``FUZZ_SEED`` overrides; ``FUZZ_COMMANDS`` / ``FUZZ_SLACK`` / ``FUZZ_CORPUS``
change the counts), so a
failure repeats; the failing input is printed. Sizing: the 10,000 commands take about 35 s on
one core (most fail validation; ~260 reach the API and create a post), the Slack part ~5 s.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.runner import EVENTS_PATH
from bot.api.client import SocialClient
from bot.api.ratelimit import LimiterRegistry
from bot.chat import ErrorReply, Invocation, Reply, User
from bot.clock import SystemClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.netguard import Network
from bot.notifier.pacing import ChannelPacer
from bot.sandbox import SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands import times
from commands.dispatch import dispatch
from tests.corpus import documented, load
from tests.fakenet import PUBLIC_IP, FakeResolver
from tests.ops import fuzzgen
from tests.ops.harness import NullPort
from tests.secrets import OPS_SIGNING_SECRET, SLACK_BOT_TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import button_payload, event_payload, reaction, sign, slash_payload

N_COMMANDS = int(os.environ.get("FUZZ_COMMANDS", "10000"))
N_SLACK = int(os.environ.get("FUZZ_SLACK", "400"))
N_CORPUS = int(os.environ.get("FUZZ_CORPUS", "600"))
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
KEY = "sk_test_ops_one"


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    # No rate limit on either side: thousands of calls must not wait for a window.
    options = SandboxOptions(keys=(KEY,), publish_delay=0.5, demo_key=False, rate_limit=10**9)
    async with start_sandbox(options) as sb:
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={"main": Workspace("main", "KEY", key=Secret(KEY))},
            bindings=(
                ChannelBinding("slack", None, "C_MAIN", ChannelConfig(
                    workspace="main", default_targets=("x",), aliases={"brand": ("ig", "fb")},
                )),
                ChannelBinding("slack", None, "C_REVIEW", ChannelConfig(
                    workspace="main",
                    approval=ApprovalPolicy(required=True, approvers=("U_BOB",), quorum=1),
                )),
            ),
        )  # fmt: skip
        clock = SystemClock()
        db = await Database.open(settings.db_path)
        clients = Clients(settings, clock)
        unlimited = LimiterRegistry(limit=10**9)
        # (an empty registry is falsy and SocialClient then falls back to the process-wide
        # one: ``limiters or DEFAULT_LIMITERS`` — create the key's limiter first)
        unlimited.for_key(Secret(KEY), clock)
        clients.overrides["main"] = SocialClient(
            sb.url, Secret(KEY), clock=clock, limiters=unlimited
        )
        c = Core(settings, db, clients, clock, ports={"slack": NullPort()})
        try:
            yield c
        finally:
            await clients.aclose()
            await db.close()


def _problem(reply: Reply) -> str | None:
    title = getattr(reply, "title", None)
    if not isinstance(title, str) or not title.strip():
        return f"a reply without a title: {reply!r}"[:500]
    if isinstance(reply, ErrorReply) and reply.reference is not None:
        return f"an apology (unexpected exception inside): {reply.title}"
    return None


def _offline_media(core: Core) -> None:
    """Media links answer 404 without touching the network: every name resolves to one public
    address, which the dialer answers itself (the fetch rules still run in full)."""
    answer = httpx.MockTransport(lambda request: httpx.Response(404))
    core.network = Network(resolve=FakeResolver({}, default=[PUBLIC_IP]), dial=lambda: answer)


async def test_ten_thousand_random_commands(core: Core) -> None:
    _offline_media(core)
    rng = random.Random(SEED)
    users = [User("U_ALICE", "alice"), User("U_BOB", "bob"), User("U_\u202e", "\u202e")]
    channels = ["C_MAIN", "C_REVIEW", "C_UNBOUND"]
    started = time.monotonic()
    reached_api = 0
    failures: list[str] = []
    for i in range(N_COMMANDS):
        inv = Invocation(
            command=fuzzgen.command(rng),
            text=fuzzgen.command_text(rng),
            user=rng.choice(users),
            platform="slack",
            channel=rng.choice(channels),
            delivery_id=f"fuzz-{SEED}-{i}",
            team="T1",
            thread=None,
            user_tz=rng.choice([None, "Europe/Berlin", "Nowhere/Void", "UTC"]),
            options=fuzzgen.options(rng),
        )
        try:
            out = await asyncio.wait_for(dispatch(core, inv), 10)
        except BaseException as e:
            failures.append(f"#{i} raised {type(e).__name__}: {e} for {inv!r}"[:2000])
            continue
        if out.duplicate or not out.replies:
            failures.append(f"#{i} got no reply for {inv!r}"[:2000])
            continue
        for reply in out.replies:
            problem = _problem(reply)
            if problem:
                failures.append(f"#{i} {problem} for {inv!r}"[:2000])
        if len(failures) >= 5:
            break
    elapsed = time.monotonic() - started
    reached_api = len(await core.clients.for_workspace("main").list_posts())
    print(f"fuzz: {N_COMMANDS} commands in {elapsed:.1f} s; {reached_api} posts created")
    assert not failures, "\n".join(failures)
    assert reached_api > 0, "no text reached the API: the generator is too timid"


# ------------------------------------------------------------------ Slack HTTP endpoint


def _templates(response_url: str) -> list[tuple[str, str, dict[str, Any]]]:
    form = "application/x-www-form-urlencoded"
    js = "application/json"
    return [
        ("command", form, slash_payload("/post", 'x "hi"', response_url)),
        ("event", js, event_payload(reaction("U1", "white_check_mark", "C1", "1.2"), "Ev1")),
        ("event", js, {"type": "url_verification", "challenge": "c", "token": "t"}),
        (
            "interactive",
            form,
            button_payload("socialbot_approve", "p_1", user="U1", channel="C1", ts="1.2"),
        ),
        ("interactive", form, {"type": "view_submission", "view": {"callback_id": "x"}}),
        *(
            (
                sample.kind,
                load.encode(sample.kind, sample.doc)[0],
                load.redirect(sample.doc, response_url),
            )
            for sample in load.slack_http()
        ),
    ]


@dataclass
class Endpoint:
    client: TestClient[Any, Any]
    fake: FakeSlack
    adapter: Any

    async def post(self, ctype: str | None, body: str, *, signed: bool = True,
                   forged: bool = False) -> int:  # fmt: skip
        headers = {"Content-Type": ctype} if ctype else {}
        if signed:
            headers |= sign(OPS_SIGNING_SECRET, body)
        elif forged:
            headers |= sign("wrong-secret", body)
        raw = body.encode("utf-8", "surrogatepass")
        resp = await self.client.post(EVENTS_PATH, data=io.BytesIO(raw), headers=headers)
        await resp.read()
        return resp.status


@asynccontextmanager
async def slack_endpoint(tmp_path: Path) -> AsyncIterator[Endpoint]:
    """The bot's Slack endpoint exactly as ``socialbot run`` serves it (``bot.runner``): the
    guard in front of the real Bolt app, the real command layer, a sandbox, the fake Slack."""
    from adapters.slack.app import adapter_of, create_slack_app
    from adapters.slack.guard import guarded_web_app

    fake = await FakeSlack().start()
    async with start_sandbox(SandboxOptions(keys=(KEY,), demo_key=False, rate_limit=10**9)) as sb:
        settings = Settings(
            db_path=str(tmp_path / "bot.db"),
            slack_bot_token=Secret(SLACK_BOT_TOKEN),
            slack_signing_secret=Secret(OPS_SIGNING_SECRET),
            slack_api_url=fake.url,
            workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=Secret(KEY))},
            api_url=sb.url,
        )
        db = await Database.open(settings.db_path)
        clock = SystemClock()
        core = Core(settings, db, Clients(settings, clock), clock)
        core.pacers["slack"] = ChannelPacer(clock, per_second=1000)  # pacing has its own tests
        _offline_media(core)  # fuzzed media links never leave the process
        app = create_slack_app(core, settings)
        adapter = adapter_of(app)
        await adapter.identity.load()
        client = TestClient(TestServer(guarded_web_app(app, OPS_SIGNING_SECRET, EVENTS_PATH)))
        await client.start_server()
        try:
            yield Endpoint(client, fake, adapter)
            idle_started = time.monotonic()
            await adapter.idle()
            print(f"fuzz: background work drained in {time.monotonic() - idle_started:.1f} s")
        finally:
            await client.close()
            await adapter.aclose()
            await core.clients.aclose()
            await db.close()
            await fake.stop()


async def test_malformed_slack_requests_never_get_a_5xx(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    statuses: dict[int, int] = {}
    bad: list[str] = []
    async with slack_endpoint(tmp_path) as ep:
        templates = _templates(ep.fake.response_url("fuzz"))
        for i in range(N_SLACK):
            ctype, body = fuzzgen.slack_body(rng, templates)
            for signed in (True, False):
                status = await ep.post(ctype, body, signed=signed, forged=rng.random() < 0.5)
                statuses[status] = statuses.get(status, 0) + 1
                # unsigned: refused (413 when too big to even read), never processed
                if status >= 500 or (not signed and status not in (401, 413)):
                    bad.append(f"#{i} signed={signed} → {status}: {ctype} {body[:300]!r}")
            if len(bad) >= 5:
                break
    print(f"fuzz: {N_SLACK} Slack bodies x (signed, unsigned) → statuses {statuses}")
    assert not bad, "\n".join(bad)
    assert statuses.get(401, 0) + statuses.get(413, 0) >= N_SLACK  # every unsigned one
    assert sum(n for s, n in statuses.items() if s < 400) > 0  # some signed ones got through


async def test_corpus_mutations_never_5xx_and_documented_forms_never_400(tmp_path: Path) -> None:
    """``N_CORPUS`` mutations of the real payload corpus (``tests/corpus/slack``): fields removed,
    ``null``ed or turned into arrays, half of them the variations Slack documents
    (``tests/corpus/documented.py``). Every one signed: never a 5xx; a documented form never a
    400 (it is acked 200); each sample cut short (broken JSON) still a 400."""
    rng = random.Random(SEED + 2)
    corpus = load.slack_http()
    statuses: dict[str, dict[int, int]] = {"documented": {}, "other": {}, "broken": {}}
    bad: list[str] = []
    async with slack_endpoint(tmp_path) as ep:
        sink = ep.fake.response_url("fuzz")
        for sample in corpus:  # malformed bodies keep their 400
            ctype, body = load.encode(sample.kind, load.redirect(sample.doc, sink))
            cut = body[: len(body) // 2] if sample.kind != "command" else "payload=%7B"
            status = await ep.post(load.JSON if sample.kind == "event" else ctype, cut)
            statuses["broken"][status] = statuses["broken"].get(status, 0) + 1
            if status != 400:
                bad.append(f"broken {sample.name} → {status}")
        for i in range(N_CORPUS):
            sample = rng.choice(corpus)
            ptype = documented.payload_type(sample.kind, sample.doc)
            variations = [
                (p, op)
                for p in fuzzgen.paths(sample.doc)
                for op in (documented.REMOVE, documented.NULL)
                if documented.is_documented(ptype, p, op)
            ]
            doc, done = fuzzgen.mutate_corpus(rng, sample.doc, variations)
            is_doc = all(documented.is_documented(ptype, p, op) for p, op in done)
            ctype, body = load.encode(sample.kind, load.redirect(doc, sink))
            status = await ep.post(ctype, body)
            group = statuses["documented" if is_doc else "other"]
            group[status] = group.get(status, 0) + 1
            if status >= 500 or (is_doc and status != 200):
                bad.append(f"#{i} {sample.name} {done} → {status}: {body[:300]!r}")
            if len(bad) >= 5:
                break
    print(f"fuzz: {N_CORPUS} corpus mutations → statuses {statuses}")
    assert not bad, "\n".join(bad)
    assert sum(statuses["documented"].values()) > N_CORPUS // 4  # the documented half ran
    assert statuses["other"].get(400, 0) > 0  # and the rest did break things
