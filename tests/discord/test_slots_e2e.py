"""Posting slots through the real discord.py client: two /schedule … when:next at the same
instant get one slot each (compare-and-set in the database); /social queue shows them."""

from __future__ import annotations

import asyncio

from tests.discord.conftest import BotFactory
from tests.discord.fake_discord import ALICE_ID, BOB_ID, FakeDiscord
from tests.discord.test_end_to_end import World, _warm_dateparser, answer, start, world

__all__ = ["_warm_dateparser", "world"]  # fixtures


async def test_two_at_once_get_one_slot_each(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)  # the clock stands at Mon 1 Jun 2026 10:00 UTC
    first, second = await asyncio.gather(
        fake.slash("schedule", {"targets": "x", "caption": "A", "when": "next"}, user_id=ALICE_ID),
        fake.slash("schedule", {"targets": "x", "caption": "B", "when": "next"}, user_id=BOB_ID),
    )
    a, b = await answer(fake, first), await answer(fake, second)
    said = sorted(str(m.embeds) for m in (a, b))
    assert "next free: Mon 12:00 — the first coming slot" in said[0] + said[1]
    assert sum("is taken by" in s for s in said) == 1  # the other one says who has 12:00
    client = world.core.clients.for_workspace("default")
    times = sorted(str(p.scheduled_at) for p in await client.list_posts())
    assert times == ["2026-06-01 12:00:00+00:00", "2026-06-01 18:00:00+00:00"]

    iid = await fake.slash("social", {}, sub="queue")
    queue = await answer(fake, iid)
    assert "Posting slots, next 7 days — 12 of 14 free" in str(queue.embeds)
