"""When a weekly report is due (pure functions of the config and ``now``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.reports.config import ReportConfig

CATCH_UP = timedelta(hours=24)  # a report missed by a downtime is still posted this late


def last_occurrence(cfg: ReportConfig, now: datetime) -> datetime:
    """The latest report time at or before ``now`` (aware, in the report's zone)."""
    tz = ZoneInfo(cfg.timezone)
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - cfg.weekday) % 7)
    at = datetime.combine(day, time(cfg.hour, cfg.minute), tz)
    # a wall time in a DST gap: normalise through UTC
    at = at.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if at > now:
        at = datetime.combine(day - timedelta(days=7), time(cfg.hour, cfg.minute), tz)
    return at


def due(cfg: ReportConfig, now: datetime) -> datetime | None:
    """The occurrence to post now, or None (the last one is older than ``CATCH_UP``: a bot
    started days later does not post last Monday's report on a Thursday)."""
    at = last_occurrence(cfg, now)
    return at if now - at <= CATCH_UP else None


def period_key(cfg: ReportConfig, at: datetime) -> str:
    """One report per channel per period: the outbox key (UNIQUE)."""
    return f"report:{cfg.platform}:{cfg.channel}:{at.date().isoformat()}"
