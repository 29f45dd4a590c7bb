"""Slash commands → Invocation; defer, the first answer, follow-ups, the channel fallbacks."""

from __future__ import annotations

from bot.chat import Confirmation, ErrorReply, Field, Invocation, Link, ListReply, StatusCard
from tests.discord.conftest import Bot, BotFactory, Recorder
from tests.discord.fake_discord import (
    ALICE_ID,
    APPROVER_ROLE_ID,
    BOB_ID,
    CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    wait_until,
)

DONE = Confirmation(
    title="Published to 2 accounts",
    fields=(Field("Instagram", "published", Link("open", "https://instagram.example/p/1")),),
)


async def _run(
    fake: FakeDiscord, bot: Bot, name: str, options: dict[str, object], **kw: object
) -> tuple[str, Invocation]:
    before = len(bot.rec.invocations)
    iid = await fake.slash(name, options, **kw)  # type: ignore[arg-type]
    await wait_until(lambda: len(bot.rec.invocations) > before)
    return iid, bot.rec.invocations[-1]


async def test_post_options_become_a_structured_invocation(fake: FakeDiscord, bot: Bot) -> None:
    bot.rec.replies = (DONE,)
    iid, inv = await _run(
        fake,
        bot,
        "post",
        {
            "targets": "instagram, x",
            "caption": "Hello “world”",
            "type": "image",
            "captions": "x: short",
            "link": "https://example.com",
            "title": "T",
            "privacy": "unlisted",
            "draft": True,
        },
    )
    assert inv.command == "post"
    assert inv.platform == "discord"
    assert inv.channel == CHANNEL_ID and inv.team == GUILD_ID
    assert inv.delivery_id == f"discord:{iid}"
    assert inv.user.id == ALICE_ID and inv.user.name == "Alice" and not inv.user.is_bot
    assert dict(inv.options) == {
        "targets": "instagram, x",
        "caption": "Hello “world”",
        "type": "image",
        "captions": "x: short",
        "link": "https://example.com",
        "title": "T",
        "privacy": "unlisted",
        "draft": "true",
    }
    # Deferred first (public, thinking), and the thinking message is the request's thread.
    defer = fake.callbacks[iid][0]
    assert defer["type"] == 5 and not int(defer.get("data", {}).get("flags", 0)) & 64
    original = fake.interaction_messages(iid)[0]
    assert inv.thread == original.id
    # The result replaces the thinking message.
    await wait_until(lambda: original.edits == 1)
    assert original.title == "Published to 2 accounts"
    assert not original.ephemeral and not original.loading
    assert "https://instagram.example/p/1" in original.embeds[0]["fields"][0]["value"]


async def test_user_error_is_ephemeral_and_public_thinking_removed(
    fake: FakeDiscord, bot: Bot
) -> None:
    bot.rec.replies = (
        ErrorReply(title="Unknown target 'myspace'", problems=("myspace is not connected",)),
    )
    iid, _ = await _run(fake, bot, "post", {"targets": "myspace", "caption": "hi"})
    await wait_until(lambda: len(fake.interaction_messages(iid)) == 2)
    original, followup = fake.interaction_messages(iid)
    assert original.deleted
    assert followup.ephemeral and followup.followup
    assert followup.title == "Unknown target 'myspace'"


async def test_schedule_social_and_status_options(fake: FakeDiscord, bot: Bot) -> None:
    bot.rec.replies = (StatusCard(post_id="p1", status="scheduled", title="Scheduled"),)
    _, inv = await _run(
        fake, bot, "schedule", {"when": "tomorrow 9am", "caption": "c", "times": "x: 10am"}
    )
    assert inv.command == "schedule"
    assert ("when", "tomorrow 9am") in inv.options and ("times", "x: 10am") in inv.options

    iid, inv = await _run(fake, bot, "social", {"id": "p_123"}, sub="cancel")
    assert inv.command == "social" and dict(inv.options) == {"what": "cancel", "id": "p_123"}
    assert fake.callbacks[iid][0]["type"] == 5

    bot.rec.replies = (ListReply(title="Help", items=("/post", "/schedule")),)
    iid, inv = await _run(fake, bot, "social", {}, sub="help")
    assert dict(inv.options) == {"what": "help"}
    assert inv.thread is None  # ephemeral requests have no public thread
    assert fake.callbacks[iid][0]["data"]["flags"] == 64
    await wait_until(lambda: fake.interaction_messages(iid)[0].edits == 1)
    assert fake.interaction_messages(iid)[0].title == "Help"

    _, inv = await _run(fake, bot, "social", {"id": "p_9", "when": "friday 5pm"}, sub="edit")
    assert dict(inv.options) == {"what": "edit", "id": "p_9", "when": "friday 5pm"}
    _, inv = await _run(fake, bot, "status", {"id": "p_9"})
    assert inv.command == "status" and dict(inv.options) == {"id": "p_9"}
    for what in ("accounts", "queue", "analytics"):
        _, inv = await _run(fake, bot, "social", {}, sub=what)
        assert dict(inv.options) == {"what": what}


