"""When and how long the client waits before trying a request again.

- Transport errors and 5xx answers on GET, PUT, PATCH and DELETE (and on the two idempotent
  media POSTs) are retried ``max_retries`` times with exponential backoff and jitter
  (``RetryPolicy.backoff``).
- A ``429`` pauses the whole key for ``Retry-After`` (seconds or an HTTP date), capped, plus
  a little jitter so that the callers waiting on one key do not all fire at the same instant
  (``RetryPolicy.rate_limit_pause``).
- ``may_have_been_sent`` tells a failure before the request left (connection refused, connect
  or pool timeout: safe to send again, even a create) from one after it may have reached the
  server (read/write errors and timeouts: a create must be reconciled, never blindly repeated).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# Failures raised before any byte of the request reached the server.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)


def may_have_been_sent(exc: httpx.TransportError) -> bool:
    """Whether the server may have received (and acted on) the request."""
    return not isinstance(exc, _NOT_SENT)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if absent
    or unreadable."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 850 / asctime forms: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class RetryPolicy:
    """Backoff and 429 timing. ``rng`` is injectable for deterministic tests."""

    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_after_cap: float = 120.0
    retry_after_jitter: float = 1.0
    default_retry_after: float = 1.0  # a 429 without (readable) Retry-After
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, equal jitter
        (between half and all of the exponential step)."""
        step = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempt - 1))
        return step / 2 + self.rng.uniform(0, step / 2)

    def rate_limit_pause(self, retry_after: float | None) -> float:
        """How long to pause the key after a 429: never shorter than ``Retry-After`` (unless it
        exceeds the cap), never longer than the cap."""
        base = self.default_retry_after if retry_after is None else retry_after
        base = min(max(0.0, base), self.retry_after_cap)
        return min(self.retry_after_cap, base + self.rng.uniform(0, self.retry_after_jitter))
