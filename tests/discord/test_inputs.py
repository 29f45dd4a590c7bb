"""Autocomplete (type 8 results) and attachments (checked, then streamed from the CDN)."""

from __future__ import annotations

from bot.chat import Invocation
from tests.discord.conftest import Bot, BotFactory, Recorder
from tests.discord.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, attachment, wait_until


async def _choices(fake: FakeDiscord, iid: str) -> list[dict[str, str]]:
    await wait_until(lambda: iid in fake.callbacks)
    body = fake.callbacks[iid][0]
    assert body["type"] == 8
    return list(body["data"]["choices"])


async def test_targets_autocomplete_completes_the_last_of_several(
    fake: FakeDiscord, bot: Bot
) -> None:
    iid = await fake.autocomplete("post", "targets", "instagram, f")
    choices = await _choices(fake, iid)
    assert choices == [{"name": "instagram, Facebook · Brand", "value": "instagram,facebook"}]
    assert bot.rec.completions[-1] == ("targets", GUILD_ID, CHANNEL_ID, "f")

    iid = await fake.autocomplete("post", "targets", "")
    assert [c["value"] for c in await _choices(fake, iid)] == ["instagram", "x", "facebook"]


async def test_when_autocomplete_shows_how_the_text_resolves(fake: FakeDiscord, bot: Bot) -> None:
    iid = await fake.autocomplete("schedule", "when", "tomorrow 9am")
    assert await _choices(fake, iid) == [
        {"name": "tomorrow 9am → Tue 2 Jun 09:00 UTC", "value": "tomorrow 9am"}
    ]
    iid = await fake.autocomplete("social", "when", "fri", {"id": "p1"}, sub="edit")
    assert (await _choices(fake, iid))[0]["value"] == "fri"


async def test_autocomplete_failure_answers_no_choices(fake: FakeDiscord, bot: Bot) -> None:
    async def broken(*args: object) -> list[object]:
        raise RuntimeError("API down")

    bot.rec.target_choices = broken  # type: ignore[method-assign,assignment]
    bot.rec.when_choices = broken  # type: ignore[method-assign,assignment]
    iid = await fake.autocomplete("post", "targets", "ins")
    assert await _choices(fake, iid) == []


async def test_attachments_are_streamed_into_the_invocation(
    fake: FakeDiscord, make_bot: BotFactory
) -> None:
    rec = Recorder()
    received: dict[str, bytes] = {}

    async def read(inv: Invocation) -> None:
        for a in inv.attachments:
            chunks = [c async for c in a.open()]
            assert len(chunks) > 1  # streamed in pieces, not one buffer
            received[a.name] = b"".join(chunks)

    rec.during = read
    bot = await make_bot(rec=rec)
    photo = bytes(range(256)) * 1000  # 256 kB
    video = b"\x00\x01" * 70_000
    url1 = fake.add_cdn_file("photo.png", photo)
    url2 = fake.add_cdn_file("clip.mp4", video)
    await fake.slash(
        "post",
        {"caption": "look"},
        attachments={
            "media": attachment(url1, "photo.png", len(photo), "image/png"),
            "media2": attachment(url2, "clip.mp4", len(video), None),  # type guessed from name
        },
    )
    await wait_until(lambda: len(received) == 2)
    inv = bot.rec.invocations[-1]
    assert [(a.name, a.content_type, a.size) for a in inv.attachments] == [
        ("photo.png", "image/png", len(photo)),
        ("clip.mp4", "video/mp4", len(video)),
    ]
    assert received == {"photo.png": photo, "clip.mp4": video}
    # signed CDN URLs stay out of reprs
    assert fake.signature(url1) not in repr(inv) and fake.signature(url2) not in repr(inv)


async def test_disallowed_or_oversized_attachment_is_refused_before_any_work(
    fake: FakeDiscord, bot: Bot
) -> None:
    exe = fake.add_cdn_file("setup.exe", b"MZ")
    big = fake.add_cdn_file("huge.mp4", b"")
    iid = await fake.slash(
        "post",
        {"caption": "x"},
        attachments={
            "media": attachment(exe, "setup.exe", 2, "application/x-msdownload"),
            "media2": attachment(big, "huge.mp4", 5 * 1024 * 1024, "video/mp4"),
        },
    )
    await wait_until(lambda: iid in fake.callbacks)
    body = fake.callbacks[iid][0]
    assert body["type"] == 4 and body["data"]["flags"] == 64  # answered at once, ephemeral
    text = str(body["data"]["embeds"])
    assert "setup.exe: type application/x-msdownload is not allowed" in text
    assert "huge.mp4: 5.0 MB is over the limit of 1.0 MB" in text
    assert fake.signature(exe) not in text and fake.signature(big) not in text
    assert bot.rec.invocations == []
    assert fake.cdn_bytes_served == 0
