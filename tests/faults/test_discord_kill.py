"""Discord crash safety with a real process: ``python -m bot run`` against the fake Discord and
the sandbox in this process, SIGKILLed at a chosen moment and restarted on the same database.

1. Killed after a ``/post``'s defer and before its Social API call: after the restart the post
   exists once and the requester's "thinking…" message became the answer (``bot.deliveries``);
   a post with a picture is published with the picture (fetched again from the CDN while its
   signed link is valid; the journal keeps the link sealed).
2. Killed after the Social API created the post and before the bot learned of it: after the
   restart the post is adopted (found by its fingerprint), not created a second time.
3. Killed between an announcement's send and its record, restarted after Discord's nonce
   window (the fake's clock moved on): the channel has it once (``DiscordPort.find_sent``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from bot.api.client import SocialClient
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from tests.discord.fake_discord import (
    CHANNEL_ID,
    GUILD_ID,
    NONCE_WINDOW,
    FakeDiscord,
    Msg,
    attachment,
)
from tests.discord.test_replay_files import stored_anywhere
from tests.ops.harness import BotProcess, eventually
from tests.secrets import DISCORD_BOT_TOKEN

KEY = "sk_test_discord_kill"
T = TypeVar("T")


@dataclass
class World:
    tmp: Path
    discord: FakeDiscord
    sandbox: Sandbox
    api: SocialClient
    http: httpx.AsyncClient
    procs: list[BotProcess]

    @property
    def db(self) -> Path:
        return self.tmp / "bot.db"

    def env(self, interval: float) -> dict[str, str]:
        config = self.tmp / "socialbot.toml"
        config.write_text(
            f"""[notifier]
interval = {interval}

