"""Typed values of the Social API (see ../shared/reference/social-api.md).

Raw JSON never travels past the client's edge: every response is parsed into these frozen
dataclasses with ``from_json`` constructors that tolerate unknown extra fields and missing
optional ones. Times are timezone-aware ``datetime`` values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Json = dict[str, Any]


class Platform(enum.StrEnum):
    X = "twitter"
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    LINKEDIN = "linkedin"
    TIKTOK = "tiktok"
    THREADS = "threads"
    PINTEREST = "pinterest"
    YOUTUBE = "youtube"

    @classmethod
    def parse(cls, value: str) -> Platform:
        """The API's platform string; ``x`` is accepted as an alias of ``twitter``."""
        v = value.strip().lower()
        if v == "x":
            return cls.X
        return cls(v)


class PostType(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    CAROUSEL = "carousel"
    VIDEO = "video"
    REEL = "reel"
    STORY = "story"
    THREAD = "thread"
    ARTICLE = "article"
    DOCUMENT = "document"


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {PostStatus.PUBLISHED, PostStatus.PARTIAL, PostStatus.FAILED, PostStatus.CANCELED}
)


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    DOCUMENT = "document"
    OTHER = "other"

    @classmethod
    def from_content_type(cls, content_type: str) -> MediaKind:
        ct = content_type.split(";")[0].strip().lower()
        if ct.startswith("image/"):
            return cls.IMAGE
        if ct.startswith("video/"):
            return cls.VIDEO
        if ct == "application/pdf":
            return cls.DOCUMENT
        return cls.OTHER


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from the API (``Z``, ``+00:00`` or ``+0000`` offsets)."""
    if not value or not isinstance(value, str):
        return None
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    elif len(v) > 5 and v[-5] in "+-" and v[-4:].isdigit() and v[-3] != ":":
        v = v[:-2] + ":" + v[-2:]
    try:
        return datetime.fromisoformat(v)
    except ValueError:
        return None


def format_time(value: datetime) -> str:
    """Times sent to the API always carry an explicit offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: times sent to the Social API must carry an offset")
    return value.isoformat()


def _str(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return v if isinstance(v, str) else None


def _strs(d: Mapping[str, Any], key: str) -> tuple[str, ...]:
    v = d.get(key)
    if not isinstance(v, list):
        return ()
    return tuple(x for x in v if isinstance(x, str))


def _platform(value: Any) -> Platform | str:
    """A known platform as the enum; an unknown one kept as its string (tolerated)."""
    if isinstance(value, str):
        try:
            return Platform.parse(value)
        except ValueError:
            return value
    return ""


def _status(value: Any) -> PostStatus | str:
    if isinstance(value, str):
        try:
            return PostStatus(value)
        except ValueError:
            return value
    return ""


@dataclass(frozen=True)
class Account:
    account_id: str
    platform: Platform | str
    handle: str
    display_name: str
    premium: bool = False
    kind: str | None = None  # e.g. "personal" / "company" (LinkedIn), when the API says

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Account:
        return cls(
            account_id=str(d.get("accountId", "")),
            platform=_platform(d.get("platform")),
            handle=_str(d, "handle") or "",
            display_name=_str(d, "displayName") or "",
            premium=bool(d.get("premium", False)),
            kind=_str(d, "accountType") or _str(d, "kind"),
        )


@dataclass(frozen=True)
class Target:
    account_id: str
    platform: Platform | str
    status: PostStatus | str
    platform_post_id: str | None = None
    permalink: str | None = None
    error: str | None = None
    ready: bool | None = None
    scheduled_at: datetime | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Target:
        err = d.get("error")
        if isinstance(err, Mapping):
            err = err.get("message") or err.get("code")
        return cls(
            account_id=str(d.get("accountId", "")),
            platform=_platform(d.get("platform")),
            status=_status(d.get("status")),
            platform_post_id=_str(d, "platformPostId"),
            permalink=_str(d, "permalink"),
            error=str(err) if err else None,
            ready=d.get("ready") if isinstance(d.get("ready"), bool) else None,
            scheduled_at=parse_time(d.get("scheduledAt")),
        )


@dataclass(frozen=True)
class Post:
    post_id: str
    status: PostStatus | str
    content: str | None = None
    post_type: PostType | str | None = None
    scheduled_at: datetime | None = None
    platforms: tuple[Platform | str, ...] = ()
    account_ids: tuple[str, ...] = ()
    media_ids: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    extra: Json = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, d: Mapping[str, Any], targets: Any = None) -> Post:
        pt = d.get("postType")
        post_type: PostType | str | None
        try:
            post_type = PostType(pt) if isinstance(pt, str) else None
        except ValueError:
            post_type = pt
        raw_targets = targets if isinstance(targets, list) else d.get("targets")
        return cls(
            post_id=str(d.get("postId", "")),
            status=_status(d.get("status")),
            content=_str(d, "content"),
            post_type=post_type,
            scheduled_at=parse_time(d.get("scheduledAt")),
            platforms=tuple(_platform(p) for p in d.get("platforms") or [] if isinstance(p, str)),
            account_ids=_strs(d, "accountIds"),
            media_ids=_strs(d, "mediaIds"),
            targets=tuple(Target.from_json(t) for t in raw_targets or [] if isinstance(t, Mapping)),
            extra=dict(d),
        )

    @property
    def platform_content(self) -> dict[Platform | str, str]:
        """Per-platform captions (``platformContent``), where the API returns them."""
        raw = self.extra.get("platformContent")
        if not isinstance(raw, Mapping):
            return {}
        return {_platform(k): v for k, v in raw.items() if isinstance(v, str)}


