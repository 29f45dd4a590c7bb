"""Discord end to end: the real discord.py client on the fake Discord, the real dispatch, the real
approval workflow and SocialClient, the project's sandbox on 127.0.0.1:0.

Channels: #general (plain, default target x, posting slots daily 12:00 and 18:00 UTC), #review
(approval required: role "approvers", cards in #approvals).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.discord.client import close_discord
from adapters.discord.views import APPROVE_ID
from bot.clock import FakeClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.slots import parse_slots
from bot.storage import Database
from commands import times
from tests.discord.conftest import Bot, BotFactory
from tests.discord.fake_discord import (
    ALICE_ID,
    APPROVAL_CHANNEL_ID,
    APPROVER_ROLE_ID,
    BOB_ID,
    CAROL_ID,
    CHANNEL_ID,
    GUILD_ID,
    REVIEW_CHANNEL_ID,
    FakeDiscord,
    Msg,
    attachment,
    wait_until,
)

KEY = "sk_test_discord"
START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class World:
    core: Core
    sandbox: Sandbox
    settings: Settings


@pytest.fixture
async def world(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock(START)
    options = SandboxOptions(keys=(KEY,), clock=clock, publish_delay=2.0, demo_key=False)
    async with start_sandbox(options, port=0) as sb:
        review = ChannelConfig(
            workspace="default",
            default_targets=("x",),
            timezone="UTC",
            approval=ApprovalPolicy(
                required=True,
                approvers=(f"role:{APPROVER_ROLE_ID}",),
                quorum=1,
                channel=APPROVAL_CHANNEL_ID,
            ),
        )
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=Secret(KEY))},
            bindings=(
                ChannelBinding(
                    "discord",
                    GUILD_ID,
                    CHANNEL_ID,
                    ChannelConfig(
                        workspace="default",
                        default_targets=("x",),
                        timezone="UTC",
                        slots=parse_slots(["daily 12:00", "daily 18:00"]),
                    ),
                ),
                ChannelBinding("discord", GUILD_ID, REVIEW_CHANNEL_ID, review),
            ),
            discord_bot_token=Secret("fake-bot-token"),
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            discord_guild_ids=(int(GUILD_ID),),
        )
        db = await Database.open(settings.db_path)
        clients = Clients(settings, clock)
        core = Core(settings, db, clients, clock)
        try:
            yield World(core, sb, settings)
        finally:
            await clients.aclose()
            await db.close()


async def start(make_bot: BotFactory, world: World) -> Bot:
    from commands.dispatcher import CommandLayer

    return await make_bot(core=world.core, settings=world.settings, dispatcher=CommandLayer())


def api_posts(world: World) -> list[str]:
    return [
        e.path
        for e in world.sandbox.state.log
        if e.method == "POST" and e.path == "/v1/posts" and e.status < 400
    ]


async def answer(fake: FakeDiscord, iid: str) -> Msg:
    """The visible answer to an interaction (the edited thinking message or a follow-up)."""

    def found() -> Msg | None:
        msgs = [m for m in fake.interaction_messages(iid) if not m.deleted and not m.loading]
        return msgs[0] if msgs else None

    await wait_until(lambda: found() is not None, within=10)
    msg = found()
    assert msg is not None
    return msg


async def test_post_publishes_through_the_sandbox(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash("post", {"targets": "x", "caption": "We shipped 🚀"})
    msg = await answer(fake, iid)
    assert not msg.ephemeral, msg.embeds
    assert len(api_posts(world)) == 1
    # The request is tracked with the thinking message as its thread (announcements reply there).
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT * FROM requests")))
    assert rows and rows[0]["platform"] == "discord" and rows[0]["thread"] == msg.id
    assert rows[0]["channel"] == CHANNEL_ID and rows[0]["requester"] == ALICE_ID


async def test_user_error_is_ephemeral_and_nothing_is_posted(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash("post", {"targets": "myspace", "caption": "hi"})
    msg = await answer(fake, iid)
    assert msg.ephemeral and msg.followup
    assert api_posts(world) == []


async def test_attachment_is_streamed_into_the_upload(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    photo = b"\xff\xd8\xff" + bytes(range(256)) * 400
    url = fake.add_cdn_file("photo.jpg", photo)
    iid = await fake.slash(
        "post",
        {"targets": "x", "caption": "look"},
        attachments={"media": attachment(url, "photo.jpg", len(photo), "image/jpeg")},
    )
    msg = await answer(fake, iid)
    assert not msg.ephemeral, msg.embeds
    assert fake.cdn_bytes_served == len(photo)
    assert len(api_posts(world)) == 1


async def test_help_status_and_queue_answer(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash("social", {}, sub="help")
    msg = await answer(fake, iid)
    assert msg.ephemeral and msg.embeds and "/post" in str(msg.embeds)
    iid = await fake.slash("status", {})
    msg = await answer(fake, iid)
    assert msg.embeds
    iid = await fake.slash("social", {}, sub="queue")
    assert (await answer(fake, iid)).embeds


async def _request_approval(fake: FakeDiscord, world: World) -> Msg:
    iid = await fake.slash(
        "post", {"targets": "x", "caption": "Needs a look"}, channel_id=REVIEW_CHANNEL_ID
    )
    msg = await answer(fake, iid)
    assert "approval" in (msg.title or "").lower(), msg.embeds
    cards = fake.channel_messages(APPROVAL_CHANNEL_ID)
    assert len(cards) == 1
    card = cards[0]
    assert [e for (m, e, _u) in fake.reactions if m == card.id] == ["✅", "❌"]
    assert card.components  # Approve / Reject buttons
    return card


async def _wait_handled(world: World, delivery: str) -> None:
    seen: list[bool] = [False]

    async def check() -> None:
        rows = await world.core.db.run(
            lambda sdb: list(sdb.query("SELECT id FROM deliveries WHERE id = ?", [delivery]))
        )
        seen[0] = bool(rows)

    for _ in range(500):
        await check()
        if seen[0]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"delivery {delivery} never handled")


async def _published(world: World) -> bool:
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT state FROM approval_cards")))
    return bool(rows) and rows[0]["state"] == "approved"


async def test_approval_by_reaction_with_role_gating(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    card = await _request_approval(fake, world)
    await fake.react(card.id, "✅", user_id=CAROL_ID)  # not an approver: nothing happens
    await fake.react(card.id, "✅", user_id=ALICE_ID)  # the requester: nothing happens
    await fake.react(card.id, "☑️", user_id=BOB_ID)  # has the approvers role
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)
    assert not card.components  # buttons gone once decided
    assert await _published(world)


async def test_refused_reactions_are_answered_once_per_person_by_a_brief_note(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    bot = await start(make_bot, world)
    bot.client.brief_seconds = 0.2  # the note deletes itself (60 s in production)
    card = await _request_approval(fake, world)

    def notes() -> list[Msg]:
        return [  # deleted ones too: the note deletes itself
            m
            for m in fake.messages.values()
            if m.channel_id == APPROVAL_CHANNEL_ID and m.content.startswith("<@")
        ]

    await fake.react(card.id, "✅", user_id=CAROL_ID)  # not an approver
    await wait_until(lambda: len(notes()) == 1, within=10)
    note = notes()[0]
    assert note.content.startswith(f"<@{CAROL_ID}> You are not an approver for this request")
    assert f"<@&{APPROVER_ROLE_ID}>" in note.content
    assert note.reference is not None and note.reference["message_id"] == card.id
    await wait_until(lambda: note.deleted, within=10)  # it deletes itself
    await fake.react(card.id, "❌", user_id=CAROL_ID)  # told already: silence
    await fake.react(card.id, "✅", user_id=ALICE_ID)  # the requester
    await wait_until(lambda: len(notes()) == 2, within=10)
    assert notes()[1].content.startswith(f"<@{ALICE_ID}> You can't approve or reject your own")
    await fake.react(card.id, "✅", user_id=ALICE_ID, remove=True)
    await fake.react(card.id, "✅", user_id=ALICE_ID)
    await fake.react(card.id, "✅", user_id=BOB_ID)  # an approver: decides, no note
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)
    # nothing more for alice or carol; bob's approval shows on the card, not in a note
    assert [m.content.split(">", 1)[0] for m in notes()] == [f"<@{CAROL_ID}", f"<@{ALICE_ID}"]
    assert await _published(world)


async def test_approval_after_a_restart_on_an_old_card(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    first = await start(make_bot, world)
    card = await _request_approval(fake, world)
    await close_discord(first.client)
    await start(make_bot, world)  # new client, same database, empty message cache
    await fake.react(card.id, "✅", user_id=BOB_ID)
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)
    assert await _published(world)


async def test_approval_by_button_with_role_gating(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    card = await _request_approval(fake, world)
    iid = await fake.press(card.id, APPROVE_ID, user_id=CAROL_ID)  # not an approver
    await wait_until(lambda: iid in fake.callbacks)
    assert fake.callbacks[iid][0]["type"] == 6
    await _wait_handled(world, f"button:discord:discord:{iid}")
    assert "approved" not in (card.title or "").lower()
    assert not await _published(world)
    iid = await fake.press(card.id, APPROVE_ID, user_id=BOB_ID)
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)
    assert await _published(world)


async def test_commands_sync_once_across_boots(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    first = await start(make_bot, world)
    await close_discord(first.client)
    await start(make_bot, world)
    assert len(fake.calls("PUT", "/applications/")) == 1


async def test_result_is_announced_once_as_a_reply_with_a_nonce(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    from bot.notifier.service import Notifier

    await start(make_bot, world)
    iid = await fake.slash("post", {"targets": "x", "caption": "Announce me"})
    request = await answer(fake, iid)
    clock = world.core.clock
    assert isinstance(clock, FakeClock)
    clock.advance(5)  # the sandbox publishes after 2 s
    notifier = Notifier(world.core)
    await notifier.tick(clock.now())
    await notifier.tick(clock.now())  # the same terminal status again: no second message
    anns = [m for m in fake.channel_messages() if m.reference is not None]
    assert len(anns) == 1, [m.title for m in fake.channel_messages()]
    ann = anns[0]
    assert ann.reference is not None and ann.reference["message_id"] == request.id
    assert ann.nonce is not None and len(ann.nonce) <= 25
    assert ann.embeds and ann.embeds[0].get("fields")


async def test_approval_channel_without_permission_is_explained(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    fake.forbid(APPROVAL_CHANNEL_ID, "send")
    iid = await fake.slash(
        "post", {"targets": "x", "caption": "Needs a look"}, channel_id=REVIEW_CHANNEL_ID
    )
    await wait_until(lambda: sum(1 for m in fake.interaction_messages(iid) if m.followup) >= 2)
    words = [str(m.embeds) for m in fake.interaction_messages(iid) if m.followup]
    assert any(f"I can't post messages in <#{APPROVAL_CHANNEL_ID}>" in w for w in words)
    assert all(m.ephemeral for m in fake.interaction_messages(iid) if m.followup)
    assert fake.channel_messages(APPROVAL_CHANNEL_ID) == []


async def test_autocomplete_from_the_command_layer(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.autocomplete("post", "targets", "instagram, ")
    await wait_until(lambda: iid in fake.callbacks, within=10)
    choices = fake.callbacks[iid][0]["data"]["choices"]
    assert choices and all(c["value"].startswith("instagram,") for c in choices)
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    iid = await fake.autocomplete("schedule", "when", "tomorrow 9am")
    await wait_until(lambda: iid in fake.callbacks, within=10)
    first = fake.callbacks[iid][0]["data"]["choices"][0]
    assert "→" in first["name"] and first["value"]
    # The autocompleted value is passed through and re-validated by the command layer.
    iid = await fake.slash("schedule", {"when": first["value"], "targets": "x", "caption": "Later"})
    msg = await answer(fake, iid)
    assert not msg.ephemeral, msg.embeds
    assert len(api_posts(world)) == 1


async def test_cancel_of_a_live_post_is_confirmed_with_the_button(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    await answer(fake, await fake.slash("post", {"targets": "x", "caption": "Live"}))
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT post_id FROM requests")))
    pid = rows[0]["post_id"]
    client = world.core.clients.for_workspace("default")
    assert isinstance(world.core.clock, FakeClock)
    world.core.clock.advance(5)  # past the sandbox's publish delay
    assert str((await client.get_post(pid)).status) == "published"
    ask = await answer(fake, await fake.slash("social", {"id": pid}, sub="cancel"))
    assert ask.ephemeral and "It is live" in str(ask.embeds)
    [button] = [c for row in ask.components for c in row["components"]]
    assert button["label"] == "Confirm delete" and button["custom_id"].startswith("socialbot:run:")
    assert str((await client.get_post(pid)).status) == "published"  # nothing deleted yet
    iid = await fake.press(ask.id, button["custom_id"], user_id=ALICE_ID)
    await wait_until(lambda: iid in fake.callbacks, within=10)

    async def canceled() -> bool:
        return str((await client.get_post(pid)).status) == "canceled"

    for _ in range(200):
        if await canceled():
            break
        await asyncio.sleep(0.05)
    assert await canceled()
    done = [m for m in fake.interaction_messages(iid) if f"Canceled {pid}" in str(m.embeds)]
    assert done


# ---------------------------------------------------------------- approvals stay whole


async def _approved(fake: FakeDiscord, card: Msg) -> None:
    await fake.react(card.id, "✅", user_id=BOB_ID)
    await wait_until(lambda: "approved" in (card.title or "").lower(), within=10)


async def test_per_platform_times_survive_approval_and_a_re_approved_edit(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash(
        "schedule",
        {"targets": "x,li", "caption": "Launch", "when": "2026-06-02 09:00",
         "times": "x: 2026-06-02 12:00"},
        channel_id=REVIEW_CHANNEL_ID,
    )  # fmt: skip
    assert "approval" in ((await answer(fake, iid)).title or "").lower()
    [first] = fake.channel_messages(APPROVAL_CHANNEL_ID)
    await _approved(fake, first)
    client = world.core.clients.for_workspace("default")
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT post_id FROM requests")))
    pid = rows[0]["post_id"]
    api = (await client.get_post(pid)).extra
    assert api["scheduledAt"].startswith("2026-06-02T09:00:00")
    assert api["platformSchedules"]["twitter"].startswith("2026-06-02T12:00:00")

    # An approved post edited before it goes out needs approval again, on a new card.
    iid = await fake.slash(
        "social", {"id": pid, "when": "2026-06-03 09:00"}, sub="edit",
        channel_id=REVIEW_CHANNEL_ID,
    )  # fmt: skip
    await answer(fake, iid)
    assert (await client.get_post(pid)).status == "draft"
    old, new = fake.channel_messages(APPROVAL_CHANNEL_ID)
    assert old.id == first.id and "sent for approval again" in str(old.embeds)
    assert new.components and "approved" not in (new.title or "").lower()
    await _approved(fake, new)
    api = (await client.get_post(pid)).extra
    assert api["status"] == "scheduled"
    assert api["scheduledAt"].startswith("2026-06-03T09:00:00")
    assert api["platformSchedules"]["twitter"].startswith("2026-06-02T12:00:00")


async def test_cancel_closes_the_waiting_card_at_once(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    card = await _request_approval(fake, world)
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT post_id FROM requests")))
    pid = rows[0]["post_id"]
    iid = await fake.slash("social", {"id": pid}, sub="cancel", channel_id=REVIEW_CHANNEL_ID)
    await answer(fake, iid)
    await wait_until(lambda: "canceled" in (card.title or "").lower(), within=10)
    assert not card.components  # no buttons left
    await fake.react(card.id, "✅", user_id=BOB_ID)  # too late: counts for nothing
    iid = await fake.press(card.id, APPROVE_ID, user_id=BOB_ID)
    await _wait_handled(world, f"button:discord:discord:{iid}")
    assert "canceled" in (card.title or "").lower()
    puts = [e for e in world.sandbox.state.log if e.method == "PUT" and pid in e.path]
    assert puts == []
    assert (await world.core.clients.for_workspace("default").get_post(pid)).status == "canceled"


async def test_x_counts_like_x_in_the_reply(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash("post", {"targets": "x", "caption": "🚀" * 200})
    msg = await answer(fake, iid)
    assert msg.ephemeral and "400 characters as X counts them (limit 280)" in str(msg.embeds)
    assert api_posts(world) == []
