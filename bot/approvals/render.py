"""Turning card rows into neutral replies (the adapters render them natively).

A card shows what the approver approves: the caption once; per platform its own caption where
it differs, the length in that platform's terms against its limit (``bot.textcount.count``),
the article card as it will appear, its time; and the media (``MediaPreview``: image blocks /
embed images by public URL or by the chat platform's own file, a link for video and PDF). The
content is kept with the card (``Preview.content``) so an edit re-renders it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.api.models import Account, Platform
from bot.approvals import store
from bot.approvals.types import PostRequest
from bot.chat import ApprovalCard, Field, MediaPreview, User
from bot.platforms import RULES, max_text
from bot.textcount import count, weighted

PREVIEW_CHARS = 300  # a platform's own caption on its line
CAPTION_CHARS = 1500  # the caption at the top of the card

_CARD_STATE = {
    store.PENDING: "pending",
    store.APPROVING: "pending",
    store.APPROVED: "approved",
    store.REJECTING: "rejected",
    store.REJECTED: "rejected",
    store.EXPIRED: "expired",
    store.CANCELED: "canceled",
}


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "someone"


def channel_mention(channel: str) -> str:
    return f"<#{channel}>"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def utc_text(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%a %d %b %H:%M UTC")


def _clip(text: str, limit: int = PREVIEW_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(platform: Platform | str) -> str:
    if isinstance(platform, Platform):
        return RULES[platform].label
    return str(platform)


def _platform(key: str) -> Platform | str:
    try:
        return Platform(key)
    except ValueError:
        return key


# ---------------------------------------------------------------- the card's content


@dataclass(frozen=True)
class PlatformPart:
    """One platform's line: its own caption and time when it has them, its text limit."""

    platform: str  # Platform value ("twitter") or as the API named it
    name: str  # "X (@acme_x)"
    own_caption: str | None = None
    when: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class CardContent:
    """What the card shows of the post itself (kept with the card, JSON in ``Preview.content``)."""

    caption: str
    parts: tuple[PlatformPart, ...]
    thread: tuple[str, ...] = ()
    media: tuple[MediaPreview, ...] = ()
    article: tuple[str, str | None, str | None] | None = None  # url, title, description

    def to_dict(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "parts": [asdict(p) for p in self.parts],
            "thread": list(self.thread),
            "media": [asdict(m) for m in self.media],
            "article": list(self.article) if self.article else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CardContent:
        art = d.get("article")
        return cls(
            caption=str(d.get("caption") or ""),
            parts=tuple(PlatformPart(**p) for p in d.get("parts") or ()),
            thread=tuple(str(t) for t in d.get("thread") or ()),
            media=tuple(MediaPreview(**m) for m in d.get("media") or ()),
            article=(str(art[0]), art[1], art[2]) if art else None,
        )


@dataclass(frozen=True)
class PreviewChange:
    """What an edit changed of a pending post, for its card (None: unchanged)."""

    caption: str | None = None
    captions: Mapping[str, str] | None = None  # platform value → its own caption
    media: tuple[MediaPreview, ...] | None = None


def _count_line(platform: str, texts: Sequence[str], limit: int | None) -> str:
    p = _platform(platform)
    counts = [count(p, t) for t in texts]
    what = "characters as X counts them" if weighted(p) else "characters"
    if limit is None:
        return "🔤 " + " · ".join(f"{n:,}" for n in counts) + f" {what}"
    shown = " · ".join(f"{n:,}/{limit:,}" for n in counts)
    prefix = f"thread of {len(counts)}: " if len(counts) > 1 else ""
    over = any(n > limit for n in counts)
    mark = "⚠️" if over else "🔤"
    tail = f" — over {_label(p)}'s limit" if over else ""
    return f"{mark} {prefix}{shown} {what}{tail}"


def _article_line(article: tuple[str, str | None, str | None]) -> str:
    url, title, description = article
    host = urlsplit(url).hostname or url
    if not title and not description:
        return f"📰 link card for {host} (title and description from the page)"
    text = " — ".join(x for x in (f"“{title}”" if title else None, description) if x)
    return f"📰 {_clip(text)} · {host}"


def platform_text(c: CardContent, part: PlatformPart, when: str) -> str:
    """One platform's preview: its own caption where it differs, the length in its own terms
    against its limit, the article card, its time."""
    lines: list[str] = []
    own = part.own_caption
    if own is not None and own != c.caption:
        lines.append("✏️ " + (_clip(own) or "(no caption)"))
    texts = list(c.thread) if c.thread and own is None else [own if own is not None else c.caption]
    lines.append(_count_line(part.platform, texts, part.limit))
    if c.article is not None:
        lines.append(_article_line(c.article))
    lines.append("🕒 " + (part.when or when))
    return "\n".join(lines)


def _content(request: PostRequest) -> CardContent:
    post = request.post
    by_platform: dict[str, list[Account]] = {}
    for acc in request.targets:
        by_platform.setdefault(str(acc.platform), []).append(acc)
    parts: list[PlatformPart] = []
    for key, accounts in by_platform.items():
        platform = accounts[0].platform
        own = post.platform_content.get(platform) if isinstance(platform, Platform) else None
        when = None
        if isinstance(platform, Platform) and platform in post.platform_schedules:
            when = utc_text(post.platform_schedules[platform])
        limit = (
            min(max_text(platform, a.premium) for a in accounts)
            if isinstance(platform, Platform)
            else None
        )
        handles = ", ".join(a.handle or a.display_name or a.account_id for a in accounts)
        parts.append(PlatformPart(key, f"{_label(platform)} ({handles})", own, when, limit))
    art = post.article
    return CardContent(
        caption=post.content or "",
        parts=tuple(parts),
        thread=tuple(s.text for s in post.thread),
        media=request.previews,
        article=(art.url, art.title, art.description) if art is not None else None,
    )


def _previews(c: CardContent, when: str) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, platform_text(c, p, when)) for p in c.parts)


