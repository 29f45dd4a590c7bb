"""Discord crash safety in process (``bot.deliveries``): what the adapter records after its
defer, how it answers after a restart (follow-up webhook while the token lives, else in the
channel mentioning the requester), and ``DiscordPort.find_sent`` beyond the nonce window.
The SIGKILLed real process is tests/faults/test_discord_kill.py."""

from __future__ import annotations

import asyncio

from adapters.discord.port import ref_marker
from adapters.discord.respond import EXPIRY
from adapters.discord.translate import nonce_for
from adapters.discord.views import APPROVE_ID
from bot.chat import (
    APPROVE,
    Announcement,
    ButtonEvent,
    Confirmation,
    Destination,
    Invocation,
    Outcome,
    ReactionAction,
    ReactionEvent,
)
from bot.core import Core
from tests.discord.conftest import Bot, BotFactory, Recorder
from tests.discord.fake_discord import (
    ALICE_ID,
    APPROVAL_CHANNEL_ID,
    BOB_ID,
    CHANNEL_ID,
    GUILD_ID,
    NONCE_WINDOW,
    FakeDiscord,
    wait_until,
)

DONE = Confirmation(title="Published to 1 account")


def hanging_once() -> tuple[Recorder, asyncio.Event]:
    """A command layer whose first dispatch never returns (the process dies meanwhile)."""
    rec = Recorder(replies=(DONE,))
    never = asyncio.Event()

    async def during(inv: Invocation) -> None:
        if len(rec.invocations) == 1:
            await never.wait()

    rec.during = during
    return rec, never


async def _die(bot: Bot) -> None:
    """The process that recorded the pending entries is gone (another owner token)."""
    await bot.core.db.run(
        lambda sdb: sdb.execute("UPDATE command_journal SET owner = 'dead'").rowcount
    )


async def test_token_is_sealed_in_the_journal(fake: FakeDiscord, make_bot: BotFactory) -> None:
    rec, _ = hanging_once()
    bot = await make_bot(rec=rec)
    iid = await fake.slash("post", {"targets": "x", "caption": "hello"})
    await wait_until(lambda: rec.invocations)
    rows = await bot.core.db.run(lambda sdb: list(sdb.query("SELECT * FROM command_journal")))
    [row] = rows
    assert row["id"] == f"discord:{iid}" and row["state"] == "pending"
    assert f"itoken-{iid}" not in row["payload"]  # the interaction token is never in clear


async def test_command_killed_after_the_defer_answers_through_its_follow_up(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec, _ = hanging_once()
    bot = await make_bot(rec=rec)
    iid = await fake.slash("post", {"targets": "x", "caption": "hello"})
    await wait_until(lambda: rec.invocations)
    [thinking] = fake.interaction_messages(iid)
    assert thinking.loading
    await _die(bot)

    bot.clock.advance(EXPIRY - 60)  # restarted 13 minutes later: the token still works
    assert await bot.client.resume() == 1
    await wait_until(lambda: not thinking.loading)  # (the first dispatch hangs on, dead)
    first, again = rec.invocations
    assert again.delivery_id == first.delivery_id and again.thread == thinking.id
    # The "thinking…" message became the answer, through the interaction's webhook.
    assert not thinking.loading and thinking.title == DONE.title
    assert fake.calls("PATCH", f"/webhooks/{fake_app(fake)}/itoken-{iid}/messages/{thinking.id}")
    assert fake.channel_messages() == []  # nothing posted in the channel instead
    assert await bot.client.resume() == 0  # taken over once (dispatch marks it done)


async def test_command_resumed_after_the_token_expired_answers_in_the_channel(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec, _ = hanging_once()
    bot = await make_bot(rec=rec)
    iid = await fake.slash("post", {"targets": "x", "caption": "hello"})
    await wait_until(lambda: rec.invocations)
    [thinking] = fake.interaction_messages(iid)
    await _die(bot)

    bot.clock.advance(16 * 60)  # past the 15-minute interaction token
    assert await bot.client.resume() == 1
    await wait_until(lambda: fake.channel_messages())
    [answer] = fake.channel_messages()
    assert answer.content.startswith(f"<@{ALICE_ID}>") and answer.title == DONE.title
    assert answer.reference is not None and answer.reference["message_id"] == thinking.id
    assert not fake.calls("PATCH", "/webhooks/")  # the dead token was not used


async def test_find_sent_finds_an_announcement_after_the_nonce_window(
    fake: FakeDiscord, bot: Bot
) -> None:
    port = bot.client.port
    dest = Destination("discord", CHANNEL_ID)
    ann = Announcement(title="Published", result="published", post_id="p1")
    ref = await port.send(dest, ann, key="nabc")
    [msg] = fake.keyed(ref_marker("nabc"))
    assert msg.nonce == nonce_for("nabc")
    assert await port.find_sent(dest, "nabc") == ref
    assert await port.find_sent(dest, "nother") is None
    # Discord forgets nonces after a few minutes: a blind re-send would then post it twice.
    fake.advance(NONCE_WINDOW + 1)
    assert await port.find_sent(dest, "nabc") == ref
    await port.send(dest, ann, key="nabc")
    assert len(fake.keyed(ref_marker("nabc"))) == 2


def fake_app(fake: FakeDiscord) -> str:
    from tests.discord.fake_discord import APP_ID

    return APP_ID


class HangingCards(Recorder):
    """The first button press and the first reaction never finish (the process dies)."""

    def __init__(self) -> None:
        super().__init__(replies=(Confirmation(title="Approved", ephemeral=True),))
        self.never = asyncio.Event()

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome:
        self.buttons.append(event)
        if len(self.buttons) == 1:
            await self.never.wait()
        return Outcome(replies=self.replies)

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        self.reactions.append(event)
        if len(self.reactions) == 1:
            await self.never.wait()
        return Outcome()


async def test_button_press_killed_mid_dispatch_is_answered_to_the_presser(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = HangingCards()
    bot = await make_bot(rec=rec)
    card = await bot.client.port.send(
        Destination("discord", APPROVAL_CHANNEL_ID, team=GUILD_ID), DONE
    )
    iid = await fake.press(card.message_id, APPROVE_ID, user_id=BOB_ID)
    await wait_until(lambda: rec.buttons)
    await _die(bot)
    assert await bot.client.resume() == 1
    await wait_until(lambda: len(rec.buttons) == 2)
    first, again = rec.buttons
    assert again == first and again.decision == APPROVE
    await wait_until(lambda: fake.interaction_messages(iid))
    [answer] = fake.interaction_messages(iid)
    assert answer.ephemeral and answer.followup and answer.title == "Approved"


async def test_reaction_killed_mid_dispatch_is_resumed(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = HangingCards()
    bot = await make_bot(rec=rec)
    card = await bot.client.port.send(
        Destination("discord", APPROVAL_CHANNEL_ID, team=GUILD_ID), DONE
    )
    await fake.react(card.message_id, "✅", user_id=BOB_ID)
    await wait_until(lambda: rec.reactions)
    await _die(bot)
    assert await bot.client.resume() == 1
    await wait_until(lambda: len(rec.reactions) == 2)
    first, again = rec.reactions
    assert again == first and again.action is ReactionAction.ADDED and again.emoji == APPROVE
