"""Automatic publish notifications: follow posts, announce each terminal result once.

Public API
    ``Notifier(core, *, client_factory=None, interval=None, requests_per_tick=None,
    digest_min=3, grace=10.0)``
        ``await migrate(db=None)`` (``start`` does it), ``await start()`` (APScheduler job +
        one immediate catch-up run), ``await stop(grace=None)`` (stop polling, let a running
        tick finish, flush the outbox within the grace period), ``await poll_once(now)``,
        ``await flush_outbox(now) -> int``, ``await tick(now=None)`` (= poll_once +
        flush_outbox, what the job runs), ``job_options()``, ``scheduler``, ``stats(ws)``,
        ``pacer(platform)``.
    ``ChannelPacer(clock, per_second=1.0)`` (``bot/notifier/pacing.py``; one per chat platform
        via ``core.pacer(platform)``): ``await acquire(channel_key)``, ``reserve(channel_key)``,
        ``delay(channel_key)``, ``penalize(channel_key, seconds)``; ``channel_key`` is
        ``"<platform>:<channel>"``.

Where things are
    ``poller.py``  which posts are polled, list vs status, budgets, back-off, external posts
    ``outbox.py``  enqueue / claim / mark: the exactly-once protocol and what remains of it
    ``render.py``  announcements, advice for errors, digests
    ``pacing.py``  per-channel pacing
    ``schema.py``  tables (migration namespace ``notifier``)
    ``service.py`` the ``Notifier`` and its APScheduler job

Per-platform schedules: one summary per post when it is terminal (every target landed), not
one message per target; between its first and last target time the post is not polled.
"""

from bot.notifier.pacing import ChannelPacer
from bot.notifier.service import Notifier

__all__ = ["ChannelPacer", "Notifier"]
