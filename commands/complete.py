"""Autocomplete and pickers for adapters (Discord autocomplete, Slack modal selects).
CONTRACT STUB — the command-layer helper implements it. Results are suggestions only; the
command layer re-validates whatever comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import Core


@dataclass(frozen=True)
class Choice:
    label: str  # what the user sees, ≤ 100 chars
    value: str  # what is sent back, ≤ 100 chars


async def target_choices(
    core: Core, platform: str, team: str | None, channel: str, typed: str
) -> list[Choice]:
    """Connected accounts of the channel's workspace matching ``typed`` (≤ 25)."""
    raise NotImplementedError


async def when_choices(
    core: Core, platform: str, team: str | None, channel: str, typed: str, user_tz: str | None
) -> list[Choice]:
    """How ``typed`` resolves ("tomorrow 9am → Tue 2 Dec 09:00 Europe/Berlin"), ≤ 25."""
    raise NotImplementedError
