"""A Discord command with attachments whose process died after the defer, resumed after a
restart (``replay.py``, ``attachments.Files``): replayed with its files while their signed links
are valid; answered "not posted — the links expired" once they are not; an entry journaled before
the files were recorded is answered as it always was. The signed URL never reaches the database
in clear. The SIGKILLed real process is tests/faults/test_discord_kill.py; the real command layer
and the sandbox are tests/discord/test_end_to_end.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.discord.attachments import LINK_LIFETIME, expires_at
from adapters.discord.replay import FILES_LOST
from bot.chat import Invocation
from tests.discord.conftest import Bot, BotFactory, Recorder
from tests.discord.fake_discord import ALICE_ID, FakeDiscord, Msg, attachment, wait_until
from tests.discord.test_resume import DONE, _die

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300


def hanging_then_reading() -> tuple[Recorder, dict[str, bytes]]:
    """The first dispatch never returns (the process dies); a later one reads the files."""
    rec = Recorder(replies=(DONE,))
    never = asyncio.Event()
    received: dict[str, bytes] = {}

    async def during(inv: Invocation) -> None:
        if len(rec.invocations) == 1:
            await never.wait()
        for a in inv.attachments:
            received[a.name] = b"".join([c async for c in a.open()])

    rec.during = during
    return rec, received


async def _post_with_photo(fake: FakeDiscord, bot: Bot, url: str) -> str:
    iid = await fake.slash(
        "post",
        {"targets": "x", "caption": "with a picture"},
        attachments={"media": attachment(url, "photo.png", len(PHOTO), "image/png")},
    )
    await wait_until(lambda: bot.rec.invocations)
    return iid


def _in_channel(fake: FakeDiscord) -> list[Msg]:
    return fake.channel_messages()


def stored_anywhere(folder: Path, secret: str) -> bool:
    """Whether ``secret`` is in the bytes of the database files (bot.db, -wal, -shm)."""
    files = [p for p in folder.iterdir() if p.name.startswith("bot.db")]
    assert files
    return any(secret.encode() in p.read_bytes() for p in files)


def _text(m: Msg) -> str:
    return " ".join(str(e.get("description") or "") for e in m.embeds)


async def test_replayed_with_its_files_while_the_links_are_valid(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec, received = hanging_then_reading()
    bot = await make_bot(rec=rec)
    expires = bot.clock.now() + timedelta(hours=20)
    url = fake.add_cdn_file("photo.png", PHOTO, expires=expires.timestamp())
    iid = await _post_with_photo(fake, bot, url)
    await _die(bot)

    bot.clock.advance(10 * 60)  # restarted ten minutes later
    assert await bot.client.resume() == 1
    await wait_until(lambda: "photo.png" in received)
    first, again = rec.invocations
    assert again.delivery_id == first.delivery_id
    assert [(a.name, a.content_type, a.size) for a in again.attachments] == [
        ("photo.png", "image/png", len(PHOTO))
    ]
    assert received == {"photo.png": PHOTO}  # fetched again from the CDN
    await wait_until(lambda: any(m.title == DONE.title for m in fake.interaction_messages(iid)))
    assert await bot.client.resume() == 0


async def test_expired_links_answer_not_posted_with_the_reason(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec, received = hanging_then_reading()
    bot = await make_bot(rec=rec)
    url = fake.add_cdn_file(
        "photo.png", PHOTO, expires=(bot.clock.now() + timedelta(hours=2)).timestamp()
    )
    await _post_with_photo(fake, bot, url)
    await _die(bot)

    bot.clock.advance(3 * 3600)  # back after the links expired
    assert await bot.client.resume() == 1
    await wait_until(lambda: _in_channel(fake))
    [answer] = _in_channel(fake)
    assert answer.content.startswith(f"<@{ALICE_ID}>") and answer.title == FILES_LOST.title
    assert "It was not posted: The links to your attachments expired" in _text(answer)
    assert len(rec.invocations) == 1 and received == {}  # not replayed, nothing fetched
    assert fake.cdn_bytes_served == 0
    assert await bot.client.resume() == 0  # reported, so done


@pytest.mark.parametrize(("hours", "replayed"), [(23, True), (25, False)])
async def test_a_link_without_ex_is_valid_for_a_day_from_the_request(
    fake: FakeDiscord, make_bot: BotFactory, hours: int, replayed: bool
) -> None:
    rec, received = hanging_then_reading()
    bot = await make_bot(rec=rec)
    url = fake.add_cdn_file("photo.png", PHOTO).split("?", 1)[0]  # no ex/is/hm
    await _post_with_photo(fake, bot, url)
    await _die(bot)

    bot.clock.advance(hours * 3600)
    assert await bot.client.resume() == 1
    if replayed:
        await wait_until(lambda: "photo.png" in received)
        assert len(rec.invocations) == 2
    else:
        await wait_until(lambda: _in_channel(fake))
        assert "links to your attachments expired" in _text(_in_channel(fake)[0])
        assert len(rec.invocations) == 1


async def test_an_entry_from_before_files_were_recorded_is_answered_as_before(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec, received = hanging_then_reading()
    bot = await make_bot(rec=rec)
    iid = await _post_with_photo(fake, bot, fake.add_cdn_file("photo.png", PHOTO))
    # As an older version journaled it: the attachments counted, not recorded.
    changed = await bot.core.db.run(
        lambda sdb: (
            sdb.execute(
                "UPDATE command_journal SET payload = json_remove(payload, '$.files')"
            ).rowcount
        )
    )
    assert changed == 1
    await _die(bot)

    assert await bot.client.resume() == 1  # within the interaction token's 15 minutes
    await wait_until(lambda: any(m.followup for m in fake.interaction_messages(iid)))
    [answer] = [m for m in fake.interaction_messages(iid) if m.followup]
    assert answer.ephemeral and answer.title == FILES_LOST.title
    assert _text(answer) == "• It was not posted."
    assert len(rec.invocations) == 1 and received == {}


async def test_the_signed_url_is_never_in_the_database_file(
    fake: FakeDiscord, make_bot: BotFactory, db_path: str
) -> None:
    rec, _ = hanging_then_reading()
    bot = await make_bot(rec=rec)
    url = fake.add_cdn_file("photo.png", PHOTO)
    await _post_with_photo(fake, bot, url)
    [row] = await bot.core.db.run(lambda sdb: list(sdb.query("SELECT * FROM command_journal")))
    assert '"files"' in row["payload"] and url not in row["payload"]
    assert not stored_anywhere(Path(db_path).parent, fake.signature(url))
    assert not stored_anywhere(Path(db_path).parent, url.split("?", 1)[1][:12])  # "ex=…&is=…"


def test_expiry_is_ex_else_a_day_from_the_request() -> None:
    from datetime import UTC, datetime

    issued = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    ex = int(datetime(2026, 6, 2, 9, 30, tzinfo=UTC).timestamp())
    signed = f"https://cdn.discordapp.com/attachments/1/2/a.png?ex={ex:x}&is=0&hm=ab&"
    assert expires_at(signed, issued) == datetime(2026, 6, 2, 9, 30, tzinfo=UTC)
    plain = "https://cdn.discordapp.com/attachments/1/2/a.png"
    assert expires_at(plain, issued) == issued + LINK_LIFETIME
    assert expires_at(plain + "?ex=zz", issued) == issued + LINK_LIFETIME  # unreadable
