"""One TLS context for every Social API client in the process.

Each ``ssl.SSLContext`` holds its own parsed copy of the CA bundle (~1.4 MiB of RSS), and httpx
builds one per client unless it is given one. The bot makes two clients per workspace key
(requests, and presigned uploads without the key), so 50 keys cost ~140 MiB of certificates
(measured with ``python -m bench capacity``: 176 → 80 MiB at idle with 50 keys). Sharing one
context is safe: a context is read-only once built, and each connection has its own state.
"""

from __future__ import annotations

import ssl

import certifi

_context: ssl.SSLContext | None = None


def shared_context() -> ssl.SSLContext:
    """The process's TLS client context: certifi's CA bundle, as httpx would load it."""
    global _context
    if _context is None:
        _context = ssl.create_default_context(cafile=certifi.where())
    return _context
