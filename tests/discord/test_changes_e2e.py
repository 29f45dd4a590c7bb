"""Request changes through the real discord.py client: ✏️ on the card (the bot asks in the
card's thread with a "Give the reason" button → a form), and the card's Request changes button
→ the reason form (a Discord modal) → the card and the requester's thread say why."""

from __future__ import annotations

from adapters.discord.views import CHANGES_ID
from tests.discord.conftest import BotFactory
from tests.discord.fake_discord import (
    ALICE_ID,
    APPROVAL_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    REVIEW_CHANNEL_ID,
    FakeDiscord,
    Msg,
    wait_until,
)
from tests.discord.test_end_to_end import World, _request_approval, _warm_dateparser, start, world

__all__ = ["_warm_dateparser", "world"]  # fixtures

REASON_INPUT = "socialbot:reason"


def told_requester(fake: FakeDiscord) -> list[Msg]:
    return [
        m for m in fake.channel_messages(REVIEW_CHANNEL_ID) if "asked for changes" in str(m.embeds)
    ]


async def test_the_card_button_opens_a_form_and_the_reason_lands(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    card = await _request_approval(fake, world)
    ids = [c["custom_id"] for row in card.components for c in row["components"]]
    assert CHANGES_ID in ids
    press = await fake.press(card.id, CHANGES_ID, user_id=BOB_ID)
    await wait_until(lambda: fake.modal(press) is not None)
    form = fake.modal(press)
    assert form is not None and form["title"] == "Request changes"
    await fake.submit_modal(
        form, {REASON_INPUT: "Use the new logo"}, user_id=BOB_ID,
        channel_id=APPROVAL_CHANNEL_ID, message_id=card.id,
    )  # fmt: skip
    await wait_until(lambda: "Use the new logo" in str(card.embeds), within=10)
    assert f"Changes requested by <@{BOB_ID}>: Use the new logo" in str(card.embeds)
    await wait_until(lambda: bool(told_requester(fake)))
    [told] = told_requester(fake)
    assert f"<@{ALICE_ID}>" in told.content  # the requester is pinged
    assert "/social edit" in str(told.embeds)
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT state FROM approval_cards")))
    assert rows[0]["state"] == "pending"  # the request stays open


async def test_pencil_asks_and_the_give_the_reason_form_answers(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    card = await _request_approval(fake, world)
    await fake.react(card.id, "✏️", user_id=CAROL_ID)  # not an approver: nothing happens
    await fake.react(card.id, "📝", user_id=BOB_ID)

    def asked() -> list[Msg]:
        return [
            m
            for m in fake.channel_messages(APPROVAL_CHANNEL_ID)
            if m.id != card.id and "what should change" in str(m.embeds)
        ]  # (Carol is told, in a message of her own, that she isn't an approver)

    await wait_until(lambda: bool(asked()), within=10)
    [question] = asked()
    assert f"<@{BOB_ID}>" in question.content
    assert question.reference is not None  # a reply to the card
    [button] = [c for row in question.components for c in row["components"]]
    assert button["label"] == "Give the reason"
    await wait_until(lambda: "waiting for the reason" in str(card.embeds))
    press = await fake.press(question.id, button["custom_id"], user_id=BOB_ID)
    await wait_until(lambda: fake.modal(press) is not None)
    form = fake.modal(press)
    assert form is not None
    await fake.submit_modal(
        form, {REASON_INPUT: "Add the blog link"}, user_id=BOB_ID,
        channel_id=APPROVAL_CHANNEL_ID, message_id=question.id,
    )  # fmt: skip
    await wait_until(lambda: "Add the blog link" in str(card.embeds), within=10)
    await wait_until(lambda: bool(told_requester(fake)))


async def test_social_changes_typed(fake: FakeDiscord, make_bot: BotFactory, world: World) -> None:
    await start(make_bot, world)
    card = await _request_approval(fake, world)
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT post_id FROM requests")))
    pid = rows[0]["post_id"]
    iid = await fake.slash(
        "social", {"id": pid, "reason": "Shorter please"}, sub="changes", user_id=BOB_ID,
        channel_id=APPROVAL_CHANNEL_ID,
    )  # fmt: skip
    await wait_until(lambda: "Shorter please" in str(card.embeds), within=10)
    await wait_until(lambda: any(not m.loading for m in fake.interaction_messages(iid)))
    # shown by /status with the approval history
    iid = await fake.slash("status", {"id": pid}, channel_id=REVIEW_CHANNEL_ID)
    await wait_until(lambda: "requested changes" in str(
        [m.embeds for m in fake.interaction_messages(iid)]))  # fmt: skip
