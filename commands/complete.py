"""Autocomplete and pickers for adapters (Discord autocomplete, Slack modal selects).

Results are suggestions only; the command layer re-validates whatever comes back. Never raises:
a failure (API down, no key) yields no suggestions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat import Invocation, User
from bot.core import Core
from commands.context import Context
from commands.errors import UserError
from commands.normalize import normalize
from commands.targets import account_label, short_name
from commands.times import format_when, parse_when, user_zone, zone_name

log = logging.getLogger(__name__)

MAX_CHOICES = 25
MAX_LEN = 100
WHEN_SUGGESTIONS = (
    "in 1 hour",
    "in 2 hours",
    "tomorrow 9am",
    "tomorrow 12:00",
    "tomorrow 17:00",
    "next monday 9am",
    "next friday 9am",
    "in 1 week",
)


@dataclass(frozen=True)
class Choice:
    label: str  # what the user sees, ≤ 100 chars
    value: str  # what is sent back, ≤ 100 chars


def _cut(s: str) -> str:
    return s if len(s) <= MAX_LEN else s[: MAX_LEN - 1] + "…"


def _context(core: Core, platform: str, team: str | None, channel: str) -> Context:
    inv = Invocation(
        command="complete",
        text="",
        user=User("autocomplete"),
        platform=platform,
        channel=channel,
        delivery_id="",
        team=team,
    )
    return Context.build(core, inv, "")


async def target_choices(
    core: Core, platform: str, team: str | None, channel: str, typed: str
) -> list[Choice]:
    """Connected accounts of the channel's workspace matching ``typed`` (≤ 25).

    ``typed`` may be a comma-separated list: the last item is completed, the rest kept.
    """
    ctx = _context(core, platform, team, channel)
    try:
        accounts = await ctx.accounts()
    except Exception:  # suggestions must never fail the adapter (UserError included)
        log.warning("target autocomplete: accounts unavailable", exc_info=True)
        accounts = []
    head, _, last = normalize(typed).rpartition(",")
    prefix = f"{head.strip()}," if head.strip() else ""
    needle = last.strip().lower()
    options: list[tuple[str, str]] = []
    for a in accounts:
        options.append((short_name(a, accounts), f"{account_label(a)} ({a.display_name})"))
    for name, names in ctx.config.aliases.items():
        options.append((name, f"{name} — alias: {', '.join(names)}"))
    if accounts:
        options.append(("all", f"all — every connected account ({len(accounts)})"))
    # names starting with what was typed first, then anything mentioning it
    ranked = [o for o in options if o[0].lower().startswith(needle)]
    ranked += [o for o in options if o not in ranked and needle in f"{o[0]} {o[1]}".lower()]
    out: dict[str, Choice] = {}
    for value, label in ranked:
        v = _cut(prefix + value)
        out.setdefault(v, Choice(_cut(label), v))
    return list(out.values())[:MAX_CHOICES]


async def when_choices(
    core: Core, platform: str, team: str | None, channel: str, typed: str, user_tz: str | None
) -> list[Choice]:
    """How ``typed`` resolves ("tomorrow 9am → Tue 2 Dec 09:00 Europe/Berlin"), ≤ 25.

    The value sent back is the resolved time written out ("2026-12-02 09:00 Europe/Berlin"),
    which reads back as exactly that time.
    """
    config = core.settings.channel_config(platform, team, channel)
    tz = user_zone(user_tz, config.timezone)
    now = core.clock.now()
    text = normalize(typed).strip()
    candidates = [text] if text else []
    candidates += [s for s in WHEN_SUGGESTIONS if not text or s.startswith(text.lower())]
    out: list[Choice] = []
    for c in candidates:
        try:
            t = parse_when(c, now, tz)
        except UserError:
            continue
        except Exception:
            log.warning("when autocomplete failed on %r", c, exc_info=True)
            continue
        out.append(Choice(_cut(f"{c} → {format_when(t, tz)}"), _cut(_written(t, tz))))
    if not out and text:
        out.append(Choice(_cut(f"“{text}” — not a time I can read, e.g. tomorrow 9am"), _cut(text)))
    unique = list({c.value: c for c in out}.values())
    return unique[:MAX_CHOICES]


def _written(t: datetime, tz: ZoneInfo) -> str:
    local = t.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {zone_name(tz)}"
