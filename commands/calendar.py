"""The calendar's data: which period, and the workspace's posts in it, in the requester's zone.

    /social calendar                 this week (Monday to Sunday)
    /social calendar next            next week
    /social calendar month [next]    this (next) month
    /social calendar week 2026-07-14 the week that holds that date (also "14 jul", "july")

Posts come from one ``GET /v1/posts``; requests still waiting for approval (drafts in the API)
take their intended time from the approval request. Canceled posts and drafts nobody asked to
approve are left out. A post appears once, at its first time, with every platform it targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import dateparser
import sqlite_utils

from bot import approvals
from bot.api.models import Post, PostStatus, parse_time
from bot.approvals import store
from bot.pictures import model
from bot.pictures.model import CalendarSpec, Chip
from bot.storage import Database
from commands.apierrors import api_errors
from commands.context import Context
from commands.errors import UsageError
from commands.times import zone_name

HINT = "/social calendar · /social calendar next · /social calendar month · /social calendar week 2026-07-14"
_STATE: dict[str, str] = {
    PostStatus.SCHEDULED: model.SCHEDULED,
    PostStatus.PUBLISHING: model.PUBLISHING,
    PostStatus.PUBLISHED: model.PUBLISHED,
    PostStatus.PARTIAL: model.PARTIAL,
    PostStatus.FAILED: model.FAILED,
}


@dataclass(frozen=True)
class Period:
    view: str  # "week" | "month"
    start: date
    end: date  # exclusive

    def label(self) -> str:
        if self.view == "month":
            return f"{self.start:%B %Y}"
        last = self.end - timedelta(days=1)
        return f"week of {self.start:%a} {self.start.day} {self.start:%b %Y} – {last:%a} {last.day} {last:%b}"

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(0), tz),
            datetime.combine(self.end, time(0), tz),
        )


def week_of(d: date) -> Period:
    start = d - timedelta(days=d.weekday())
    return Period("week", start, start + timedelta(days=7))


def month_of(d: date) -> Period:
    start = d.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, end)


def parse_period(text: str, today: date) -> Period:
    """``[week|month] [next|this|last|<date>]`` in any order. Raises ``UsageError``."""
    view = "week"
    rest: list[str] = []
    for word in text.split():
        w = word.lower().strip(",.")
        if w in ("week", "weekly", "w"):
            view = "week"
        elif w in ("month", "monthly", "m"):
            view = "month"
        else:
            rest.append(word)
    words = " ".join(rest).strip()
    low = words.lower()
    of = month_of if view == "month" else week_of
    if low in ("", "this", "current", "now"):
        return of(today)
    if low == "next":
        return of(today + timedelta(days=7)) if view == "week" else of(of(today).end)
    if low in ("last", "previous", "prev"):
        return (
            of(today - timedelta(days=7))
            if view == "week"
            else of(of(today).start - timedelta(days=1))
        )
    d = _read_date(words, today)
    if d is None:
        raise UsageError(
            "I couldn't read that period",
            problems=[
                f"“{words}” is not a date. Give week or month, then next, last, or a date "
                "like 2026-07-14 or “14 jul”."
            ],
            hint=HINT,
        )
    return of(d)


def _read_date(words: str, today: date) -> date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", words):
        try:
            return date.fromisoformat(words)
        except ValueError:
            return None
    if len(words) > 40 or not re.search(r"[A-Za-z0-9]", words):
        return None
    try:
        parsed = dateparser.parse(
            words,
            languages=["en"],
            settings={
                "RELATIVE_BASE": datetime.combine(today, time(12)),
                "PREFER_DAY_OF_MONTH": "first",
                "REQUIRE_PARTS": [],
            },
        )
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    return parsed.date() if parsed is not None else None


def _first_time(p: Post) -> datetime | None:
    """When the post goes (went) out: its first scheduled time; published-now posts have
    none, so their ``publishedAt`` / ``createdAt``."""
    times = [t.scheduled_at for t in p.targets if t.scheduled_at]
    if p.scheduled_at:
        times.append(p.scheduled_at)
    if not times:
        for key in ("publishedAt", "createdAt"):
            t = parse_time(p.extra.get(key))
            if t is not None:
                return t
    return min(times) if times else None


async def chips(ctx: Context, period: Period) -> tuple[Chip, ...]:
    """The workspace's posts in ``period`` (requester's zone), plus requests awaiting approval."""
    with api_errors(ctx.action("list the posts", "posts:read", "nothing was changed")):
        posts = await ctx.client().list_posts()
    return select(posts, await waiting(ctx.core.db, ctx.workspace), period, ctx.tz)


async def waiting(db: Database, workspace: str) -> dict[str, store.CardRow]:
    """Requests of ``workspace`` waiting for approval, by post id."""
    await approvals.migrate(db)

    def read(sdb: sqlite_utils.Database) -> list[store.CardRow]:
        return store.open_cards(sdb, workspace)

    return {c.post_id: c for c in await db.run(read)}


def select(
    posts: list[Post], waiting: dict[str, store.CardRow], period: Period, tz: tzinfo
) -> tuple[Chip, ...]:
    lo, hi = period.bounds(tz)
    out: list[Chip] = []
    for p in posts:
        state = _STATE.get(str(p.status))
        at = _first_time(p)
        card = waiting.get(p.post_id)
        if card is not None and p.status == PostStatus.DRAFT:
            state = model.APPROVAL
            times = card.intended.times
            at = min(times) if times else card.created_at
        if state is None or at is None:
            continue
        local = at.astimezone(tz)
        if not (lo <= local < hi):
            continue
        platforms = tuple(str(x) for x in p.platforms)
        out.append(Chip(local, platforms, p.content or "", state, p.post_id))
    out.sort(key=lambda c: (c.at, c.post_id))
    return tuple(out)


def spec(period: Period, tz: tzinfo, workspace: str, found: tuple[Chip, ...]) -> CalendarSpec:
    return CalendarSpec(
        view=period.view,
        start=period.start,
        end=period.end,
        zone=zone_name(tz),
        title=f"Content calendar — {period.label()} · times in {zone_name(tz)} · {workspace}",
        chips=found,
    )
