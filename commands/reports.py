"""The weekly report's content (``bot.reports`` schedules it; the runner injects ``compose``).

    Weekly report — workspace default · week of Mon 6 Jul 2026 (Europe/Berlin)
    12 scheduled, 9 published, 1 failed — engagement +14% on the week before
    [the coming week's calendar] [the past week's chart]

"Scheduled" counts the coming week's scheduled posts (and says how many wait for approval);
published/failed are the past seven days' posts; the engagement change compares the likes,
comments and shares gained in the past week with the week before, from the daily snapshots.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.chat import Picture, PictureReply, Reply
from bot.core import Core
from bot.pictures import model, snapshots
from bot.pictures.calendar import chip_line
from bot.pictures.trend import change_text, chart_spec, week_numbers
from bot.reports.service import ReportRequest
from commands import calendar

LIST_MAX = 20


async def compose(core: Core, req: ReportRequest) -> Reply:
    tz = ZoneInfo(req.timezone)
    now = req.when
    today = now.astimezone(tz).date()
    coming = calendar.Period("week", today, today + timedelta(days=7))
    past = calendar.Period("week", today - timedelta(days=7), today)
    posts = await core.clients.for_workspace(req.workspace).list_posts()
    waiting = await calendar.waiting(core.db, req.workspace)
    ahead = calendar.select(posts, waiting, coming, tz)
    behind = calendar.select(posts, waiting, past, tz)

    scheduled = sum(c.state == model.SCHEDULED for c in ahead)
    approval = sum(c.state == model.APPROVAL for c in ahead)
    published = sum(c.state in (model.PUBLISHED, model.PARTIAL) for c in behind)
    failed = sum(c.state == model.FAILED for c in behind)
    day = snapshots.utc_day(now)
    snaps = await snapshots.between(core.db, req.workspace, day - timedelta(days=15), day)
    week = week_numbers(snaps)
    summary = (
        f"{scheduled} scheduled"
        + (f" ({approval} waiting for approval)" if approval else "")
        + f", {published} published, {failed} failed — "
        + change_text(week.engagement_gain, week.previous_gain)
    )

    pictures: list[Picture] = []
    lines = [summary]
    if ahead:
        spec = calendar.spec(coming, tz, req.workspace, ahead)
        drawn = await core.pictures.calendar(spec)
        pictures.append(
            Picture(drawn.png, drawn.alt, f"report-calendar-{today}.png", "The coming week")
        )
        lines += [chip_line(c) for c in ahead[:LIST_MAX]]
        if len(ahead) > LIST_MAX:
            lines.append(f"…and {len(ahead) - LIST_MAX} more")
    else:
        lines.append("Nothing is scheduled for the coming week.")
    recent = [s for s in snaps if s.day >= day - timedelta(days=7)]
    chart = chart_spec(recent, f"The past week — workspace {req.workspace}", "UTC")
    if chart is not None:
        drawn = await core.pictures.chart(chart)
        pictures.append(Picture(drawn.png, drawn.alt, f"report-chart-{today}.png", "The past week"))
    else:
        lines.append("No chart yet: it needs two daily analytics snapshots (one is taken a day).")
    title = (
        f"Weekly report — workspace {req.workspace} · week of {today:%a} {today.day} "
        f"{today:%b %Y} ({req.timezone})"
    )
    return PictureReply(title, tuple(pictures), tuple(lines), "Times in " + req.timezone)
