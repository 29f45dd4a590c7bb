"""Plain-text rendering of the neutral replies: one renderer per reply kind.

Mentions in the neutral text (``<@alice>``, ``<#launches>``) read as ``@alice`` / ``#launches``.
Every renderer returns a list of lines without trailing newlines; the port indents and prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.chat import (
    CHANGES,
    SPLIT,
    Announcement,
    ApprovalCard,
    Button,
    CommandButton,
    Confirmation,
    ErrorReply,
    Field,
    ListReply,
    MediaPreview,
    PictureReply,
    Reply,
    StatusCard,
    TargetLine,
    Tone,
)

_USER = re.compile(r"<@[!&]?([^>|]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([^>|]+)(?:\|([^>]*))?>")

TONE_MARK = {Tone.SUCCESS: "✔", Tone.INFO: "ℹ", Tone.WARNING: "⚠", Tone.ERROR: "✖"}
CARD_STATE = {
    "pending": "⏳ waiting for approval",
    "approved": "✅ approved",
    "rejected": "❌ rejected",
    "expired": "⌛ expired",
    "canceled": "🚫 canceled",
}
RESULT_MARK = {"published": "🎉", "partial": "⚠", "failed": "✖", "canceled": "🚫"}


def plain(text: str) -> str:
    """Neutral markup → console text."""
    text = _USER.sub(lambda m: "@" + m.group(1), text)
    return _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)).lstrip("#"), text)


def _when(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%a %d %b %H:%M UTC")


def _fields(fields: tuple[Field, ...]) -> list[str]:
    out: list[str] = []
    for f in fields:
        value = plain(f.value).splitlines() or [""]
        link = f"  <{f.link.url}>" if f.link else ""
        out.append(f"  {plain(f.name)}: {value[0]}{link}")
        out += [f"    {v}" for v in value[1:]]
    return out


_KIND = {"image": "🖼  image", "video": "🎬 video", "document": "📄 PDF"}


def size_text(n: int | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n:.1f} GB"


def _media(m: MediaPreview) -> str:
    """One line per media item: its kind and size (and its public link, if it has one)."""
    kind = _KIND.get(m.kind, f"📎 {m.kind}")
    cover = f" (cover of {m.cover_for})" if m.cover_for else ""
    link = f"  <{m.url}>" if m.url else ""
    return f"  {kind} {m.name}{cover} · {size_text(m.size)}{link}"


def _target(t: TargetLine) -> list[str]:
    line = f"  • {t.platform} {t.account} — {t.status}"
    if t.scheduled_at is not None:
        line += f" ({_when(t.scheduled_at)})"
    if t.permalink:
        line += f"  {t.permalink}"
    return [line, f"      {plain(t.error)}"] if t.error else [line]


def _actions(actions: tuple[CommandButton, ...]) -> list[str]:
    """Buttons: the console has none, so each shows the command that does the same."""
    return [f"  [{a.label}]  = /{a.command} {a.text}" for a in actions]


def confirmation(r: Confirmation) -> list[str]:
    out = [f"{TONE_MARK.get(r.tone, '✔')} {plain(r.title)}"]
    if r.text:
        out += [f"  {line}" for line in plain(r.text).splitlines()]
    return out + _fields(r.fields) + _buttons(r.buttons) + _actions(r.actions)


def error(r: ErrorReply) -> list[str]:
    out = [f"✖ {plain(r.title)}"]
    out += [f"  - {plain(p)}" for p in r.lines]
    if r.hint:
        out.append(f"  try: {plain(r.hint)}")
    if r.reference:
        out.append(f"  (reference {r.reference})")
    return out + _buttons(r.buttons)


def _buttons(buttons: tuple[Button, ...]) -> list[str]:
    """Slack and Discord show these as buttons; here, what typing does the same."""
    typed = {SPLIT: "send it again with `split`", CHANGES: "/social changes <post id> <reason>"}
    return [f"  [{b.label}] — {typed.get(b.decision, b.decision)}" for b in buttons]


def status(r: StatusCard) -> list[str]:
    head = plain(r.title) if r.post_id in r.title else f"{plain(r.title)}  [{r.post_id}]"
    out = [f"📋 {head} — {r.status}"]
    if r.caption:
        out.append(f"  “{plain(r.caption)}”")
    if r.scheduled_at is not None:
        out.append(f"  When: {_when(r.scheduled_at)}")
    out += [line for t in r.targets for line in _target(t)]
    out += _fields(r.fields)
    if r.history:
        out.append("  approvals:")
        out += [f"    {plain(h)}" for h in r.history]
    return out


def listing(r: ListReply) -> list[str]:
    out = [f"☰ {plain(r.title)}"]
    if r.plain:
        out += [f"  {plain(item)}" for item in r.items] or ["  (nothing)"]
    else:
        out += [f"  {i}. {plain(item)}" for i, item in enumerate(r.items, 1)] or ["  (nothing)"]
    if r.footer:
        out.append(f"  {plain(r.footer)}")
    return out


def approval_card(r: ApprovalCard) -> list[str]:
    state = CARD_STATE.get(r.state, r.state)
    out = [f"🗳  APPROVAL — {plain(r.title)}", f"  state: {state}  [{r.card_id}]"]
    out.append(f"  asked by @{r.requester.name or r.requester.id} · when: {plain(r.when)}")
    if r.caption:
        out += [
            f"  “{line}”" if i == 0 else f"   {line}"
            for i, line in enumerate(plain(r.caption).splitlines())
        ]
    out += _fields(r.previews)
    out += [_media(m) for m in r.media]
    approvals = ", ".join("@" + a for a in r.approvals) or "none yet"
    out.append(f"  approvals: {len(r.approvals)}/{r.needed} ({approvals})")
    if r.decided_by and r.state != "pending":
        out.append(f"  decided by @{r.decided_by}")
    if r.note:
        out.append(f"  note: {plain(r.note)}")
    if r.buttons and r.state == "pending":
        out.append("  react ✅ to approve or ❌ to reject")
    return out


def announcement(r: Announcement) -> list[str]:
    mark = RESULT_MARK.get(r.result, "📣")
    post = f"  [{r.post_id}]" if r.post_id else ""
    out = [f"{mark} {plain(r.title)}{post}"]
    if r.mentions:
        out.append("  " + " ".join("@" + m for m in r.mentions))
    out += [line for t in r.targets for line in _target(t)]
    out += [f"  {plain(line)}" for line in r.lines]
    return out + _actions(r.actions)


def picture(r: PictureReply) -> list[str]:
    """The words of a picture reply; the port writes the PNG and adds its path."""
    out = [f"🖼  {plain(r.title)}"]
    out += [f"  • {plain(x)}" for x in r.lines]
    if r.footer:
        out.append(f"  {plain(r.footer)}")
    return out


_RENDERERS: dict[type[Any], Callable[[Any], list[str]]] = {
    Confirmation: confirmation,
    ErrorReply: error,
    StatusCard: status,
    ListReply: listing,
    ApprovalCard: approval_card,
    Announcement: announcement,
    PictureReply: picture,
}


def render(reply: Reply) -> list[str]:
    """The lines of one reply (unknown kinds fall back to their repr, never crash)."""
    fn = _RENDERERS.get(type(reply))
    if fn is None:
        return [repr(reply)]
    return fn(reply)


def is_ephemeral(reply: Reply) -> bool:
    return bool(getattr(reply, "ephemeral", False))
