"""The renderers on their own: what they draw (the strings recorded by the canvas, after glyph
replacement), the PNG they produce, the collapse of busy days, and text no font can draw."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.pictures import fonts
from bot.pictures.calendar import render_calendar
from bot.pictures.chart import render_chart
from bot.pictures.model import STATE_MARK, STATES, CalendarSpec, ChartSpec, Chip
from tests.pictures.helpers import png_size

TZ = ZoneInfo("Asia/Tokyo")
MONDAY = date(2026, 7, 6)


def week(chips: list[Chip], per_cell: int = 3) -> CalendarSpec:
    return CalendarSpec(
        "week", MONDAY, MONDAY + timedelta(days=7), "Asia/Tokyo", "Week", tuple(chips), per_cell
    )


def chip(day: date, hh: int, mm: int, caption: str = "Post", state: str = "scheduled") -> Chip:
    return Chip(datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ), ("twitter",), caption,
                state, f"p{hh}{mm}")  # fmt: skip


def test_sixty_posts_on_one_day_collapse_to_more() -> None:
    busy = MONDAY + timedelta(days=2)
    chips = [chip(busy, 9 + i // 20, i % 20 * 3, f"Post number {i}") for i in range(60)]
    out = render_calendar(week(chips))
    png_size(out.png)
    # three hour rows (09, 10, 11) of 20 posts each: 3 chips shown per cell, then "+17 more"
    assert [t for t in out.texts if t.startswith("+")] == ["+17 more"] * 3
    shown = [t for t in out.texts if "Post number" in t]
    assert len(shown) == 9
    assert "Wed 08 Jul · 60 posts" in out.texts
    assert out.height < 1000  # the day did not overflow into a tall picture
    assert "60 posts" in out.alt and "…and" in out.alt and len(out.alt) <= 1000


def test_month_view_collapses_a_busy_day_and_greys_days_outside() -> None:
    chips = [chip(date(2026, 7, 15), 8, i, f"m{i}") for i in range(10)]
    spec = CalendarSpec("month", date(2026, 7, 1), date(2026, 8, 1), "Asia/Tokyo", "July",
                        tuple(chips))  # fmt: skip
    out = render_calendar(spec)
    png_size(out.png)
    assert "+7 more" in out.texts
    assert "29" in out.texts and "31" in out.texts  # June 29 (outside) and July 31


def test_states_are_shapes_with_a_legend() -> None:
    chips = [chip(MONDAY, 9 + i, 0, f"s{i}", s) for i, s in enumerate(STATES)]
    out = render_calendar(week(chips))
    for i, s in enumerate(STATES):
        assert f"{STATE_MARK[s]} {s}" in out.texts  # legend
        assert f"{STATE_MARK[s]} {9 + i:02d}:00 X s{i}" in out.texts  # the chip
    assert len(set(STATE_MARK.values())) == len(STATES)


def test_emoji_and_cjk_render_without_missing_glyph_boxes() -> None:
    caption = "祝 🎉 新製品 🚀🇯🇵 👩‍💻 Go"
    out = render_calendar(week([chip(MONDAY, 10, 0, caption)]))
    png_size(out.png)
    drawn = " ".join(out.texts)
    assert fonts.missing(drawn) == []  # every drawn character has a glyph in the font chain
    chip_text = next(t for t in out.texts if t.startswith("○ 10:00"))
    assert "Go" in chip_text and "🎉" not in chip_text and "🚀" not in chip_text
    if not fonts.has_glyph("新"):  # no CJK font here: replaced, counted
        assert "?" in chip_text
    assert out.replaced > 0
    assert caption in out.alt  # the words keep the original text


def test_drawable_drops_emoji_and_replaces_unknown_scripts() -> None:
    text, touched = fonts.drawable("Hi 👋🏽 there ❤️ ✔ done")
    assert text == "Hi there ❤ ✔ done" and touched == 3  # DejaVu has ❤ and ✔
    assert fonts.missing(text) == []
    assert fonts.drawable("tab\tand\nnewline") == ("tab and newline", 0)


def test_chart_of_ninety_days() -> None:
    rng = random.Random(7)
    days = tuple(date(2026, 4, 1) + timedelta(days=i) for i in range(90))
    likes = tuple(100 + 5 * i for i in range(90))
    spec = ChartSpec("Analytics — 90 days", "UTC", days,
                     tuple(rng.randrange(6) for _ in days), tuple(rng.randrange(2) for _ in days),
                     (("likes", likes), ("impressions", tuple(50 * x for x in likes))))  # fmt: skip
    out = render_chart(spec)
    assert png_size(out.png) == (1200, 700)
    assert "published" in out.texts and "failed" in out.texts
    assert "impressions (right axis)" in out.texts
    assert f"published {sum(spec.published)}" in out.alt and "likes 100 → 545" in out.alt


def test_a_day_busy_at_every_hour_keeps_the_picture_bounded() -> None:
    busy = MONDAY + timedelta(days=4)
    chips = [chip(busy, 4 + i % 20, i // 20 * 10, f"Hourly {i}") for i in range(60)]
    out = render_calendar(week(chips))
    _, height = png_size(out.png)
    assert height <= 1600  # 20 hour rows of one chip and a "+2 more" line, not 20 × 4 lines
    assert [t for t in out.texts if t.startswith("+")] == ["+2 more"] * 20
    assert "Fri 10 Jul · 60 posts" in out.texts
