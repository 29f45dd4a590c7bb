"""Small helpers that turn values into the text of neutral replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from bot.api.models import Account, Platform, PostStatus, Target
from bot.chat import Field, TargetLine
from commands.targets import account_label, platform_label
from commands.times import format_when

STATUS_WORDS: dict[str, str] = {
    PostStatus.DRAFT: "draft",
    PostStatus.SCHEDULED: "scheduled",
    PostStatus.PUBLISHING: "publishing",
    PostStatus.PUBLISHED: "published",
    PostStatus.PARTIAL: "partly published",
    PostStatus.FAILED: "failed",
    PostStatus.CANCELED: "canceled",
}


def preview(text: str | None, limit: int = 80) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


def targets_text(targets: Sequence[Account]) -> str:
    return ", ".join(account_label(a) for a in targets)


def when_text(t: datetime | None, tz: tzinfo) -> str:
    return "now" if t is None else format_when(t, tz)


def status_word(status: object) -> str:
    return STATUS_WORDS.get(str(status), str(status) or "unknown")


def target_line(t: Target, accounts: Mapping[str, Account]) -> TargetLine:
    acc = accounts.get(t.account_id)
    return TargetLine(
        platform=platform_label(t.platform) if t.platform else "?",
        account=(acc.handle or acc.display_name) if acc else t.account_id,
        status=status_word(t.status),
        permalink=t.permalink,
        error=t.error,
        scheduled_at=t.scheduled_at,
    )


def schedules_text(schedules: Mapping[Platform, datetime], tz: tzinfo) -> str:
    return "; ".join(f"{platform_label(p)}: {format_when(t, tz)}" for p, t in schedules.items())


def caption_fields(
    default: str | None, captions: Mapping[Platform, str] | Mapping[Platform | str, str]
) -> list[Field]:
    """One field per platform whose caption differs from the default ("Instagram caption")."""
    return [
        Field(f"{platform_label(p)} caption", preview(text, 300))
        for p, text in captions.items()
        if text.strip() and text.strip() != (default or "").strip()
    ]
