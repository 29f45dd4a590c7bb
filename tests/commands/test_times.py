from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from commands.errors import TimeError
from commands.times import format_when, parse_when, user_zone

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Monday 12:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz: ZoneInfo = BERLIN, now: datetime = NOW) -> datetime:
    return parse_when(text, now, tz)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 9am", utc(2026, 6, 2, 7, 0)),
        ("tomorrow at 9", utc(2026, 6, 2, 7, 0)),
        ("tomorrow 9", utc(2026, 6, 2, 7, 0)),
        ("in 2 hours", utc(2026, 6, 1, 12, 0)),
        ("in 30 minutes", utc(2026, 6, 1, 10, 30)),
        ("next monday 14:30", utc(2026, 6, 8, 12, 30)),
        ("monday 14:30", utc(2026, 6, 8, 12, 30)),
        ("friday", utc(2026, 6, 5, 7, 0)),  # a date alone → 09:00
        ("next friday 5pm", utc(2026, 6, 5, 15, 0)),
        ("2026-07-01 09:00", utc(2026, 7, 1, 7, 0)),
        ("1 July 9am", utc(2026, 7, 1, 7, 0)),
        ("9am Europe/Berlin", utc(2026, 6, 2, 7, 0)),  # 9am today has passed → tomorrow
        ("9am UTC", utc(2026, 6, 2, 9, 0)),
        ("9am CET", utc(2026, 6, 2, 7, 0)),
        ("9am America/New_York", utc(2026, 6, 1, 13, 0)),
        ("9am UTC+2", utc(2026, 6, 2, 7, 0)),
        ("2026-07-01 09:00 +05:30", utc(2026, 7, 1, 3, 30)),
        ("2026-07-01T09:00:00Z", utc(2026, 7, 1, 9, 0)),
        ("noon", utc(2026, 6, 2, 10, 0)),  # noon today is now → tomorrow
        ("14h30", utc(2026, 6, 1, 12, 30)),
        ("at 13:00", utc(2026, 6, 1, 11, 0)),
    ],
)
def test_parse_when_in_the_users_zone(text: str, expected: datetime) -> None:
    assert at(text) == expected


def test_relative_to_the_injected_now_not_the_system_clock() -> None:
    later = datetime(2030, 1, 10, 8, 0, tzinfo=UTC)
    assert parse_when("in 1 hour", later, ZoneInfo("UTC")) == utc(2030, 1, 10, 9, 0)


def test_dst_gap_moves_forward() -> None:
    # 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00)
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    t = parse_when("2026-03-29 02:30", now, BERLIN)
    assert t.astimezone(BERLIN).hour == 3


@pytest.mark.parametrize("text", ["yesterday", "2020-01-01 09:00", "5 minutes ago"])
def test_past_times_are_errors_with_examples(text: str) -> None:
    with pytest.raises(TimeError) as e:
        at(text)
    assert "past" in e.value.title
    assert e.value.hint and "tomorrow 9am" in e.value.hint


@pytest.mark.parametrize("text", ["blorp", "", "2", "a", "soonish", "x" * 200])
def test_unreadable_times_are_errors_with_examples(text: str) -> None:
    with pytest.raises(TimeError) as e:
        at(text)
    assert e.value.hint and "in 2 hours" in e.value.hint


def test_too_far_ahead() -> None:
    with pytest.raises(TimeError) as e:
        at("2029-01-01 09:00")
    assert "year" in e.value.problems[0]


def test_within_thirty_seconds_is_too_soon() -> None:
    with pytest.raises(TimeError) as e:
        at("in 10 seconds")
    assert "too soon" in e.value.title


def test_user_zone_order() -> None:
    assert user_zone("America/Chicago", "Europe/Berlin").key == "America/Chicago"
    assert user_zone(None, "Europe/Berlin").key == "Europe/Berlin"
    assert user_zone("Not/AZone", None).key == "UTC"


def test_format_when_shows_the_zone_and_utc() -> None:
    assert (
        format_when(utc(2026, 7, 1, 7, 0), BERLIN)
        == "Wed 1 Jul 2026 09:00 Europe/Berlin (07:00 UTC)"
    )
    assert format_when(utc(2026, 7, 1, 23, 0), BERLIN) == (
        "Thu 2 Jul 2026 01:00 Europe/Berlin (Wed 1 Jul 23:00 UTC)"
    )
    assert format_when(utc(2026, 7, 1, 7, 0), ZoneInfo("UTC")) == "Wed 1 Jul 2026 07:00 UTC"
