"""Slack adapter harness: the fake Slack, a Core on a temp database, the real Bolt app served
over loopback HTTP, and a scriptable stand-in for the command layer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from adapters.slack.app import SlackAdapter, build_slack_adapter
from adapters.slack.runner import start_http
from bot.chat import (
    ButtonEvent,
    Confirmation,
    Invocation,
    Outcome,
    ReactionEvent,
)
from bot.clock import SystemClock
from bot.config import Settings
from bot.core import Clients, Core
from bot.notifier.pacing import ChannelPacer
from bot.secret import Secret
from bot.storage import Database
from commands.complete import Choice
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.payloads import SECRET, SlackDriver
from tests.stand_in import NullDispatcher

Script = Callable[[Invocation], Outcome]


@dataclass
class FakeCommands(NullDispatcher):
    """Stands in for commands.dispatch: records what the adapter hands over, answers from a
    script, de-duplicates delivery ids like the real one, and can be held (``gate``)."""

    script: Script = lambda inv: Outcome((Confirmation(title=f"Done: {inv.text}"),))
    card_script: Callable[[ReactionEvent | ButtonEvent], Outcome] = lambda e: Outcome()
    choices: list[Choice] = field(
        default_factory=lambda: [Choice("Instagram @acme", "ig"), Choice("X @acme", "x")]
    )
    invocations: list[Invocation] = field(default_factory=list)
    events: list[ReactionEvent | ButtonEvent] = field(default_factory=list)
    gate: asyncio.Event | None = None
    finished: int = 0
    seen: set[str] = field(default_factory=set)

    async def _hold(self) -> None:
        if self.gate is not None:
            await self.gate.wait()

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        self.invocations.append(inv)
        await self._hold()
        self.finished += 1
        if inv.delivery_id in self.seen:
            return Outcome(duplicate=True)
        self.seen.add(inv.delivery_id)
        return self.script(inv)

    async def _card(self, event: ReactionEvent | ButtonEvent) -> Outcome:
        self.events.append(event)
        await self._hold()
        if event.delivery_id in self.seen:
            return Outcome(duplicate=True)
        self.seen.add(event.delivery_id)
        return self.card_script(event)

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._card(event)

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._card(event)

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]:
        return self.choices


def slack_settings(fake: FakeSlack, **kw: object) -> Settings:
    return Settings(
        db_path=":memory:",
        slack_bot_token=Secret(BOT_TOKEN),
        slack_signing_secret=Secret(SECRET),
        slack_app_token=Secret(APP_TOKEN),
        slack_api_url=fake.url,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    f = await FakeSlack().start()
    f.tz["U1"] = "Europe/Berlin"
    yield f
    await f.stop()


@pytest.fixture
async def core(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Core]:
    settings = slack_settings(fake)
    db = await Database.open(str(tmp_path / "bot.db"))
    clock = SystemClock()
    c = Core(settings=settings, db=db, clients=Clients(settings, clock), clock=clock)
    c.pacers["slack"] = ChannelPacer(clock, per_second=1000)  # pacing has its own test
    yield c
    await c.clients.aclose()
    await db.close()


@pytest.fixture
def commands() -> FakeCommands:
    return FakeCommands()


@pytest.fixture
async def adapter(core: Core, commands: FakeCommands) -> AsyncIterator[SlackAdapter]:
    a = build_slack_adapter(core, core.settings, dispatcher=commands)
    yield a
    await a.aclose()


@dataclass
class Served:
    adapter: SlackAdapter
    fake: FakeSlack
    slack: SlackDriver
    commands: FakeCommands


@pytest.fixture
async def served(
    adapter: SlackAdapter, fake: FakeSlack, commands: FakeCommands
) -> AsyncIterator[Served]:
    runner = await start_http(adapter.app, "127.0.0.1", 0)
    port = runner.addresses[0][1]
    driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", fake.response_url("r1"))
    yield Served(adapter, fake, driver, commands)
    await driver.aclose()
    await runner.cleanup()
