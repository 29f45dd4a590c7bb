"""``[[reports]]``: weekly reports, read from the same TOML file as the rest of the settings.

The schema (types, unknown keys, the ``when`` format) is ``bot.configfile.ReportTable``, so
``socialbot check`` and start-up refuse a malformed entry like any other. This module turns
the validated tables into ``ReportConfig``, filling the defaults from the channel's binding::

    [[reports]]
    channel = "slack:C0123"        # required: "platform:channel" (slack | discord | console)
    when = "monday 09:00"          # required: a weekday and a 24-hour time
    timezone = "Europe/Berlin"     # optional: default the channel's [[channels]] timezone, else UTC
    team = "T0123"                 # optional: the Slack team / Discord guild (binding lookup)
    workspace = "default"          # optional: default the channel's workspace
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import ConfigError, Settings
from bot.configfile import WEEKDAYS, ReportTable, check_file, weekly


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


def from_tables(tables: Sequence[ReportTable], settings: Settings) -> tuple[ReportConfig, ...]:
    out = []
    for i, t in enumerate(tables):
        platform, channel = t.channel.split(":", 1)
        bound = settings.channel_config(platform, t.team, channel)
        workspace = t.workspace or bound.workspace
        if workspace not in settings.workspaces:
            raise ConfigError(f"reports[{i}].workspace: unknown workspace {workspace!r}")
        day, hour, minute = weekly(t.when)
        out.append(
            ReportConfig(
                platform=platform,
                channel=channel,
                weekday=day,
                hour=hour,
                minute=minute,
                timezone=t.timezone or bound.timezone or "UTC",
                workspace=workspace,
                team=t.team,
            )
        )
    return tuple(out)


def parse_reports(raw: Any, settings: Settings) -> tuple[ReportConfig, ...]:
    """The ``reports`` array of a TOML document (tests, tools). Raises ``ConfigError``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("reports: expected an array of tables ([[reports]])")
    tables = []
    for i, r in enumerate(raw):
        try:
            tables.append(
                ReportTable.model_validate(r, context={"workspaces": set(settings.workspaces)})
            )
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function"))
            raise ConfigError(f"reports[{i}].{where}: {err['msg']}") from None
    return from_tables(tables, settings)


def load_reports(settings: Settings) -> tuple[ReportConfig, ...]:
    """The reports of ``settings.config_path`` (none without a file). Raises ``ConfigError``."""
    if not settings.config_path:
        return ()
    path = settings.config_path
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"SOCIALBOT_CONFIG: cannot read the reports ({type(e).__name__})"
        ) from None
    parsed, problems = check_file(raw, text, path)
    if parsed is None:
        raise ConfigError(*problems)
    return from_tables(parsed.reports, settings)
