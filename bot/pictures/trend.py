"""Daily snapshots → the chart's series and the week-over-week numbers (pure functions).

Per-day published/failed = the rise of the running counts since the previous snapshot (a gap
of missing days lands on the day after it). Engagement series are the running totals.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.pictures.model import ChartSpec
from bot.pictures.snapshots import METRICS, Snapshot

ENGAGEMENT = ("likes", "comments", "shares")  # "engagement" in the summary line


def chart_spec(snaps: Sequence[Snapshot], title: str, zone: str) -> ChartSpec | None:
    """None with fewer than two snapshots (no day has a difference yet)."""
    if len(snaps) < 2:
        return None
    days, published, failed = [], [], []
    for prev, cur in itertools.pairwise(snaps):
        days.append(cur.day)
        published.append(_rise(prev, cur, "published") + _rise(prev, cur, "partial"))
        failed.append(_rise(prev, cur, "failed"))
    metrics = [m for m in METRICS if any(m in s.engagement for s in snaps)]
    engagement = tuple((m, tuple(s.engagement.get(m, 0) for s in snaps[1:])) for m in metrics)
    return ChartSpec(title, zone, tuple(days), tuple(published), tuple(failed), engagement)


def _rise(prev: Snapshot, cur: Snapshot, status: str) -> int:
    return max(0, cur.by_status.get(status, 0) - prev.by_status.get(status, 0))


def engagement(s: Snapshot) -> int:
    return sum(s.engagement.get(m, 0) for m in ENGAGEMENT)


@dataclass(frozen=True)
class Week:
    published: int
    failed: int
    engagement_gain: int | None  # over the period; None without a snapshot at its start
    previous_gain: int | None  # the same for the period before


def week_numbers(snaps: Sequence[Snapshot], days: int = 7) -> Week:
    """Numbers of the last ``days`` days covered by ``snaps`` (oldest first), and the
    engagement gain of the ``days`` before that, for "+14% on the week before"."""
    if not snaps:
        return Week(0, 0, None, None)
    last = snaps[-1]
    start = _at_or_before(snaps, last.day.toordinal() - days)
    before = _at_or_before(snaps, last.day.toordinal() - 2 * days)
    published = failed = 0
    gain = prev_gain = None
    if start is not None:
        published = _rise(start, last, "published") + _rise(start, last, "partial")
        failed = _rise(start, last, "failed")
        gain = engagement(last) - engagement(start)
        if before is not None:
            prev_gain = engagement(start) - engagement(before)
    return Week(published, failed, gain, prev_gain)


def _at_or_before(snaps: Sequence[Snapshot], ordinal: int) -> Snapshot | None:
    found = [s for s in snaps if s.day.toordinal() <= ordinal]
    return found[-1] if found else None


def change_text(gain: int | None, previous: int | None) -> str:
    """'engagement +14% on the week before' (or why there is no such figure)."""
    if gain is None:
        return "engagement: not enough history yet"
    if previous is None:
        return f"engagement +{gain:,} this week (no week before to compare)"
    if previous == 0:
        return f"engagement +{gain:,} (none the week before)"
    pct = round((gain - previous) * 100 / previous)
    return f"engagement {pct:+d}% on the week before"
