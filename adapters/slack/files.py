"""Files attached in the compose modal → ``Attachment``s that stream from Slack on demand.

``Attachment.open()`` is an async byte iterator over ``url_private_download``, fetched with the
bot token (``Authorization: Bearer``) and never buffered whole. The bot token is only ever sent
to Slack's file hosts (or the configured ``SLACK_API_URL`` host), and a file's private URL is
never logged nor put in an exception message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from adapters.slack.errors import FileDownloadError
from bot.chat import Attachment
from commands.errors import UserError
from commands.media import check_kind

DEFAULT_MAX_BYTES = 1024**3  # 1 GiB
CHUNK = 64 * 1024
SLACK_FILE_HOSTS = frozenset({"files.slack.com", "slack-files.com", "files-origin.slack.com"})


@dataclass(frozen=True)
class SlackFile:
    id: str
    name: str
    mimetype: str
    size: int | None
    url: str  # url_private_download: private, never logged

    def __repr__(self) -> str:  # keep the URL out of any log line or traceback
        return f"SlackFile(id={self.id!r}, name={self.name!r}, mimetype={self.mimetype!r})"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SlackFile:
        size = d.get("size")
        return cls(
            id=str(d.get("id", "")),
            name=str(d.get("name") or d.get("title") or d.get("id") or "file"),
            mimetype=str(d.get("mimetype") or "application/octet-stream").lower(),
            size=size if isinstance(size, int) else None,
            url=str(d.get("url_private_download") or d.get("url_private") or ""),
        )


def human_size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n} bytes"


def file_problem(f: SlackFile, max_bytes: int) -> str | None:
    """Why this file can't be used, or None: the command layer's own type and size rules
    (``commands.media.check_kind``, no I/O), the adapter's download cap, a missing URL."""
    try:
        check_kind(f.name, f.mimetype.split(";")[0].strip(), f.size)
    except UserError as e:
        return " ".join(e.problems) or e.title
    if f.size is not None and f.size > max_bytes:
        return f"{f.name} is {human_size(f.size)}; the limit is {human_size(max_bytes)}."
    if not f.url:
        return f"{f.name}: Slack didn't give me a way to download it. Attach it again."
    return None


class FileFetcher:
    """Streams Slack files with the bot token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: Callable[[], str],
        *,
        extra_hosts: Iterable[str] = (),
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._http = http
        self._token = token
        self._hosts = SLACK_FILE_HOSTS | frozenset(h for h in extra_hosts if h)
        self.max_bytes = max_bytes

    def attachment(self, f: SlackFile) -> Attachment:
        return Attachment(
            name=f.name,
            content_type=f.mimetype,
            size=f.size,
            open=lambda: self.stream(f),
            slack_file=f.id or None,  # the approval card shows it by id (no URL leaves Slack)
        )

    async def stream(self, f: SlackFile) -> AsyncIterator[bytes]:
        host = urlsplit(f.url).hostname or ""
        if host not in self._hosts:
            raise FileDownloadError(
                "bad_file_host", f"{f.name}: not a Slack file; attach it again."
            )
        headers = {"Authorization": f"Bearer {self._token()}"}
        seen = 0
        try:
            async with self._http.stream("GET", f.url, headers=headers) as resp:
                if resp.status_code != 200:
                    raise FileDownloadError(
                        f"http_{resp.status_code}",
                        f"I couldn't download {f.name} from Slack (HTTP {resp.status_code}).",
                    )
                async for chunk in resp.aiter_bytes(CHUNK):
                    seen += len(chunk)
                    if seen > self.max_bytes:
                        raise FileDownloadError(
                            "too_large",
                            f"{f.name} is over the limit of {human_size(self.max_bytes)}.",
                        )
                    yield chunk
        except httpx.HTTPError as e:  # its message would carry the private URL
            raise FileDownloadError(
                type(e).__name__, f"I couldn't download {f.name} from Slack ({type(e).__name__})."
            ) from None
