"""Posting slots: the schedule grammar, ``/schedule … next``, ``/social queue``, and the race.

The clock starts Monday 1 June 2026 12:00 Berlin; channel ``C_SLOTS`` has slots mon-fri 09:00,
mon-fri 13:30 and sat 11:00 (Berlin), default target x.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from bot.slots import Slot, SlotError, occurrences, parse_slot, parse_slots
from tests.commands.conftest import MAIN, SLOTTED, Chat

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("entry", "days", "at"),
    [
        ("mon-fri 09:00", {0, 1, 2, 3, 4}, time(9)),
        ("sat 11:00", {5}, time(11)),
        ("Mon,Wed,Fri 7:05", {0, 2, 4}, time(7, 5)),
        ("fri-mon 18:00", {4, 5, 6, 0}, time(18)),
        ("daily 00:00", set(range(7)), time(0)),
        ("weekends 10:30", {5, 6}, time(10, 30)),
    ],
)
def test_slot_grammar(entry: str, days: set[int], at: time) -> None:
    assert parse_slot(entry) == Slot(at, frozenset(days))


@pytest.mark.parametrize(
    ("entry", "says"),
    [("mon-fri", "expected"), ("funday 09:00", "unknown day"), ("mon 25:00", "not a time")],
)
def test_bad_slot_says_what_is_wrong(entry: str, says: str) -> None:
    with pytest.raises(SlotError, match=says):
        parse_slot(entry)


def test_occurrences_in_the_zone_across_a_dst_change() -> None:
    slots = parse_slots(["sun 02:30", "mon 09:00"])
    # 29 March 2026: Berlin skips 02:00–03:00; the slot moves past the gap
    start = datetime(2026, 3, 28, tzinfo=UTC)
    got = occurrences(slots, BERLIN, start, datetime(2026, 3, 31, tzinfo=UTC))
    assert got == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 30, 7, tzinfo=UTC)]


def test_config_reads_slots_and_rejects_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[[channels]]\nplatform = "slack"\nchannel = "C1"\ntimezone = "Europe/Berlin"\n'
        'slots = ["mon-fri 09:00", "sat 11:00"]\n'
    )
    settings = load_settings({"SOCIALBOT_CONFIG": str(good)})
    assert settings.channel_config("slack", None, "C1").slots == parse_slots(
        ["mon-fri 09:00", "sat 11:00"]
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('[[channels]]\nplatform = "slack"\nchannel = "C1"\nslots = ["9am"]\n')
    with pytest.raises(ConfigError, match=r"channels\[0\]\.slots: '9am'.*mon-fri 09:00"):
        load_settings({"SOCIALBOT_CONFIG": str(bad)})


async def test_next_takes_the_first_free_slot_and_says_why(chat: Chat) -> None:
    first = chat.ok(await chat.schedule('x "One" next', channel=SLOTTED))
    assert chat.field(first, "Slot") == "next free: Mon 13:30 — the first coming slot"
    api = await chat.api_post(first)
    assert api["status"] == "scheduled" and api["scheduledAt"].startswith("2026-06-01T11:30:00")
    pid = chat.post_id(first)
    second = chat.ok(await chat.schedule('x "Two" slot', channel=SLOTTED))
    assert chat.field(second, "Slot") == f"next free: Tue 09:00 — Mon 13:30 is taken by {pid}"
    assert (await chat.api_post(second))["scheduledAt"].startswith("2026-06-02T07:00:00")


async def test_slots_are_per_platform(chat: Chat) -> None:
    await chat.schedule('x "X one" next', channel=SLOTTED)
    ig = chat.ok(await chat.schedule('ig "IG one" queue media:' + chat.media_url("photo.jpg"),
                                     channel=SLOTTED))  # fmt: skip
    assert chat.field(ig, "Slot").startswith("next free: Mon 13:30")
    both = chat.ok(await chat.schedule('x,fb "Both" next', channel=SLOTTED))
    assert chat.field(both, "Slot").startswith("next free: Tue 09:00")


async def test_a_post_scheduled_at_a_slot_time_holds_it(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "By hand" "2026-06-01 13:30"', channel=SLOTTED))
    r = chat.ok(await chat.schedule('x "Next" next', channel=SLOTTED))
    assert chat.field(r, "Slot") == f"next free: Tue 09:00 — Mon 13:30 is taken by {pid}"


async def test_canceling_frees_the_slot(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "One" next', channel=SLOTTED))
    chat.ok(await chat.social(f"cancel {pid}", channel=SLOTTED))
    r = chat.ok(await chat.schedule('x "Again" next', channel=SLOTTED))
    assert chat.field(r, "Slot").startswith("next free: Mon 13:30")


async def test_a_failed_create_releases_the_claim(chat: Chat) -> None:
    chat.listing(await chat.social("accounts"))  # accounts are cached for a minute
    chat.sandbox.faults.burst_429(20, retry_after=1.0)  # refused: certainly not created
    bad = chat.error(await chat.schedule('x "Nope" next', channel=SLOTTED))
    assert bad.title == "The Social API is unavailable right now"
    chat.sandbox.faults.reset()
    r = chat.ok(await chat.schedule('x "Yes" next', channel=SLOTTED))
    assert chat.field(r, "Slot").startswith("next free: Mon 13:30")


async def test_two_requests_at_once_get_different_slots(chat: Chat) -> None:
    a, b = await asyncio.gather(
        chat.run("schedule", 'x "A" next', channel=SLOTTED),
        chat.run("schedule", 'x "B" next', channel=SLOTTED),
    )
    ra, rb = chat.ok(chat.one(a)), chat.ok(chat.one(b))
    times = sorted(
        [(await chat.api_post(ra))["scheduledAt"], (await chat.api_post(rb))["scheduledAt"]]
    )
    assert times[0].startswith("2026-06-01T11:30:00") and times[1].startswith("2026-06-02T07:00:00")
    slots = sorted([chat.field(ra, "Slot"), chat.field(rb, "Slot")])
    assert slots[0].startswith("next free: Mon 13:30") and slots[1].startswith(
        "next free: Tue 09:00"
    )


async def test_queue_shows_the_week_filled_and_free(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "One" next', channel=SLOTTED))
    q = chat.listing(await chat.social("queue", channel=SLOTTED))
    # Mon 13:30, Tue–Fri 09:00 + 13:30, Sat 11:00, Mon 8 Jun 09:00 (the week ends Mon 12:00)
    assert q.title == "Posting slots, next 7 days — 10 of 11 free"
    assert q.items[0] == f"Mon 1 Jun 13:30 · {pid} (X)"
    assert q.items[1] == "Tue 2 Jun 09:00 · free"
    assert "Sat 6 Jun 11:00 · free" in q.items
    assert q.items[-1] == "Mon 8 Jun 09:00 · free"


async def test_next_without_slots_explains(chat: Chat) -> None:
    e = chat.error(await chat.schedule('x "One" next', channel=MAIN))
    assert e.title == "This channel has no posting slots"
    assert "slots = [" in (e.hint or "") and "tomorrow 9am" in (e.hint or "")
    # /social queue there is the workspace's schedule, as before
    q = chat.listing(await chat.social("queue", channel=MAIN))
    assert q.title.startswith("Scheduled next")


async def test_the_calendar_lists_the_free_slots(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "One" next', channel=SLOTTED))
    reply = chat.one(await chat.run("social", "calendar", channel=SLOTTED))
    lines = getattr(reply, "lines", ())
    [free] = [line for line in lines if line.startswith("Free posting slots here")]
    assert "Mon 1 Jun 13:30" not in free  # taken by the post just scheduled
    assert "Tue 2 Jun 09:00" in free and "Sat 6 Jun 11:00" in free
    assert pid
