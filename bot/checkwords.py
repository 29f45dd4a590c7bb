"""What the settings will do, in words, for ``socialbot check`` to print after its checks:

    policy  <scope> → workspace … · default targets … · time zone … · approval …
    media   links: …
    report  <platform:channel> every <weekday HH:MM zone> → workspace …   (one per [[reports]])

Pure functions of ``Settings`` (and the reports of its file): nothing is reached or printed
here.
"""

from __future__ import annotations

from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, ConfigError, Settings
from bot.reports.config import load_reports


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if unit == "d" and seconds < 7 * 86400:
            continue
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _approval(p: ApprovalPolicy, card_default: str) -> str:
    if not p.required:
        return "approval: not required"
    who = ", ".join(
        f"role {a.split(':', 1)[1]}"
        if a.startswith("role:")
        else f"group {a.split(':', 1)[1] if a.startswith('group:') else a}"
        if a.startswith("group:") or a in p.group_ids
        else a
        for a in p.approvers
    )
    expiry = (
        f"expires after {_duration(p.expires_after.total_seconds())}"
        if p.expires_after
        else "never expires"
    )
    return (
        f"approval: {who}; quorum {p.quorum}; "
        f"self-approval {'allowed' if p.allow_self else 'not allowed'}; "
        f"cards in {p.channel or card_default}; {expiry}"
    )


def _policy_line(scope: str, cfg: ChannelConfig, card_default: str) -> str:
    targets = ", ".join(cfg.default_targets) or "none (named in each command)"
    parts = [f"{scope} → workspace {cfg.workspace}", f"default targets: {targets}"]
    if cfg.timezone:
        parts.append(f"time zone {cfg.timezone}")
    parts.append(_approval(cfg.approval, card_default))
    return "policy  " + " · ".join(parts)


def policy_lines(settings: Settings) -> list[str]:
    """One line per binding: what will actually happen in that channel (most specific binding
    wins), then what every channel without a binding gets."""

    def scope(b: ChannelBinding) -> str:
        words = [b.platform]
        if b.team:
            words.append(f"team {b.team}")
        words.append(f"channel {b.channel}" if b.channel else "(every channel)")
        return " ".join(words)

    out = [
        _policy_line(scope(b), b.config, "the same channel" if b.channel else "each channel")
        for b in settings.bindings
    ]
    out.append(_policy_line("any other channel", ChannelConfig(), "the same channel"))
    return out


def media_line(settings: Settings) -> str:
    """Which links the bot will download (``[media]``), for the operator to read."""
    m = settings.media
    ports = "any port" if m.ports is None else "ports " + ", ".join(map(str, sorted(m.ports)))
    hosts = (
        "private hosts ALLOWED (only for a local sandbox)"
        if m.allow_private
        else "public hosts only (every name resolved and checked)"
    )
    return f"media   links: http(s) · {hosts} · {ports} · at most 5 redirects, each checked"


def report_lines(settings: Settings) -> list[str]:
    """One line per ``[[reports]]`` entry (when it is posted, where, from which workspace), or
    one saying there are none. A malformed entry was already refused by the settings check."""
    try:
        reports = load_reports(settings)
    except ConfigError as e:
        return [f"report  not read: {e}"]
    if not reports:
        return ["report  none ([[reports]] in the config file posts a weekly report)"]
    return [
        f"report  {r.name} every {r.when} → workspace {r.workspace}"
        + (f" (team {r.team})" if r.team else "")
        for r in reports
    ]