@dataclass(frozen=True)
class CreatedPost:
    """``POST /v1/posts`` → 201."""

    post: Post
    immediate: bool
    reconciled: bool = False  # True when found by reconciliation after an ambiguous failure


@dataclass(frozen=True)
class UpdatedPost:
    """``PUT /v1/posts/{id}`` → 200."""

    post: Post
    updated: bool
    rescheduled: bool = False
    activated: bool = False
    unsupported: tuple[str, ...] = ()  # platforms that could not apply an edit of a live post


@dataclass(frozen=True)
class StatusInfo:
    """``GET /v1/posts/{id}/status`` → 200."""

    post_id: str
    status: PostStatus | str
    ready: bool
    scheduled_at: datetime | None
    targets: tuple[Target, ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StatusInfo:
        return cls(
            post_id=str(d.get("postId", "")),
            status=_status(d.get("status")),
            ready=bool(d.get("ready", False)),
            scheduled_at=parse_time(d.get("scheduledAt")),
            targets=tuple(
                Target.from_json(t) for t in d.get("targets") or [] if isinstance(t, Mapping)
            ),
        )


@dataclass(frozen=True)
class ManualRemoval:
    platform: Platform | str
    reason: str


@dataclass(frozen=True)
class DeletedPost:
    """``DELETE /v1/posts/{id}`` → 200."""

    post_id: str
    status: PostStatus | str
    removed_from: tuple[Platform | str, ...]
    manual: tuple[ManualRemoval, ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DeletedPost:
        return cls(
            post_id=str(d.get("postId", "")),
            status=_status(d.get("status")),
            removed_from=tuple(
                _platform(p) for p in d.get("removedFrom") or [] if isinstance(p, str)
            ),
            manual=tuple(
                ManualRemoval(_platform(m.get("platform")), str(m.get("reason", "")))
                for m in d.get("manual") or []
                if isinstance(m, Mapping)
            ),
        )


@dataclass(frozen=True)
class UploadTicket:
    """``POST /v1/media/upload-url`` → 201."""

    media_id: str
    upload_url: str = field(repr=False)  # presigned: a credential, never logged
    key: str | None = None


@dataclass(frozen=True)
class Media:
    media_id: str
    filename: str
    kind: MediaKind | str
    status: str
    preview_url: str | None = None
    content_type: str | None = None
    size: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Media:
        kind_raw = d.get("kind")
        kind: MediaKind | str
        try:
            kind = MediaKind(kind_raw) if isinstance(kind_raw, str) else MediaKind.OTHER
        except ValueError:
            kind = str(kind_raw)
        size = d.get("size")
        return cls(
            media_id=str(d.get("mediaId", "")),
            filename=_str(d, "filename") or "",
            kind=kind,
            status=_str(d, "status") or "",
            preview_url=_str(d, "previewUrl"),
            content_type=_str(d, "contentType"),
            size=size if isinstance(size, int) else None,
        )


@dataclass(frozen=True)
class NativePost:
    platform_post_id: str
    caption: str | None
    media_type: str | None
    permalink: str | None
    timestamp: datetime | None
    in_db: bool
    db_post_id: str | None
    metrics: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> NativePost:
        metrics = d.get("metrics")
        return cls(
            platform_post_id=str(d.get("platformPostId", "")),
            caption=_str(d, "caption"),
            media_type=_str(d, "mediaType"),
            permalink=_str(d, "permalink"),
            timestamp=parse_time(d.get("timestamp")),
            in_db=bool(d.get("inDb", False)),
            db_post_id=_str(d, "dbPostId"),
            metrics={k: v for k, v in metrics.items() if isinstance(v, int)}
            if isinstance(metrics, Mapping)
            else {},
        )


@dataclass(frozen=True)
class NativePostPage:
    account_id: str
    platform: Platform | str
    posts: tuple[NativePost, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class NativeDeleteResult:
    account_id: str
    platform: Platform | str
    platform_post_id: str
    deleted: bool
    db_post_id: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Analytics:
    total_posts: int
    by_status: Mapping[str, int]
    engagement: Mapping[str, int]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Analytics:
        by_status = d.get("byStatus")
        engagement = d.get("engagement")
        return cls(
            total_posts=int(d.get("totalPosts", 0) or 0),
            by_status={k: int(v) for k, v in by_status.items() if isinstance(v, int)}
            if isinstance(by_status, Mapping)
            else {},
            engagement={k: int(v) for k, v in engagement.items() if isinstance(v, int)}
            if isinstance(engagement, Mapping)
            else {},
        )


@dataclass(frozen=True)
class ThreadSegment:
    text: str
    media_ids: tuple[str, ...] = ()

    def to_json(self) -> Json:
        out: Json = {"text": self.text}
        if self.media_ids:
            out["mediaIds"] = list(self.media_ids)
        return out


@dataclass(frozen=True)
class Article:
    url: str
    title: str | None = None
    description: str | None = None

    def to_json(self) -> Json:
        out: Json = {"url": self.url}
        if self.title:
            out["title"] = self.title
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class NewPost:
    """The body of ``POST /v1/posts`` (and, with ``to_json(partial=True)``, of a PUT).

    Exactly one of ``publish_now``, ``scheduled_at`` or ``draft`` says when it goes out.
    """

    account_ids: tuple[str, ...]
    content: str | None = None
    media_ids: tuple[str, ...] = ()
    post_type: PostType | None = None
    scheduled_at: datetime | None = None
    publish_now: bool = False
    draft: bool = False
    platform_content: Mapping[Platform, str] = field(default_factory=dict)
    platform_schedules: Mapping[Platform, datetime] = field(default_factory=dict)
    thread: tuple[ThreadSegment, ...] = ()
    article: Article | None = None
    link: str | None = None
    cover_media_id: str | None = None
    cover_offset_ms: int | None = None
    document_title: str | None = None
    yt_privacy: str | None = None  # public / unlisted / private (YouTube)

    def to_json(self) -> Json:
        out: Json = {"accountIds": list(self.account_ids)}
        if self.content is not None:
            out["content"] = self.content
        if self.media_ids:
            out["mediaIds"] = list(self.media_ids)
        if self.post_type is not None:
            out["postType"] = self.post_type.value
        if self.scheduled_at is not None:
            out["scheduledAt"] = format_time(self.scheduled_at)
        if self.publish_now:
            out["publishNow"] = True
        if self.draft:
            out["draft"] = True
        if self.platform_content:
            out["platformContent"] = {p.value: c for p, c in self.platform_content.items()}
        if self.platform_schedules:
            out["platformSchedules"] = {
                p.value: format_time(t) for p, t in self.platform_schedules.items()
            }
        if self.thread:
            out["thread"] = [s.to_json() for s in self.thread]
        if self.article is not None:
            out["article"] = self.article.to_json()
        if self.link:
            out["link"] = self.link
        if self.cover_media_id:
            out["coverMediaId"] = self.cover_media_id
        if self.cover_offset_ms is not None:
            out["coverOffsetMs"] = self.cover_offset_ms
        if self.document_title:
            out["documentTitle"] = self.document_title
        if self.yt_privacy:
            out["ytPrivacy"] = self.yt_privacy
        return out


@dataclass(frozen=True)
class PostUpdate:
    """The body of ``PUT /v1/posts/{id}``: only the fields given are sent.

    For ``platform_content`` / ``thread`` / ``article`` / ``link`` / ``cover_media_id`` /
    ``document_title``, an empty value ("" / () / {}) clears the field, as the API documents.
    """

    content: str | None = None
    post_type: PostType | None = None
    media_ids: tuple[str, ...] | None = None
    account_ids: tuple[str, ...] | None = None
    scheduled_at: datetime | None = None
    publish_now: bool = False
    platform_content: Mapping[Platform, str] | None = None
    platform_schedules: Mapping[Platform, datetime] | None = None
    draft: bool = False  # back to a draft: unscheduled, kept (the sandbox takes it on PUT)
    thread: tuple[ThreadSegment, ...] | None = None
    article: Article | None = None
    link: str | None = None
    cover_media_id: str | None = None
    document_title: str | None = None

    def to_json(self) -> Json:
        out: Json = {}
        if self.content is not None:
            out["content"] = self.content
        if self.post_type is not None:
            out["postType"] = self.post_type.value
        if self.media_ids is not None:
            out["mediaIds"] = list(self.media_ids)
        if self.account_ids is not None:
            out["accountIds"] = list(self.account_ids)
        if self.scheduled_at is not None:
            out["scheduledAt"] = format_time(self.scheduled_at)
        if self.publish_now:
            out["publishNow"] = True
        if self.draft:
            out["draft"] = True
        if self.platform_content is not None:
            out["platformContent"] = {p.value: c for p, c in self.platform_content.items()}
        if self.platform_schedules is not None:
            out["platformSchedules"] = {
                p.value: format_time(t) for p, t in self.platform_schedules.items()
            }
        if self.thread is not None:
            out["thread"] = [s.to_json() for s in self.thread]
        if self.article is not None:
            out["article"] = self.article.to_json()
        if self.link is not None:
            out["link"] = self.link
        if self.cover_media_id is not None:
            out["coverMediaId"] = self.cover_media_id
        if self.document_title is not None:
            out["documentTitle"] = self.document_title
        return out
