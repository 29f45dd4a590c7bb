"""Attachment options → ``bot.chat.Attachment``: checked, then streamed on demand.

Allowed: image/*, video/*, application/pdf, up to ``max_bytes``. The bytes are never held whole:
``open()`` is an async iterator over an aiohttp streaming GET of the attachment URL (Discord CDN
URLs are signed: they are never logged or put in a reply — only in an approval card's embed
image, on Discord itself).
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import discord

from bot.chat import Attachment

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
CHUNK = 64 * 1024
ALLOWED_HINT = "images, videos or PDF documents"


class AttachmentError(Exception):
    """An attachment cannot be used. ``str()`` is safe to show (never the URL)."""


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


def streamed(att: discord.Attachment, session: SessionGetter, max_bytes: int) -> Attachment:
    url = att.url
    name = att.filename

    async def open_stream() -> AsyncIterator[bytes]:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=15, sock_read=60)
        try:
            async with session().get(url, timeout=timeout) as resp:
                if resp.status != 200:
                    raise AttachmentError(f"{name}: download failed (HTTP {resp.status})")
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
        name=name,
        content_type=content_type_of(att),
        size=att.size,
        open=open_stream,
        platform_url=url,  # the approval card's embed shows it (only ever on Discord)
    )