[[channels]]
platform = "discord"
channel = "{CHANNEL_ID}"
default_targets = ["x"]
""",
            encoding="utf-8",
        )
        return {
            "SOCIAL_API_URL": self.sandbox.url,
            "SOCIAL_API_KEY": KEY,
            "SOCIALBOT_DB": str(self.db),
            "SOCIALBOT_CONFIG": str(config),
            "DISCORD_BOT_TOKEN": DISCORD_BOT_TOKEN,
            "DISCORD_API_URL": self.discord.api_url,
            "DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "DISCORD_GUILD_IDS": GUILD_ID,
        }

    async def start(self, interval: float = 60.0) -> BotProcess:
        """The bot, connected to the gateway and ready (its start-up recovery done)."""
        args = ["run", "--host", "127.0.0.1", "--port", "1", "--health-port", "0"]
        bot = await BotProcess.start(args, self.env(interval), name="socialbot run (discord)")
        self.procs.append(bot)
        port = await bot.health_port()

        async def ready() -> int:
            return (await self.http.get(f"http://127.0.0.1:{port}/readyz")).status_code

        await eventually(ready, lambda s: s == 200, what="the bot ready", deadline=30)
        return bot

    async def kill(self, bot: BotProcess) -> None:
        bot.proc.kill()  # SIGKILL: no shutdown sequence, no flush
        await bot.wait(10)

    def outbox(self) -> list[tuple[str, str | None]]:
        with sqlite3.connect(self.db) as c:
            return list(c.execute("SELECT batch, sent_at FROM notifier_outbox ORDER BY id"))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    discord = await FakeDiscord().start()
    options = SandboxOptions(keys=(KEY,), publish_delay=0.2, demo_key=False)
    procs: list[BotProcess] = []
    try:
        async with start_sandbox(options) as sandbox:
            api = SocialClient(sandbox.url, Secret(KEY))
            async with httpx.AsyncClient(timeout=10) as http:
                try:
                    yield World(tmp_path, discord, sandbox, api, http, procs)
                finally:
                    discord.release()
                    for p in procs:
                        await p.close()
                    await api.aclose()
    finally:
        await discord.stop()


def visible_answer(discord: FakeDiscord, iid: str) -> Msg | None:
    msgs = [
        m for m in discord.interaction_messages(iid) if not m.deleted and not m.loading and m.embeds
    ]
    return msgs[0] if msgs else None


async def test_killed_after_the_defer_the_post_exists_once_and_the_user_is_answered(
    world: World,
) -> None:
    bot = await world.start()
    faults = world.sandbox.faults
    # Every Social API call now hangs unanswered: the first one the command makes is where the
    # process dies (before the API did anything).
    faults.timeout_mode, faults.hang_seconds, faults.timeout_rate = "hang", 120.0, 1.0
    iid = await world.discord.slash("post", {"targets": "x", "caption": "Survives a SIGKILL"})
    await eventually(
        lambda: _value(faults.by_kind["timeout"]), lambda n: n >= 1, what="the first API call"
    )
    assert [c["type"] for c in world.discord.callbacks[iid]] == [5]  # deferred ("thinking…")
    await world.kill(bot)
    faults.reset()
    faults.release_hangs()
    assert await world.api.list_posts() == []  # the API never saw the create

    bot2 = await world.start()
    await eventually(
        lambda: _value(visible_answer(world.discord, iid)), what="the requester's answer"
    )
    answer = visible_answer(world.discord, iid)
    assert answer is not None and not answer.ephemeral
    assert "sorry" not in (answer.title or "").lower(), answer.embeds
    posts = await world.api.list_posts()
    assert len(posts) == 1 and posts[0].content == "Survives a SIGKILL"
    assert "resuming discord command" in bot2.stderr
    # Answered through the interaction's webhook (its token was still valid), not the channel.
    assert world.discord.channel_messages() == []


async def test_killed_after_the_defer_a_post_with_a_picture_is_published_with_it(
    world: World,
) -> None:
    bot = await world.start()
    faults = world.sandbox.faults
    faults.timeout_mode, faults.hang_seconds, faults.timeout_rate = "hang", 120.0, 1.0
    photo = b"\xff\xd8\xff" + bytes(range(256)) * 400
    url = world.discord.add_cdn_file("photo.jpg", photo)  # signed, valid for a day
    iid = await world.discord.slash(
        "post",
        {"targets": "x", "caption": "A picture survives a SIGKILL"},
        attachments={"media": attachment(url, "photo.jpg", len(photo), "image/jpeg")},
    )
    await eventually(
        lambda: _value(faults.by_kind["timeout"]), lambda n: n >= 1, what="the first API call"
    )
    await world.kill(bot)
    faults.reset()
    faults.release_hangs()
    # The journal kept the attachment to fetch it again, its signed URL sealed.
    assert not stored_anywhere(world.tmp, world.discord.signature(url))

    await world.start()
    await eventually(
        lambda: _value(visible_answer(world.discord, iid)), what="the requester's answer"
    )
    answer = visible_answer(world.discord, iid)
    assert answer is not None
    assert "sorry" not in (answer.title or "").lower(), answer.embeds
    [post] = await world.api.list_posts()
    [media] = [m for m in world.sandbox.state.media(KEY) if m.received]
    assert post.content == "A picture survives a SIGKILL" and post.media_ids == (media.media_id,)
    assert media.sha256 == hashlib.sha256(photo).hexdigest()  # the picture, fetched again


async def test_killed_after_the_api_created_the_post_it_is_adopted_not_created_twice(
    world: World,
) -> None:
    bot = await world.start()
    faults = world.sandbox.faults
    faults.hang_seconds = 120.0
    faults.fail_after_commit(1, "hang")  # the post is created; its answer never arrives
    iid = await world.discord.slash("post", {"targets": "x", "caption": "Created, then killed"})
    await eventually(
        lambda: _value(faults.by_kind["after_commit"]), lambda n: n >= 1, what="the create"
    )
    await world.kill(bot)
    faults.release_hangs()
    assert len(await world.api.list_posts()) == 1  # the API has it; the bot never learned

    bot2 = await world.start()
    await eventually(
        lambda: _value(visible_answer(world.discord, iid)), what="the requester's answer"
    )
    answer = visible_answer(world.discord, iid)
    assert answer is not None
    assert "sorry" not in (answer.title or "").lower(), answer.embeds
    posts = await world.api.list_posts()
    assert [p.content for p in posts] == ["Created, then killed"]  # adopted, not created again
    assert "adopting post" in bot2.stderr


async def test_announcement_killed_between_send_and_record_is_in_the_channel_once(
    world: World,
) -> None:
    bot = await world.start(interval=0.3)
    world.discord.hold_keyed_sends()  # an announcement is created, its answer never arrives
    iid = await world.discord.slash("post", {"targets": "x", "caption": "Announced once"})
    await eventually(lambda: _value(visible_answer(world.discord, iid)), what="the answer")
    await eventually(lambda: _value(world.discord.held), what="the announcement sent")
    [sent] = world.discord.held
    assert sent.nonce is not None
    await world.kill(bot)
    assert [sent_at for _, sent_at in world.outbox()] == [None]  # sent, never recorded

    # Restarted after Discord stopped de-duplicating that nonce: a blind re-send would post
    # the announcement a second time.
    world.discord.advance(NONCE_WINDOW + 60)
    world.discord.release()
    await world.start(interval=0.3)
    await eventually(
        lambda: _value(world.outbox()),
        lambda rows: bool(rows) and all(s is not None for _, s in rows),
        what="the outbox marked sent",
    )
    keyed = world.discord.keyed(f"ref {sent.nonce}", CHANNEL_ID)
    assert [m.id for m in keyed] == [sent.id]


async def _value(v: T) -> T:
    return v
