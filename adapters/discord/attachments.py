"""Attachment options → ``bot.chat.Attachment``: checked, then streamed on demand.

Allowed: image/*, video/*, application/pdf, up to ``max_bytes``. The bytes are never held whole:
``open()`` is an async iterator over an aiohttp streaming GET of the attachment URL.

A Discord CDN URL is signed (``?ex=<hex unix time>&is=…&hm=<signature>``): anyone holding it can
fetch the file until ``ex``. It is a capability, so it is kept like the interaction token: sealed
under the bot token (``bot.secret.seal``) from the moment it leaves discord.py. The neutral
``Attachment.platform_url`` / ``MediaPreview.platform_url`` carry the *sealed* text — opaque to the
core, which stores it with the approval card and in the journal — and only this adapter opens it:
``Files.restore`` (a command replayed after a restart) and ``opened(reply)`` (an approval card's
embed images, just before rendering). It is never logged nor put in a reply.

    Files(session, max_bytes, key).streamed(att)       discord.Attachment → Attachment
    Files.record(attachments)                          → journal JSON (name, type, size, sealed URL)
    Files.restore(records, issued, now)                → Attachments | Lost (why not)
    expires_at(url, issued)                            ``ex``, else ``issued`` + 24 h
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import discord

from bot.chat import ApprovalCard, Attachment, Reply
from bot.secret import Secret, seal, unseal
from commands.errors import MediaError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
CHUNK = 64 * 1024
ALLOWED_HINT = "images, videos or PDF documents"


LINK_LIFETIME = timedelta(hours=24)  # a CDN URL without ``ex``: valid this long from the request
MARGIN = timedelta(seconds=60)  # a link expiring sooner than this is not worth starting on


class AttachmentError(MediaError):
    """An attachment could not be downloaded: a user error, so the command layer answers with
    it. Its words are safe to show (never the URL)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            "I couldn't download your attachment",
            problems=[problem],
            hint="Attach the file again and resend the command.",
            field="media",
        )


@dataclass(frozen=True)
class AttachmentProblem:
    name: str
    problem: str


def content_type_of(att: discord.Attachment) -> str:
    ct = (att.content_type or "").split(";")[0].strip().lower()
    if not ct:
        ct = (mimetypes.guess_type(att.filename)[0] or "application/octet-stream").lower()
    return ct


def allowed_type(ct: str) -> bool:
    return ct.startswith(("image/", "video/")) or ct == "application/pdf"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def check(att: discord.Attachment, max_bytes: int) -> AttachmentProblem | None:
    ct = content_type_of(att)
    if not allowed_type(ct):
        return AttachmentProblem(
            att.filename, f"{att.filename}: type {ct} is not allowed (send {ALLOWED_HINT})"
        )
    if att.size > max_bytes:
        return AttachmentProblem(
            att.filename,
            f"{att.filename}: {_mb(att.size)} is over the limit of {_mb(max_bytes)}",
        )
    return None


SessionGetter = Callable[[], aiohttp.ClientSession]


def expires_at(url: str, issued: datetime) -> datetime:
    """When a CDN URL stops working: its ``ex`` (hex unix time), else ``LINK_LIFETIME`` after
    ``issued`` (the request)."""
    ex = parse_qs(urlsplit(url).query).get("ex", [""])[0]
    try:
        return datetime.fromtimestamp(int(ex, 16), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return issued + LINK_LIFETIME


@dataclass(frozen=True)
class Lost:
    """Why recorded attachments cannot be fetched again (``problem``: words for the requester)."""

    problem: str


class Files:
    """Attachments of one client: streamed from the CDN, their URLs sealed under ``key``."""

    def __init__(self, session: SessionGetter, max_bytes: int, key: Secret | None) -> None:
        self.session = session
        self.max_bytes = max_bytes
        self.key = key

    def streamed(self, att: discord.Attachment) -> Attachment:
        sealed = seal(att.url, self.key) if self.key is not None else None
        return self._attachment(att.url, sealed, att.filename, content_type_of(att), att.size)

    def _attachment(
        self, url: str, sealed: str | None, name: str, ct: str, size: int | None
    ) -> Attachment:
        session, max_bytes = self.session, self.max_bytes

        async def open_stream() -> AsyncIterator[bytes]:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=15, sock_read=60)
            try:
                async with session().get(url, timeout=timeout) as resp:
                    if resp.status != 200:
                        gone = " — its link has expired or the file was deleted"
                        raise AttachmentError(
                            f"{name}: Discord answered HTTP {resp.status}"
                            + (gone if resp.status in (403, 404) else "")
                        )
                    total = 0
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        total += len(chunk)
                        if total > max_bytes:
                            raise AttachmentError(f"{name}: over the limit of {_mb(max_bytes)}")
                        yield chunk
            except aiohttp.ClientError as e:
                # aiohttp's messages carry the (signed) URL: keep only the class name.
                raise AttachmentError(f"{name}: download failed ({type(e).__name__})") from None

        return Attachment(
            name=name, content_type=ct, size=size, open=open_stream, platform_url=sealed
        )

    @staticmethod
    def record(attachments: Sequence[Attachment]) -> list[dict[str, Any]] | None:
        """What a replay needs to fetch them again (the URL stays sealed); None when a URL
        could not be sealed (no bot token): the replay then says the files are lost."""
        if any(a.platform_url is None for a in attachments):
            return None
        return [
            {"name": a.name, "type": a.content_type, "size": a.size, "url": a.platform_url}
            for a in attachments
        ]

    def restore(
        self, records: Sequence[dict[str, Any]], issued: datetime, now: datetime
    ) -> tuple[Attachment, ...] | Lost:
        out: list[Attachment] = []
        for r in records:
            sealed = str(r.get("url") or "")
            url = unseal(sealed, self.key) if self.key is not None and sealed else None
            if url is None:  # another bot token since: the links cannot be read
                return Lost("I can no longer read the links to your attachments.")
            if expires_at(url, issued) - MARGIN <= now:
                return Lost(
                    "The links to your attachments expired before I was back "
                    "(Discord keeps them for about a day)."
                )
            size = r.get("size")
            name, ct = str(r.get("name") or "file"), str(r.get("type") or "")
            out.append(
                self._attachment(url, sealed, name, ct, size if isinstance(size, int) else None)
            )
        return tuple(out)


def opened(reply: Reply, key: Secret | None) -> Reply:
    """An approval card with its attachments' sealed URLs opened, for its embed images (a URL
    that does not open — another bot token, a card stored before sealing — is left out)."""
    if not isinstance(reply, ApprovalCard) or not any(m.platform_url for m in reply.media):
        return reply
    media = tuple(
        replace(m, platform_url=unseal(m.platform_url, key) if key is not None else None)
        if m.platform_url
        else m
        for m in reply.media
    )
    return replace(reply, media=media)
