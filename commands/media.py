"""Media for a post: chat attachments and URLs, checked, then streamed into the Social API.

``open_media`` resolves each reference (a URL, an attachment name, or an existing ``md_…``
media id), opens URL downloads with httpx *streaming* (headers only: nothing is buffered), and
checks the content type and the declared size. The post is validated with what that learned;
only then ``upload`` pipes each stream into ``client.upload`` — bytes are counted on the way and a
stream larger than its bound is cut off. Nothing is held whole in memory.

Links go through ``Fetcher``: http(s) only, ports 80/443 unless configured, every name resolved
and every address checked to be public (``bot/netguard.py``), the connection made to the checked
address, each redirect hop (at most 5) checked again — all before any byte is asked for, and a
refused link is refused before the API hears anything. ``[media] allow_private`` /
``SOCIALBOT_ALLOW_PRIVATE_MEDIA=1`` (a local sandbox, the demo) lets loopback/private hosts through.
Presigned / private URLs are never echoed back in full.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bot.api.client import SocialClient
from bot.api.models import MediaKind
from bot.chat import Attachment, MediaPreview
from bot.config import MediaRules
from bot.netguard import (
    Guard,
    GuardedTransport,
    Network,
    Reason,
    Refused,
    is_public,
    names_inside,
)
from commands.errors import MediaError, UsageError
from commands.validate import MediaInfo

MB = 1024 * 1024
MAX_BYTES: dict[MediaKind, int] = {
    MediaKind.IMAGE: 20 * MB,
    MediaKind.VIDEO: 1024 * MB,
    MediaKind.DOCUMENT: 100 * MB,
}
MAX_ITEMS = 35  # the largest carousel (TikTok photos)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_REDIRECTS = 5
HINT = "media:https://example.com/photo.jpg (a public link to an image, video or PDF), or attach the file."

log = logging.getLogger(__name__)


@dataclass
class Source:
    """One media item ready to upload (or already uploaded: ``media_id``)."""

    info: MediaInfo
    open: Callable[[], AsyncIterator[bytes]] | None = field(default=None, repr=False)
    media_id: str | None = None
    shown_url: str | None = field(default=None, repr=False)  # a public link a card may show
    slack_file: str | None = None
    platform_url: str | None = field(default=None, repr=False)

    def preview(self, cover_for: str | None = None) -> MediaPreview:
        """How an approval card shows it."""
        i = self.info
        return MediaPreview(
            name=i.name,
            kind=str(i.kind),
            size=i.size,
            content_type=i.content_type,
            url=self.shown_url,
            slack_file=self.slack_file,
            platform_url=self.platform_url,
            cover_for=cover_for,
        )


_SECRET_PARAM = re.compile(
    r"sig|signature|token|key|auth|credential|secret|pass|expires|policy|x-amz-|x-goog-", re.I
)


def shareable(url: str) -> bool:
    """A link that may be shown to others: no credentials, nothing that looks like a signature
    (a presigned URL is never echoed), short enough for an image block."""
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    if u.userinfo or len(url) > 2000:
        return False
    return not any(_SECRET_PARAM.search(k) for k, _ in u.params.multi_items())


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


def _label(option: str, url: str) -> str:
    return f"{option}:{_short(url)}"


def refusal(url: str, r: Refused, option: str = "media") -> MediaError:
    """The reply for a link the fetch rules refuse (``url``: as the user gave it)."""
    label = _label(option, url)
    try:
        redirected = str(httpx.URL(url)) != r.url  # compared as httpx normalises them
    except httpx.InvalidURL:
        redirected = True
    via = f"it redirects to {_short(r.url)}, and " if redirected else ""
    if r.reason is Reason.PRIVATE:
        text = (
            f"{label}: {via}that address is inside a private network; "
            "I only fetch public http(s) URLs."
        )
    elif r.reason is Reason.SCHEME and not via:
        text = f"“{_short(url)}” is not a web address (http:// or https://)."
    elif r.reason is Reason.SCHEME:
        text = f"{label}: it redirects to a {r.detail}: address; I only fetch public http(s) URLs."
    elif r.reason is Reason.PORT:
        text = (
            f"{label}: {via}port {r.detail} is not allowed; I only fetch from ports 80 and 443 "
            "(an admin can allow others with [media] ports)."
        )
    elif r.reason is Reason.BAD_HOST:
        text = f"{label}: “{r.detail}” is not a valid address."
    else:
        text = f"{label}: {via}I couldn't find the host “{r.detail}”."
    return MediaError(problems=[text], hint=HINT, field=option)


def is_url(ref: str) -> bool:
    return re.match(r"[a-z][a-z0-9+.-]*://", ref.strip(), re.IGNORECASE) is not None


class Fetcher:
    """The links of one command: checked first (every name resolved, see bot/netguard.py), then
    downloaded through a ``GuardedTransport`` that connects only to the checked addresses."""

    def __init__(self, rules: MediaRules, network: Network | None = None) -> None:
        network = network or Network()
        self.guard = Guard(rules, network.resolve)
        self.dial = network.dial

    async def check(self, url: str, option: str = "media") -> httpx.URL:
        try:
            parsed = httpx.URL(url.strip())
        except httpx.InvalidURL:
            raise MediaError(
                problems=[f"“{_short(url)}” is not a web address (http:// or https://)."],
                hint=HINT,
                field=option,
            ) from None
        try:
            await self.guard.check(parsed)
        except Refused as r:
            raise refusal(url.strip(), r, option) from None
        return parsed

    def check_link(self, url: str | None, option: str) -> None:
        """A link handed on to the Social API, never fetched by the bot (``article:``,
        ``link:``): it must not name an address inside a private network either."""
        if url is None or self.guard.rules.allow_private:
            return
        try:
            host = httpx.URL(url.strip()).host
        except httpx.InvalidURL:
            return  # validation says what is wrong with its form
        if host and names_inside(host):
            raise UsageError(
                "I won't pass that link on",
                problems=[
                    f"{option}:{_short(url)}: that address is inside a private network; "
                    "I only pass on public http(s) links."
                ],
                hint="Give the public address of the page, e.g. link:https://example.com/recipe",
                field=option,
            )

    def public(self, url: str) -> bool:
        """Whether ``url`` was checked and its address is public (whatever ``allow_private``
        says): only such a link is ever put in an approval card."""
        try:
            u = httpx.URL(url.strip())
        except httpx.InvalidURL:
            return False
        address = self.guard.answer(u)
        return address is not None and is_public(address)

    async def precheck(self, refs: Sequence[str], cover: str | None) -> None:
        """Refuse a bad link before anything else happens (no API call, no connection)."""
        if cover and is_url(cover):
            await self.check(cover, "cover")
        for ref in refs:
            if is_url(ref):
                await self.check(ref)


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


class MediaSet:
    """The references of one post, opened inside an ``AsyncExitStack`` the caller closes."""

    def __init__(self, stack: AsyncExitStack, fetcher: Fetcher) -> None:
        self._stack = stack
        self._fetcher = fetcher
        self._http: httpx.AsyncClient | None = None

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            transport = GuardedTransport(self._fetcher.guard, self._fetcher.dial)
            self._http = await self._stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport,
                    timeout=TIMEOUT,
                    follow_redirects=True,
                    max_redirects=MAX_REDIRECTS,
                    trust_env=False,
                )
            )
        return self._http

    async def open_url(self, url: str, index: int, option: str = "media") -> Source:
        await self._fetcher.check(url, option)
        http = await self._client()
        name = _name_from_url(url, index)
        try:
            resp = await self._stack.enter_async_context(http.stream("GET", url))
        except Refused as r:  # a redirect hop
            raise refusal(url, r, option) from None
        except httpx.TooManyRedirects:
            raise MediaError(
                problems=[
                    f"{_label(option, url)}: more than {MAX_REDIRECTS} redirects; I stop there."
                ],
                hint=HINT,
                field=option,
            ) from None
        except httpx.HTTPError as e:
            raise MediaError(
                problems=[f"I couldn't download “{_short(url)}”: {type(e).__name__}."],
                hint=HINT,
                field=option,
            ) from None
        if resp.status_code != 200:
            raise MediaError(
                problems=[f"Downloading “{_short(url)}” answered HTTP {resp.status_code}."],
                hint=HINT,
                field=option,
            )
        ct = _content_type(resp.headers.get("content-type"), name)
        length = resp.headers.get("content-length")
        size = int(length) if length and length.isdigit() else None
        if "." not in name:
            ext = mimetypes.guess_extension(ct) or ""
            name += ext
        kind = check_kind(name, ct, size)
        shown = url if self._fetcher.public(url) and shareable(url) else None
        return Source(
            MediaInfo(name, kind, ct, size),
            open=lambda: _limited(resp.aiter_bytes(), name, MAX_BYTES[kind]),
            shown_url=shown,
        )

    @staticmethod
    def from_attachment(att: Attachment) -> Source:
        ct = _content_type(att.content_type, att.name)
        kind = check_kind(att.name, ct, att.size)
        return Source(
            MediaInfo(att.name, kind, ct, att.size),
            open=lambda: _limited(att.open(), att.name, MAX_BYTES[kind]),
            slack_file=att.slack_file,
            platform_url=att.platform_url,
        )


async def open_media(
    refs: Sequence[str],
    attachments: Sequence[Attachment],
    cover: str | None,
    *,
    stack: AsyncExitStack,
    fetcher: Fetcher,
    client: SocialClient,
) -> tuple[list[Source], Source | None]:
    """(post media in order: attachments then references, the cover or None).

    Every link is checked before anything is opened or asked of the API."""
    await fetcher.precheck(refs, cover)
    media_set = MediaSet(stack, fetcher)
    by_name = {a.name.lower(): a for a in attachments}
    used: set[str] = set()
    library: dict[str, MediaInfo] | None = None

    async def one(ref: str, index: int, option: str = "media") -> Source:
        nonlocal library
        r = ref.strip()
        if is_url(r):
            return await media_set.open_url(r, index, option)
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

    cover_src = await one(cover, 0, "cover") if cover else None
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
