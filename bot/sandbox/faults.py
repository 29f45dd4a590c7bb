"""Runtime fault injection (``Sandbox.faults``), seeded so runs repeat.

Faults act before authentication, so they neither count against the rate limit nor need a key;
every injected answer is still in the request log (status 0 = connection dropped).

- ``error_rate``: probability of an HTTP ``error_status`` (default 503) JSON error answer.
- ``timeout_rate``: probability of a timeout — ``timeout_mode="hang"`` holds the request for
  ``hang_seconds`` (longer than any client timeout; released at shutdown), ``"close"`` drops
  the connection without an answer.
- ``slow_seconds``: every request waits this long first (real time).
- ``burst_429(count, retry_after, http_date=False)``: the next ``count`` requests get
  ``429 rate_limited`` with ``Retry-After`` in seconds or as an HTTP date.
- ``fail_after_commit(count, mode="500"|"close"|"hang")``: the next ``count`` ``POST /v1/posts``
  calls create the post, then answer 500, drop the connection, or hold the answer like a
  ``hang`` timeout (the caller may be killed meanwhile) — to test reconciliation.
- ``burst_every`` / ``burst_size`` / ``burst_retry_after``: every ``burst_every``-th faultable
  request starts a burst of ``burst_size`` 429s (``--fault-429-burst-every N``).
- ``include_uploads``: apply the random faults to presigned upload PUTs too.

Every fault that fires is logged (``fault injected: <kind>``, logger ``bot.sandbox.faults``)
and counted in ``injected`` / ``by_kind``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

log = logging.getLogger(__name__)


@dataclass
class Faults:
    seed: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    timeout_rate: float = 0.0
    timeout_mode: Literal["hang", "close"] = "hang"
    hang_seconds: float = 300.0
    slow_seconds: float = 0.0
    include_uploads: bool = False
    burst_every: int = 0
    burst_size: int = 3
    burst_retry_after: float = 2.0
    injected: int = 0  # how many faults fired so far
    by_kind: Counter[str] = field(default_factory=Counter)
    _seen: int = field(init=False, repr=False, default=0)
    _rng: random.Random = field(init=False, repr=False)
    _bursts: list[tuple[float, bool]] = field(init=False, repr=False, default_factory=list)
    _after_commit: list[str] = field(init=False, repr=False, default_factory=list)
    _release: asyncio.Event | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def reset(self) -> None:
        """No faults from now on."""
        self.error_rate = self.timeout_rate = self.slow_seconds = 0.0
        self._bursts.clear()
        self._after_commit.clear()

    def burst_429(self, count: int, retry_after: float = 5.0, *, http_date: bool = False) -> None:
        self._bursts.extend([(retry_after, http_date)] * count)

    def fail_after_commit(
        self, count: int = 1, mode: Literal["500", "close", "hang"] = "500"
    ) -> None:
        self._after_commit.extend([mode] * count)

    # -- used by the middleware -----------------------------------------------------------
    def _fired(self, kind: str) -> None:
        self.injected += 1
        self.by_kind[kind] += 1
        log.info("fault injected: %s", kind)

    def take_burst(self) -> tuple[float, bool] | None:
        if self.burst_every > 0:
            self._seen += 1
            if self._seen % self.burst_every == 0:
                self._bursts.extend([(self.burst_retry_after, False)] * self.burst_size)
        if not self._bursts:
            return None
        self._fired("429")
        return self._bursts.pop(0)

    def take_after_commit(self) -> str | None:
        if not self._after_commit:
            return None
        self._fired("after_commit")
        return self._after_commit.pop(0)

    def roll_timeout(self) -> bool:
        hit = self.timeout_rate > 0 and self._rng.random() < self.timeout_rate
        if hit:
            self._fired("timeout")
        return hit

    def roll_error(self) -> bool:
        hit = self.error_rate > 0 and self._rng.random() < self.error_rate
        if hit:
            self._fired(f"{self.error_status}")
        return hit

    async def hang(self) -> None:
        if self._release is None:
            self._release = asyncio.Event()
        try:
            await asyncio.wait_for(self._release.wait(), self.hang_seconds)
        except TimeoutError:
            pass

    def release_hangs(self) -> None:
        if self._release is not None:
            self._release.set()
