"""``/social calendar [week|month] [next|last|<date>]``: which period, and a specific reply when
the words can't be read."""

from __future__ import annotations

from datetime import date

import pytest

from commands.calendar import Period, parse_period
from commands.errors import UsageError

TODAY = date(2026, 7, 15)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("", Period("week", date(2026, 7, 13), date(2026, 7, 20))),
        ("next", Period("week", date(2026, 7, 20), date(2026, 7, 27))),
        ("week last", Period("week", date(2026, 7, 6), date(2026, 7, 13))),
        ("month", Period("month", date(2026, 7, 1), date(2026, 8, 1))),
        ("month next", Period("month", date(2026, 8, 1), date(2026, 9, 1))),
        ("next month", Period("month", date(2026, 8, 1), date(2026, 9, 1))),
        ("month last", Period("month", date(2026, 6, 1), date(2026, 7, 1))),
        ("week 2026-12-31", Period("week", date(2026, 12, 28), date(2027, 1, 4))),
        ("month 2026-12-31", Period("month", date(2026, 12, 1), date(2027, 1, 1))),
        ("14 aug", Period("week", date(2026, 8, 10), date(2026, 8, 17))),
        ("month september", Period("month", date(2026, 9, 1), date(2026, 10, 1))),
    ],
)
def test_periods(text: str, period: Period) -> None:
    assert parse_period(text, TODAY) == period


def test_unreadable_period_says_what_and_shows_examples() -> None:
    with pytest.raises(UsageError) as e:
        parse_period("week of bananas", TODAY)
    reply = e.value.reply()
    assert "“of bananas” is not a date" in reply.problems[0]
    assert reply.hint and "/social calendar next" in reply.hint
