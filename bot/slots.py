"""Posting slots: a channel's weekly schedule (``slots = ["mon-fri 09:00", "sat 11:00"]``).

Pure functions of (spec, zone, time): ``parse_slot("mon-fri 09:00")`` → ``Slot``;
``occurrences(slots, zone, start, end)`` → the aware UTC instants in ``[start, end)``, soonest
first. Which of them are free is ``bot.slotclaims``'s business (the database).

Grammar of one entry: ``<days> <HH:MM>``, days being ``mon`` … ``sun`` (or full names), a
range ``mon-fri`` (wrapping ``fri-mon`` is fine), a list ``mon,wed,fri``, or ``daily`` /
``weekdays`` / ``weekends``. Times are 24-hour, in the channel's zone; a time that a DST change
skips moves forward by the gap (02:30 → 03:30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    **{d: i for i, d in enumerate(DAYS)},
    "monday": 0, "tues": 1, "tuesday": 1, "wednesday": 2, "thur": 3, "thurs": 3,
    "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_GROUPS = {
    "daily": range(7),
    "everyday": range(7),
    "weekdays": range(5),
    "weekends": range(5, 7),
    "weekend": range(5, 7),
}
_ENTRY = re.compile(r"^\s*(?P<days>[a-z,\- ]+?)\s+(?P<h>\d{1,2}):(?P<m>\d{2})\s*$", re.IGNORECASE)
EXAMPLE = '["mon-fri 09:00", "mon-fri 13:30", "sat 11:00"]'


class SlotError(ValueError):
    """An entry that is not ``<days> <HH:MM>``; ``str()`` says what is wrong and shows the form."""


@dataclass(frozen=True, order=True)
class Slot:
    at: time
    days: frozenset[int]  # 0 = Monday

    def label(self) -> str:
        return f"{days_text(self.days)} {self.at:%H:%M}"


def days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if ordered == list(range(7)):
        return "daily"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAYS[ordered[0]]}-{DAYS[ordered[-1]]}"
    return ",".join(DAYS[d] for d in ordered)


def _day(word: str, entry: str) -> int:
    d = _DAY_NAMES.get(word.strip().lower())
    if d is None:
        raise SlotError(
            f"{entry!r}: unknown day {word.strip()!r} (days: mon … sun, mon-fri, daily)"
        )
    return d


def _days(text: str, entry: str) -> frozenset[int]:
    out: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part.replace(" ", "") in _GROUPS:
            out.update(_GROUPS[part.replace(" ", "")])
        elif "-" in part:
            a, _, b = part.partition("-")
            first, last = _day(a, entry), _day(b, entry)
            span = (last - first) % 7
            out.update((first + k) % 7 for k in range(span + 1))
        else:
            out.add(_day(part, entry))
    if not out:
        raise SlotError(f"{entry!r}: no days (expected e.g. 'mon-fri 09:00')")
    return frozenset(out)


def parse_slot(entry: str) -> Slot:
    m = _ENTRY.match(entry)
    if not m:
        raise SlotError(f"{entry!r}: expected '<days> <HH:MM>', e.g. 'mon-fri 09:00'")
    hour, minute = int(m.group("h")), int(m.group("m"))
    if hour > 23 or minute > 59:
        raise SlotError(f"{entry!r}: {hour:02d}:{minute:02d} is not a time of day (00:00–23:59)")
    return Slot(time(hour, minute), _days(m.group("days"), entry))


def parse_slots(entries: list[str] | tuple[str, ...]) -> tuple[Slot, ...]:
    """Every entry parsed, in time order; raises ``SlotError`` on the first bad one."""
    return tuple(sorted({parse_slot(e) for e in entries}))


def _instant(day: date, at: time, zone: tzinfo) -> datetime:
    """``day at`` in ``zone`` as UTC. A wall time a DST change skips moves forward by the gap
    (02:30 on a night that jumps 02:00 → 03:00 is 03:30), as fold=0 does (PEP 495)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def occurrences(
    slots: tuple[Slot, ...], zone: tzinfo, start: datetime, end: datetime
) -> list[datetime]:
    """The slot instants in ``[start, end)`` as aware UTC datetimes, soonest first."""
    if not slots:
        return []
    out: set[datetime] = set()
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for s in slots:
            if day.weekday() in s.days:
                t = _instant(day, s.at, zone)
                if start <= t < end:
                    out.add(t)
        day += timedelta(days=1)
    return sorted(out)
