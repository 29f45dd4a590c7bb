"""Approval cards show the media (issue 14) on Discord, through the real stack: the real
discord.py client on the fake Discord, the real dispatch and approval workflow, the sandbox.

Media links are ``http://cdn.example.com/m/<name>`` (a public name the fake network sends to a
loopback server, under the production media rules); attachments come from the fake CDN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import (
    ApprovalPolicy,
    ChannelBinding,
    ChannelConfig,
    MediaRules,
    Settings,
    Workspace,
)
from bot.core import Clients, Core
from bot.sandbox import SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands import times
from commands.dispatcher import CommandLayer
from tests.discord.conftest import BotFactory
from tests.discord.fake_discord import (
    APPROVAL_CHANNEL_ID,
    APPROVER_ROLE_ID,
    GUILD_ID,
    REVIEW_CHANNEL_ID,
    FakeDiscord,
    attachment,
    wait_until,
)
from tests.fakenet import MediaSite

KEY = "sk_test_discord_media"


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class World:
    fake: FakeDiscord
    media: MediaSite

    async def ask(
        self, options: dict[str, Any], attachments: dict[str, dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """``/post`` in the review channel; the embeds of the approval card it posted."""
        before = len(self.fake.channel_messages(APPROVAL_CHANNEL_ID))
        await self.fake.slash(
            "post", options, channel_id=REVIEW_CHANNEL_ID, attachments=attachments
        )
        await wait_until(
            lambda: len(self.fake.channel_messages(APPROVAL_CHANNEL_ID)) > before, within=10
        )
        embeds = self.fake.channel_messages(APPROVAL_CHANNEL_ID)[-1].embeds
        within_limits(embeds)
        return embeds


def within_limits(embeds: list[dict[str, Any]]) -> None:
    """Discord's embed limits: ≤ 10 embeds, title 256, description 4096, ≤ 25 fields (name 256,
    value 1024), footer 2048, 6000 characters over all the message's embeds."""
    assert len(embeds) <= 10
    total = 0
    for e in embeds:
        title, desc = e.get("title") or "", e.get("description") or ""
        footer = (e.get("footer") or {}).get("text") or ""
        fields = e.get("fields") or []
        assert len(title) <= 256 and len(desc) <= 4096 and len(footer) <= 2048
        assert len(fields) <= 25
        for f in fields:
            assert len(f["name"]) <= 256 and len(f["value"]) <= 1024
        total += len(title) + len(desc) + len(footer)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= 6000


@pytest.fixture
async def world(fake: FakeDiscord, make_bot: BotFactory, tmp_path: Path) -> AsyncIterator[World]:
    media = await MediaSite().start()
    clock = FakeClock(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    options = SandboxOptions(keys=(KEY,), clock=clock, publish_delay=2.0, demo_key=False)
    async with start_sandbox(options, port=0) as sb:
        review = ChannelConfig(
            workspace="default",
            default_targets=("ig",),
            timezone="UTC",
            approval=ApprovalPolicy(
                required=True,
                approvers=(f"role:{APPROVER_ROLE_ID}",),
                channel=APPROVAL_CHANNEL_ID,
            ),
        )
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=Secret(KEY))},
            bindings=(ChannelBinding("discord", GUILD_ID, REVIEW_CHANNEL_ID, review),),
            discord_bot_token=Secret("fake-bot-token"),
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            discord_guild_ids=(int(GUILD_ID),),
            media=MediaRules(),  # production rules
        )
        db = await Database.open(settings.db_path)
        clients = Clients(settings, clock)
        core = Core(settings, db, clients, clock, network=media.network())
        try:
            await make_bot(core=core, settings=settings, dispatcher=CommandLayer())
            yield World(fake, media)
        finally:
            await clients.aclose()
            await db.close()
            await media.stop()


def gallery(embeds: list[dict[str, Any]]) -> list[str]:
    return [e["image"]["url"] for e in embeds if e.get("image")]


def media_field(embeds: list[dict[str, Any]]) -> str:
    value: str = next(f["value"] for f in embeds[0].get("fields") or () if f["name"] == "Media")
    return value


async def test_two_images_by_url_and_an_attachment_make_one_gallery(world: World) -> None:
    one, two = world.media.url("img1.jpg"), world.media.url("two.png")
    photo = b"\xff\xd8\xff" + b"a" * 800
    cdn = world.fake.add_cdn_file("photo.jpg", photo)
    embeds = await world.ask(
        {"targets": "ig,fb", "caption": "Launch day", "media_urls": f"{one} {two}"},
        {"media": attachment(cdn, "photo.jpg", len(photo), "image/jpeg")},
    )
    # the command's attachment by its attachment URL, then the links, in post order
    assert gallery(embeds) == [cdn, one, two]
    assert len(embeds) == 3 and {e["url"] for e in embeds} == {cdn}  # one gallery
    assert embeds[0]["description"].startswith("Launch day")
    fields = {f["name"]: f["value"] for f in embeds[0]["fields"]}
    assert "10/2,200 characters" in fields["Instagram (@acme)"]
    assert "10/63,206 characters" in fields["Facebook (acme)"]


async def test_a_video_is_a_link(world: World) -> None:
    clip = world.media.url("clip.mp4")
    embeds = await world.ask({"targets": "fb", "caption": "Watch", "media_urls": clip})
    assert gallery(embeds) == [] and len(embeds) == 1
    assert f"🎬 [clip.mp4]({clip})" in media_field(embeds)


async def test_six_images_show_four_and_the_rest_by_name(world: World) -> None:
    urls = [world.media.url(f"img{i}.jpg") for i in range(1, 7)]
    embeds = await world.ask(
        {"targets": "ig,fb", "caption": "Gallery", "media_urls": " ".join(urls)}
    )
    assert gallery(embeds) == urls[:4] and len(embeds) == 4
    assert "+2 more: img5.jpg, img6.jpg" in media_field(embeds)


def test_the_largest_card_keeps_embed_limits() -> None:
    from adapters.discord.render import render_approval
    from tests.slack.test_card_media import biggest_card

    rendered = render_approval(biggest_card())
    embeds = [e.to_dict() for e in rendered.embeds]
    within_limits(embeds)  # type: ignore[arg-type]
    assert len(gallery(embeds)) == 4 and rendered.buttons  # type: ignore[arg-type]
