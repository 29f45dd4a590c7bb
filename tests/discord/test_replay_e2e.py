"""Attachments across a restart, through the real stack (the world of test_end_to_end.py: the
real discord.py client on the fake Discord, the real dispatch and approval workflow, the
sandbox): a ``/post`` with a picture whose process died after the defer is published with the
picture; a picture that cannot be fetched any more gets a specific answer; an approval card shows
the attachment while the database only ever holds its URL sealed."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from bot.chat import Invocation, Outcome
from bot.core import Core
from commands.dispatcher import CommandLayer
from tests.discord.conftest import BotFactory
from tests.discord.fake_discord import (
    APPROVAL_CHANNEL_ID,
    BOB_ID,
    REVIEW_CHANNEL_ID,
    FakeDiscord,
    attachment,
    wait_until,
)
from tests.discord.test_end_to_end import KEY, World, answer, api_posts, world  # noqa: F401
from tests.discord.test_replay_files import stored_anywhere
from tests.discord.test_resume import _die

PHOTO = b"\xff\xd8\xff" + bytes(range(256)) * 400


class DiesOnce:
    """The real command layer, except that its first dispatch never returns: the process is
    killed meanwhile (the journal entry stays pending, owned by a dead process)."""

    def __init__(self) -> None:
        self.layer = CommandLayer()
        self.calls = 0
        self.never = asyncio.Event()

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        self.calls += 1
        if self.calls == 1:
            await self.never.wait()
        return await self.layer.dispatch(core, inv, resumed=resumed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.layer, name)


async def _post_killed_after_the_defer(
    fake: FakeDiscord,
    make_bot: BotFactory,
    world: World,  # noqa: F811
) -> tuple[Any, str, str]:
    layer = DiesOnce()
    bot = await make_bot(core=world.core, settings=world.settings, dispatcher=layer)
    url = fake.add_cdn_file("photo.jpg", PHOTO)
    iid = await fake.slash(
        "post",
        {"targets": "x", "caption": "Picture survives a restart"},
        attachments={"media": attachment(url, "photo.jpg", len(PHOTO), "image/jpeg")},
    )
    await wait_until(lambda: layer.calls == 1)
    await _die(bot)
    return bot, iid, url


async def test_a_post_with_a_picture_is_published_with_it_after_a_restart(
    fake: FakeDiscord,
    make_bot: BotFactory,
    world: World,  # noqa: F811
) -> None:
    bot, iid, _ = await _post_killed_after_the_defer(fake, make_bot, world)
    assert api_posts(world) == [] and fake.cdn_bytes_served == 0

    assert await bot.client.resume() == 1
    msg = await answer(fake, iid)
    assert not msg.ephemeral and "sorry" not in (msg.title or "").lower(), msg.embeds
    assert len(api_posts(world)) == 1
    [media] = world.sandbox.state.media(KEY)  # the sandbox received the picture's bytes
    assert media.received and media.filename == "photo.jpg" and media.size == len(PHOTO)
    assert media.sha256 == hashlib.sha256(PHOTO).hexdigest()
    [post] = await world.core.clients.for_workspace("default").list_posts()
    assert post.media_ids == (media.media_id,)


async def test_a_picture_gone_from_the_cdn_at_publish_time_gets_a_specific_answer(
    fake: FakeDiscord,
    make_bot: BotFactory,
    world: World,  # noqa: F811
) -> None:
    bot, iid, _ = await _post_killed_after_the_defer(fake, make_bot, world)
    fake.cdn.clear()  # the link is still valid by its ex, but the CDN answers 404

    assert await bot.client.resume() == 1
    msg = await answer(fake, iid)
    assert msg.title == "I couldn't download your attachment", msg.embeds
    text = msg.embeds[0]["description"]
    assert "photo.jpg: Discord answered HTTP 404" in text and "expired" in text
    assert api_posts(world) == []


async def test_an_approval_card_shows_the_attachment_and_stores_it_sealed(
    fake: FakeDiscord,
    make_bot: BotFactory,
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    await make_bot(core=world.core, settings=world.settings, dispatcher=CommandLayer())
    url = fake.add_cdn_file("photo.jpg", PHOTO)
    await fake.slash(
        "post",
        {"targets": "x", "caption": "Needs a look"},
        channel_id=REVIEW_CHANNEL_ID,
        attachments={"media": attachment(url, "photo.jpg", len(PHOTO), "image/jpeg")},
    )
    await wait_until(lambda: fake.channel_messages(APPROVAL_CHANNEL_ID), within=10)
    [card] = fake.channel_messages(APPROVAL_CHANNEL_ID)
    assert [e["image"]["url"] for e in card.embeds if e.get("image")] == [url]

    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT * FROM approval_cards")))
    [row] = rows
    assert "photo.jpg" in row["preview"] and "/cdn/" not in row["preview"]
    assert not stored_anywhere(tmp_path, fake.signature(url))

    # Re-rendered when decided: still the picture (opened again from the sealed value).
    await fake.react(card.id, "✅", user_id=BOB_ID)
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)
    assert [e["image"]["url"] for e in card.embeds if e.get("image")] == [url]
