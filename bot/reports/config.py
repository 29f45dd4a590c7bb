"""``[[reports]]``: weekly reports, read from the same TOML file as the rest of the settings.

Kept apart from ``bot/config.py`` on purpose (its own dataclass and loader): it only needs the
file path and the channel bindings of ``Settings``::

    [[reports]]
    channel = "slack:C0123"        # required: "platform:channel" (slack | discord | console)
    when = "monday 09:00"          # required: a weekday and a 24-hour time
    timezone = "Europe/Berlin"     # optional: default the channel's [[channels]] timezone, else UTC
    team = "T0123"                 # optional: the Slack team / Discord guild (binding lookup)
    workspace = "default"          # optional: default the channel's workspace

A malformed entry raises ``ConfigError`` naming it (``reports[0].when: …``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, check_timezone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WHEN = re.compile(r"^\s*([a-z]+)\s+(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class ReportConfig:
    platform: str
    channel: str
    weekday: int  # 0 = Monday
    hour: int
    minute: int
    timezone: str
    workspace: str
    team: str | None = None

    @property
    def name(self) -> str:
        return f"{self.platform}:{self.channel}"

    @property
    def when(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:{self.minute:02d} {self.timezone}"


def parse_when(value: Any, name: str) -> tuple[int, int, int]:
    """``"monday 09:00"`` → (weekday, hour, minute)."""
    m = _WHEN.match(str(value).lower()) if isinstance(value, str) else None
    day = next((i for i, d in enumerate(WEEKDAYS) if m and d.startswith(m.group(1))), None)
    if m is None or day is None or len(m.group(1)) < 3:
        raise ConfigError(f'{name}: expected a weekday and a time like "monday 09:00"')
    hour, minute = int(m.group(2)), int(m.group(3))
    if hour > 23 or minute > 59:
        raise ConfigError(f"{name}: {hour:02d}:{minute:02d} is not a time (use 00:00–23:59)")
    return day, hour, minute


def parse_reports(raw: Any, settings: Settings) -> tuple[ReportConfig, ...]:
    """The ``reports`` array of the TOML document (``None`` = no reports)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("reports: expected an array of tables ([[reports]])")
    return tuple(_one(r, i, settings) for i, r in enumerate(raw))


def _one(raw: Any, i: int, settings: Settings) -> ReportConfig:
    name = f"reports[{i}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{name}: expected a table")
    where = raw.get("channel")
    if not isinstance(where, str) or ":" not in where:
        raise ConfigError(f'{name}.channel: expected "platform:channel", e.g. "slack:C0123"')
    platform, channel = where.split(":", 1)
    if platform not in ("slack", "discord", "console") or not channel:
        raise ConfigError(f"{name}.channel: platform must be slack, discord or console")
    weekday, hour, minute = parse_when(raw.get("when"), f"{name}.when")
    team = str(raw["team"]) if raw.get("team") is not None else None
    bound = settings.channel_config(platform, team, channel)
    tz = raw.get("timezone")
    timezone = check_timezone(tz, f"{name}.timezone") if tz is not None else bound.timezone
    workspace = raw.get("workspace", bound.workspace)
    if workspace not in settings.workspaces:
        raise ConfigError(f"{name}.workspace: unknown workspace {workspace!r}")
    return ReportConfig(
        platform=platform,
        channel=channel,
        weekday=weekday,
        hour=hour,
        minute=minute,
        timezone=timezone or "UTC",
        workspace=str(workspace),
        team=team,
    )


def load_reports(settings: Settings) -> tuple[ReportConfig, ...]:
    """The reports of ``settings.config_path`` (none without a file). Raises ``ConfigError``."""
    if not settings.config_path:
        return ()
    try:
        doc = tomllib.loads(Path(settings.config_path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"SOCIALBOT_CONFIG: cannot read the reports ({type(e).__name__})"
        ) from None
    return parse_reports(doc.get("reports"), settings)
