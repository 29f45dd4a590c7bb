"""One sliding-window-log rate limiter per API key, shared by every client in the process.

The Social API allows 120 requests per minute per key and answers ``429 rate_limited`` beyond
that. A token/leaky bucket is not enough: a full bucket plus a minute of refill lets 240 requests
through one 60-second window. This limiter keeps a *log* of the requests of the last window and
grants a slot only while fewer than ``limit`` of them could fall in any ``window``-second span.

Why a slot is stamped when its response arrives, not when it is granted: the server counts a
request when it *arrives*, which is some time after the grant. A slot is "in flight" (counted,
never expiring) from its grant until ``Slot.done()``; it then expires ``window`` seconds after
the response came back. The arrival lies between the two, so a slot expires no earlier than the
server forgets the request, and the server never sees more than ``limit`` in a window.

Budget shares: a caller may hold only a part of the budget (``acquire(share=0.5)`` → at most 60
of the 120 slots in any window). All callers of the same share form one pool, so a background
notifier on 0.5 always leaves 60 slots to commands; full-share callers may use everything left.

A ``429`` pauses the whole key (``pause``): every caller of that key waits, not only the caller
that saw it.

Time comes from the injected ``Clock`` (``monotonic`` and ``sleep``), so tests on ``FakeClock``
never really sleep. The limiter holds no asyncio primitives and so is not bound to one event loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.secret import Secret

DEFAULT_LIMIT = 120
DEFAULT_WINDOW = 60.0
# While every counted slot is still in flight there is no expiry time to sleep until:
# re-check after this many seconds.
IN_FLIGHT_POLL = 0.05


@dataclass(eq=False)
class Slot:
    """One granted request. ``done()`` once its response (or failure) is in."""

    granted_at: float
    share: float
    _clock: Clock = field(repr=False)
    finished_at: float | None = None

    def done(self) -> None:
        if self.finished_at is None:
            self.finished_at = self._clock.monotonic()

    def counts_at(self, now: float, window: float) -> bool:
        """Whether this slot still occupies the window at ``now``."""
        return self.finished_at is None or now - self.finished_at < window


class RateLimiter:
    """A sliding-window log for one API key (see the module docstring)."""

    def __init__(
        self, clock: Clock, *, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.clock = clock
        self.limit = limit
        self.window = window
        self._slots: list[Slot] = []
        self._paused_until = -math.inf
        self.granted = 0  # total grants, for metrics and tests

    def cap(self, share: float) -> int:
        """How many slots of a window a caller with this share may hold."""
        if not 0.0 < share <= 1.0:
            raise ValueError("budget share must be in (0, 1]")
        return max(1, math.floor(self.limit * share + 1e-9))

    @property
    def paused_until(self) -> float:
        """Monotonic time until which the key is paused after a 429 (``-inf`` if never)."""
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """Stop every caller of this key for ``seconds`` from now (extends, never shortens)."""
        until = self.clock.monotonic() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)

    def in_window(self, share: float | None = None) -> int:
        """Slots currently occupying the window (of one share pool, or all)."""
        now = self.clock.monotonic()
        self._prune(now)
        return sum(1 for s in self._slots if share is None or s.share == share)

    def _prune(self, now: float) -> None:
        self._slots = [s for s in self._slots if s.counts_at(now, self.window)]

    def _wait_for(self, slots: list[Slot], now: float) -> float:
        """Seconds until the earliest of ``slots`` can expire (a poll if all are in flight)."""
        finished = [s.finished_at for s in slots if s.finished_at is not None]
        if not finished:
            return IN_FLIGHT_POLL
        return max(min(finished) + self.window - now, 0.0)

    async def acquire(self, share: float = 1.0) -> Slot:
        """Wait until a request may be sent on this key; the caller must ``done()`` the slot."""
        cap = self.cap(share)
        while True:
            now = self.clock.monotonic()
            if now < self._paused_until:
                await self.clock.sleep(self._paused_until - now)
                continue
            self._prune(now)
            pool = (
                self._slots if cap >= self.limit else [s for s in self._slots if s.share == share]
            )
            waits: list[float] = []
            if len(self._slots) >= self.limit:
                waits.append(self._wait_for(self._slots, now))
            if len(pool) >= cap:
                waits.append(self._wait_for(pool, now))
            if not waits:
                # No await between the check and the record: atomic under asyncio.
                slot = Slot(granted_at=now, share=share, _clock=self.clock)
                self._slots.append(slot)
                self.granted += 1
                return slot
            await self.clock.sleep(max(max(waits), 1e-3))


def _clock_key(clock: Clock) -> object:
    # Every SystemClock tells the same time: clients built with separate SystemClock()
    # instances (the default) must still share the key's limiter.
    return SystemClock if isinstance(clock, SystemClock) else id(clock)


class LimiterRegistry:
    """One ``RateLimiter`` per API key (by ``Secret.fingerprint``) and clock.

    In production every client runs on the system clock, so this is one limiter per key for
    the whole process. A test that injects its own ``FakeClock`` gets limiters of its own,
    so tests never leak limiter state into each other through the module-level registry.
    """

    def __init__(self, *, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW) -> None:
        self.limit = limit
        self.window = window
        # the clock is kept alive with its limiter so an id() is never reused for another clock
        self._limiters: dict[tuple[str, object], tuple[Clock, RateLimiter]] = {}

    def for_key(self, key: Secret, clock: Clock) -> RateLimiter:
        k = (key.fingerprint, _clock_key(clock))
        entry = self._limiters.get(k)
        if entry is None:
            entry = (clock, RateLimiter(clock, limit=self.limit, window=self.window))
            self._limiters[k] = entry
        return entry[1]

    def __len__(self) -> int:
        return len(self._limiters)


# The process-wide registry every SocialClient uses unless one is injected.
DEFAULT_LIMITERS = LimiterRegistry()