def build_preview(request: PostRequest) -> store.Preview:
    """The card's text: the caption once, then one line per platform, the media."""
    content = _content(request)
    who = request.requester.name or request.requester.id
    return store.Preview(
        title=f"{who} asks to publish: {_clip(request.summary)[:80]}",
        previews=_previews(content, request.when),
        targets=tuple(
            f"{_label(a.platform)} {a.handle or a.display_name or a.account_id}"
            for a in request.targets
        ),
        when=request.when,
        summary=request.summary,
        content=content.to_dict(),
    )


def _changed(c: CardContent, change: PreviewChange | None) -> CardContent:
    if change is None:
        return c
    caption = change.caption if change.caption is not None else c.caption
    parts = c.parts
    if change.captions is not None:
        parts = tuple(
            replace(p, own_caption=change.captions[p.platform])
            if p.platform in change.captions
            else p
            for p in parts
        )
    media = change.media if change.media is not None else c.media
    thread = () if change.caption is not None else c.thread
    return replace(c, caption=caption, parts=parts, media=media, thread=thread)


def edited_preview(
    p: store.Preview,
    who: str,
    *,
    when: str | None,
    summary: str | None,
    own_times: Mapping[str, datetime] | None = None,
    change: PreviewChange | None = None,
) -> store.Preview:
    """The card after an edit: the new caption, captions, media and/or time, shown as before;
    a platform with its own time (``own_times``, by platform value) shows that one."""
    new_when = when if when is not None else p.when
    if change is None and summary is not None:
        change = PreviewChange(caption=summary)
    own = {k: utc_text(t) for k, t in (own_times or {}).items()}
    content = p.content
    if content is not None:
        c = _changed(CardContent.from_dict(content), change)
        if when is not None or own:
            keep = when is None  # no new common time: a line keeps its own
            c = replace(
                c,
                parts=tuple(
                    replace(x, when=own.get(x.platform, x.when if keep else None)) for x in c.parts
                ),
            )
        previews = _previews(c, new_when)
        content = c.to_dict()
    else:  # a card written before cards kept their content: edit its text
        by_label = {_label(_platform(k)): t for k, t in own.items()}
        previews_list = []
        for name, value in p.previews:
            lines = value.split("\n")
            if summary is not None and lines:
                lines[0] = _clip(summary) or "(no caption)"
            at = by_label.get(name.split(" (", 1)[0], when)
            if at is not None:
                lines = [f"🕒 {at}" if line.startswith("🕒 ") else line for line in lines]
            previews_list.append((name, "\n".join(lines)))
        previews = tuple(previews_list)
    return store.Preview(
        title=f"{who} asks to publish: {_clip(summary)[:80]}" if summary is not None else p.title,
        previews=previews,
        targets=p.targets,
        when=new_when,
        summary=summary if summary is not None else p.summary,
        content=content,
    )


def card_reply(card: store.CardRow, approvals: list[store.Vote]) -> ApprovalCard:
    state = _CARD_STATE.get(card.state, card.state)
    return ApprovalCard(
        card_id=card.post_id,
        state=state,
        requester=User(card.requester_id, card.requester_name),
        title=card.preview.title,
        previews=tuple(Field(name, value) for name, value in card.preview.previews),
        targets=card.preview.targets,
        when=card.preview.when,
        needed=card.quorum,
        approvals=tuple(v.user_id for v in approvals),
        decided_by=card.decided_by,
        note=card.note,
        buttons=card.state == store.PENDING,
        **_shown(card.preview),
    )


def _shown(p: store.Preview) -> dict[str, Any]:
    """The card's caption, media and platform names (cards from before: none)."""
    if p.content is None:
        return {}
    c = CardContent.from_dict(p.content)
    caption = c.caption or ("\n— ".join(c.thread) if c.thread else None)
    labels = dict.fromkeys(_label(_platform(x.platform)) for x in c.parts)
    return {
        "caption": _clip(caption, CAPTION_CHARS) if caption else None,
        "media": c.media,
        "platforms": tuple(labels),
    }
