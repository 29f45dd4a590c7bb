"""Neutral replies → Discord embeds. One renderer per reply kind; nothing here does I/O.

Discord's embed limits are enforced here (title 256, description 4096, 25 fields, field name
256, field value 1024, footer 2048, 6000 characters in all the embeds of a message): text is
clipped with "…", fields beyond the limits are folded into a last "…and N more" field.
An approval card shows its first image as ``embed.image`` and up to three more as extra embeds
sharing the card's URL (Discord draws them as one gallery); video and PDF are listed as links.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from datetime import datetime

import discord

from bot.chat import (
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

_MENTION = re.compile(r"<@!?(\d+)>")
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
TOTAL_MAX = 6000
CONTENT_MAX = 2000
MAX_IMAGES = 4  # an approval card's gallery; further images are named ("+N more")
MAX_MEDIA_LINES = 8  # video / PDF lines in the card's "Media" field (1024 characters)
MEDIA_ICONS = {"image": "🖼️", "video": "🎬", "document": "📄"}

COLOURS: dict[str, int] = {
    Tone.INFO: 0x5865F2,
    Tone.SUCCESS: 0x57F287,
    Tone.WARNING: 0xFEE75C,
    Tone.ERROR: 0xED4245,
}

STATE_COLOURS: dict[str, int] = {
    "pending": COLOURS[Tone.WARNING],
    "approved": COLOURS[Tone.SUCCESS],
    "published": COLOURS[Tone.SUCCESS],
    "scheduled": COLOURS[Tone.INFO],
    "draft": 0x99AAB5,
    "publishing": COLOURS[Tone.INFO],
    "partial": COLOURS[Tone.WARNING],
    "rejected": COLOURS[Tone.ERROR],
    "failed": COLOURS[Tone.ERROR],
    "expired": 0x99AAB5,
    "canceled": 0x99AAB5,
}

STATUS_ICONS: dict[str, str] = {
    "published": "✅",
    "scheduled": "🗓️",
    "draft": "📝",
    "publishing": "⏳",
    "partial": "⚠️",
    "failed": "❌",
    "canceled": "🚫",
    "pending": "⏳",
    "approved": "✅",
    "rejected": "❌",
    "expired": "⌛",
}


@dataclass(frozen=True)
class Rendered:
    """What one reply becomes: message content, embeds, and whether it carries card buttons."""

    embeds: tuple[discord.Embed, ...]
    content: str | None = None
    ephemeral: bool = False
    buttons: bool = False  # Approve / Reject (the persistent approval view)
    offers: tuple[Button, ...] = ()  # what an error reply offers ("Post as a thread of 3")
    mentions: tuple[str, ...] = ()  # user ids the content may ping
    actions: tuple[CommandButton, ...] = ()  # command buttons (Confirm delete, Retry failed)
    # PNG attachments: (file name, bytes, alt text); an embed shows each (attachment://name)
    files: tuple[tuple[str, bytes, str], ...] = ()

    def attachments(self) -> list[discord.File]:
        """Fresh ``discord.File`` objects (a File is consumed by one send)."""
        return [
            discord.File(io.BytesIO(png), filename=name, description=clip(alt, 1024))
            for name, png, alt in self.files
        ]

    def without_files(self, why: str) -> Rendered:
        """The words only, saying why the picture is missing (its upload was refused)."""
        note = f"⚠️ I couldn't attach the picture ({why}); the list has the same data."
        embeds = [e.copy() for e in self.embeds]
        for e in embeds:
            e.set_image(url=None)
        content = f"{self.content}\n{note}" if self.content else note
        return replace(self, embeds=tuple(embeds), content=content, files=())


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ts(t: datetime) -> str:
    """A Discord timestamp: shown in each reader's own time zone."""
    return f"<t:{int(t.timestamp())}:f>"


def _field_value(f: Field) -> str:
    if f.link is not None:
        link = f"[{f.link.label}]({f.link.url})"
        return f"{f.value}\n{link}" if f.value else link
    return f.value


def _target_value(t: TargetLine) -> str:
    parts = [f"{STATUS_ICONS.get(t.status, '•')} {t.status}"]
    if t.scheduled_at is not None:
        parts.append(_ts(t.scheduled_at))
    if t.permalink:
        parts.append(f"[open]({t.permalink})")
    text = " · ".join(parts)
    if t.error:
        text += f"\n{t.error}"
    return text


