"""Parse a ``POST /v1/posts`` / ``PUT /v1/posts/{id}`` body into typed fields (400 on bad shape).

Only the fields present in the body come back, so the same parser serves a create (defaults
filled in by the caller) and a partial edit (``None`` / ``""`` / ``[]`` / ``{}`` clears).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from bot.api.models import Platform, PostType, parse_time
from bot.platforms import YT_PRIVACY
from bot.sandbox.errors import bad_request
from bot.sandbox.records import Segment

_PLATFORMS = ", ".join(p.value for p in Platform)


@dataclass
class Fields:
    """The body's fields that were present (``present`` names them, API spelling)."""

    present: set[str] = field(default_factory=set)
    account_ids: list[str] = field(default_factory=list)
    content: str | None = None
    media_ids: list[str] = field(default_factory=list)
    post_type: PostType | None = None
    scheduled_at: datetime | None = None
    publish_now: bool = False
    draft: bool = False
    platform_content: dict[Platform, str] = field(default_factory=dict)
    platform_schedules: dict[Platform, datetime] = field(default_factory=dict)
    thread: list[Segment] = field(default_factory=list)
    article: dict[str, Any] | None = None
    link: str | None = None
    cover_media_id: str | None = None
    cover_offset_ms: int | None = None
    document_title: str | None = None
    yt_privacy: str | None = None


def parse_when(value: Any, tz: tzinfo, name: str) -> datetime:
    """ISO 8601 with an offset is exact; without one it is in the workspace time zone."""
    if not isinstance(value, str):
        raise bad_request(f"{name} must be an ISO 8601 string")
    t = parse_time(value)
    if t is None:
        raise bad_request(f"{name} is not an ISO 8601 time: {value!r}")
    if t.tzinfo is None or t.utcoffset() is None:
        t = t.replace(tzinfo=tz)
    return t.astimezone(UTC)


def _platform_key(key: Any, name: str) -> Platform:
    try:
        return Platform.parse(str(key))
    except ValueError:
        raise bad_request(
            f"{name} has an unknown platform {key!r} (use one of {_PLATFORMS})"
        ) from None


def _str_or_none(body: dict[str, Any], key: str) -> str | None:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise bad_request(f"{key} must be a string")
    return v


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        raise bad_request(f"{name} must be an array of strings")
    return list(dict.fromkeys(value))


def _bool(body: dict[str, Any], key: str) -> bool:
    v = body.get(key)
    if v is None:
        return False
    if not isinstance(v, bool):
        raise bad_request(f"{key} must be true or false")
    return v


def _thread(value: Any) -> list[Segment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("thread must be an array of {text, mediaIds?} segments")
    out: list[Segment] = []
    for i, seg in enumerate(value, 1):
        if not isinstance(seg, dict):
            raise bad_request(f"thread[{i - 1}] must be an object {{text, mediaIds?}}")
        text = seg.get("text", "")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise bad_request(f"thread[{i - 1}].text must be a string")
        media = _str_list(seg.get("mediaIds"), f"thread[{i - 1}].mediaIds")
        if not text and not media:
            raise bad_request(f"thread segment {i} has neither text nor mediaIds")
        out.append(Segment(text, media))
    return out


def _article(value: Any) -> dict[str, Any] | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise bad_request("article must be an object {url, title?, description?}")
    url = value.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request("article.url is required and must be an http(s) URL")
    out: dict[str, Any] = {"url": url}
    for k in ("title", "description"):
        v = value.get(k)
        if v is not None and not isinstance(v, str):
            raise bad_request(f"article.{k} must be a string")
        if v:
            out[k] = v
    return out


def parse_fields(body: Any, tz: tzinfo) -> Fields:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    f = Fields(
        present={k for k in body if k in _KNOWN and (body[k] is not None or k in _CLEARABLE)}
    )
    if "accountIds" in body:
        f.account_ids = _str_list(body["accountIds"], "accountIds")
    f.content = _str_or_none(body, "content")
    f.media_ids = _str_list(body.get("mediaIds"), "mediaIds")
    pt = body.get("postType")
    if pt is not None:
        try:
            f.post_type = PostType(pt) if isinstance(pt, str) else None
        except ValueError:
            f.post_type = None
        if f.post_type is None:
            raise bad_request(
                f"postType must be one of {', '.join(t.value for t in PostType)} (got {pt!r})"
            )
    if body.get("scheduledAt") is not None:
        f.scheduled_at = parse_when(body["scheduledAt"], tz, "scheduledAt")
    f.publish_now = _bool(body, "publishNow")
    f.draft = _bool(body, "draft")
    pc = body.get("platformContent")
    if pc is not None:
        if not isinstance(pc, dict):
            raise bad_request("platformContent must be an object of platform → caption")
        for k, v in pc.items():
            p = _platform_key(k, "platformContent")
            if not isinstance(v, str):
                raise bad_request(f"platformContent.{k} must be a string")
            if v:
                f.platform_content[p] = v
    ps = body.get("platformSchedules")
    if ps is not None:
        if not isinstance(ps, dict):
            raise bad_request("platformSchedules must be an object of platform → ISO 8601 time")
        for k, v in ps.items():
            p = _platform_key(k, "platformSchedules")
            f.platform_schedules[p] = parse_when(v, tz, f"platformSchedules.{k}")
    f.thread = _thread(body.get("thread"))
    f.article = _article(body.get("article"))
    f.link = _str_or_none(body, "link") or None
    f.cover_media_id = _str_or_none(body, "coverMediaId") or None
    com = body.get("coverOffsetMs")
    if com is not None:
        if isinstance(com, bool) or not isinstance(com, int) or com < 0:
            raise bad_request("coverOffsetMs must be a non-negative integer")
        f.cover_offset_ms = com
    f.document_title = _str_or_none(body, "documentTitle") or None
    yt = _str_or_none(body, "ytPrivacy")
    if yt:
        if yt not in YT_PRIVACY:
            raise bad_request(f"ytPrivacy must be one of {', '.join(YT_PRIVACY)}")
        f.yt_privacy = yt
    return f


# Fields where an explicit null means "clear it" on an edit.
_CLEARABLE = frozenset(
    {"platformContent", "thread", "article", "link", "coverMediaId", "documentTitle",
     "coverOffsetMs", "ytPrivacy", "content", "platformSchedules"}
)  # fmt: skip
_KNOWN = _CLEARABLE | {"accountIds", "mediaIds", "postType", "scheduledAt", "publishNow", "draft"}
