"""An announcement Discord keeps refusing (the bot lost its permission in the channel) is given
up after ``announce_attempts`` tries and the requester gets a DM saying why — through the real
discord.py client and ``DiscordPort`` against the fake Discord."""

from __future__ import annotations

import dataclasses

from bot import tracking
from bot.chat import Announcement, Destination, TargetLine
from bot.notifier import Notifier, outbox, render
from bot.tracking import TrackedPost
from tests.discord.conftest import BotFactory, make_settings
from tests.discord.fake_discord import ALICE_ID, CHANNEL_ID, GUILD_ID, FakeDiscord

ATTEMPTS = 2


async def test_given_up_and_the_requester_is_told_by_dm(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    settings = dataclasses.replace(make_settings(fake), announce_attempts=ATTEMPTS)
    bot = await make_bot(settings=settings)
    core = bot.core
    notifier = Notifier(core)
    await notifier.migrate()
    tp = TrackedPost(
        post_id="p_dc", workspace="default", platform="discord", channel=CHANNEL_ID,
        thread=None, requester=ALICE_ID, requester_name="alice", created_at=core.clock.now(),
        scheduled_at=None, last_due_at=None, status="published", summary="hi", team=GUILD_ID,
    )  # fmt: skip
    ann = Announcement(
        title="Published", result="published", post_id="p_dc",
        targets=(TargetLine("Instagram", "@acme", "published", "https://ig.example/p/9"),),
    )  # fmt: skip

    def write(sdb: object) -> None:
        tracking.record(sdb, tp)  # type: ignore[arg-type]
        outbox.enqueue(
            sdb, key="p_dc:published", workspace="default", post_id="p_dc",  # type: ignore[arg-type]
            result="published", dest=Destination("discord", CHANNEL_ID, team=GUILD_ID),
            payload=render.to_json(ann), now=core.clock.now(),
        )  # fmt: skip

    await core.db.transaction(write)
    fake.forbid(CHANNEL_ID, "send")
    for _ in range(ATTEMPTS):
        assert await notifier.flush_outbox(core.clock.now()) == 0
        bot.clock.advance(700)
    assert fake.channel_messages(CHANNEL_ID) == []
    dm_channel = fake.dm_channels[ALICE_ID]
    [dm] = fake.channel_messages(dm_channel)
    assert dm.title == "I couldn't post this result in its channel: Published"
    text = str(dm.payload())
    assert "Why:" in text and "https://ig.example/p/9" in text
    assert (await core.db.run(outbox.pending_summary)) == (0, None)


async def test_a_user_who_takes_no_dms_is_only_logged(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    settings = dataclasses.replace(make_settings(fake), announce_attempts=1)
    bot = await make_bot(settings=settings)
    core = bot.core
    notifier = Notifier(core)
    await notifier.migrate()
    tp = TrackedPost(
        post_id="p_nodm", workspace="default", platform="discord", channel=CHANNEL_ID,
        thread=None, requester=ALICE_ID, requester_name="alice", created_at=core.clock.now(),
        scheduled_at=None, last_due_at=None, status="failed", summary="hi", team=GUILD_ID,
    )  # fmt: skip
    ann = Announcement(title="Failed", result="failed", post_id="p_nodm")

    def write(sdb: object) -> None:
        tracking.record(sdb, tp)  # type: ignore[arg-type]
        outbox.enqueue(
            sdb, key="p_nodm:failed", workspace="default", post_id="p_nodm",  # type: ignore[arg-type]
            result="failed", dest=Destination("discord", CHANNEL_ID, team=GUILD_ID),
            payload=render.to_json(ann), now=core.clock.now(),
        )  # fmt: skip

    await core.db.transaction(write)
    fake.forbid(CHANNEL_ID, "send")
    fake.no_dms.add(ALICE_ID)
    assert await notifier.flush_outbox(core.clock.now()) == 0  # no exception escapes
    assert fake.calls("POST", "/users/@me/channels")
    assert (await core.db.run(outbox.pending_summary)) == (0, None)
