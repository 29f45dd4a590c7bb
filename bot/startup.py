"""Start-up failures of outside services (Slack, Discord, the Social API) in one line.

    StartupError("Slack", "https://slack.com/api/", "the name does not resolve (DNS)",
                 "SLACK_API_URL and the machine's DNS / proxy")
    → socialbot: could not start: Slack at https://slack.com/api/ — the name does not
      resolve (DNS); check SLACK_API_URL and the machine's DNS / proxy

``socialbot run`` prints that line and exits 1 (no traceback). Failures after start-up are
the adapters' to retry (Socket Mode and the Discord gateway reconnect with backoff; /readyz
shows them).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator


class StartupError(Exception):
    def __init__(self, service: str, url: str, reason: str, check: str) -> None:
        self.service, self.url, self.reason, self.check = service, url, reason, check
        super().__init__(self.line())

    def line(self) -> str:
        return (
            f"socialbot: could not start: {self.service} at {self.url} — {self.reason}; "
            f"check {self.check}"
        )


def describe(exc: BaseException) -> str:
    """What went wrong, in words, from the exception chain (DNS, refused, TLS, timeout…)."""
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, socket.gaierror) or "DNS" in type(e).__name__:
            return "the name does not resolve (DNS)"
        if isinstance(e, ConnectionRefusedError):
            return "the connection was refused"
        if (
            isinstance(e, ssl.SSLError)
            or "SSL" in type(e).__name__
            or "Certificate" in type(e).__name__
        ):
            return "the TLS handshake failed (certificate or proxy)"
        if isinstance(e, TimeoutError):
            return "it did not answer in time"
    for e in chain:
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        if text:
            return f"{type(e).__name__}: {text[:200]}"
    return type(exc).__name__


@contextlib.contextmanager
def outside(service: str, url: str, check: str) -> Iterator[None]:
    """Turn any failure of the block (an outside service starting) into ``StartupError``."""
    try:
        yield
    except StartupError:
        raise
    except Exception as e:
        raise StartupError(service, url, describe(e), check) from e
