"""Many guilds, one bot: two Discord guilds, each bound (TOML) to its own Social API key on the
sandbox, through the real discord.py client on the fake Discord and the real command layer.
Each guild's commands, approvals and /status use only its own key; a post id from one guild
asked about in the other is "not found"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands import times
from tests.discord.conftest import Bot, BotFactory
from tests.discord.fake_discord import (
    ALL_PERMISSIONS,
    APPROVAL_CHANNEL_ID,
    APPROVER_ROLE_ID,
    BOB_ID,
    CHANNEL2_ID,
    GUILD2_ID,
    GUILD_ID,
    REVIEW_CHANNEL_ID,
    FakeDiscord,
    Msg,
    wait_until,
)

KEY1, KEY2 = "sk_test_main", "sk_test_other"
MANAGE = str(int(ALL_PERMISSIONS) | 1 << 5)  # with Manage Server
START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class World:
    core: Core
    sandbox: Sandbox
    settings: Settings


@pytest.fixture
async def world(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[World]:
    fake.second_guild = True
    clock = FakeClock(START)
    options = SandboxOptions(keys=(KEY1, KEY2), clock=clock, publish_delay=2.0, demo_key=False)
    async with start_sandbox(options, port=0) as sb:
        g1 = ChannelConfig(workspace="one", default_targets=("x",), timezone="UTC")
        review = ChannelConfig(
            workspace="one",
            default_targets=("x",),
            approval=ApprovalPolicy(
                required=True,
                approvers=(f"role:{APPROVER_ROLE_ID}",),
                quorum=1,
                channel=APPROVAL_CHANNEL_ID,
            ),
        )
        g2 = ChannelConfig(workspace="two", default_targets=("x",), timezone="UTC")
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={
                "default": Workspace("default", "SOCIAL_API_KEY"),
                "one": Workspace("one", "KEY_ONE", key=Secret(KEY1)),
                "two": Workspace("two", "KEY_TWO", key=Secret(KEY2)),
            },
            bindings=(
                ChannelBinding("discord", GUILD_ID, None, g1),
                ChannelBinding("discord", GUILD_ID, REVIEW_CHANNEL_ID, review),
                ChannelBinding("discord", GUILD2_ID, None, g2),
            ),
            discord_bot_token=Secret("fake-bot-token"),
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            discord_guild_ids=(int(GUILD_ID), int(GUILD2_ID)),
        )
        db = await Database.open(settings.db_path)
        clients = Clients(settings, clock)
        core = Core(settings, db, clients, clock)
        try:
            yield World(core, sb, settings)
        finally:
            await clients.aclose()
            await db.close()


async def start(make_bot: BotFactory, world: World) -> Bot:
    from commands.dispatcher import CommandLayer

    return await make_bot(core=world.core, settings=world.settings, dispatcher=CommandLayer())


async def answer(fake: FakeDiscord, iid: str) -> Msg:
    def found() -> Msg | None:
        msgs = [m for m in fake.interaction_messages(iid) if not m.deleted and not m.loading]
        return msgs[0] if msgs else None

    await wait_until(lambda: found() is not None, within=10)
    msg = found()
    assert msg is not None
    return msg


def posts(world: World, key: str) -> list[Any]:
    return list(world.sandbox.state.workspace(key).posts.values())


async def test_each_guild_posts_with_its_own_key_and_cannot_see_the_others(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    one = await answer(fake, await fake.slash("post", {"caption": "From guild one"}))
    two = await answer(
        fake, await fake.slash("post", {"caption": "From guild two"}, channel_id=CHANNEL2_ID)
    )
    assert not one.ephemeral and not two.ephemeral, (one.embeds, two.embeds)
    [p1], [p2] = posts(world, KEY1), posts(world, KEY2)
    assert "guild one" in str(p1.spec) and "guild two" in str(p2.spec)
    rows = await world.core.db.run(
        lambda sdb: {
            r["post_id"]: (r["team"], r["workspace"]) for r in sdb.query("SELECT * FROM requests")
        }
    )
    assert rows == {p1.post_id: (GUILD_ID, "one"), p2.post_id: (GUILD2_ID, "two")}
    # guild two asks about guild one's post: not found (its key cannot see it)
    asked = await answer(
        fake, await fake.slash("status", {"id": p1.post_id}, channel_id=CHANNEL2_ID)
    )
    assert asked.ephemeral and "not found" in str(asked.embeds).lower()
    mine = await answer(fake, await fake.slash("status", {"id": p1.post_id}))
    assert p1.post_id in str(mine.embeds) and "not found" not in str(mine.embeds).lower()


async def test_an_approval_in_one_guild_touches_only_its_key(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash("post", {"caption": "Needs a look"}, channel_id=REVIEW_CHANNEL_ID)
    await answer(fake, iid)
    [card] = fake.channel_messages(APPROVAL_CHANNEL_ID)
    await fake.react(card.id, "✅", user_id=BOB_ID)
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)
    [p1] = posts(world, KEY1)
    assert not p1.is_draft  # activated on guild one's key
    assert posts(world, KEY2) == []


async def test_a_manager_connects_a_key_for_an_unbound_guild(
    fake: FakeDiscord, make_bot: BotFactory, world: World, tmp_path: Path
) -> None:
    from cryptography.fernet import Fernet

    from bot.connections import Connections
    from bot.vault import Vault

    # guild two loses its TOML binding: it will be bound from chat
    world.core.settings = replace(
        world.settings, bindings=tuple(b for b in world.settings.bindings if b.team != GUILD2_ID)
    )
    vault = Vault.from_text(Fernet.generate_key().decode())
    world.core.use_connections(
        await Connections.open(world.core.db, vault, world.core.clock, world.settings.api_url)
    )
    await make_bot(core=world.core, settings=world.core.settings, dispatcher=_layer())
    note = await answer(
        fake,
        await fake.slash("post", {"targets": "x", "caption": "Too early"}, channel_id=CHANNEL2_ID),
    )
    assert note.ephemeral and "not connected" in str(note.embeds)
    assert "/social connect" in str(note.embeds) and "Manage Server" in str(note.embeds)
    no_manage = "0"
    iid = await fake.slash(
        "social", {}, sub="connect", channel_id=CHANNEL2_ID, permissions=no_manage
    )
    refused = await answer(fake, iid)
    assert refused.ephemeral and "Manage Server" in str(refused.embeds)
    iid = await fake.slash("social", {}, sub="connect", channel_id=CHANNEL2_ID, permissions=MANAGE)
    await wait_until(lambda: any(b["type"] == 9 for b in fake.callbacks.get(iid, [])))
    sid = await fake.submit_opened_modal(iid, [KEY2], channel_id=CHANNEL2_ID, permissions=MANAGE)
    done = await answer(fake, sid)
    assert done.ephemeral and "Connected the Social API key …ther" in str(done.embeds)
    assert KEY2 not in str(done.embeds)
    posted = await answer(
        fake,
        await fake.slash(
            "post", {"targets": "x", "caption": "Chat-made binding"}, channel_id=CHANNEL2_ID
        ),
    )
    assert not posted.ephemeral, posted.embeds
    [p2] = posts(world, KEY2)
    assert "Chat-made" in str(p2.spec) and posts(world, KEY1) == []
    assert KEY2.encode() not in _stored(tmp_path)
    gone = await answer(
        fake,
        await fake.slash(
            "social", {}, sub="disconnect", channel_id=CHANNEL2_ID, permissions=MANAGE
        ),
    )
    assert "Disconnected the Social API key …ther" in str(gone.embeds)


def _stored(tmp_path: Path) -> bytes:
    """The database and its WAL as on disk."""
    return b"".join(f.read_bytes() for f in tmp_path.glob("bot.db*"))


def _layer() -> Any:
    from commands.dispatcher import CommandLayer

    return CommandLayer()


async def test_each_guild_is_announced_in_its_own_channel_from_its_own_key(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    from bot.notifier.service import Notifier
    from tests.discord.fake_discord import CHANNEL_ID

    await start(make_bot, world)
    one = await answer(fake, await fake.slash("post", {"caption": "Announce one"}))
    two = await answer(
        fake, await fake.slash("post", {"caption": "Announce two"}, channel_id=CHANNEL2_ID)
    )
    [p1], [p2] = posts(world, KEY1), posts(world, KEY2)
    clock = world.core.clock
    assert isinstance(clock, FakeClock)
    clock.advance(5)  # the sandbox publishes after 2 s
    await Notifier(world.core).tick(clock.now())

    def announced(channel: str) -> list[Msg]:
        return [m for m in fake.channel_messages(channel) if m.reference is not None]

    await wait_until(lambda: announced(CHANNEL_ID) and announced(CHANNEL2_ID), within=10)
    [a1], [a2] = announced(CHANNEL_ID), announced(CHANNEL2_ID)
    # each a reply to its own request, naming its own post and not the other guild's
    assert a1.reference is not None and a1.reference["message_id"] == one.id
    assert a2.reference is not None and a2.reference["message_id"] == two.id
    assert p1.post_id in str(a1.embeds) and p2.post_id not in str(a1.embeds)
    assert p2.post_id in str(a2.embeds) and p1.post_id not in str(a2.embeds)
    # "published" could only be read with the post's own key (the other key gets not found)
    assert all("published" in str(a.embeds).lower() for a in (a1, a2)), (a1.embeds, a2.embeds)
    assert "not found" not in str(a1.embeds).lower() + str(a2.embeds).lower()
