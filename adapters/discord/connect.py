"""``/social connect`` and ``/social disconnect`` on Discord: members with Manage Server only;
the key goes in a modal (only the member sees it), is checked with GET /v1/accounts and stored
encrypted for the guild (``commands.handlers.connect``, ``bot.connections``).

    /social connect      Manage Server? → the modal (the interaction's response: within 3 s)
    modal submitted      defer (ephemeral) → check, store → an ephemeral reply with the accounts
    /social disconnect   Manage Server? → forget the key → an ephemeral reply

Neither is journaled (an entry would hold the key); the key is never logged or echoed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.respond import Responder
from adapters.discord.translate import PLATFORM
from bot.chat import ErrorReply, Reply
from commands.handlers import connect as connecting

if TYPE_CHECKING:
    from adapters.discord.client import SocialDiscordClient

log = logging.getLogger(__name__)


class _NoFormValues(logging.Filter):
    """discord.py logs every gateway event whole at DEBUG; a submitted form (interaction type 5)
    carries what was typed in it — here a Social API key. Those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        for a in args:
            if isinstance(a, dict) and a.get("t") == "INTERACTION_CREATE":
                d = a.get("d")
                if isinstance(d, dict) and d.get("type") == 5:
                    return False
        return True


logging.getLogger("discord.gateway").addFilter(_NoFormValues())

ONLY_MANAGERS = ErrorReply(
    title="Only members with Manage Server can connect or disconnect a Social API key",
    problems=("Ask someone who manages this server to run the command.",),
)


def may_manage(interaction: discord.Interaction[Any]) -> bool:
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


class KeyModal(discord.ui.Modal, title="Connect Social API"):
    key: discord.ui.TextInput[KeyModal] = discord.ui.TextInput(
        label="API key",
        placeholder="sk_live_…",
        min_length=12,
        max_length=200,
        style=discord.TextStyle.short,
    )

    def __init__(self, client: SocialDiscordClient) -> None:
        super().__init__()
        self.bot = client

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        responder = Responder(interaction, self.bot.clock)
        await responder.defer(ephemeral=True)
        if not may_manage(interaction):  # the modal is theirs, but check again
            await _tell(responder, ONLY_MANAGERS)
            return
        guild = str(interaction.guild_id) if interaction.guild_id else None
        reply = await connecting.connect(
            self.bot.core, PLATFORM, guild, str(interaction.user.id), str(self.key.value)
        )
        await _tell(responder, reply)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception
    ) -> None:
        log.error("discord: the connect form failed (%s)", type(error).__name__)


async def _tell(responder: Responder, reply: Reply) -> None:
    try:
        await responder.send(reply)
    except discord.HTTPException as e:
        log.warning("discord: could not answer the connect form (HTTP %s)", e.status)


async def start(client: SocialDiscordClient, interaction: discord.Interaction[Any]) -> None:
    if not may_manage(interaction):
        responder = Responder(interaction, client.clock)
        await responder.defer(ephemeral=True)
        await _tell(responder, ONLY_MANAGERS)
        return
    if client.core.connections is None:
        responder = Responder(interaction, client.clock)
        await responder.defer(ephemeral=True)
        await _tell(responder, connecting.NOT_SET_UP)
        return
    await interaction.response.send_modal(KeyModal(client))


async def disconnect(client: SocialDiscordClient, interaction: discord.Interaction[Any]) -> None:
    responder = Responder(interaction, client.clock)
    await responder.defer(ephemeral=True)
    if not may_manage(interaction):
        await _tell(responder, ONLY_MANAGERS)
        return
    guild = str(interaction.guild_id) if interaction.guild_id else None
    await _tell(responder, await connecting.disconnect(client.core, PLATFORM, guild))
