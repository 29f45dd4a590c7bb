"""/social calendar [week|month] [next|last|<date>] and /social analytics [7d|30d|90d].

Both answer with a picture (``PictureReply``: the PNG, its alt text, the same data as lines)
drawn off the event loop by ``core.pictures``. If drawing fails the words still arrive, with a
reference id for an admin. An empty calendar period is said in words, without a picture.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from bot.chat import Confirmation, Field, Picture, PictureReply, Reply, Tone
from bot.pictures import snapshots
from bot.pictures.calendar import chip_line
from bot.pictures.chart import alt_text
from bot.pictures.trend import chart_spec
from commands import calendar, slotting
from commands.apierrors import api_errors
from commands.context import Context
from commands.errors import UsageError
from commands.handlers import info
from commands.times import zone_name

log = logging.getLogger(__name__)

LIST_MAX = 25  # lines under a calendar picture
RANGES = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_RANGE = "30d"


async def calendar_(ctx: Context, text: str) -> tuple[Reply, ...]:
    today = ctx.now().astimezone(ctx.tz).date()
    period = calendar.parse_period(text, today)
    found = await calendar.chips(ctx, period)
    zone = zone_name(ctx.tz)
    free = await slotting.free_between(ctx, *period.bounds(ctx.tz))  # this channel's slots
    if not found:
        return (
            Confirmation(
                title=f"Nothing planned — {period.label()}",
                text=f"No posts of workspace {ctx.workspace} between {period.start:%a %d %b} "
                f"and {period.end - timedelta(days=1):%a %d %b %Y} (times in {zone}). "
                "Try /social calendar next or /social calendar month."
                + (f"\n{free}" if free else ""),
                tone=Tone.INFO,
                ephemeral=True,
            ),
        )
    spec = calendar.spec(period, ctx.tz, ctx.workspace, found)
    lines = [chip_line(c) for c in found[:LIST_MAX]]
    if len(found) > LIST_MAX:
        lines.append(f"…and {len(found) - LIST_MAX} more")
    if free:
        lines.append(free)
    title = (
        f"Content calendar — {period.label()} ({len(found)} post{'s' if len(found) != 1 else ''})"
    )
    footer = f"Times in {zone} · /social calendar next · /social calendar month"
    try:
        drawn = await ctx.core.pictures.calendar(spec)
    except Exception:
        return _undrawn(title, lines, footer, "calendar")
    picture = Picture(drawn.png, drawn.alt, f"calendar-{period.view}-{period.start}.png", title)
    return (PictureReply(title, (picture,), tuple(lines), footer),)


def _undrawn(title: str, lines: list[str], footer: str, what: str) -> tuple[Reply, ...]:
    ref = secrets.token_hex(4)
    log.exception("pictures: drawing the %s failed (ref %s)", what, ref)
    note = f"(The picture could not be drawn — the list above has the same data. Ref {ref}.)"
    return (PictureReply(title, (), (*lines, note), footer),)


_RANGE = re.compile(r"\d+\s*(d|days?)?")


def is_range(word: str) -> bool:
    """``7d`` / ``30`` / ``90days`` (a chart range), as opposed to a post id."""
    return bool(_RANGE.fullmatch(word.strip().lower()))


def parse_range(text: str) -> tuple[str, int]:
    word = (text.split() or [DEFAULT_RANGE])[0].lower()
    m = re.fullmatch(r"(\d+)\s*(?:d|days?)?", word)
    key = f"{m.group(1)}d" if m else word
    if key not in RANGES:
        raise UsageError(
            "I can chart 7, 30 or 90 days",
            problems=[f"“{text.strip()}” is not one of 7d, 30d, 90d."],
            hint="/social analytics 30d",
        )
    return key, RANGES[key]


async def analytics(ctx: Context, text: str) -> tuple[Reply, ...]:
    key, days = parse_range(text)
    client = ctx.client()
    with api_errors(ctx.action("read the analytics", "analytics:read", "nothing was changed")):
        a = await client.analytics()
    now = ctx.now()
    await snapshots.record(ctx.core.db, ctx.workspace, a, now)  # today's, if none yet
    summary = info.summary(ctx, a)
    today = snapshots.utc_day(now)
    snaps = await snapshots.between(ctx.core.db, ctx.workspace, today - timedelta(days=days), today)
    title = f"Analytics — workspace {ctx.workspace}, last {days} days"
    spec = chart_spec(snaps, title, "UTC")
    if spec is None:
        ready = snapshots.next_snapshot_day(now)  # today's snapshot is taken (just above)
        note = (
            f"The chart needs two daily snapshots; I have {len(snaps)} in the last {days} days "
            f"(one is taken each day). It will have data from {ready:%a %d %b %Y} (UTC)."
        )
        return (_with(summary, Field("Chart", note)),)
    try:
        drawn = await ctx.core.pictures.chart(spec)
    except Exception:
        return (summary, *_undrawn(title, [alt_text(spec)], "Days in UTC", "chart"))
    picture = Picture(drawn.png, drawn.alt, f"analytics-{ctx.workspace}-{key}.png", title)
    return (summary, PictureReply(title, (picture,), (drawn.alt,), "Days in UTC"))


def _with(c: Confirmation, f: Field) -> Confirmation:
    return Confirmation(c.title, (*c.fields, f), c.text, c.ephemeral, c.tone)
