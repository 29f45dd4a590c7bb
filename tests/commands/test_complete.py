"""Autocomplete for adapters: ≤ 25 choices, ≤ 100 characters, never an exception."""

from __future__ import annotations

from commands.complete import target_choices, when_choices
from tests.commands.conftest import BADKEY, MAIN, Chat


async def test_target_choices(chat: Chat) -> None:
    all_ = await target_choices(chat.core, "slack", None, MAIN, "")
    values = [c.value for c in all_]
    assert values[:2] == ["x", "ig"]
    assert "brand" in values and "all" in values
    ig = await target_choices(chat.core, "slack", None, MAIN, "insta")
    assert [c.value for c in ig] == ["ig"]
    assert ig[0].label == "Instagram @acme (Acme Inc)"
    listed = await target_choices(chat.core, "slack", None, MAIN, "x, li")
    assert next(c.value for c in listed) == "x,li"
    assert all(len(c.label) <= 100 and len(c.value) <= 100 for c in all_)
    assert len(all_) <= 25


async def test_target_choices_never_fail(chat: Chat) -> None:
    assert await target_choices(chat.core, "slack", None, BADKEY, "ig") == []


async def test_when_choices(chat: Chat) -> None:
    [first, *_rest] = await when_choices(chat.core, "slack", None, MAIN, "tomorrow 9am", None)
    assert first.label == "tomorrow 9am → Tue 2 Jun 2026 09:00 Europe/Berlin (07:00 UTC)"
    assert first.value == "2026-06-02 09:00 Europe/Berlin"
    suggestions = await when_choices(chat.core, "slack", None, MAIN, "", "America/New_York")
    assert 3 <= len(suggestions) <= 25
    assert all("America/New_York" in c.value for c in suggestions)
    bad = await when_choices(chat.core, "slack", None, MAIN, "whenever", None)
    assert len(bad) == 1 and "not a time" in bad[0].label


async def test_when_choice_value_reads_back_as_the_same_time(chat: Chat) -> None:
    [choice, *_] = await when_choices(chat.core, "slack", None, MAIN, "next monday 14:30", None)
    r = chat.ok(await chat.schedule(f'x "Hi" at:"{choice.value}"'))
    assert chat.field(r, "When") == "Mon 8 Jun 2026 14:30 Europe/Berlin (12:30 UTC)"
