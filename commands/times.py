"""Natural-language times → aware UTC datetimes. Pure functions of (text, now, zone).

``parse_when("tomorrow 9am", now, ZoneInfo("Europe/Berlin"))`` reads the text in the user's zone
relative to ``now`` (from the injected clock, never the system clock) and returns UTC. A thin
layer in front of dateparser handles what it misses: a zone written in the text ("9am
Europe/Berlin", "UTC", "CET", "UTC+2"), "next monday", "noon" / "midnight", a bare hour after a day
("tomorrow 9"), ISO times with offsets, and a date without a time (09:00 that day).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

from commands.errors import TimeError

EXAMPLES = (
    "tomorrow 9am",
    "in 2 hours",
    "next monday 14:30",
    "2026-07-01 09:00",
    "9am Europe/Berlin",
)
HINT = "Times look like " + ", ".join(f"“{e}”" for e in EXAMPLES) + "."
MIN_LEAD = timedelta(seconds=30)  # the API publishes anything closer than this immediately
MAX_AHEAD = timedelta(days=366)
DEFAULT_HOUR = 9  # a date without a time means 09:00 that day

ABBREVIATIONS: dict[str, str] = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC",
    "cet": "Europe/Berlin", "cest": "Europe/Berlin",
    "bst": "Europe/London", "wet": "Europe/Lisbon", "eet": "Europe/Athens",
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "ist": "Asia/Kolkata", "jst": "Asia/Tokyo", "sgt": "Asia/Singapore",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney",
}  # fmt: skip

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip

_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE_WORDS = re.compile(
    rf"\b(today|tomorrow|tonight|yesterday|next|this|in|ago|days?|weeks?|months?|years?|"
    rf"{'|'.join(WEEKDAYS)}|({_MONTHS})[a-z]*)\b|\d{{4}}-\d|\d{{1,2}}[/.]\d{{1,2}}[/.]",
    re.IGNORECASE,
)
_TIME_WORDS = re.compile(
    r"\d{1,2}[:.h]\d{2}|\d\s*(am|pm)\b|\b(noon|midnight|morning|afternoon|evening|night|tonight)\b"
    r"|\b(in|ago)\b",
    re.IGNORECASE,
)
_OFFSET = re.compile(r"(?:\s+|^)(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)
_ZONE_SUFFIX = re.compile(
    r"(?:\s+|^)(?:in\s+)?([A-Za-z]+(?:/[A-Za-z_+\-]+){1,2}|[A-Za-z]{1,5})\s*$"
)
_NEXT_DAY = re.compile(r"\b(next|this|on|coming)?\s*(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_BARE_HOUR = re.compile(
    r"\b(at|tomorrow|today|"
    + "|".join(WEEKDAYS)
    + r"|\d{4}-\d{2}-\d{2})\s+(?:at\s+)?(\d{1,2})(?=\s*$)",
    re.IGNORECASE,
)

_SETTINGS_BASE: dict[str, object] = {
    "PREFER_DATES_FROM": "future",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DAY_OF_MONTH": "first",
}
_warm = False


def warm() -> None:
    """dateparser's first call loads its language data (~2 s): do it once, early."""
    global _warm
    if not _warm:
        dateparser.parse("tomorrow 9am", languages=["en"])
        _warm = True


def zone(name: str | None) -> ZoneInfo | None:
    """An IANA zone (or a common abbreviation), or None if unknown."""
    if not name:
        return None
    n = name.strip()
    mapped = ABBREVIATIONS.get(n.lower())
    try:
        return ZoneInfo(mapped or n)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def user_zone(user_tz: str | None, channel_tz: str | None) -> ZoneInfo:
    """The invoker's zone if the platform knows it, else the channel's, else UTC."""
    return zone(user_tz) or zone(channel_tz) or ZoneInfo("UTC")


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def _split_zone(text: str) -> tuple[str, tzinfo | None]:
    """'9am Europe/Berlin' → ('9am', Europe/Berlin). Only a trailing zone is taken."""
    m = _OFFSET.search(text)
    if m:
        before = text[: m.start()]
        # "2026-07-01 09:00 +02:00" / "9am UTC+2" / "9am +2"; not "in 2 hours - 3"
        named = re.search(r"utc|gmt", m.group(0), re.IGNORECASE)
        after_time = re.search(r"\d{1,2}:\d{2}\s*$|[ap]m\s*$", before, re.IGNORECASE)
        if re.search(r"\d", before) and (m.group(3) or named or after_time):
            sign = 1 if m.group(1) == "+" else -1
            hours, minutes = int(m.group(2)), int(m.group(3) or 0)
            if hours <= 14 and minutes < 60:
                return before.strip(), timezone(sign * timedelta(hours=hours, minutes=minutes))
    m = _ZONE_SUFFIX.search(text)
    if m:
        word = m.group(1)
        if "/" in word or word.lower() in ABBREVIATIONS:
            z = zone(word)
            if z is not None:
                return text[: m.start()].strip(), z
    return text, None


