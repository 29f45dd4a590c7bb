"""Cards, reactions, buttons, announcements and permission problems through the ChatPort."""

from __future__ import annotations

import pytest

from adapters.discord.port import DiscordPermissionError
from adapters.discord.views import APPROVE_ID, CHANGES_ID, REJECT_ID
from bot.chat import (
    APPROVE,
    REJECT,
    Announcement,
    ApprovalCard,
    CommandButton,
    Confirmation,
    Destination,
    Field,
    Invocation,
    MessageRef,
    ReactionAction,
    TargetLine,
    User,
)
from tests.discord.conftest import Bot, BotFactory, Recorder
from tests.discord.fake_discord import (
    ALICE_ID,
    APPROVAL_CHANNEL_ID,
    APPROVER_ROLE_ID,
    BOB_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    wait_until,
)


def card(state: str = "pending", approvals: tuple[str, ...] = ()) -> ApprovalCard:
    return ApprovalCard(
        card_id="7",
        state=state,
        requester=User(ALICE_ID, "Alice"),
        title="Launch post",
        previews=(Field("Instagram", "Hello world"),),
        targets=("instagram", "x"),
        when="now",
        needed=2,
        approvals=approvals,
        decided_by=BOB_ID if state != "pending" else None,
    )


async def post_card(bot: Bot) -> MessageRef:
    port = bot.core.port("discord")
    ref = await port.send(Destination("discord", APPROVAL_CHANNEL_ID, team=GUILD_ID), card())
    await port.add_reactions(ref, [APPROVE, REJECT])
    return ref


async def test_card_is_an_embed_with_buttons_seeded_with_reactions(
    fake: FakeDiscord, bot: Bot
) -> None:
    ref = await post_card(bot)
    assert ref.platform == "discord" and ref.channel == APPROVAL_CHANNEL_ID
    msg = fake.messages[ref.message_id]
    assert msg.title is not None and "Launch post" in msg.title
    ids = [c["custom_id"] for row in msg.components for c in row["components"]]
    assert ids == [APPROVE_ID, REJECT_ID, CHANGES_ID]
    assert [e for (m, e, _u) in fake.reactions if m == ref.message_id] == ["✅", "❌"]

    # Updated as approvals arrive, and when decided (buttons removed).
    await bot.core.port("discord").update(ref, card(approvals=(BOB_ID,)))
    assert "1/2" in str(msg.embeds) and msg.components
    await bot.core.port("discord").update(ref, card("approved", (BOB_ID, "9")))
    assert msg.edits == 2 and msg.components == []
    assert "approved" in (msg.title or "")


@pytest.mark.parametrize(
    ("emoji", "expected"),
    [("✅", APPROVE), ("☑️", APPROVE), ("✔️", APPROVE), ("❌", REJECT), ("✖️", REJECT), ("🎉", "🎉")],
)
async def test_reactions_become_normalised_events(
    fake: FakeDiscord, bot: Bot, emoji: str, expected: str
) -> None:
    ref = await post_card(bot)
    await fake.react(ref.message_id, emoji, user_id=BOB_ID)
    await wait_until(lambda: len(bot.rec.reactions) == 1)
    ev = bot.rec.reactions[0]
    assert ev.emoji == expected and ev.action == ReactionAction.ADDED
    assert ev.message == ref and ev.team == GUILD_ID
    assert ev.user.id == BOB_ID and ev.user.roles == frozenset({APPROVER_ROLE_ID})


async def test_removal_and_own_reactions(fake: FakeDiscord, bot: Bot) -> None:
    ref = await post_card(bot)
    await fake.react(ref.message_id, "✅", user_id=BOT_ID)  # the bot's own seed: ignored
    await fake.react(ref.message_id, "✅", user_id=BOB_ID, remove=True)
    await wait_until(lambda: len(bot.rec.reactions) == 1)
    ev = bot.rec.reactions[0]
    assert ev.action == ReactionAction.REMOVED and ev.user.id == BOB_ID and ev.emoji == APPROVE
    assert all(e.user.id != BOT_ID for e in bot.rec.reactions)


