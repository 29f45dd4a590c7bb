"""Start-up: endpoints from settings, intents, command sync only when the tree changed."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.sync import sync_if_changed, tree_hash
from tests.discord.conftest import BotFactory, make_settings
from tests.discord.fake_discord import APP_ID, BOT_ID, GUILD_ID, FakeDiscord

GUILDS = 1 << 0
GUILD_REACTIONS = 1 << 10


async def test_connects_with_only_guilds_and_reactions_intents(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    bot = await make_bot()
    assert fake.identify is not None
    assert fake.identify["intents"] == GUILDS | GUILD_REACTIONS  # nothing privileged
    assert bot.client.user is not None and bot.client.user.id == int(BOT_ID)
    assert discord.http.Route.BASE == f"{fake.api_url}/api/v10"
    assert bot.core.ports["discord"] is bot.client.port
    assert bot.client.http.max_ratelimit_timeout == 30.0


async def test_commands_synced_to_configured_guilds_then_not_again(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    first = await make_bot()
    puts = fake.calls("PUT", f"/applications/{APP_ID}/")
    assert [p[1] for p in puts] == [f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands"]
    names = sorted(c["name"] for c in fake.commands[GUILD_ID])
    assert names == ["post", "schedule", "social", "status"]
    assert first.client.synced_scopes == [f"guild:{GUILD_ID}"]

    # Second boot on the same database, same tree: zero PUT /commands.
    second = await make_bot(core=first.core)
    assert len(fake.calls("PUT", f"/applications/{APP_ID}/")) == 1
    assert second.client.synced_scopes == []
    assert tree_hash(second.client.tree) == tree_hash(first.client.tree)


async def test_changed_tree_or_scope_is_synced(fake: FakeDiscord, make_bot: BotFactory) -> None:
    first = await make_bot()
    # Without guild ids the tree goes global: a new scope, so one sync.
    second = await make_bot(core=first.core, settings=make_settings(fake, guilds=()))
    assert second.client.synced_scopes == ["global"]
    assert fake.calls("PUT", f"/applications/{APP_ID}/commands")
    # A changed tree (a new command) is synced again.
    cmd: discord.app_commands.Command[Any, [], None] = discord.app_commands.Command(
        name="extra", description="x", callback=_noop
    )
    second.client.tree.add_command(cmd)
    synced = await sync_if_changed(second.client.tree, first.core.db, int(APP_ID), ())
    assert synced == ["global"]
    assert "extra" in [c["name"] for c in fake.commands["global"]]


async def _noop(interaction: discord.Interaction[Any]) -> None:
    return None
