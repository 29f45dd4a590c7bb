"""The TOML file's schema: every table and key is checked, nothing is ignored or coerced.

``check_file(raw, text, path)`` validates the parsed TOML against pydantic models
(``extra="forbid"``, strict types) and returns ``(ConfigFile | None, problems)``. Each problem is
one line in our words::

    socialbot.toml:7: channel: unknown table — did you mean `channels`?
    socialbot.toml:12: channels[0].approval.quorom: unknown key — did you mean `quorum`?
    socialbot.toml:14: channels[0].approval.allow_self: expected true or false (no quotes), got the string "false"

The TOML parser gives no positions, so the line is found by scanning the file's text for the
table header / key (``bot.tomllines``); a problem whose line cannot be found has no ``:N``.

Checks beyond types, because each of them would silently weaken a policy: a binding that names
neither a channel nor a team, two bindings with the same scope, a workspace name no
``[workspaces.*]`` defines, a quorum larger than the listed approvers (when only user ids are
listed, so it could never be reached), a required approval without approvers.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.slots import EXAMPLE as SLOTS_EXAMPLE
from bot.slots import SlotError, parse_slot
from bot.tomllines import TomlLines, dotted

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DEFAULT_WORKSPACE = "default"


def duration(value: Any) -> timedelta:
    """``"48h"``, ``"30m"``, ``"2d"`` or a whole number of seconds (> 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '48h', '30m' or '2d'")
    if isinstance(value, int) and value > 0:
        return timedelta(seconds=value)
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m or int(m.group(1)) <= 0:
        raise ValueError("expected a duration like '48h', '30m' or '2d'")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _ids(value: Any) -> list[str]:
    """A string or a list of strings / whole numbers (Discord ids are numbers)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        return [str(v) for v in value]
    raise ValueError('expected a list of strings, like ["U0123", "role:1234"]')


def _id(value: Any) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    raise ValueError('expected an id in quotes, like "C0123"')


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected an IANA time zone name like 'Europe/Berlin'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (expected e.g. 'Europe/Berlin')") from None
    return value


def _ports(value: Any) -> frozenset[int] | None:
    """``[80, 443]`` (port numbers) or ``"any"`` (None)."""
    if value == "any":
        return None
    if isinstance(value, list) and all(
        isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in value
    ):
        return frozenset(value)
    raise ValueError('expected a list of port numbers like [80, 443], or "any"')


def _slots(value: Any) -> list[str]:
    """Posting slots: ``["mon-fri 09:00", "sat 11:00"]`` (``bot.slots`` grammar)."""
    entries = _ids(value)
    for e in entries:
        try:
            parse_slot(e)
        except SlotError as err:
            raise ValueError(f"{err} — e.g. slots = {SLOTS_EXAMPLE}") from None
    return entries


Duration = Annotated[timedelta, BeforeValidator(duration)]
Ports = Annotated[frozenset[int] | None, BeforeValidator(_ports)]
Slots = Annotated[list[str], BeforeValidator(_slots)]
Ids = Annotated[list[str], BeforeValidator(_ids)]
Id = Annotated[str, BeforeValidator(_id)]
Zone = Annotated[str, BeforeValidator(_zone)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class WorkspaceTable(_Table):
    key_env: str = Field(default="SOCIAL_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    follow_external: bool = False
    announce_channel: str | None = Field(default=None, pattern=r"^(slack|discord|console):\S+$")


class ApprovalTable(_Table):
    required: bool = True
    approvers: Ids = Field(default_factory=list, validate_default=True)
    quorum: int = Field(default=1, ge=1)
    allow_self: bool = False
    channel: Id | None = None
    expires_after: Duration | None = None

    @field_validator("approvers")
    @classmethod
    def _listed(cls, value: list[str], info: Any) -> list[str]:
        if info.data.get("required", True) and not value:
            raise ValueError(
                'approval is required but no approvers are listed — add approvers = ["U0123"]'
            )
        return value

    @field_validator("quorum")
    @classmethod
    def _reachable(cls, value: int, info: Any) -> int:
        approvers = info.data.get("approvers") or []
        only_users = not any(
            a.startswith(("role:", "group:")) or re.fullmatch(r"S[A-Z0-9]{2,}", a)
            for a in approvers
        )
        if approvers and only_users and value > len(approvers):
            raise ValueError(
                f"quorum {value} can never be reached: only {len(approvers)} approver(s) are listed"
            )
        return value


class ChannelTable(_Table):
    platform: Literal["slack", "discord", "console"]
    team: Id | None = None
    channel: Id | None = None
    workspace: str = DEFAULT_WORKSPACE
    default_targets: Ids = Field(default_factory=list)
    timezone: Zone | None = None
    aliases: dict[str, Ids] = Field(default_factory=dict)
    approval: ApprovalTable | None = None
    slots: Slots = Field(default_factory=list)  # posting slots, in ``timezone``

    @field_validator("workspace")
    @classmethod
    def _known_workspace(cls, value: str, info: Any) -> str:
        known = (info.context or {}).get("workspaces")
        if known is not None and value not in known:
            hint = _did_you_mean(value, known)
            raise ValueError(f"unknown workspace {value!r}{hint}")
        return value

    @model_validator(mode="after")
    def _has_scope(self) -> ChannelTable:
        if self.team is None and self.channel is None:
            raise ValueError(
                'names no channel and no team — add channel = "C0123" or team = "T0123"'
            )
        return self


class NotifierTable(_Table):
    interval: float = Field(default=30.0, gt=0)
    # An announcement that fails this many times is given up (requester told by DM).
    announce_attempts: int = Field(default=8, ge=1)
    announce_backoff_max: Duration = timedelta(minutes=10)


class RetentionTable(_Table):
    """Days to keep each kind of row (0 = keep for ever)."""

    deliveries_days: int = Field(default=14, ge=0)
    journal_days: int = Field(default=14, ge=0)
    sent_outbox_days: int = Field(default=30, ge=0)
    tracked_posts_days: int = Field(default=180, ge=0)
    approval_history_days: int = Field(default=180, ge=0)
    batch_size: int = Field(default=500, ge=1, le=100_000)
    interval: Duration = timedelta(hours=1)


class ReadinessTable(_Table):
    api_failures: int = Field(default=3, ge=1)  # consecutive transport failures / 5xx → not ready
    api_window: Duration = timedelta(minutes=10)  # no good answer this long while calling
    db_check_every: Duration = timedelta(seconds=5)


# ---------------------------------------------------------------- [[reports]] (issue 16)
# Weekly reports; the schema only. What they mean (defaults from the channel's binding, when
# they are due) is in bot/reports/config.py.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKLY = re.compile(r"^\s*([a-z]{3,})\s+(\d{1,2}):(\d{2})\s*$")


def weekly(value: Any) -> tuple[int, int, int]:
    """``"monday 09:00"`` (or ``"mon 9:00"``) → (weekday 0–6, hour, minute)."""
    m = _WEEKLY.match(value.lower()) if isinstance(value, str) else None
    day = next((i for i, d in enumerate(WEEKDAYS) if m and d.startswith(m.group(1))), None)
    if m is None or day is None:
        raise ValueError('expected a weekday and a 24-hour time, like "monday 09:00"')
    hour, minute = int(m.group(2)), int(m.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"{hour:02d}:{minute:02d} is not a time (use 00:00–23:59)")
    return day, hour, minute


def _weekly_text(value: Any) -> str:
    day, hour, minute = weekly(value)
    return f"{WEEKDAYS[day]} {hour:02d}:{minute:02d}"


class ReportTable(_Table):
    channel: str = Field(pattern=r"^(slack|discord|console):\S+$")  # "platform:channel"
    when: Annotated[str, BeforeValidator(_weekly_text)]
    timezone: Zone | None = None  # default: the channel's binding's, else UTC
    team: Id | None = None
    workspace: str | None = None  # default: the channel's binding's

    @field_validator("workspace")
    @classmethod
    def _known_workspace(cls, value: str | None, info: Any) -> str | None:
        known = (info.context or {}).get("workspaces")
        if value is not None and known is not None and value not in known:
            raise ValueError(f"unknown workspace {value!r}{_did_you_mean(value, known)}")
        return value


class MediaTable(_Table):
    """Links the bot downloads (``media:``, ``cover:``): see bot/netguard.py."""

    allow_private: bool = False  # hosts inside a private network: a local sandbox only
    ports: Ports = frozenset({80, 443})  # "any" → None


class ConfigFile(_Table):
    workspaces: dict[str, WorkspaceTable] = Field(default_factory=dict)
    channels: list[ChannelTable] = Field(default_factory=list)
    notifier: NotifierTable = NotifierTable()
    retention: RetentionTable = RetentionTable()
    readiness: ReadinessTable = ReadinessTable()
    reports: list[ReportTable] = Field(default_factory=list)  # issue 16
    media: MediaTable = MediaTable()


# ---------------------------------------------------------------- checking


def check_file(raw: Mapping[str, Any], text: str, path: str) -> tuple[ConfigFile | None, list[str]]:
    """The validated file, or None and one line per problem."""
    ws_raw = raw.get("workspaces")
    names = set(ws_raw) if isinstance(ws_raw, dict) else set()
    names.add(DEFAULT_WORKSPACE)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    parsed: ConfigFile | None = None
    try:
        parsed = ConfigFile.model_validate(raw, context={"workspaces": names})
    except ValidationError as e:
        seen: set[tuple[str | int, ...]] = set()
        for err in e.errors():
            loc = _clean_loc(err["loc"])
            if loc in seen:
                continue
            seen.add(loc)
            problems.append((loc, _words(err, loc)))
    problems += _duplicate_scopes(raw)
    if not problems:
        return parsed, []
    lines = TomlLines(text)
    located = sorted(
        ((lines.find(loc), i, loc, msg) for i, (loc, msg) in enumerate(problems)),
        key=lambda t: (t[0] or 0, t[1]),
    )
    return None, [_line(path, n, loc, msg) for n, _, loc, msg in located]


def _line(path: str, lineno: int | None, loc: tuple[str | int, ...], msg: str) -> str:
    where = f"{path}:{lineno}" if lineno else path
    return f"{where}: {dotted(loc) or '(file)'}: {msg}"


def _clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    # pydantic adds the validator/branch name to some locations ("function-after[...]").
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in _BRANCHES)))


_BRANCHES = frozenset({"str", "int", "float", "bool", "list", "dict", "timedelta", "none"})


def _duplicate_scopes(raw: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    channels = raw.get("channels")
    if not isinstance(channels, list):
        return []
    first: dict[tuple[str, str, str], int] = {}
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, c in enumerate(channels):
        if not isinstance(c, dict) or (c.get("team") is None and c.get("channel") is None):
            continue
        scope = (str(c.get("platform")), str(c.get("team")), str(c.get("channel")))
        if scope in first:
            out.append(
                (
                    ("channels", i),
                    f"binds the same scope ({_scope_words(c)}) as channels[{first[scope]}]; "
                    "keep one",
                )
            )
        else:
            first[scope] = i
    return out


def _scope_words(c: Mapping[str, Any]) -> str:
    words = [str(c.get("platform"))]
    if c.get("team") is not None:
        words.append(f"team {c['team']}")
    if c.get("channel") is not None:
        words.append(f"channel {c['channel']}")
    return " ".join(words)


_TYPE_WORDS = {
    "bool_type": "expected true or false (no quotes)",
    "int_type": "expected a whole number (no quotes)",
    "float_type": "expected a number (no quotes)",
    "string_type": "expected a string in quotes",
    "list_type": 'expected a list, like ["a", "b"]',
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "timedelta_type": "expected a duration like '48h', '30m' or '2d'",
}


def _words(err: Any, loc: tuple[str | int, ...]) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        what = "table" if isinstance(value, dict | list) else "key"
        key = loc[-1] if loc else ""
        return f"unknown {what}" + _did_you_mean(str(key), _allowed(loc[:-1]))
    if kind == "missing":
        return "required key is missing" + _choices(loc)
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind] + _got(value)
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '')}" + _got(value)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤"}.get(
            kind, "<"
        )
        limit = next(iter(ctx.values()), "")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"out of range: must be {sign} {limit}" + _got(value)
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "announce_channel":
            return "expected 'platform:channel', like \"slack:C0123\"" + _got(value)
        return 'expected an environment variable name, like "BRAND_SOCIAL_KEY"' + _got(value)
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "invalid value")))
    return str(err.get("msg", "invalid value"))


def _got(value: Any) -> str:
    if isinstance(value, str):
        return f", got the string {json.dumps(value)}"
    if isinstance(value, bool):
        return f", got {str(value).lower()}"
    if isinstance(value, int | float):
        return f", got {value}"
    if isinstance(value, dict):
        return ", got a table"
    if isinstance(value, list):
        return ", got a list"
    return ""


def _choices(loc: tuple[str | int, ...]) -> str:
    if loc and loc[-1] == "platform":
        return " (slack, discord or console)"
    return ""


def _did_you_mean(word: str, allowed: Sequence[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(allowed), n=1, cutoff=0.6)
    return f" — did you mean `{close[0]}`?" if close else ""


def _allowed(loc: tuple[str | int, ...]) -> list[str]:
    """The keys a table at ``loc`` may hold (for "did you mean")."""
    model: Any = ConfigFile
    for part in loc:
        if isinstance(model, type) and issubclass(model, BaseModel):
            if isinstance(part, int) or part not in model.model_fields:
                return []
            model = model.model_fields[part].annotation
        model = _unwrap(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(tp: Any, part: str | int) -> Any:
    """``X | None`` → X; ``list[X]`` / ``dict[str, X]`` → X when indexing into it."""
    for _ in range(3):
        origin = get_origin(tp)
        if origin is list and isinstance(part, int):
            return get_args(tp)[0]
        if origin is dict and not (isinstance(tp, type) and issubclass(tp, BaseModel)):
            return get_args(tp)[1]
        args = [a for a in get_args(tp) if a is not type(None)]
        if origin is not None and len(args) == 1 and origin not in (list, dict):
            tp = args[0]
            continue
        return tp
    return tp
