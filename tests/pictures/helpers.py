"""Checks on the pictures themselves, and building posts in the sandbox."""

from __future__ import annotations

import struct
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.api.client import SocialClient
from bot.api.models import NewPost

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BERLIN = ZoneInfo("Europe/Berlin")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (asserting it is one, with a sensible size)."""
    assert data[:8] == PNG_MAGIC, "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data.rstrip(b"\x00")[-8:-4] == b"IEND" or b"IEND" in data[-16:]
    assert 10_000 < len(data) < 3_000_000, f"PNG of {len(data)} bytes"
    assert 600 <= width <= 2000 and 200 <= height <= 4000, (width, height)
    return width, height


def next_monday(now: datetime, tz: ZoneInfo = BERLIN) -> date:
    today = now.astimezone(tz).date()
    return today + timedelta(days=7 - today.weekday())


def at(day: date, hh: int, mm: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hh, mm), tz)


async def schedule(client: SocialClient, platforms: list[str], caption: str, when: datetime) -> str:
    accounts = await client.list_accounts()
    ids = tuple(a.account_id for a in accounts if str(a.platform) in platforms)
    assert len(ids) == len(platforms), accounts
    created = await client.create_post(NewPost(ids, content=caption, scheduled_at=when))
    return created.post.post_id
