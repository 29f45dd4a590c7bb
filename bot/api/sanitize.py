"""Keep presigned URLs out of httpx's own log lines.

httpx logs every request at INFO as ``HTTP Request: PUT <full url> ...``. For a presigned upload
URL the query string *is* the credential, so a filter on the ``httpx`` logger replaces any URL
argument's query with ``[redacted]`` before a handler sees the record. API keys travel in
headers, which httpx does not log.
"""

from __future__ import annotations

import logging

import httpx


def redact_url(url: httpx.URL | str) -> str:
    """The URL without its query string (``?[redacted]`` when there was one)."""
    u = url if isinstance(url, httpx.URL) else httpx.URL(url)
    if not u.query:
        return str(u)
    return str(u.copy_with(query=None)) + "?[redacted]"


class RedactUrlQueries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, httpx.URL) for a in args):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in args)
        return True


_FILTER = RedactUrlQueries()


def install_httpx_log_redaction() -> None:
    """Idempotent: attach the filter to the ``httpx`` logger once."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
