"""The Discord adapter (discord.py): translates Discord payloads and renders replies as embeds.

Entry points for the runner: ``create_discord_client``, ``start_discord``, ``close_discord``.
"""

from adapters.discord.client import (
    SocialDiscordClient,
    close_discord,
    create_discord_client,
    start_discord,
)

__all__ = [
    "SocialDiscordClient",
    "close_discord",
    "create_discord_client",
    "start_discord",
]
