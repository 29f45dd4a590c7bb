"""The sandbox's stored records (posts, targets, media) and their JSON blob form.

Times are aware UTC datetimes. ``to_blob``/``from_blob`` are the persistence format, not the API
shape (the API shapes live in ``views.py``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.api.models import MediaKind, Platform, PostType

Json = dict[str, Any]

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_id(prefix: str, length: int = 8) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    v = value.astimezone(UTC)
    return v.isoformat(timespec="seconds" if v.microsecond == 0 else "milliseconds")


def from_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value)


def _req_time(value: Any) -> datetime:
    t = from_iso(value)
    if t is None:
        raise ValueError("missing time")
    return t


@dataclass
class MediaRecord:
    media_id: str
    filename: str
    content_type: str
    kind: MediaKind
    created_at: datetime
    expires_at: datetime  # end of the presigned URL's validity
    status: str = "pending"  # pending → uploaded (after complete)
    received: bool = False  # bytes were PUT
    size: int | None = None
    sha256: str | None = None

    def to_blob(self) -> Json:
        return {
            "mediaId": self.media_id,
            "filename": self.filename,
            "contentType": self.content_type,
            "kind": self.kind.value,
            "createdAt": iso(self.created_at),
            "expiresAt": iso(self.expires_at),
            "status": self.status,
            "received": self.received,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_blob(cls, d: Json) -> MediaRecord:
        return cls(
            media_id=d["mediaId"],
            filename=d["filename"],
            content_type=d["contentType"],
            kind=MediaKind(d["kind"]),
            created_at=_req_time(d["createdAt"]),
            expires_at=_req_time(d["expiresAt"]),
            status=d["status"],
            received=bool(d["received"]),
            size=d.get("size"),
            sha256=d.get("sha256"),
        )


@dataclass
class Segment:
    text: str
    media_ids: list[str] = field(default_factory=list)

    def to_json(self) -> Json:
        out: Json = {"text": self.text}
        if self.media_ids:
            out["mediaIds"] = list(self.media_ids)
        return out


@dataclass
class PostSpec:
    """What a post says: every body field except targeting and timing."""

    content: str | None = None
    post_type: PostType = PostType.TEXT
    media_ids: list[str] = field(default_factory=list)
    platform_content: dict[Platform, str] = field(default_factory=dict)
    thread: list[Segment] = field(default_factory=list)
    article: Json | None = None
    link: str | None = None
    cover_media_id: str | None = None
    cover_offset_ms: int | None = None
    document_title: str | None = None
    yt_privacy: str | None = None

    def caption_for(self, platform: Platform) -> str:
        return self.platform_content.get(platform, self.content or "")

    def all_media_ids(self) -> list[str]:
        ids = list(self.media_ids)
        for seg in self.thread:
            ids.extend(seg.media_ids)
        if self.cover_media_id:
            ids.append(self.cover_media_id)
        return ids

    def to_blob(self) -> Json:
        return {
            "content": self.content,
            "postType": self.post_type.value,
            "mediaIds": list(self.media_ids),
            "platformContent": {p.value: c for p, c in self.platform_content.items()},
            "thread": [s.to_json() for s in self.thread],
            "article": self.article,
            "link": self.link,
            "coverMediaId": self.cover_media_id,
            "coverOffsetMs": self.cover_offset_ms,
            "documentTitle": self.document_title,
            "ytPrivacy": self.yt_privacy,
        }

    @classmethod
    def from_blob(cls, d: Json) -> PostSpec:
        return cls(
            content=d.get("content"),
            post_type=PostType(d["postType"]),
            media_ids=list(d.get("mediaIds") or []),
            platform_content={Platform(k): v for k, v in (d.get("platformContent") or {}).items()},
            thread=[
                Segment(s["text"], list(s.get("mediaIds") or [])) for s in d.get("thread") or []
            ],
            article=d.get("article"),
            link=d.get("link"),
            cover_media_id=d.get("coverMediaId"),
            cover_offset_ms=d.get("coverOffsetMs"),
            document_title=d.get("documentTitle"),
            yt_privacy=d.get("ytPrivacy"),
        )


@dataclass
class TargetRecord:
    account_id: str
    platform: Platform
    due_at: datetime | None  # None while the post is a draft
    outcome: str | None = None  # "published" / "failed" once settled
    platform_post_id: str | None = None
    permalink: str | None = None
    error: str | None = None
    settled_at: datetime | None = None
    canceled: bool = False  # canceled before it went out
    removed: bool = False  # deleted from the platform after it went out
    caption: str | None = None  # caption edited after it went live (Facebook, LinkedIn)

    def to_blob(self) -> Json:
        return {
            "accountId": self.account_id,
            "platform": self.platform.value,
            "dueAt": iso(self.due_at),
            "outcome": self.outcome,
            "platformPostId": self.platform_post_id,
            "permalink": self.permalink,
            "error": self.error,
            "settledAt": iso(self.settled_at),
            "canceled": self.canceled,
            "removed": self.removed,
            "caption": self.caption,
        }

    @classmethod
    def from_blob(cls, d: Json) -> TargetRecord:
        return cls(
            account_id=d["accountId"],
            platform=Platform(d["platform"]),
            due_at=from_iso(d.get("dueAt")),
            outcome=d.get("outcome"),
            platform_post_id=d.get("platformPostId"),
            permalink=d.get("permalink"),
            error=d.get("error"),
            settled_at=from_iso(d.get("settledAt")),
            canceled=bool(d.get("canceled")),
            removed=bool(d.get("removed")),
            caption=d.get("caption"),
        )


@dataclass
class PostRecord:
    post_id: str
    spec: PostSpec
    account_ids: list[str]
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None  # the post's base time (None for a draft)
    platform_schedules: dict[Platform, datetime] = field(default_factory=dict)
    immediate: bool = False
    targets: list[TargetRecord] = field(default_factory=list)
    canceled_at: datetime | None = None

    @property
    def is_draft(self) -> bool:
        return self.scheduled_at is None and self.canceled_at is None

    def to_blob(self) -> Json:
        return {
            "postId": self.post_id,
            "spec": self.spec.to_blob(),
            "accountIds": list(self.account_ids),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "scheduledAt": iso(self.scheduled_at),
            "platformSchedules": {p.value: iso(t) for p, t in self.platform_schedules.items()},
            "immediate": self.immediate,
            "targets": [t.to_blob() for t in self.targets],
            "canceledAt": iso(self.canceled_at),
        }

    @classmethod
    def from_blob(cls, d: Json) -> PostRecord:
        return cls(
            post_id=d["postId"],
            spec=PostSpec.from_blob(d["spec"]),
            account_ids=list(d["accountIds"]),
            created_at=_req_time(d["createdAt"]),
            updated_at=_req_time(d["updatedAt"]),
            scheduled_at=from_iso(d.get("scheduledAt")),
            platform_schedules={
                Platform(k): _req_time(v) for k, v in (d.get("platformSchedules") or {}).items()
            },
            immediate=bool(d.get("immediate")),
            targets=[TargetRecord.from_blob(t) for t in d.get("targets") or []],
            canceled_at=from_iso(d.get("canceledAt")),
        )