class _Builder:
    """Accumulates one embed within Discord's limits."""

    def __init__(self, title: str, colour: int, description: str | None = None) -> None:
        self.embed = discord.Embed(
            title=clip(title, TITLE_MAX) or "—",
            colour=colour,
            description=clip(description, DESCRIPTION_MAX) if description else None,
        )
        self._pending: list[tuple[str, str, bool]] = []

    def field(self, name: str, value: str, inline: bool = False) -> None:
        self._pending.append(
            (clip(name, FIELD_NAME_MAX) or "—", clip(value, FIELD_VALUE_MAX) or "—", inline)
        )

    def footer(self, text: str) -> None:
        self.embed.set_footer(text=clip(text, FOOTER_MAX))

    def build(self) -> discord.Embed:
        fields = self._pending
        if len(fields) > FIELDS_MAX:
            rest = len(fields) - (FIELDS_MAX - 1)
            fields = [*fields[: FIELDS_MAX - 1], ("…", f"and {rest} more", False)]
        for name, value, inline in fields:
            if len(self.embed) + len(name) + len(value) > TOTAL_MAX - 40:
                self.embed.add_field(name="…", value="(shortened: too long for Discord)")
                break
            self.embed.add_field(name=name, value=value, inline=inline)
        if len(self.embed) > TOTAL_MAX and self.embed.description:
            over = len(self.embed) - TOTAL_MAX
            self.embed.description = clip(
                self.embed.description, max(1, len(self.embed.description) - over - 1)
            )
        return self.embed


# ------------------------------------------------------------------ one renderer per kind


def render_confirmation(r: Confirmation) -> Rendered:
    b = _Builder(r.title, COLOURS.get(r.tone, COLOURS[Tone.INFO]), r.text)
    for f in r.fields:
        b.field(f.name, _field_value(f), inline=len(f.value) < 40 and f.link is None)
    # Embed titles don't render mentions: the people a public message names are pinged in its
    # content ("@alice: @bob asked for changes …").
    named = tuple(dict.fromkeys(_MENTION.findall(r.title))) if not r.ephemeral else ()
    content = " ".join(f"<@{u}>" for u in named) or None
    return Rendered(
        embeds=(b.build(),),
        content=content,
        ephemeral=r.ephemeral,
        offers=r.buttons,
        actions=r.actions,
        mentions=named,
    )


def render_error(r: ErrorReply) -> Rendered:
    lines = [f"• {p}" for p in r.lines]
    b = _Builder(r.title, COLOURS[Tone.ERROR], "\n".join(lines) or None)
    if r.hint:
        b.field("Try", r.hint)
    if r.reference:
        b.footer(f"Reference: {r.reference}")
    return Rendered(embeds=(b.build(),), ephemeral=r.ephemeral, offers=r.buttons)


def render_status(r: StatusCard) -> Rendered:
    icon = STATUS_ICONS.get(r.status, "•")
    b = _Builder(r.title, STATE_COLOURS.get(r.status, COLOURS[Tone.INFO]), r.caption)
    b.field("Status", f"{icon} {r.status}", inline=True)
    if r.post_id not in r.title:
        b.field("Post", f"`{r.post_id}`", inline=True)
    if r.scheduled_at is not None:
        b.field("When", _ts(r.scheduled_at), inline=True)
    for t in r.targets:
        b.field(f"{t.platform} · {t.account}", _target_value(t))
    for f in r.fields:
        b.field(f.name, _field_value(f))
    if r.history:
        b.field("Approvals", "\n".join(r.history))
    return Rendered(embeds=(b.build(),), ephemeral=r.ephemeral)


def render_list(r: ListReply) -> Rendered:
    items = list(r.items)
    lines: list[str] = []
    used = 0
    for i, item in enumerate(items):
        line = item if r.plain else f"• {item}"
        if used + len(line) + 1 > DESCRIPTION_MAX - 40:
            lines.append(f"…and {len(items) - i} more")
            break
        lines.append(line)
        used += len(line) + 1
    b = _Builder(r.title, COLOURS[Tone.INFO], "\n".join(lines) or "(nothing)")
    if r.footer:
        b.footer(r.footer)
    return Rendered(embeds=(b.build(),), ephemeral=r.ephemeral)


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f" · {n} {unit}" if unit == "bytes" else f" · {n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f" · {n:.1f} GB"


def _shown_url(m: MediaPreview) -> str | None:
    """A link Discord can show: the public URL, else the attachment's own URL."""
    return m.url or m.platform_url


def _media_line(m: MediaPreview) -> str:
    url = _shown_url(m)
    name = f"[{m.name}]({url})" if url else m.name
    cover = f" (cover of {m.cover_for})" if m.cover_for else ""
    return f"{MEDIA_ICONS.get(m.kind, '📎')} {name}{cover}{_size(m.size)}"


