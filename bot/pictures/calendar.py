"""The content calendar as a PNG.

    week    seven day columns; one row per hour that has posts; each cell shows up to
            ``per_cell`` chips, then "+N more" (fewer per cell when many hours have posts, so
            the picture stays within ``WEEK_MAX_LINES`` lines)
    month   a grid of the weeks that cover the month; each day shows up to ``per_cell`` chips,
            then "+N more"; days outside the month are greyed

A chip: a colour bar per platform (legend below), the state's shape (○ scheduled, ◷ waiting for
approval, ◑ publishing, ✔ published, ◐ partial, ✘ failed — shapes, not colour alone), the
time, the platform in letters, and the first words of the caption. ``alt_text`` says the same in
words. ``render_calendar`` runs in the render worker (it imports matplotlib).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from bot.pictures import fonts
from bot.pictures.canvas import Canvas, clip_words
from bot.pictures.model import (
    OTHER_COLOUR,
    PLATFORM_COLOUR,
    PLATFORM_LABEL,
    PLATFORM_SHORT,
    STATE_MARK,
    STATES,
    CalendarSpec,
    Chip,
    Rendered,
)

ALT_MAX = 1000  # Slack's alt_txt limit
LINE_IN = 0.3  # height of one text line, inches
WEEK_WIDTH_IN = 14.0
GUTTER = 0.55  # hour-label column, in day-column units
WEEK_MAX_LINES = 40  # beyond this the week shows fewer chips per cell (down to one)


def platforms_text(platforms: tuple[str, ...]) -> str:
    return " + ".join(PLATFORM_LABEL.get(p, p) for p in platforms) or "no platform"


def chip_line(c: Chip) -> str:
    """One post in words (alt text and the list under the picture)."""
    return (
        f"{c.at:%a %d %b %H:%M} · {platforms_text(c.platforms)} · {c.state} · "
        f"“{clip_words(c.caption, 60) or '(no caption)'}”"
    )


def alt_text(spec: CalendarSpec) -> str:
    chips = sorted(spec.chips, key=lambda c: c.at)
    head = f"{spec.title}. {len(chips)} post{'s' if len(chips) != 1 else ''}"
    if not chips:
        return head + "."
    out = head + ": "
    for i, c in enumerate(chips):
        part = chip_line(c) + ("; " if i < len(chips) - 1 else ".")
        rest = len(chips) - i
        if len(out) + len(part) > ALT_MAX - 30:
            return out + f"…and {rest} more."
        out += part
    return out


def _chip_label(c: Chip, width_chars: int) -> tuple[str, int]:
    """The chip's text and how many caption characters no font could draw."""
    plat = "+".join(PLATFORM_SHORT.get(p, p[:2].upper()) for p in c.platforms) or "—"
    head = f"{STATE_MARK.get(c.state, '•')} {c.at:%H:%M} {plat} "
    caption, touched = fonts.drawable(c.caption)
    return head + clip_words(caption, max(4, width_chars - len(head))), touched


CHIP_FONT = 7.5


def _draw_cell(
    cv: Canvas, x: float, y: float, w: float, chips: list[Chip], width_chars: int
) -> None:
    """Stacked chips from line ``y`` down, one line each. Their labels are drawn as one
    multi-line text (a text artist per chip costs as much again); failed and partial ones
    apart, in red (their shape already says it)."""
    bar = 0.05
    lines: list[str] = []
    for k, c in enumerate(chips):
        top = y + k
        cv.rect(x, top + 0.06, w, 0.88, facecolor="#F4F4F6", edgecolor="#C7C7CC", linewidth=0.5)
        plats = c.platforms or ("",)
        for i, p in enumerate(plats):
            h = 0.88 / len(plats)
            cv.rect(x, top + 0.06 + i * h, bar, h, facecolor=PLATFORM_COLOUR.get(p, OTHER_COLOUR),
                    edgecolor="none")  # fmt: skip
        label, touched = _chip_label(c, width_chars)
        cv.replaced += touched
        if c.state in ("failed", "partial"):
            cv.text(x + bar + 0.03, top + 0.5, label, fontsize=CHIP_FONT, color="#B00020")
            lines.append("")
        else:
            lines.append(label)
    if any(lines):
        cv.lines(x + bar + 0.03, y, lines, fontsize=CHIP_FONT, color="#1C1C1E")


def _legend(cv: Canvas, y: float, x0: float, chips: tuple[Chip, ...]) -> None:
    present = sorted(
        {p for c in chips for p in c.platforms}, key=lambda p: PLATFORM_LABEL.get(p, p)
    )
    x = x0
    for p in present:
        cv.rect(x, y + 0.2, 0.12, 0.6, facecolor=PLATFORM_COLOUR.get(p, OTHER_COLOUR),
                edgecolor="none")  # fmt: skip
        label = f"{PLATFORM_LABEL.get(p, p)} ({PLATFORM_SHORT.get(p, p[:2].upper())})"
        cv.text(x + 0.17, y + 0.5, label, fontsize=8)
        x += 0.25 + len(label) * 0.055
    x = x0
    for s in STATES:
        label = f"{STATE_MARK[s]} {s}"
        cv.text(x, y + 1.5, label, fontsize=8)
        x += 0.3 + len(label) * 0.055


def render_calendar(spec: CalendarSpec) -> Rendered:
    if spec.view == "month":
        cv = _month(spec)
    else:
        cv = _week(spec)
    png, w, h = cv.png()
    return Rendered(png, alt_text(spec), tuple(cv.texts), cv.replaced, w, h)


