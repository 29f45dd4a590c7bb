"""Draws docs/calendar.png (the README's picture): ``python docs/make_calendar_png.py``."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from bot.pictures.calendar import render_calendar
from bot.pictures.model import CalendarSpec, Chip

TZ = ZoneInfo("Europe/Berlin")


def chip(d: int, h: int, m: int, plats: tuple[str, ...], cap: str, st: str, i: int) -> Chip:
    return Chip(datetime(2026, 7, d, h, m, tzinfo=TZ), plats, cap, st, f"pst_{i}")


CHIPS = [
    chip(6, 9, 0, ("instagram", "facebook"), "Launch day 🚀 the new app is here", "published", 1),
    chip(6, 9, 30, ("twitter",), "Thread: how we built it", "published", 2),
    chip(6, 12, 0, ("linkedin",), "We're hiring two engineers", "partial", 3),
    chip(7, 9, 0, ("tiktok",), "Behind the scenes", "failed", 4),
    chip(7, 17, 0, ("instagram",), "Team lunch 🍝", "scheduled", 5),
    chip(8, 9, 15, ("threads",), "Poll: which feature next?", "scheduled", 6),
    chip(8, 12, 0, ("pinterest",), "Weeknight pasta recipe", "waiting for approval", 7),
    chip(9, 9, 0, ("youtube",), "Launch video (unlisted first)", "waiting for approval", 8),
    chip(9, 12, 30, ("twitter", "linkedin"), "Q3 numbers are in", "scheduled", 9),
    chip(10, 17, 0, ("instagram",), "新製品 Weekend giveaway 🎁", "scheduled", 10),
    *(
        chip(10, 9, i, ("twitter",), f"Live-post {i + 1} from the conference", "scheduled", 20 + i)
        for i in range(6)
    ),
]


def main() -> None:
    spec = CalendarSpec(
        "week",
        date(2026, 7, 6),
        date(2026, 7, 13),
        "Europe/Berlin",
        "Content calendar — week of Mon 6 Jul 2026 – Sun 12 Jul · times in Europe/Berlin · default",
        tuple(CHIPS),
    )
    out = render_calendar(spec)
    small = Image.open(io.BytesIO(out.png)).convert("RGB").quantize(colors=48)
    small.save(Path(__file__).with_name("calendar.png"), optimize=True)


if __name__ == "__main__":
    main()