def _gallery(r: ApprovalCard) -> tuple[list[str], list[str]]:
    """(image URLs shown — at most 4 —, lines for the "Media" field)."""
    images: list[str] = []
    lines: list[str] = []
    more: list[str] = []
    for m in r.media:
        url = _shown_url(m)
        if m.kind == "image" and url and len(images) < MAX_IMAGES:
            images.append(url)
            if m.cover_for:
                lines.append(_media_line(m))
        elif (m.kind == "image" and url) or len(lines) >= MAX_MEDIA_LINES:
            more.append(m.name)
        else:
            lines.append(_media_line(m))
    if more:
        lines.append(f"+{len(more)} more: {', '.join(more)}")
    return images, lines


def render_approval(r: ApprovalCard) -> Rendered:
    pending = r.state == "pending"
    icon = STATUS_ICONS.get(r.state, "•")
    title = f"{icon} Approval {r.state}: {r.title}"
    description = "\n\n".join(x for x in (r.caption, f"*{r.note}*" if r.note else None) if x)
    b = _Builder(title, STATE_COLOURS.get(r.state, COLOURS[Tone.INFO]), description or None)
    b.field("Requested by", r.requester.mention, inline=True)
    b.field("When", r.when, inline=True)
    b.field("Targets", ", ".join(r.targets) or "—", inline=True)
    approvals = ", ".join(f"<@{u}>" for u in r.approvals) or "none yet"
    b.field("Approvals", f"{len(r.approvals)}/{r.needed}: {approvals}", inline=False)
    if r.decided_by:
        b.field("Decided by", f"<@{r.decided_by}>", inline=True)
    for f in r.previews:
        b.field(f.name, _field_value(f))
    images, lines = _gallery(r)
    if lines:
        b.field("Media", "\n".join(lines))
    if pending:
        b.footer(f"Card {r.card_id} · react ✅ to approve or ❌ to reject")
    else:
        b.footer(f"Card {r.card_id}")
    card = b.build()
    embeds = [card]
    if images:
        # Embeds sharing the first one's URL show as one gallery (up to four images).
        card.url = images[0]
        card.set_image(url=images[0])
        embeds += [discord.Embed(url=images[0]).set_image(url=u) for u in images[1:]]
    return Rendered(embeds=tuple(embeds), buttons=pending and r.buttons)


_RESULT_COLOURS: dict[str, int] = {
    "published": COLOURS[Tone.SUCCESS],
    "partial": COLOURS[Tone.WARNING],
    "failed": COLOURS[Tone.ERROR],
    "canceled": 0x99AAB5,
}


def render_announcement(r: Announcement) -> Rendered:
    b = _Builder(r.title, _RESULT_COLOURS.get(r.result, COLOURS[Tone.INFO]), "\n".join(r.lines))
    for t in r.targets:
        b.field(f"{t.platform} · {t.account}", _target_value(t))
    if r.post_id:
        b.footer(f"Post {r.post_id}")
    content = " ".join(f"<@{u}>" for u in r.mentions) or None
    return Rendered(embeds=(b.build(),), content=content, mentions=r.mentions, actions=r.actions)


def render_picture(r: PictureReply) -> Rendered:
    """One embed per picture showing it (``attachment://<file name>``); the first carries the
    title and the same data as lines."""
    lines: list[str] = []
    used = 0
    for i, line in enumerate(r.lines):
        if used + len(line) + 3 > DESCRIPTION_MAX - 40:
            lines.append(f"…and {len(r.lines) - i} more")
            break
        lines.append(f"• {line}")
        used += len(line) + 3
    first = _Builder(r.title, COLOURS[Tone.INFO], "\n".join(lines) or None)
    if r.footer:
        first.footer(r.footer)
    embeds = [first.build()]
    for i, pic in enumerate(r.pictures):
        embed = embeds[0] if i == 0 else _Builder(pic.title, COLOURS[Tone.INFO]).build()
        embed.set_image(url=f"attachment://{pic.filename}")
        if i:
            embeds.append(embed)
    files = tuple((p.filename, p.png, p.alt) for p in r.pictures)
    return Rendered(embeds=tuple(embeds), files=files)


def render(reply: Reply) -> Rendered:
    match reply:
        case Confirmation():
            return render_confirmation(reply)
        case ErrorReply():
            return render_error(reply)
        case StatusCard():
            return render_status(reply)
        case ListReply():
            return render_list(reply)
        case ApprovalCard():
            return render_approval(reply)
        case Announcement():
            return render_announcement(reply)
        case PictureReply():
            return render_picture(reply)
    raise TypeError(f"no Discord renderer for {type(reply).__name__}")


def is_ephemeral(reply: Reply) -> bool:
    return bool(getattr(reply, "ephemeral", False))
