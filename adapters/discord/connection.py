"""How the Discord client connects: endpoints (DISCORD_API_URL / DISCORD_GATEWAY_URL), the
intents it asks for, and gateway parsers that survive a malformed payload."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
import yarl

log = logging.getLogger("adapters.discord.client")

API_VERSION_PATH = "/api/v10"
MAX_RATELIMIT_TIMEOUT = 30.0  # seconds: a rate-limited route fails instead of stalling a poll


def configure_endpoints(api_url: str | None, gateway_url: str | None) -> None:
    """Point discord.py at DISCORD_API_URL / DISCORD_GATEWAY_URL (process-wide class attributes).

    ``api_url`` may be the host (``http://host:port``) or include ``/api/v10``; ``None`` restores
    Discord's own endpoints.
    """
    base = api_url.rstrip("/") if api_url else "https://discord.com"
    if "/api/v" not in base:
        base += API_VERSION_PATH
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        gateway_url or "wss://gateway.discord.gg/"
    )


def intents() -> discord.Intents:
    i = discord.Intents.none()
    i.guilds = True  # guild/channel/role cache, interaction.channel
    i.guild_reactions = True  # MESSAGE_REACTION_ADD / _REMOVE in guilds
    return i


def harden_parsers(parsers: dict[str, Callable[[Any], None]]) -> None:
    """A malformed gateway payload is logged and skipped.

    discord.py parses gateway events inside its connection loop: an exception there (a
    ``KeyError`` on a missing field) would end ``Client.start`` and the bot with it.
    """

    def guard(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        def guarded(data: Any) -> None:
            try:
                parse(data)
            except Exception:
                log.warning("discord: ignored a malformed %s event", event, exc_info=True)

        return guarded

    for event, parse in list(parsers.items()):
        parsers[event] = guard(event, parse)
