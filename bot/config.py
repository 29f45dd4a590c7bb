"""Configuration: environment variables, plus an optional TOML file for workspaces and policies.

Environment (all optional; the demo needs none):

    SOCIAL_API_URL        Social API base URL (default https://social-api.instantdm.com)
    SOCIAL_API_KEY        the default workspace's API key
    SOCIALBOT_DB          SQLite path (default ./socialbot.db)
    SOCIALBOT_CONFIG      TOML path (workspaces, channel bindings, approval policies)
    SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL
    DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_GATEWAY_URL, DISCORD_GUILD_IDS

TOML (see README "Configuration")::

    [workspaces.default]            # a Social API workspace, its key named by env variable
    key_env = "SOCIAL_API_KEY"
    follow_external = false         # also announce posts created outside the bot
    announce_channel = "slack:C0123"

    [[channels]]                    # binds a chat channel, or a whole team/guild, to a workspace
    platform = "slack"              # slack | discord | console
    team = "T0123"                  # optional: the Slack team / Discord guild
    channel = "C0123"               # optional: one channel (more specific wins)
    workspace = "default"
    default_targets = ["instagram", "x"]
    timezone = "Europe/Berlin"
    aliases = { brand = ["instagram", "facebook"] }
    slots = ["mon-fri 09:00", "sat 11:00"]   # posting slots, in the channel's zone (bot.slots)

    [channels.approval]
    required = true
    approvers = ["U0123", "S0ABC", "role:1234"]   # user ids, Slack user groups, Discord roles
    quorum = 2
    allow_self = false
    channel = "C0999"               # approval channel (default: the same channel)
    expires_after = "48h"

A missing or malformed setting raises ``ConfigError`` with one line naming it; the CLI turns
that into exit code 2. Secrets are held as ``Secret`` and never echoed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.secret import Secret
from bot.slots import EXAMPLE as SLOTS_EXAMPLE
from bot.slots import Slot, SlotError, parse_slots

DEFAULT_API_URL = "https://social-api.instantdm.com"
DEFAULT_WORKSPACE = "default"
DEFAULT_KEY_ENV = "SOCIAL_API_KEY"
SANDBOX_DEMO_KEY = "sk_test_sandbox"


class ConfigError(Exception):
    """A setting is missing or malformed. ``str()`` is one line naming it, without its value."""


@dataclass(frozen=True)
class ApprovalPolicy:
    required: bool = False
    approvers: tuple[str, ...] = ()  # user ids; Slack user groups (S…); "role:<id>" (Discord)
    quorum: int = 1
    allow_self: bool = False
    channel: str | None = None  # approval channel; None = the request's channel
    expires_after: timedelta | None = None

    @property
    def user_ids(self) -> frozenset[str]:
        return frozenset(a for a in self.approvers if not a.startswith(("role:", "group:")))

    @property
    def role_ids(self) -> frozenset[str]:
        return frozenset(a.split(":", 1)[1] for a in self.approvers if a.startswith("role:"))

    @property
    def group_ids(self) -> frozenset[str]:
        """Slack user groups: ``group:S0123`` or a bare ``S0123`` id."""
        out = {a.split(":", 1)[1] for a in self.approvers if a.startswith("group:")}
        out |= {a for a in self.approvers if re.fullmatch(r"S[A-Z0-9]{2,}", a)}
        return frozenset(out)


@dataclass(frozen=True)
class ChannelConfig:
    """What one chat channel sees: its workspace and its defaults."""

    workspace: str = DEFAULT_WORKSPACE
    default_targets: tuple[str, ...] = ()
    timezone: str | None = None
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    slots: tuple[Slot, ...] = ()  # posting slots, read in ``timezone`` (UTC when unset)


@dataclass(frozen=True)
class ChannelBinding:
    platform: str
    team: str | None
    channel: str | None
    config: ChannelConfig

    def matches(self, platform: str, team: str | None, channel: str) -> int:
        """0 = no match; higher = more specific."""
        if self.platform != platform:
            return 0
        if self.channel is not None and self.channel != channel:
            return 0
        if self.team is not None and self.team != team:
            return 0
        return 1 + (self.channel is not None) * 2 + (self.team is not None)


@dataclass(frozen=True)
class Workspace:
    name: str
    key_env: str
    key: Secret | None = field(default=None, repr=False)
    follow_external: bool = False
    announce_channel: str | None = None  # "platform:channel"


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL
    db_path: str = "socialbot.db"
    config_path: str | None = None
    workspaces: Mapping[str, Workspace] = field(default_factory=dict)
    bindings: tuple[ChannelBinding, ...] = ()
    slack_bot_token: Secret | None = field(default=None, repr=False)
    slack_signing_secret: Secret | None = field(default=None, repr=False)
    slack_app_token: Secret | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    discord_bot_token: Secret | None = field(default=None, repr=False)
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    discord_guild_ids: tuple[int, ...] = ()
    poll_interval: float = 30.0

    def channel_config(self, platform: str, team: str | None, channel: str) -> ChannelConfig:
        best: tuple[int, ChannelConfig] = (0, ChannelConfig())
        for b in self.bindings:
            score = b.matches(platform, team, channel)
            if score > best[0]:
                best = (score, b.config)
        return best[1]

    def workspace(self, name: str) -> Workspace:
        try:
            return self.workspaces[name]
        except KeyError:
            raise ConfigError(f"workspace {name!r} is not configured") from None

    def secrets(self) -> list[str]:
        """Every secret value in force (for log redaction)."""
        out = [
            s.reveal()
            for s in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.discord_bot_token,
            )
            if s
        ]
        out += [w.key.reveal() for w in self.workspaces.values() if w.key]
        return out


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any, name: str) -> timedelta:
    if isinstance(value, int) and value > 0:
        return timedelta(seconds=value)
    m = _DURATION.match(str(value))
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(f"{name}: expected a duration like '48h', '30m' or '2d'")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def check_timezone(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name}: expected an IANA time zone name like 'Europe/Berlin'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}: unknown time zone {value!r} (expected e.g. 'Europe/Berlin')"
        ) from None
    return value


def _str_list(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ConfigError(f"{name}: expected a list of strings")
    return tuple(str(v) for v in value)


def _policy(raw: Any, name: str) -> ApprovalPolicy:
    if raw is None:
        return ApprovalPolicy()
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a table")
    quorum = raw.get("quorum", 1)
    if not isinstance(quorum, int) or quorum < 1:
        raise ConfigError(f"{name}.quorum: expected a whole number ≥ 1")
    approvers = _str_list(raw.get("approvers"), f"{name}.approvers")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise ConfigError(f"{name}.required: expected true or false")
    if required and not approvers:
        raise ConfigError(f"{name}.approvers: approval is required but no approvers are listed")
    expires = raw.get("expires_after")
    return ApprovalPolicy(
        required=required,
        approvers=approvers,
        quorum=quorum,
        allow_self=bool(raw.get("allow_self", False)),
        channel=str(raw["channel"]) if raw.get("channel") else None,
        expires_after=parse_duration(expires, f"{name}.expires_after") if expires else None,
    )


def _slots(raw: Any, name: str) -> tuple[Slot, ...]:
    entries = _str_list(raw, name)
    try:
        return parse_slots(entries)
    except SlotError as e:
        raise ConfigError(f"{name}: {e} — e.g. slots = {SLOTS_EXAMPLE}") from None


def _binding(raw: Any, i: int, workspaces: Mapping[str, Workspace]) -> ChannelBinding:
    name = f"channels[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a table")
    platform = raw.get("platform")
    if platform not in ("slack", "discord", "console"):
        raise ConfigError(f"{name}.platform: expected 'slack', 'discord' or 'console'")
    ws = raw.get("workspace", DEFAULT_WORKSPACE)
    if ws not in workspaces:
        raise ConfigError(f"{name}.workspace: unknown workspace {ws!r}")
    tz = raw.get("timezone")
    aliases_raw = raw.get("aliases", {})
    if not isinstance(aliases_raw, dict):
        raise ConfigError(f"{name}.aliases: expected a table of name = [targets]")
    cfg = ChannelConfig(
        workspace=ws,
        default_targets=_str_list(raw.get("default_targets"), f"{name}.default_targets"),
        timezone=check_timezone(tz, f"{name}.timezone") if tz is not None else None,
        aliases={
            str(k).lower(): _str_list(v, f"{name}.aliases.{k}") for k, v in aliases_raw.items()
        },
        approval=_policy(raw.get("approval"), f"{name}.approval"),
        slots=_slots(raw.get("slots"), f"{name}.slots"),
    )
    team = raw.get("team")
    channel = raw.get("channel")
    return ChannelBinding(
        platform=platform,
        team=str(team) if team is not None else None,
        channel=str(channel) if channel is not None else None,
        config=cfg,
    )


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    v = env.get(name, "").strip()
    return Secret(v) if v else None


def _url(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    v = env.get(name, "").strip() or default
    if v is not None and not re.match(r"^(https?|wss?)://[^\s/]+", v):
        raise ConfigError(f"{name}: expected an http(s):// or ws(s):// URL")
    return v.rstrip("/") if v else v


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (and the TOML file it names). Raises ``ConfigError``."""
    env = os.environ if env is None else env
    config_path = env.get("SOCIALBOT_CONFIG", "").strip() or None
    raw: dict[str, Any] = {}
    if config_path:
        p = Path(config_path)
        if not p.is_file():
            raise ConfigError(f"SOCIALBOT_CONFIG: file not found: {config_path}")
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"SOCIALBOT_CONFIG: not valid TOML ({e})") from None

    workspaces: dict[str, Workspace] = {}
    ws_raw = raw.get("workspaces", {})
    if not isinstance(ws_raw, dict):
        raise ConfigError("workspaces: expected a table of workspaces")
    if DEFAULT_WORKSPACE not in ws_raw:
        ws_raw = {DEFAULT_WORKSPACE: {}, **ws_raw}
    for wname, w in ws_raw.items():
        if not isinstance(w, dict):
            raise ConfigError(f"workspaces.{wname}: expected a table")
        key_env = w.get("key_env", DEFAULT_KEY_ENV)
        if not isinstance(key_env, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
            raise ConfigError(f"workspaces.{wname}.key_env: expected an environment variable name")
        workspaces[wname] = Workspace(
            name=wname,
            key_env=key_env,
            key=_secret(env, key_env),
            follow_external=bool(w.get("follow_external", False)),
            announce_channel=str(w["announce_channel"]) if w.get("announce_channel") else None,
        )

    channels_raw = raw.get("channels", [])
    if not isinstance(channels_raw, list):
        raise ConfigError("channels: expected an array of tables ([[channels]])")
    bindings = tuple(_binding(c, i, workspaces) for i, c in enumerate(channels_raw))

    guild_ids: list[int] = []
    for part in env.get("DISCORD_GUILD_IDS", "").replace(" ", "").split(","):
        if part:
            if not part.isdigit():
                raise ConfigError("DISCORD_GUILD_IDS: expected comma-separated numeric guild ids")
            guild_ids.append(int(part))

    poll_raw = (
        raw.get("notifier", {}).get("interval", 30) if isinstance(raw.get("notifier"), dict) else 30
    )
    if not isinstance(poll_raw, int | float) or poll_raw <= 0:
        raise ConfigError("notifier.interval: expected a number of seconds > 0")

    return Settings(
        api_url=_url(env, "SOCIAL_API_URL", DEFAULT_API_URL) or DEFAULT_API_URL,
        db_path=env.get("SOCIALBOT_DB", "").strip() or "socialbot.db",
        config_path=config_path,
        workspaces=workspaces,
        bindings=bindings,
        slack_bot_token=_secret(env, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=_secret(env, "SLACK_APP_TOKEN"),
        slack_api_url=_url(env, "SLACK_API_URL"),
        discord_bot_token=_secret(env, "DISCORD_BOT_TOKEN"),
        discord_api_url=_url(env, "DISCORD_API_URL"),
        discord_gateway_url=_url(env, "DISCORD_GATEWAY_URL"),
        discord_guild_ids=tuple(guild_ids),
        poll_interval=float(poll_raw),
    )
