"""``/readyz`` for Discord: the gateway connection's state, read from the discord.py client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord


def gateway_probe(client: discord.Client) -> Callable[[], Awaitable[tuple[bool, str]]]:
    """Ready only while logged in with an open gateway websocket (discord.py keeps
    ``is_ready()`` set while it reconnects, so the socket is looked at too)."""

    async def probe() -> tuple[bool, str]:
        if client.is_closed():
            return False, "gateway closed"
        if not client.is_ready():
            return False, "gateway not connected (logging in)"
        ws = client.ws
        if ws is None or not ws.open:
            return False, "gateway not connected (reconnecting)"
        return True, "gateway connected"

    return probe
