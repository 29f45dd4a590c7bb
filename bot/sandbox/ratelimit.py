"""Per-key sliding-window rate limit on the sandbox clock (``clock.monotonic()``).

Every request that carries a valid key counts (including ones then refused with 403/400/404);
requests answered 429 by the limiter do not count, so ``Retry-After`` is exact.
"""

from __future__ import annotations

import math
from collections import deque


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key_id: str, now: float) -> float | None:
        """Count a request; ``None`` if allowed, else the seconds until one is allowed."""
        q = self._hits.setdefault(key_id, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) >= self.limit:
            return max(1.0, float(math.ceil(q[0] + self.window - now)))
        q.append(now)
        return None

    def remaining(self, key_id: str) -> int:
        return max(0, self.limit - len(self._hits.get(key_id, ())))