async def test_reaction_on_an_old_card_after_a_restart(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    first = await make_bot()
    ref = await post_card(first)
    from adapters.discord.client import close_discord

    await close_discord(first.client)
    second = await make_bot(core=first.core)  # same database, empty cache
    assert second.client.get_channel(int(APPROVAL_CHANNEL_ID)) is not None
    assert second.client._connection._get_message(int(ref.message_id)) is None
    await fake.react(ref.message_id, "✅", user_id=BOB_ID)
    await wait_until(lambda: len(second.rec.reactions) == 1)
    assert second.rec.reactions[0].message == ref
    assert second.rec.reactions[0].emoji == APPROVE


async def test_unexpected_payloads_do_not_stop_the_bot(fake: FakeDiscord, bot: Bot) -> None:
    ref = await post_card(bot)
    await fake.raw("MESSAGE_REACTION_ADD", {"user_id": "1", "weird": True})
    await fake.raw("SOMETHING_NEW", {"x": 1})
    await fake.raw("INTERACTION_CREATE", {"id": "5", "type": 99})
    await fake.react(ref.message_id, "❌", user_id=BOB_ID)
    await wait_until(lambda: len(bot.rec.reactions) == 1)
    assert bot.rec.reactions[0].emoji == REJECT
    assert not bot.client.is_closed()


async def test_buttons_become_button_events_answered_ephemerally(
    fake: FakeDiscord, bot: Bot
) -> None:
    ref = await post_card(bot)
    bot.rec.replies = (Confirmation(title="You approved", ephemeral=True),)
    iid = await fake.press(ref.message_id, APPROVE_ID, user_id=BOB_ID)
    await wait_until(lambda: len(bot.rec.buttons) == 1)
    ev = bot.rec.buttons[0]
    assert ev.decision == APPROVE and ev.message == ref
    assert ev.user.roles == frozenset({APPROVER_ROLE_ID})
    assert ev.delivery_id == f"discord:{iid}"
    assert fake.callbacks[iid][0]["type"] == 6  # deferred update: the card is not replaced
    await wait_until(lambda: bool(fake.interaction_messages(iid)))
    answer = fake.interaction_messages(iid)[0]
    assert answer.ephemeral and answer.title == "You approved"
    assert fake.messages[ref.message_id].edits == 0

    await fake.press(ref.message_id, REJECT_ID, user_id=ALICE_ID)
    await wait_until(lambda: len(bot.rec.buttons) == 2)
    assert bot.rec.buttons[1].decision == REJECT and bot.rec.buttons[1].user.roles == frozenset()


async def test_buttons_on_an_old_card_work_after_a_restart(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    first = await make_bot()
    ref = await post_card(first)
    from adapters.discord.client import close_discord

    await close_discord(first.client)
    second = await make_bot(core=first.core)
    await fake.press(ref.message_id, APPROVE_ID)
    await wait_until(lambda: len(second.rec.buttons) == 1)
    assert second.rec.buttons[0].message == ref


async def test_announcement_replies_to_the_request_with_a_nonce(
    fake: FakeDiscord, bot: Bot
) -> None:
    port = bot.core.port("discord")
    request = await port.send(Destination("discord", CHANNEL_ID), Confirmation(title="Queued"))
    ann = Announcement(
        title="Published",
        result="partial",
        post_id="p1",
        targets=(
            TargetLine("Instagram", "@brand", "published", permalink="https://ig.example/p/1"),
            TargetLine("X", "@brand", "failed", error="media too large"),
        ),
        mentions=(ALICE_ID,),
        actions=(CommandButton("Retry failed", "social", "retry p1"),),
    )
    dest = Destination("discord", CHANNEL_ID, thread=request.message_id, team=GUILD_ID)
    a = await port.send(dest, ann, key="announce:p1:partial")
    b = await port.send(dest, ann, key="announce:p1:partial")  # a resend after a crash
    assert a == b
    msgs = [m for m in fake.channel_messages() if m.title == "Published"]
    assert len(msgs) == 1
    msg = msgs[0]
    # the Retry failed button runs /social retry p1 as whoever presses it
    [button] = [c for row in msg.components for c in row["components"]]
    assert (button["label"], button["custom_id"]) == (
        "Retry failed",
        "socialbot:run:social:retry p1",
    )
    assert msg.reference is not None and msg.reference["message_id"] == request.message_id
    assert msg.reference["fail_if_not_exists"] is False
    post = next(
        c
        for c in fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")
        if c[3]["embeds"][0]["title"] == "Published"
    )[3]
    assert post["enforce_nonce"] is True and len(post["nonce"]) <= 25
    assert f"<@{ALICE_ID}>" in msg.content
    assert post["allowed_mentions"]["users"] == [ALICE_ID] or post["allowed_mentions"]["users"] == [
        int(ALICE_ID)
    ]
    fields = msg.embeds[0]["fields"]
    assert (
        fields[0]["name"] == "Instagram · @brand" and "https://ig.example/p/1" in fields[0]["value"]
    )
    assert "media too large" in fields[1]["value"]


async def test_missing_permissions_are_told_to_the_person_who_asked(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    fake.forbid(APPROVAL_CHANNEL_ID, "send")
    rec = Recorder(replies=(Confirmation(title="Sent for approval"),))
    errors: list[Exception] = []
    bot: Bot | None = None

    async def submit(inv: Invocation) -> None:
        assert bot is not None
        try:
            await post_card(bot)
        except DiscordPermissionError as e:
            errors.append(e)

    rec.during = submit
    bot = await make_bot(rec=rec)
    iid = await fake.slash("post", {"caption": "x"})
    await wait_until(lambda: len(fake.interaction_messages(iid)) == 2)
    original, problem = fake.interaction_messages(iid)
    assert original.title == "Sent for approval"
    assert problem.ephemeral and problem.followup
    text = str(problem.embeds)
    assert f"I can't post messages in <#{APPROVAL_CHANNEL_ID}>" in text
    assert "Send Messages" in text  # what to ask an admin for
    assert len(errors) == 1


async def test_missing_reaction_permission_is_reported_not_raised(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    fake.forbid(APPROVAL_CHANNEL_ID, "react")
    rec = Recorder(replies=(Confirmation(title="Sent for approval"),))
    bot: Bot | None = None

    async def submit(inv: Invocation) -> None:
        assert bot is not None
        await post_card(bot)

    rec.during = submit
    bot = await make_bot(rec=rec)
    iid = await fake.slash("post", {"caption": "x"})
    await wait_until(lambda: len(fake.interaction_messages(iid)) == 2)
    problem = fake.interaction_messages(iid)[1]
    assert problem.ephemeral and "add reactions" in str(problem.embeds)
    assert len(fake.channel_messages(APPROVAL_CHANNEL_ID)) == 1  # the card itself was posted


async def test_reactions_after_a_gateway_reconnect(fake: FakeDiscord, bot: Bot) -> None:
    ref = await post_card(bot)
    await fake.ask_reconnect()
    await wait_until(lambda: fake.connections == 2 and fake.resumes == 1)
    await fake.react(ref.message_id, "✅", user_id=BOB_ID)
    await wait_until(lambda: len(bot.rec.reactions) == 1)
    assert bot.rec.reactions[0].message == ref and bot.rec.reactions[0].emoji == APPROVE
