"""Fixtures: the fake Discord, a Core on a temp SQLite file, and the real client started on it.

``Recorder`` stands in for the command layer where a test is about translation and rendering:
it records what the adapter hands over and answers with the replies the test chose.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.client import (
    SocialDiscordClient,
    close_discord,
    create_discord_client,
    start_discord,
)
from bot.chat import ButtonEvent, Invocation, Outcome, ReactionEvent, Reply
from bot.clock import FakeClock
from bot.config import Settings
from bot.core import Clients, Core
from bot.secret import Secret
from bot.storage import Database
from commands.complete import Choice
from commands.dispatcher import Dispatcher
from tests.discord.fake_discord import GUILD_ID, FakeDiscord
from tests.stand_in import NullDispatcher


@dataclass
class Recorder(NullDispatcher):
    invocations: list[Invocation] = field(default_factory=list)
    reactions: list[ReactionEvent] = field(default_factory=list)
    buttons: list[ButtonEvent] = field(default_factory=list)
    completions: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    replies: tuple[Reply, ...] = ()
    duplicate: bool = False
    # Runs inside dispatch (after the adapter deferred): simulate slow work, use the port…
    during: Callable[[Invocation], Awaitable[None]] | None = None
    targets: list[Choice] = field(
        default_factory=lambda: [
            Choice("Instagram · @brand", "instagram"),
            Choice("X · @brand", "x"),
            Choice("Facebook · Brand", "facebook"),
        ]
    )

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        self.invocations.append(inv)
        if self.during is not None:
            await self.during(inv)
        if self.duplicate:
            return Outcome(duplicate=True)
        return Outcome(replies=self.replies)

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        self.reactions.append(event)
        return Outcome()

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome:
        self.buttons.append(event)
        return Outcome(replies=self.replies)

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]:
        self.completions.append(("targets", team, channel, typed))
        return [c for c in self.targets if c.value.startswith(typed.lower())]

    async def when_choices(
        self,
        core: Core,
        platform: str,
        team: str | None,
        channel: str,
        typed: str,
        user_tz: str | None,
    ) -> list[Choice]:
        self.completions.append(("when", team, channel, typed))
        return [Choice(f"{typed} → Tue 2 Jun 09:00 UTC", typed)]


@pytest.fixture(autouse=True)
def _restore_discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    # create_discord_client sets these process-wide class attributes: undo after each test.
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    f = await FakeDiscord().start()
    yield f
    await f.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "bot.db")


def make_settings(fake: FakeDiscord, guilds: tuple[int, ...] = (int(GUILD_ID),)) -> Settings:
    return Settings(
        discord_bot_token=Secret("fake-bot-token"),
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        discord_guild_ids=guilds,
    )


@dataclass
class Bot:
    client: SocialDiscordClient
    core: Core
    clock: FakeClock
    rec: Recorder


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(fake: FakeDiscord, db_path: str) -> AsyncIterator[BotFactory]:
    started: list[Bot] = []
    dbs: list[Database] = []

    async def factory(
        *,
        rec: Recorder | None = None,
        dispatcher: Dispatcher | None = None,
        core: Core | None = None,
        settings: Settings | None = None,
        max_attachment_bytes: int = 1024 * 1024,
    ) -> Bot:
        settings = settings or make_settings(fake)
        clock = core.clock if core is not None else FakeClock()
        assert isinstance(clock, FakeClock)
        if core is None:
            db = await Database.open(db_path)
            dbs.append(db)
            core = Core(settings, db, Clients(settings, clock), clock=clock)
        rec = rec or Recorder()
        client = create_discord_client(
            core,
            settings,
            dispatcher=dispatcher or rec,
            clock=clock,
            max_attachment_bytes=max_attachment_bytes,
            guild_ready_timeout=0.05,
        )
        assert settings.discord_bot_token is not None
        await start_discord(client, settings.discord_bot_token, ready_timeout=10)
        bot = Bot(client, core, clock, rec)
        started.append(bot)
        return bot

    yield factory
    for b in started:
        await close_discord(b.client)
    for db in dbs:
        await db.close()


@pytest.fixture
async def bot(make_bot: BotFactory) -> Bot:
    return await make_bot()


def embed_titles(fake_msgs: list[Any]) -> list[str | None]:
    return [m.title for m in fake_msgs]
