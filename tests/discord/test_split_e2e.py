"""The thread offer through the real discord.py client: the ephemeral error reply carries a
"Post as a thread of 3" button; pressing it posts the thread, answered like a command."""

from __future__ import annotations

from tests.discord.conftest import BotFactory
from tests.discord.fake_discord import ALICE_ID, BOB_ID, CHANNEL_ID, FakeDiscord, wait_until
from tests.discord.test_end_to_end import World, _warm_dateparser, answer, api_posts, start, world

__all__ = ["_warm_dateparser", "world"]  # fixtures

SENTENCE = "We shipped the new editor today, and it is faster than ever. "
CAPTION = (SENTENCE * 11)[:612]


async def test_the_offer_button_posts_the_thread(
    fake: FakeDiscord, make_bot: BotFactory, world: World
) -> None:
    await start(make_bot, world)
    iid = await fake.slash("post", {"targets": "x", "caption": CAPTION})
    offer = await answer(fake, iid)
    assert offer.ephemeral
    assert "This is 612 characters for X (limit 280). Post it as a thread of 3?" in str(
        offer.embeds
    )
    assert "X 1/3:" in str(offer.embeds) and "X 3/3:" in str(offer.embeds)
    [button] = [c for row in offer.components for c in row["components"]]
    assert button["label"] == "Post as a thread of 3"
    assert button["custom_id"].startswith("socialbot:offer:split:")
    assert api_posts(world) == []

    # someone else's press changes nothing
    other = await fake.press(offer.id, button["custom_id"], user_id=BOB_ID)
    told = await answer(fake, other)
    assert "Only the person who wrote the post" in str(told.embeds)
    assert api_posts(world) == []

    press = await fake.press(offer.id, button["custom_id"], user_id=ALICE_ID)
    done = await answer(fake, press)
    await wait_until(lambda: len(api_posts(world)) == 1)
    assert not done.ephemeral and "Publishing now" in str(done.embeds)
    client = world.core.clients.for_workspace("default")
    [post] = await client.list_posts()
    assert str(post.post_type) == "thread" and len(post.extra["thread"]) == 3
    # the request is tracked under the public answer (announcements reply to it)
    rows = await world.core.db.run(lambda sdb: list(sdb.query("SELECT * FROM requests")))
    assert [(r["channel"], r["thread"]) for r in rows] == [(CHANNEL_ID, done.id)]


async def test_split_option_up_front(fake: FakeDiscord, make_bot: BotFactory, world: World) -> None:
    await start(make_bot, world)
    iid = await fake.slash("post", {"targets": "x", "caption": CAPTION, "split": True})
    done = await answer(fake, iid)
    assert not done.ephemeral and "Publishing now" in str(done.embeds)
    client = world.core.clients.for_workspace("default")
    [post] = await client.list_posts()
    assert [s["text"][-4:] for s in post.extra["thread"]] == [" 1/3", " 2/3", " 3/3"]
