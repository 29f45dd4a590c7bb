"""Logging: one line per event, text or JSON, with a delivery/request id and secrets redacted.

Every handler gets a ``RedactingFilter`` that replaces any registered secret (API keys, bot
tokens, signing secrets) and anything shaped like one (``xox?-…``, ``sk_live_…``, presigned or
private file URLs' query strings) with ``[redacted]`` — in the message, its arguments and the
formatted traceback.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_PATTERNS = [
    re.compile(r"xox[abposre]-[A-Za-z0-9-]+"),  # Slack bot/user/refresh tokens
    re.compile(r"xapp-[A-Za-z0-9-]+"),  # Slack app-level tokens
    re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9_]+"),  # Social API keys
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*(?:sig|signature|Signature|token|exp)=[^\s'\"]*"),
    re.compile(r"https?://files\.slack\.com/[^\s'\"]+"),  # private file URLs
    re.compile(r"https?://[^\s'\"]*/files-pri/[^\s'\"]+"),
    re.compile(r"https?://(?:cdn|media)\.discordapp\.(?:com|net)/attachments/[^\s'\"]+"),
]

REDACTED = "[redacted]"


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = {s for s in secrets if s and len(s) >= 4}

    def add(self, *secrets: str) -> None:
        self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def redact(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, REDACTED)
        for p in _PATTERNS:
            text = p.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        record.msg = self.redact(msg)
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = self.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        rid = request_id.get()
        record.request_id = rid or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"

_filter = RedactingFilter()


def redactor() -> RedactingFilter:
    """The process-wide filter (register secrets with ``redactor().add(...)``)."""
    return _filter


def setup_logging(fmt: str = "text", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    _filter.add(*secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_filter)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiohttp.access", "discord.gateway", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
