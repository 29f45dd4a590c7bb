"""Media for a post: chat attachments and URLs, checked, then streamed into the Social API.

``open_media`` resolves each reference (a URL, an attachment name, or an existing ``md_…``
media id), opens URL downloads with httpx *streaming* (headers only: nothing is buffered), and
checks the content type and the declared size. The post is validated with what that learned;
only then ``upload`` pipes each stream into ``client.upload`` — bytes are counted on the way and a
stream larger than its bound is cut off. Nothing is held whole in memory.

URLs must be http(s) on a public host: loopback, private and link-local addresses are refused
(the bot must not fetch from its own network) unless ``allow_private`` (the sandbox/demo, whose
API runs on loopback). Presigned / private URLs are never echoed back in full.
"""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import re
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bot.api.client import SocialClient
from bot.api.models import MediaKind
from bot.chat import Attachment
from commands.errors import MediaError
from commands.validate import MediaInfo

MB = 1024 * 1024
MAX_BYTES: dict[MediaKind, int] = {
    MediaKind.IMAGE: 20 * MB,
    MediaKind.VIDEO: 1024 * MB,
    MediaKind.DOCUMENT: 100 * MB,
}
MAX_ITEMS = 35  # the largest carousel (TikTok photos)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
HINT = "media:https://example.com/photo.jpg (a public link to an image, video or PDF), or attach the file."

log = logging.getLogger(__name__)


@dataclass
class Source:
    """One media item ready to upload (or already uploaded: ``media_id``)."""

    info: MediaInfo
    open: Callable[[], AsyncIterator[bytes]] | None = field(default=None, repr=False)
    media_id: str | None = None


def _short(url: str) -> str:
    """A URL without its query (which may carry a signature), for messages."""
    parts = urlsplit(url)
    text = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return text if len(text) <= 80 else text[:77] + "…"


def _name_from_url(url: str, index: int) -> str:
    path = urlsplit(url).path
    base = path.rsplit("/", 1)[-1]
    return base or f"media-{index}"


def _content_type(header: str | None, name: str) -> str:
    ct = (header or "").split(";")[0].strip().lower()
    if not ct or ct in ("application/octet-stream", "binary/octet-stream"):
        guessed, _ = mimetypes.guess_type(name)
        return guessed or ct or "application/octet-stream"
    return ct


def _article(kind: MediaKind) -> str:
    return {MediaKind.IMAGE: "an image", MediaKind.VIDEO: "a video"}.get(kind, "a PDF")


def check_kind(name: str, content_type: str, size: int | None) -> MediaKind:
    kind = MediaKind.from_content_type(content_type)
    if kind is MediaKind.OTHER:
        raise MediaError(
            problems=[f"“{name}” is {content_type}, not an image, a video or a PDF."],
            hint=HINT,
            field="media",
        )
    limit = MAX_BYTES[kind]
    if size is not None and size > limit:
        raise MediaError(
            problems=[
                f"“{name}” is {size / MB:.1f} MB; the limit for {_article(kind)} is {limit // MB} MB."
            ],
            hint=HINT,
            field="media",
        )
    return kind


def _private_host(host: str) -> bool:
    h = host.strip("[]").lower()
    if h in ("localhost", "localhost.localdomain") or h.endswith(
        (".localhost", ".local", ".internal")
    ):
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False
    return not ip.is_global


def check_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaError(
            problems=[f"“{_short(url)}” is not a web address (http:// or https://)."],
            hint=HINT,
            field="media",
        )
    if not allow_private and _private_host(parts.hostname):
        raise MediaError(
            problems=[
                f"“{_short(url)}” points at a private network address; I only fetch public links."
            ],
            hint=HINT,
            field="media",
        )


async def _limited(chunks: AsyncIterator[bytes], name: str, limit: int) -> AsyncIterator[bytes]:
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > limit:
                raise MediaError(
                    problems=[f"“{name}” is larger than {limit // MB} MB, the limit."],
                    hint=HINT,
                    field="media",
                )
            yield chunk
    except httpx.HTTPError as e:
        raise MediaError(
            problems=[f"Downloading “{name}” failed: {type(e).__name__}."], hint=HINT, field="media"
        ) from None


