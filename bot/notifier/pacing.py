"""Per-channel send pacing, shareable by every sender of one chat platform.

Slack allows about one ``chat.postMessage`` per second per channel. One ``ChannelPacer`` per
chat platform, shared by the notifier's sender and the adapter's own sends, keeps every
channel at or under ``per_second`` messages:

    pacer = ChannelPacer(clock)                      # 1 message/s per channel
    await pacer.acquire("slack:C0123")               # waits (on the injected clock) for a slot
    await client.chat_postMessage(...)
    pacer.penalize("slack:C0123", retry_after)       # after a 429 Retry-After

``acquire`` reserves the next free slot before it sleeps, so concurrent callers on one channel
queue up in order without a lock; different channels never wait for each other. ``delay``
says how long an ``acquire`` would wait now, without reserving (the notifier uses it to decide
when a burst becomes a digest).
"""

from __future__ import annotations

from bot.clock import Clock


class ChannelPacer:
    def __init__(self, clock: Clock, per_second: float = 1.0) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be > 0")
        self._clock = clock
        self.interval = 1.0 / per_second
        self._next_free: dict[str, float] = {}

    def delay(self, channel_key: str) -> float:
        """Seconds an ``acquire`` on this channel would wait now (0.0 if a slot is free)."""
        return max(0.0, self._next_free.get(channel_key, 0.0) - self._clock.monotonic())

    def reserve(self, channel_key: str) -> float:
        """Reserve the next slot without waiting; returns the seconds until it starts."""
        now = self._clock.monotonic()
        start = max(now, self._next_free.get(channel_key, now))
        self._next_free[channel_key] = start + self.interval
        self._forget_idle(now)
        return start - now

    async def acquire(self, channel_key: str) -> None:
        """Wait until this channel may send one message (the slot is reserved for the caller)."""
        wait = self.reserve(channel_key)
        if wait > 0:
            await self._clock.sleep(wait)

    def penalize(self, channel_key: str, seconds: float) -> None:
        """The platform answered 429 with ``Retry-After: seconds``: no send before then."""
        until = self._clock.monotonic() + max(0.0, seconds)
        self._next_free[channel_key] = max(self._next_free.get(channel_key, 0.0), until)

    def _forget_idle(self, now: float) -> None:
        if len(self._next_free) > 4096:
            for k in [k for k, t in self._next_free.items() if t < now]:
                del self._next_free[k]
