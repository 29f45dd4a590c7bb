"""``/readyz``'s Discord check follows the gateway: connected, reconnecting, closed."""

from __future__ import annotations

import asyncio

from adapters.discord.client import close_discord
from adapters.discord.health import gateway_probe
from tests.discord.conftest import Bot
from tests.discord.fake_discord import FakeDiscord


async def test_gateway_probe_follows_the_connection(fake: FakeDiscord, bot: Bot) -> None:
    probe = gateway_probe(bot.client)
    assert await probe() == (True, "gateway connected")
    await fake.stop()  # Discord goes away: the client keeps trying to reconnect
    for _ in range(600):  # polls, no fixed wait: the client notices the closed socket
        if not (await probe())[0]:
            break
        await asyncio.sleep(0.05)
    assert await probe() == (False, "gateway not connected (reconnecting)")
    await close_discord(bot.client)
    assert await probe() == (False, "gateway closed")
