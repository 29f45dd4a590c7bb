"""Turning card rows into neutral replies (the adapters render them natively)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from bot.api.models import Platform
from bot.approvals import store
from bot.approvals.types import PostRequest
from bot.chat import ApprovalCard, Field, User
from bot.platforms import RULES

PREVIEW_CHARS = 300

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


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _label(platform: Platform | str) -> str:
    if isinstance(platform, Platform):
        return RULES[platform].label
    return str(platform)


def build_preview(request: PostRequest) -> store.Preview:
    """One preview line per platform: caption (its own if set), media, time."""
    post = request.post
    by_platform: dict[str, list[str]] = {}
    order: list[Platform | str] = []
    for acc in request.targets:
        key = str(acc.platform)
        if key not in by_platform:
            by_platform[key] = []
            order.append(acc.platform)
        by_platform[key].append(acc.handle or acc.display_name or acc.account_id)
    previews: list[tuple[str, str]] = []
    for platform in order:
        caption: str | None = None
        if isinstance(platform, Platform):
            caption = post.platform_content.get(platform)
        if caption is None:
            caption = post.content
        if caption is None and post.thread:
            caption = " / ".join(s.text for s in post.thread)
        parts = [_clip(caption) if caption else "(no caption)"]
        if request.media:
            parts.append("📎 " + ", ".join(request.media))
        when = request.when
        if isinstance(platform, Platform) and platform in post.platform_schedules:
            when = utc_text(post.platform_schedules[platform])
        parts.append("🕒 " + when)
        name = f"{_label(platform)} ({', '.join(by_platform[str(platform)])})"
        previews.append((name, "\n".join(parts)))
    who = request.requester.name or request.requester.id
    return store.Preview(
        title=f"{who} asks to publish: {_clip(request.summary)[:80]}",
        previews=tuple(previews),
        targets=tuple(
            f"{_label(a.platform)} {a.handle or a.display_name or a.account_id}"
            for a in request.targets
        ),
        when=request.when,
        summary=request.summary,
    )


def edited_preview(
    p: store.Preview,
    who: str,
    *,
    when: str | None,
    summary: str | None,
    own_times: Mapping[str, datetime] | None = None,
) -> store.Preview:
    """The card's text after an edit: the new caption and/or time on every platform line; a
    platform with its own time (``own_times``, by platform value) shows that one."""
    own = {_label(Platform(k)): utc_text(t) for k, t in (own_times or {}).items()}
    previews = []
    for name, value in p.previews:
        lines = value.split("\n")
        if summary is not None and lines:
            lines[0] = _clip(summary) or "(no caption)"
        at = own.get(name.split(" (", 1)[0], when)
        if at is not None:
            lines = [f"🕒 {at}" if line.startswith("🕒 ") else line for line in lines]
        previews.append((name, "\n".join(lines)))
    return store.Preview(
        title=f"{who} asks to publish: {_clip(summary)[:80]}" if summary is not None else p.title,
        previews=tuple(previews),
        targets=p.targets,
        when=when if when is not None else p.when,
        summary=summary if summary is not None else p.summary,
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
    )
