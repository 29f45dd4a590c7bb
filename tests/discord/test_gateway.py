"""The real discord.py client against the fake gateway's disruptions: the ones that allow a
RESUME (missed events replayed, nothing lost) and the ones that force a new IDENTIFY."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.chat import APPROVE
from tests.discord.conftest import Bot
from tests.discord.fake_discord import APPROVAL_CHANNEL_ID, BOB_ID, FakeDiscord, wait_until
from tests.discord.test_approvals import post_card

Disruption = Callable[[FakeDiscord], Awaitable[None]]


async def _op7(fake: FakeDiscord) -> None:
    await fake.ask_reconnect()


async def _close_4000(fake: FakeDiscord) -> None:
    await fake.close_resumable(4000)


async def _op9(fake: FakeDiscord) -> None:
    await fake.invalidate()


async def _close_4009(fake: FakeDiscord) -> None:
    await fake.close_non_resumable(4009)


@pytest.mark.parametrize("disrupt", [_op7, _close_4000], ids=["op7", "close-4000"])
async def test_resumable_disruption_replays_what_was_missed(
    fake: FakeDiscord, bot: Bot, disrupt: Disruption
) -> None:
    ref = await post_card(bot)
    session = fake.session
    assert session is not None and fake.identifies == 1
    await disrupt(fake)
    # Dispatched while the client is away: kept in the session, replayed on RESUME.
    await fake.react(ref.message_id, "✅", user_id=BOB_ID, channel_id=APPROVAL_CHANNEL_ID)
    await wait_until(lambda: fake.resumes == 1 and len(bot.rec.reactions) == 1, within=15)
    assert fake.identifies == 1 and fake.session is session and fake.connections == 2
    assert bot.rec.reactions[0].message == ref and bot.rec.reactions[0].emoji == APPROVE


@pytest.mark.parametrize("disrupt", [_op9, _close_4009], ids=["op9", "close-4009"])
async def test_non_resumable_disruption_forces_a_new_identify(
    fake: FakeDiscord, bot: Bot, disrupt: Disruption
) -> None:
    ref = await post_card(bot)
    old = fake.session
    await disrupt(fake)
    # Sent to the ended session: lost, as on Discord (the bot never sees it).
    assert not await fake.dispatch("TYPING_START", {"channel_id": APPROVAL_CHANNEL_ID})
    await wait_until(lambda: fake.identifies == 2 and fake.live.is_set(), within=15)
    assert fake.resumes == 0 and fake.session is not old
    # The new session works: a reaction now arrives.
    await fake.react(ref.message_id, "✅", user_id=BOB_ID, channel_id=APPROVAL_CHANNEL_ID)
    await wait_until(lambda: len(bot.rec.reactions) == 1, within=10)
    assert bot.rec.reactions[0].message == ref