def _days(spec: CalendarSpec) -> list[date]:
    return [spec.start + timedelta(days=i) for i in range((spec.end - spec.start).days)]


def _week(spec: CalendarSpec) -> Canvas:
    days = _days(spec)
    by_cell: dict[tuple[date, int], list[Chip]] = defaultdict(list)
    for c in sorted(spec.chips, key=lambda c: c.at):
        by_cell[(c.at.date(), c.at.hour)].append(c)
    hours = sorted({h for _, h in by_cell})
    per_cell = spec.per_cell
    rows = _rows(hours, days, by_cell, per_cell)
    while sum(n for _, n in rows) > WEEK_MAX_LINES and per_cell > 1:
        per_cell -= 1  # a week busy at many hours: fewer chips per cell, not a taller picture
        rows = _rows(hours, days, by_cell, per_cell)
    header, legend = 3.0, 2.4
    body = sum(n for _, n in rows) or 1
    total = header + body + legend
    ncols = len(days)
    cv = Canvas(WEEK_WIDTH_IN, total * LINE_IN + 0.2, (-GUTTER, ncols + 0.05), (total, -0.2))
    cv.text(-GUTTER + 0.05, 0.5, spec.title, fontsize=13, weight="bold")
    width_chars = int(WEEK_WIDTH_IN * 100 / (ncols + GUTTER + 0.05) * 0.9 / 5.9)
    counts: dict[date, int] = defaultdict(int)
    for c in spec.chips:
        counts[c.at.date()] += 1
    for i, d in enumerate(days):
        cv.rect(i + 0.01, 1.6, 0.98, 1.2, facecolor="#E5E5EA", edgecolor="none")
        n = counts.get(d, 0)
        label = f"{d:%a %d %b}" + (f" · {n} post{'s' if n != 1 else ''}" if n else "")
        cv.text(i + 0.05, 2.2, label, fontsize=9, weight="bold")
    y = header
    for hr, lines in rows:
        cv.rect(-GUTTER, y, ncols + GUTTER, 0.02, facecolor="#D1D1D6", edgecolor="none")
        cv.text(-GUTTER + 0.05, y + 0.5, f"{hr:02d}:00", fontsize=8, color="#636366")
        for i, d in enumerate(days):
            cell = by_cell.get((d, hr), [])
            _draw_cell(cv, i + 0.03, y, 0.94, cell[:per_cell], width_chars)
            if len(cell) > per_cell:
                more = len(cell) - per_cell
                cv.text(i + 0.08, y + per_cell + 0.5, f"+{more} more", fontsize=8,
                        style="italic", color="#3A3A3C")  # fmt: skip
        y += lines
    _legend(cv, y + 0.4, -GUTTER + 0.05, spec.chips)
    return cv


def _rows(
    hours: list[int], days: list[date], by_cell: dict[tuple[date, int], list[Chip]], per_cell: int
) -> list[tuple[int, int]]:
    """(hour, lines) per hour row: its fullest cell's chips shown, plus a "+N more" line."""
    rows = []
    for hr in hours:
        need = 1
        for d in days:
            n = len(by_cell.get((d, hr), ()))
            need = max(need, min(n, per_cell) + (1 if n > per_cell else 0))
        rows.append((hr, need))
    return rows


def _month(spec: CalendarSpec) -> Canvas:
    first = spec.start - timedelta(days=spec.start.weekday())
    last = spec.end + timedelta(days=(7 - spec.end.weekday()) % 7)
    weeks = (last - first).days // 7
    by_day: dict[date, list[Chip]] = defaultdict(list)
    for c in sorted(spec.chips, key=lambda c: c.at):
        by_day[c.at.date()].append(c)
    cell = spec.per_cell + 2  # day number + chips + "+N more"
    header, legend = 3.0, 2.4
    total = header + weeks * cell + legend
    cv = Canvas(WEEK_WIDTH_IN, total * LINE_IN + 0.2, (-0.05, 7.05), (total, -0.2))
    cv.text(0.0, 0.5, spec.title, fontsize=13, weight="bold")
    width_chars = int(WEEK_WIDTH_IN * 100 / 7.1 * 0.88 / 5.9)
    for i in range(7):
        cv.rect(i + 0.01, 1.6, 0.98, 1.2, facecolor="#E5E5EA", edgecolor="none")
        cv.text(i + 0.05, 2.2, f"{first + timedelta(days=i):%A}", fontsize=9, weight="bold")
    for w in range(weeks):
        for i in range(7):
            d = first + timedelta(days=w * 7 + i)
            y = header + w * cell
            inside = spec.start <= d < spec.end
            cv.rect(i + 0.01, y + 0.05, 0.98, cell - 0.1,
                    facecolor="#FFFFFF" if inside else "#F2F2F7", edgecolor="#D1D1D6",
                    linewidth=0.6)  # fmt: skip
            cv.text(i + 0.05, y + 0.5, f"{d.day}", fontsize=9,
                    color="#1C1C1E" if inside else "#AEAEB2", weight="bold")  # fmt: skip
            if not inside:
                continue
            chips = by_day.get(d, [])
            _draw_cell(cv, i + 0.04, y + 1, 0.92, chips[: spec.per_cell], width_chars)
            if len(chips) > spec.per_cell:
                cv.text(i + 0.08, y + 1 + spec.per_cell + 0.45,
                        f"+{len(chips) - spec.per_cell} more", fontsize=8, style="italic",
                        color="#3A3A3C")  # fmt: skip
    _legend(cv, header + weeks * cell + 0.4, 0.0, spec.chips)
    return cv