def _preprocess(text: str, base: datetime) -> str:
    t = " ".join(text.split())
    t = re.sub(r"\bnoon\b", "12:00", t, flags=re.IGNORECASE)
    t = re.sub(r"\bmidnight\b", "00:00", t, flags=re.IGNORECASE)
    t = re.sub(r"\b(\d{1,2})h(\d{2})\b", r"\1:\2", t)  # 14h30

    def weekday(m: re.Match[str]) -> str:
        target = WEEKDAYS[m.group(2).lower()]
        days = (target - base.weekday()) % 7 or 7  # "monday" / "next monday": the coming one
        return (base.date() + timedelta(days=days)).isoformat()

    t = _NEXT_DAY.sub(weekday, t)
    t = _BARE_HOUR.sub(lambda m: f"{m.group(1)} {m.group(2)}:00", t)
    t = re.sub(r"^\s*(on|at)\s+", "", t, flags=re.IGNORECASE)
    return t


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    aware = naive.replace(tzinfo=tz)
    # a wall time in a DST gap does not exist: move it forward by the gap
    roundtrip = aware.astimezone(UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != naive:
        aware = roundtrip
    return aware


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """``text`` read in zone ``tz`` relative to ``now`` → an aware UTC datetime.

    Raises ``TimeError`` if it cannot be read, is in the past, or is more than a year ahead.
    """
    raw = " ".join(text.strip().strip('"').split())
    if not raw:
        raise TimeError("No time given", hint=HINT)
    result = _read(raw, now, tz)
    if result <= now + MIN_LEAD:
        shown = result.astimezone(tz).strftime("%a %d %b %Y %H:%M")
        why = "is in the past" if result <= now else "is less than a minute away"
        raise TimeError(
            "That time is in the past" if result <= now else "That time is too soon",
            problems=[f"“{raw}” is {shown} {zone_name(tz)}, which {why}."],
            hint="Use /post to publish now. " + HINT,
        )
    if result > now + MAX_AHEAD:
        raise TimeError(
            "That time is too far ahead",
            problems=[f"“{raw}” is more than a year from now; the limit is one year."],
            hint=HINT,
        )
    return result


def _read(raw: str, now: datetime, tz: tzinfo) -> datetime:
    unreadable = TimeError("I couldn't read that time", problems=[f"“{raw}”"], hint=HINT)
    if raw.isdigit() or len(raw) > 100:
        raise unreadable
    try:  # ISO 8601 with an offset is exact
        iso = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        if iso.tzinfo is not None:
            return iso.astimezone(UTC)
    except ValueError:
        pass
    body, written_zone = _split_zone(raw)
    in_zone = written_zone or tz
    base = now.astimezone(in_zone).replace(tzinfo=None, microsecond=0)
    pre = _preprocess(body, base)
    if not (_DATE_WORDS.search(pre) or _TIME_WORDS.search(pre) or re.search(r"\d", pre)):
        raise unreadable
    warm()
    settings = dict(_SETTINGS_BASE, RELATIVE_BASE=base)
    try:
        parsed: datetime | None = dateparser.parse(pre, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        parsed = None
    if parsed is None:
        raise unreadable
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    has_date = bool(_DATE_WORDS.search(pre))
    has_time = bool(_TIME_WORDS.search(pre))
    if has_date and not has_time:
        parsed = datetime.combine(parsed.date(), time(DEFAULT_HOUR))
    local = _localize(parsed, in_zone)
    if not has_date and local <= now.astimezone(in_zone):
        local = _localize(parsed + timedelta(days=1), in_zone)
    return local.astimezone(UTC)


def written_zone(text: str | None) -> tzinfo | None:
    """The zone written at the end of a time ("9am Europe/Berlin" → Europe/Berlin), if any."""
    raw = " ".join((text or "").strip().strip('"').split())
    return _split_zone(raw)[1] if raw and len(raw) <= 100 else None


def format_when(t: datetime, tz: tzinfo, named: tzinfo | None = None) -> str:
    """'Tue 1 Jul 09:00 Europe/Berlin (07:00 UTC)'; the UTC part shows its date if it differs.

    ``named``: the zone the user wrote ("9am Europe/Berlin"): the time is shown there first,
    then in the user's zone ``tz`` and UTC where they differ."""
    if named is not None and zone_name(named) != zone_name(tz):
        there = t.astimezone(named)
        head = f"{there:%a} {there.day} {there:%b %Y %H:%M} {zone_name(named)}"
        others: list[str] = []
        for z in (tz, UTC):
            name = zone_name(z)
            if name in (zone_name(named), *(o.rsplit(" ", 1)[1] for o in others)):
                continue
            at = t.astimezone(z)
            day = "" if at.date() == there.date() else f"{at:%a} {at.day} {at:%b} "
            others.append(f"{day}{at:%H:%M} {name}")
        return f"{head} ({', '.join(others)})"
    local = t.astimezone(tz)
    utc = t.astimezone(UTC)
    name = zone_name(tz)
    head = f"{local:%a} {local.day} {local:%b %Y %H:%M} {name}"
    if name in ("UTC", "Etc/UTC"):
        return head
    tail = (
        f"{utc:%H:%M} UTC"
        if utc.date() == local.date()
        else f"{utc:%a} {utc.day} {utc:%b %H:%M} UTC"
    )
    return f"{head} ({tail})"
