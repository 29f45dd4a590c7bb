"""/social calendar through the real discord.py client on the fake Discord: the answer is a
message with the PNG as a multipart attachment (alt text as its description) and an embed that
shows it (``attachment://…``); times in the channel's zone (Discord gives no user zone)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.api.models import Analytics
from bot.clock import FakeClock
from bot.config import ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.pictures import snapshots
from bot.pictures.worker import Renderer
from bot.sandbox import SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands.dispatcher import CommandLayer
from tests.discord.conftest import BotFactory
from tests.discord.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, Msg, wait_until
from tests.pictures.helpers import at, png_size, schedule

KEY = "sk_test_pictures"
START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    r = Renderer()  # the real render worker (a separate process)
    yield r
    r.close()


@pytest.fixture
async def core(fake: FakeDiscord, tmp_path: Path, renderer: Renderer) -> AsyncIterator[Core]:
    clock = FakeClock(START)
    options = SandboxOptions(keys=(KEY,), clock=clock, publish_delay=2.0, demo_key=False)
    async with start_sandbox(options, port=0) as sb:
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=Secret(KEY))},
            bindings=(
                ChannelBinding(
                    "discord", GUILD_ID, CHANNEL_ID, ChannelConfig(timezone="America/New_York")
                ),
            ),
            discord_bot_token=Secret("fake-bot-token"),
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            discord_guild_ids=(int(GUILD_ID),),
        )
        db = await Database.open(settings.db_path)
        c = Core(settings, db, Clients(settings, clock), clock, pictures=renderer)
        try:
            yield c
        finally:
            await c.clients.aclose()
            await db.close()


async def _answer_with_file(fake: FakeDiscord, iid: str) -> Msg:
    def found() -> Msg | None:
        msgs = [m for m in fake.interaction_messages(iid) if m.files and not m.deleted]
        return msgs[0] if msgs else None

    await wait_until(lambda: found() is not None, within=20)
    msg = found()
    assert msg is not None
    return msg


async def test_calendar_is_a_multipart_attachment_shown_by_an_embed(
    fake: FakeDiscord, make_bot: BotFactory, core: Core
) -> None:
    client = core.clients.for_workspace("default")
    await schedule(
        client, ["twitter"], "Tuesday tip: ship small 🚀", at(date(2026, 6, 2), 9, 0, NEW_YORK)
    )
    await schedule(
        client, ["linkedin", "facebook"], "Q2 report 新製品", at(date(2026, 6, 4), 16, 45, NEW_YORK)
    )
    await make_bot(core=core, settings=core.settings, dispatcher=CommandLayer())

    iid = await fake.slash("social", {"period": "this week"}, sub="calendar")
    msg = await _answer_with_file(fake, iid)

    [f] = msg.files
    assert f["filename"] == "calendar-week-2026-06-01.png"
    width, _ = png_size(f["bytes"])
    assert width == 1400
    alt = f["description"]
    assert "times in America/New_York" in alt
    assert "Tue 02 Jun 09:00 · X · scheduled · “Tuesday tip: ship small 🚀”" in alt
    assert "Thu 04 Jun 16:45 · Facebook + LinkedIn · scheduled" in alt
    [embed] = msg.embeds
    assert embed["image"]["url"] == "attachment://calendar-week-2026-06-01.png"
    assert "2 posts" in embed["title"] and "09:00 · X · scheduled" in embed["description"]
    assert not msg.ephemeral


async def test_a_refused_attachment_still_brings_the_words(
    fake: FakeDiscord, make_bot: BotFactory, core: Core
) -> None:
    client = core.clients.for_workspace("default")
    await schedule(client, ["twitter"], "Friday recap", at(date(2026, 6, 5), 17, 0, NEW_YORK))
    await make_bot(core=core, settings=core.settings, dispatcher=CommandLayer())
    fake.refuse_files = 1

    iid = await fake.slash("social", {}, sub="calendar")

    def answered() -> Msg | None:
        msgs = [m for m in fake.interaction_messages(iid) if "couldn't attach" in m.content]
        return msgs[0] if msgs else None

    await wait_until(lambda: answered() is not None, within=20)
    msg = answered()
    assert msg is not None and not msg.files
    assert "Discord said 413" in msg.content
    [embed] = msg.embeds
    assert "Fri 05 Jun 17:00 · X · scheduled" in embed["description"] and "image" not in embed


async def test_analytics_keeps_its_words_and_adds_the_chart(
    fake: FakeDiscord, make_bot: BotFactory, core: Core
) -> None:
    now = core.clock.now()
    for days_ago, published, likes in ((3, 2, 40), (2, 5, 90), (1, 6, 130)):
        a = Analytics(published, {"published": published}, {"likes": likes, "shares": 3})
        await snapshots.record(core.db, "default", a, now - timedelta(days=days_ago))
    await make_bot(core=core, settings=core.settings, dispatcher=CommandLayer())

    iid = await fake.slash("social", {"period": "7d"}, sub="analytics")
    msg = await _answer_with_file(fake, iid)

    [f] = msg.files
    png_size(f["bytes"])
    assert f["filename"] == "analytics-default-7d.png"
    assert "published 4" in f["description"] and "likes 90 → 0" in f["description"]
    words = [
        m for m in fake.interaction_messages(iid) if m.title and "workspace default" in m.title
    ]
    assert words and words[0].ephemeral  # the numbers in words, only for the asker
    assert msg.embeds[0]["image"]["url"] == "attachment://analytics-default-7d.png"