async def test_roles_of_the_invoker_are_passed(fake: FakeDiscord, bot: Bot) -> None:
    _, inv = await _run(fake, bot, "status", {}, user_id=BOB_ID)
    assert inv.user.roles == frozenset({APPROVER_ROLE_ID})


async def test_several_replies_come_as_follow_ups(fake: FakeDiscord, bot: Bot) -> None:
    bot.rec.replies = (DONE, ListReply(title="Next steps", items=("a",), ephemeral=True))
    iid, _ = await _run(fake, bot, "post", {"caption": "x"})
    await wait_until(lambda: len(fake.interaction_messages(iid)) == 2)
    original, second = fake.interaction_messages(iid)
    assert original.title == DONE.title and not original.deleted
    assert second.followup and second.ephemeral and second.title == "Next steps"


async def test_unexpected_failure_gives_apology_with_reference(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = Recorder()

    async def boom(inv: Invocation) -> None:
        raise RuntimeError("token=sk_live_secret should never be shown")

    rec.during = boom
    bot = await make_bot(rec=rec)
    iid, _ = await _run(fake, bot, "post", {"caption": "x"})
    await wait_until(lambda: any(m.followup for m in fake.interaction_messages(iid)))
    msg = next(m for m in fake.interaction_messages(iid) if m.followup)
    assert msg.ephemeral
    assert "went wrong" in (msg.title or "")
    assert "Reference" in msg.embeds[0]["footer"]["text"]
    assert "sk_live" not in str(msg.embeds)


async def test_expired_before_defer_falls_back_to_a_channel_message(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = Recorder(replies=(DONE,))
    bot = await make_bot(rec=rec)
    # The next interaction id is predictable only after it is sent: expire everything new.
    orig = fake._callback

    def expired(iid: str, token: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
        fake.expire(iid)
        return orig(iid, token, body)

    fake._callback = expired  # type: ignore[method-assign]
    _, inv = await _run(fake, bot, "post", {"caption": "slow"})
    await wait_until(lambda: any(m.edits for m in fake.channel_messages()))
    placeholder = fake.channel_messages()[0]
    assert inv.thread == placeholder.id  # the channel message stands for the request
    assert placeholder.title == DONE.title
    assert f"<@{ALICE_ID}>" in placeholder.content


async def test_after_14_minutes_the_result_goes_to_the_channel(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = Recorder(replies=(DONE,))
    bot = await make_bot(rec=rec)

    async def slow(inv: Invocation) -> None:
        bot.clock.advance(14 * 60 + 5)

    rec.during = slow
    iid, inv = await _run(fake, bot, "post", {"caption": "slow"})
    await wait_until(lambda: len(fake.channel_messages()) == 1)
    msg = fake.channel_messages()[0]
    assert msg.title == DONE.title
    assert msg.reference is not None and msg.reference["message_id"] == inv.thread
    assert f"<@{ALICE_ID}>" in msg.content
    assert not any(m.followup for m in fake.interaction_messages(iid))


async def test_unknown_interaction_on_follow_up_goes_to_the_channel(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = Recorder(replies=(DONE,))
    bot = await make_bot(rec=rec)

    async def token_dies(inv: Invocation) -> None:
        fake.expire(inv.delivery_id.split(":")[1])

    rec.during = token_dies
    _, inv = await _run(fake, bot, "post", {"caption": "x"})
    await wait_until(lambda: len(fake.channel_messages()) == 1)
    msg = fake.channel_messages()[0]
    assert msg.title == DONE.title and msg.reference["message_id"] == inv.thread  # type: ignore[index]


async def test_inline_lines_and_new_options(fake: FakeDiscord, bot: Bot) -> None:
    _, inv = await _run(
        fake,
        bot,
        "schedule",
        {
            "when": "friday 9am",
            "captions": "x: short | linkedin: a | b longer",
            "times": "x: 10am | instagram: 11am",
            "thread": "first --- second --- third",
            "media_urls": "https://cdn.example/a.png https://cdn.example/b.png",
            "article": "https://blog.example/post",
            "description": "d",
            "cover": "photo.png",
            "cover_offset": 1500,
        },
    )
    o = dict(inv.options)
    assert o["captions"] == "x: short\nlinkedin: a | b longer"
    assert o["times"] == "x: 10am\ninstagram: 11am"
    assert o["thread"] == "first\n---\nsecond\n---\nthird"
    assert o["media"] == "https://cdn.example/a.png https://cdn.example/b.png"
    assert o["cover_offset"] == "1500" and o["cover"] == "photo.png"
    assert o["article"] == "https://blog.example/post" and o["description"] == "d"


async def test_duplicate_delivery_leaves_no_thinking_message(fake: FakeDiscord, bot: Bot) -> None:
    bot.rec.duplicate = True
    iid, _ = await _run(fake, bot, "post", {"caption": "x"})
    await wait_until(lambda: fake.interaction_messages(iid)[0].deleted)
    assert len(fake.interaction_messages(iid)) == 1
