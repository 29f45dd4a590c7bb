"""Configuration: environment variables, plus an optional TOML file for workspaces and policies.

Environment (all optional; the demo needs none):

    SOCIAL_API_URL        Social API base URL (default https://social-api.instantdm.com)
    SOCIAL_API_KEY        the default workspace's API key
    SOCIALBOT_DB          SQLite path (default ./socialbot.db)
    SOCIALBOT_CONFIG      TOML path (workspaces, channel bindings, approval policies)
    SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL
    DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_GATEWAY_URL, DISCORD_GUILD_IDS
    SOCIALBOT_HEALTH_PORT, SOCIALBOT_METRICS_PORT   where /healthz and /metrics are served
    SOCIALBOT_ALLOW_PRIVATE_MEDIA   1/0: fetch media links that resolve inside a private network
                                    (default 0; overrides ``[media] allow_private``)

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

    [media]                         # links the bot downloads (media:https://…, cover:…)
    allow_private = false           # true only for a local sandbox: fetch loopback/private hosts
    ports = [80, 443]               # ports a link may name, or "any"

plus ``[notifier]``, ``[retention]``, ``[readiness]`` and ``[media]`` (README "Configuration"). The file is
checked against a schema (``bot.configfile``: unknown keys and tables, wrong types, ranges,
unknown workspaces, scope-less or duplicate bindings are refused, never ignored).

Missing or malformed settings raise ``ConfigError`` with one line per problem (``problems``),
each naming the setting — and for the file its line; the CLI prints them all and exits 2.
Secrets are held as ``Secret`` and never echoed.
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

from bot.configfile import ApprovalTable, ConfigFile, MediaTable, WorkspaceTable, check_file
from bot.secret import Secret
from bot.slots import Slot, parse_slots

DEFAULT_API_URL = "https://social-api.instantdm.com"
DEFAULT_WORKSPACE = "default"
DEFAULT_KEY_ENV = "SOCIAL_API_KEY"
SANDBOX_DEMO_KEY = "sk_test_sandbox"


class ConfigError(Exception):
    """Settings are missing or malformed. ``problems`` holds one line per problem, each naming
    the setting (and, for the TOML file, its line) without echoing a secret; ``str()`` is
    those lines joined."""

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems or ("invalid configuration",)
        super().__init__("\n".join(self.problems))


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
class MediaRules:
    """Which links the bot may download (see bot/netguard.py)."""

    allow_private: bool = False  # hosts that resolve to loopback/private/link-local addresses
    ports: frozenset[int] | None = frozenset({80, 443})  # None: any port

    @classmethod
    def local(cls) -> MediaRules:
        """A sandbox on this machine (the demo, the tests): loopback hosts on any port."""
        return cls(allow_private=True, ports=None)


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
class Retention:
    """How long rows are kept (``[retention]``; ``None`` = for ever) and how the pruning job
    runs (``bot.retention``)."""

    deliveries: timedelta | None = timedelta(days=14)
    journal: timedelta | None = timedelta(days=14)
    sent_outbox: timedelta | None = timedelta(days=30)
    tracked_posts: timedelta | None = timedelta(days=180)
    approval_history: timedelta | None = timedelta(days=180)
    batch_size: int = 500
    interval: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Readiness:
    """When ``/readyz`` calls a workspace key not ready (``[readiness]``)."""

    api_failures: int = 3  # consecutive transport failures / 5xx
    api_window: timedelta = timedelta(minutes=10)  # no good answer this long while calling
    db_check_every: timedelta = timedelta(seconds=5)  # the writability check is cached


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
    announce_attempts: int = 8  # an announcement failing this often is given up
    announce_backoff_max: float = 600.0  # seconds between its attempts at most
    retention: Retention = field(default_factory=Retention)
    readiness: Readiness = field(default_factory=Readiness)
    health_port: int | None = None  # SOCIALBOT_HEALTH_PORT
    metrics_port: int | None = None  # SOCIALBOT_METRICS_PORT
    media: MediaRules = field(default_factory=MediaRules)

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


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    v = env.get(name, "").strip()
    return Secret(v) if v else None


def _url(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    v = env.get(name, "").strip() or default
    if v is not None and not re.match(r"^(https?|wss?)://[^\s/]+", v):
        raise ConfigError(f"{name}: expected an http(s):// or ws(s):// URL")
    return v.rstrip("/") if v else v


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _media(table: MediaTable, env: Mapping[str, str]) -> MediaRules:
    """``[media]``, with ``SOCIALBOT_ALLOW_PRIVATE_MEDIA`` (when set) deciding allow_private."""
    allow = table.allow_private
    flag = env.get("SOCIALBOT_ALLOW_PRIVATE_MEDIA", "").strip().lower()
    if flag in _TRUE:
        allow = True
    elif flag in _FALSE:
        allow = False
    elif flag:
        raise ConfigError("SOCIALBOT_ALLOW_PRIVATE_MEDIA: expected 1 or 0")
    return MediaRules(allow_private=allow, ports=table.ports)


def _port(env: Mapping[str, str], name: str) -> int | None:
    v = env.get(name, "").strip()
    if not v:
        return None
    if not v.isdigit() or int(v) > 65535:
        raise ConfigError(f"{name}: expected a port number 0–65535")
    return int(v)


def _read_file(config_path: str) -> ConfigFile:
    p = Path(config_path)
    if not p.is_file():
        raise ConfigError(f"SOCIALBOT_CONFIG: file not found: {config_path}")
    try:
        text = p.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"SOCIALBOT_CONFIG: {config_path} is not valid TOML ({e})") from None
    parsed, problems = check_file(raw, text, config_path)
    if parsed is None:
        raise ConfigError(*problems)
    return parsed


def _days(n: int) -> timedelta | None:
    return timedelta(days=n) if n > 0 else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (and the TOML file it names). Raises ``ConfigError`` listing every
    problem found."""
    env = os.environ if env is None else env
    config_path = env.get("SOCIALBOT_CONFIG", "").strip() or None
    problems: list[str] = []

    def attempt(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except ConfigError as e:
            problems.extend(e.problems)
            return None

    cfg: ConfigFile | None = attempt(_read_file, config_path) if config_path else ConfigFile()

    guild_ids: list[int] = []
    for part in env.get("DISCORD_GUILD_IDS", "").replace(" ", "").split(","):
        if part and not part.isdigit():
            problems.append("DISCORD_GUILD_IDS: expected comma-separated numeric guild ids")
            break
        if part:
            guild_ids.append(int(part))
    api_url = attempt(_url, env, "SOCIAL_API_URL", DEFAULT_API_URL)
    urls = {n: attempt(_url, env, n) for n in ("SLACK_API_URL", "DISCORD_API_URL")}
    urls["DISCORD_GATEWAY_URL"] = attempt(_url, env, "DISCORD_GATEWAY_URL")
    ports = {n: attempt(_port, env, n) for n in ("SOCIALBOT_HEALTH_PORT", "SOCIALBOT_METRICS_PORT")}
    media = attempt(_media, cfg.media if cfg is not None else MediaTable(), env)
    if problems or cfg is None:
        raise ConfigError(*problems)

    ws_tables = dict(cfg.workspaces)
    workspaces = {
        name: Workspace(
            name=name,
            key_env=w.key_env,
            key=_secret(env, w.key_env),
            follow_external=w.follow_external,
            announce_channel=w.announce_channel,
        )
        for name, w in (
            ([] if DEFAULT_WORKSPACE in ws_tables else [(DEFAULT_WORKSPACE, _DEFAULT_TABLE)])
            + list(ws_tables.items())
        )
    }
    bindings = tuple(
        ChannelBinding(
            platform=c.platform,
            team=c.team,
            channel=c.channel,
            config=ChannelConfig(
                workspace=c.workspace,
                default_targets=tuple(c.default_targets),
                timezone=c.timezone,
                aliases={k.lower(): tuple(v) for k, v in c.aliases.items()},
                approval=_policy(c.approval),
                slots=parse_slots(c.slots),
            ),
        )
        for c in cfg.channels
    )
    r = cfg.retention
    return Settings(
        api_url=api_url or DEFAULT_API_URL,
        db_path=env.get("SOCIALBOT_DB", "").strip() or "socialbot.db",
        config_path=config_path,
        workspaces=workspaces,
        bindings=bindings,
        slack_bot_token=_secret(env, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=_secret(env, "SLACK_APP_TOKEN"),
        slack_api_url=urls["SLACK_API_URL"],
        discord_bot_token=_secret(env, "DISCORD_BOT_TOKEN"),
        discord_api_url=urls["DISCORD_API_URL"],
        discord_gateway_url=urls["DISCORD_GATEWAY_URL"],
        discord_guild_ids=tuple(guild_ids),
        poll_interval=float(cfg.notifier.interval),
        announce_attempts=cfg.notifier.announce_attempts,
        announce_backoff_max=cfg.notifier.announce_backoff_max.total_seconds(),
        retention=Retention(
            deliveries=_days(r.deliveries_days),
            journal=_days(r.journal_days),
            sent_outbox=_days(r.sent_outbox_days),
            tracked_posts=_days(r.tracked_posts_days),
            approval_history=_days(r.approval_history_days),
            batch_size=r.batch_size,
            interval=r.interval,
        ),
        readiness=Readiness(
            api_failures=cfg.readiness.api_failures,
            api_window=cfg.readiness.api_window,
            db_check_every=cfg.readiness.db_check_every,
        ),
        health_port=ports["SOCIALBOT_HEALTH_PORT"],
        metrics_port=ports["SOCIALBOT_METRICS_PORT"],
        media=media,
    )


def _policy(a: ApprovalTable | None) -> ApprovalPolicy:
    if a is None:
        return ApprovalPolicy()
    return ApprovalPolicy(
        required=a.required,
        approvers=tuple(a.approvers),
        quorum=a.quorum,
        allow_self=a.allow_self,
        channel=a.channel,
        expires_after=a.expires_after,
    )


_DEFAULT_TABLE = WorkspaceTable()
