"""/schedule end to end: times in the user's zone relative to the injected clock."""

from __future__ import annotations

import pytest

from tests.commands.conftest import OTHER, Chat


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ('x "We shipped" tomorrow 9am', "2026-06-02T07:00:00"),
        ("tomorrow 9am to x: We shipped", "2026-06-02T07:00:00"),
        ('x "We shipped" at:"next monday 14:30"', "2026-06-08T12:30:00"),
        ('x "We shipped" --at "in 2 hours"', "2026-06-01T12:00:00"),
        ('x "We shipped" when:2026-07-01 09:00', "2026-07-01T07:00:00"),
        ('x "We shipped" "9am UTC"', "2026-06-02T09:00:00"),
        ('"tomorrow 9am" x "We shipped"', "2026-06-02T07:00:00"),
    ],
)
async def test_schedule_forms(chat: Chat, text: str, utc: str) -> None:
    r = chat.ok(await chat.schedule(text))
    api = await chat.api_post(r)
    assert api["status"] == "scheduled"
    assert api["scheduledAt"].startswith(utc)
    assert api["content"] == "We shipped"


async def test_confirmation_shows_the_users_zone_and_utc(chat: Chat) -> None:
    r = chat.ok(await chat.schedule('x "Hi" tomorrow 9am'))
    assert r.title == "Scheduled for Tue 2 Jun 2026 09:00 Europe/Berlin (07:00 UTC)"
    assert chat.field(r, "When") == "Tue 2 Jun 2026 09:00 Europe/Berlin (07:00 UTC)"
    assert "announce the result here" in (r.text or "")


async def test_user_zone_wins_over_the_channel_zone(chat: Chat) -> None:
    r = chat.ok(await chat.schedule('x "Hi" tomorrow 9am', user_tz="America/New_York"))
    assert chat.field(r, "When") == "Tue 2 Jun 2026 09:00 America/New_York (13:00 UTC)"


async def test_channel_without_zone_uses_utc(chat: Chat) -> None:
    r = chat.ok(await chat.schedule('x "Hi" tomorrow 9am', channel=OTHER))
    assert chat.field(r, "When") == "Tue 2 Jun 2026 09:00 UTC"
    assert (await chat.api_post(r, "other"))["scheduledAt"].startswith("2026-06-02T09:00:00")


async def test_relative_to_the_injected_clock(chat: Chat) -> None:
    chat.clock.advance(86400 * 3)  # Thursday
    r = chat.ok(await chat.schedule('x "Hi" in 1 hour'))
    assert chat.field(r, "When") == "Thu 4 Jun 2026 13:00 Europe/Berlin (11:00 UTC)"


async def test_per_platform_times(chat: Chat) -> None:
    url = chat.media_url("photo.jpg")
    r = chat.ok(
        await chat.schedule(
            f'x,ig "Cross-post" at:"2026-07-01 09:00" x@"2026-07-01 12:00" media:{url}'
        )
    )
    api = await chat.api_post(r)
    assert api["scheduledAt"].startswith("2026-07-01T07:00:00")
    assert api["platformSchedules"]["twitter"].startswith("2026-07-01T10:00:00")
    assert "X: Wed 1 Jul 2026 12:00 Europe/Berlin (10:00 UTC)" in chat.field(r, "When")


async def test_per_platform_times_covering_every_target(chat: Chat) -> None:
    r = chat.ok(await chat.schedule('x,li "Hi" at.x:"tomorrow 9am" li@"tomorrow 10am"'))
    api = await chat.api_post(r)
    assert set(api["platformSchedules"]) == {"twitter", "linkedin"}


async def test_structured_when_and_times(chat: Chat) -> None:
    r = chat.ok(
        await chat.schedule(
            options=[
                ("targets", "x,li"),
                ("caption", "Modal"),
                ("when", "tomorrow 9am"),
                ("times", "linkedin: tomorrow 11:00"),
            ]
        )
    )
    api = await chat.api_post(r)
    assert api["platformSchedules"]["linkedin"].startswith("2026-06-02T09:00:00")


async def test_schedule_draft(chat: Chat) -> None:
    r = chat.ok(await chat.schedule('x "Idea" draft'))
    assert (await chat.api_post(r))["status"] == "draft"


async def test_past_time_is_an_error_with_examples(chat: Chat) -> None:
    e = chat.error(await chat.schedule('x "Hi" yesterday'))
    assert e.title == "That time is in the past"
    assert e.hint and "tomorrow 9am" in e.hint
    assert e.field_errors == (("when", e.problems[0]),)
    assert chat.api_calls("POST", "/v1/posts") == []


async def test_unreadable_time(chat: Chat) -> None:
    e = chat.error(await chat.schedule('x "Hi" whenever'))
    assert e.title == "I couldn't read that time"
    assert "“whenever”" in e.problems[0]


async def test_bad_per_platform_time_says_which(chat: Chat) -> None:
    e = chat.error(await chat.schedule('x,li "Hi" tomorrow 9am li@"last week"'))
    assert e.problems[0].startswith("The LinkedIn time:")
    assert e.field_errors[0][0] == "times"


async def test_missing_time(chat: Chat) -> None:
    e = chat.error(await chat.schedule('x "Hi"'))
    assert e.title == "When should it go out?"
    e = chat.error(await chat.schedule(""))
    assert "What should I schedule" in e.title


async def test_time_for_a_platform_not_targeted(chat: Chat) -> None:
    e = chat.error(await chat.schedule('x "Hi" tomorrow 9am li@"tomorrow 10am"'))
    assert e.problems == ("There is a LinkedIn time but no LinkedIn target.",)