_ssl: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context for every download (building one costs ~60 ms)."""
    global _ssl
    if _ssl is None:
        _ssl = ssl.create_default_context()
    return _ssl


class MediaSet:
    """The references of one post, opened inside an ``AsyncExitStack`` the caller closes."""

    def __init__(self, stack: AsyncExitStack, allow_private: bool) -> None:
        self._stack = stack
        self._allow_private = allow_private
        self._http: httpx.AsyncClient | None = None

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:

            async def on_request(request: httpx.Request) -> None:  # redirects are checked too
                check_url(str(request.url), self._allow_private)

            self._http = await self._stack.enter_async_context(
                httpx.AsyncClient(
                    timeout=TIMEOUT,
                    verify=_ssl_context(),
                    follow_redirects=True,
                    max_redirects=5,
                    event_hooks={"request": [on_request]},
                )
            )
        return self._http

    async def open_url(self, url: str, index: int) -> Source:
        check_url(url, self._allow_private)
        http = await self._client()
        name = _name_from_url(url, index)
        try:
            resp = await self._stack.enter_async_context(http.stream("GET", url))
        except MediaError:
            raise
        except httpx.HTTPError as e:
            raise MediaError(
                problems=[f"I couldn't download “{_short(url)}”: {type(e).__name__}."],
                hint=HINT,
                field="media",
            ) from None
        if resp.status_code != 200:
            raise MediaError(
                problems=[f"Downloading “{_short(url)}” answered HTTP {resp.status_code}."],
                hint=HINT,
                field="media",
            )
        ct = _content_type(resp.headers.get("content-type"), name)
        length = resp.headers.get("content-length")
        size = int(length) if length and length.isdigit() else None
        if "." not in name:
            ext = mimetypes.guess_extension(ct) or ""
            name += ext
        kind = check_kind(name, ct, size)
        return Source(
            MediaInfo(name, kind, ct, size),
            open=lambda: _limited(resp.aiter_bytes(), name, MAX_BYTES[kind]),
        )

    @staticmethod
    def from_attachment(att: Attachment) -> Source:
        ct = _content_type(att.content_type, att.name)
        kind = check_kind(att.name, ct, att.size)
        return Source(
            MediaInfo(att.name, kind, ct, att.size),
            open=lambda: _limited(att.open(), att.name, MAX_BYTES[kind]),
        )


async def open_media(
    refs: Sequence[str],
    attachments: Sequence[Attachment],
    cover: str | None,
    *,
    stack: AsyncExitStack,
    allow_private: bool,
    client: SocialClient,
) -> tuple[list[Source], Source | None]:
    """(post media in order: attachments then references, the cover or None)."""
    media_set = MediaSet(stack, allow_private)
    by_name = {a.name.lower(): a for a in attachments}
    used: set[str] = set()
    library: dict[str, MediaInfo] | None = None

    async def one(ref: str, index: int) -> Source:
        nonlocal library
        r = ref.strip()
        if re.match(r"[a-z][a-z0-9+.-]*://", r, re.IGNORECASE):
            return await media_set.open_url(r, index)
        att = by_name.get(r.lower())
        if att is not None:
            used.add(att.name.lower())
            return MediaSet.from_attachment(att)
        if re.fullmatch(r"md_[A-Za-z0-9_-]+", r):
            if library is None:
                library = {
                    m.media_id: MediaInfo(
                        m.filename or m.media_id,
                        m.kind if isinstance(m.kind, MediaKind) else MediaKind.OTHER,
                        m.content_type or str(m.kind),
                        m.size,
                    )
                    for m in await client.list_media()
                }
            info = library.get(r)
            if info is None:
                raise MediaError(
                    problems=[f"There is no media “{r}” in this workspace."],
                    hint=HINT,
                    field="media",
                )
            return Source(info, media_id=r)
        raise MediaError(
            problems=[f"“{r}” is not a link, an attached file or a media id."],
            hint=HINT,
            field="media",
        )

    cover_src = await one(cover, 0) if cover else None
    from_refs = [await one(r, i) for i, r in enumerate(refs, 1)]
    from_chat = [MediaSet.from_attachment(a) for a in attachments if a.name.lower() not in used]
    sources = from_chat + from_refs
    if len(sources) > MAX_ITEMS:
        raise MediaError(
            problems=[f"{len(sources)} media items; the most any post takes is {MAX_ITEMS}."],
            field="media",
        )
    return sources, cover_src


async def upload(client: SocialClient, sources: Sequence[Source]) -> list[str]:
    """Upload every source not yet in the library; on failure, remove what was uploaded."""
    ids: list[str] = []
    fresh: list[str] = []
    try:
        for src in sources:
            if src.media_id is not None:
                ids.append(src.media_id)
                continue
            assert src.open is not None
            mid = await client.upload(
                src.open(),
                filename=src.info.name,
                content_type=src.info.content_type,
                size=src.info.size,
            )
            src.media_id = mid
            ids.append(mid)
            fresh.append(mid)
    except BaseException:
        await discard(client, fresh)
        raise
    return ids


async def discard(client: SocialClient, media_ids: Sequence[str]) -> None:
    """Best effort: remove media uploaded for a post that was then not created."""
    for mid in media_ids:
        try:
            await client.delete_media(mid)
        except Exception:
            log.warning("could not remove uploaded media %s after a failure", mid)
