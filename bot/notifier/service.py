"""The notifier: follows posts, announces their results once, paced per channel.

    notifier = Notifier(core)
    await notifier.start()      # migrate, schedule the poll job, run one catch-up tick now
    ...
    await notifier.stop()       # stop polling, flush the outbox within a grace period

The APScheduler job only calls ``tick()`` = ``poll_once(now)`` then ``flush_outbox(now)``,
both plain coroutines that tests call directly with a ``FakeClock``.

Scheduling (APScheduler 3, ``AsyncIOScheduler``, in-memory job store): an interval job every
``Settings.poll_interval`` seconds with ``max_instances=1`` (never two polls at once; a poll
longer than the interval delays the next), ``coalesce=True`` (missed runs collapse into one)
and ``misfire_grace_time`` = one interval (the coalesced late run still runs instead of being
dropped as missed). After a restart the job's first run is immediate: one catch-up run, and
because ``poll_once`` looks at everything due by ``now`` (not at "the last interval"), that
single run covers the whole downtime — never a burst of runs.

Per-platform schedules: ONE summary announcement per post, when the post is terminal (all
targets landed). Between its first and its last target time the post is not polled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics, retention
from bot.chat import Announcement, ChatSendError, Destination, MessageRef, Reply
from bot.notifier import outbox, render
from bot.notifier.pacing import ChannelPacer
from bot.notifier.poller import PollClient, PollStats, WorkspacePoller
from bot.notifier.schema import NOTIFIER_MIGRATIONS
from bot.storage import Database

if TYPE_CHECKING:  # bot.core imports bot.notifier.pacing: no import cycle at run time
    from bot.core import Core

log = logging.getLogger(__name__)

JOB_ID = "notifier-poll"
RETENTION_JOB_ID = "retention"
RETENTION_FIRST_RUN = 60.0  # seconds after start
BUDGET_SHARE = 0.5  # of each key's 120/min: commands always keep the other half
KEY_LIMIT_PER_MIN = 120
DIGEST_MIN = 3  # this many results ready in one channel at once → one digest message


class Notifier:
    def __init__(
        self,
        core: Core,
        *,
        client_factory: Callable[[str], PollClient] | None = None,
        interval: float | None = None,
        requests_per_tick: int | None = None,
        digest_min: int = DIGEST_MIN,
        grace: float = 10.0,
    ) -> None:
        self.core = core
        self.interval = float(interval if interval is not None else core.settings.poll_interval)
        if requests_per_tick is None:
            # The share of the key's per-minute budget that falls in one interval.
            requests_per_tick = int(KEY_LIMIT_PER_MIN * BUDGET_SHARE * self.interval / 60.0)
        self.requests_per_tick = max(3, requests_per_tick)
        self.digest_min = max(2, digest_min)
        self.grace = grace
        self._client_factory = client_factory or self._default_client
        self._clients: dict[str, PollClient] = {}
        self._pollers: dict[str, WorkspacePoller] = {}
        self._poll_lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._migrated = False
        self._stopping = False
        # Outbox rows that are not announcements, by result: the reply is built when the row
        # is sent (``bot.reports`` registers "report").
        self.builders: dict[str, Callable[[outbox.OutboxRow], Awaitable[Reply]]] = {}

    # ------------------------------------------------------------ public API

    def pacer(self, platform: str) -> ChannelPacer:
        """The per-channel pacer of a chat platform: ``core.pacer(platform)``, shared with the
        adapter's own sends."""
        return self.core.pacer(platform)

    async def migrate(self, db: Database | None = None) -> None:
        await (db or self.core.db).migrate("notifier", NOTIFIER_MIGRATIONS)
        self._migrated = True

    def job_options(self) -> dict[str, Any]:
        """The APScheduler ``add_job`` options of the poll job."""
        return {
            "trigger": IntervalTrigger(seconds=self.interval, timezone=UTC),
            "id": JOB_ID,
            "name": "notifier poll",
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": max(1, int(self.interval)),
            "replace_existing": True,
        }

    async def start(self) -> None:
        if not self._migrated:
            await self.migrate()
        self._stopping = False
        sched = AsyncIOScheduler(timezone=UTC)
        # First run now: the one catch-up run after downtime.
        sched.add_job(self._job, next_run_time=datetime.now(UTC), **self.job_options())
        every = self.core.settings.retention.interval.total_seconds()
        sched.add_job(
            self._retention_job,
            trigger=IntervalTrigger(seconds=every, timezone=UTC),
            id=RETENTION_JOB_ID,
            name="retention",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(every)),
            next_run_time=datetime.now(UTC) + timedelta(seconds=RETENTION_FIRST_RUN),
            replace_existing=True,
        )
        sched.start()
        self._scheduler = sched

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        return self._scheduler

    async def stop(self, grace: float | None = None) -> None:
        """Stop polling; let a running tick finish and flush the outbox, within ``grace`` s."""
        grace = self.grace if grace is None else grace
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        sched, self._scheduler = self._scheduler, None
        if sched is not None and sched.running:
            for job in (JOB_ID, RETENTION_JOB_ID):
                with contextlib.suppress(Exception):
                    sched.remove_job(job)
        task = self._tick_task
        if task is not None and not task.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), max(0.0, deadline - loop.time()))
        try:
            await asyncio.wait_for(
                self.flush_outbox(self.core.clock.now()), max(0.0, deadline - loop.time())
            )
        except TimeoutError:
            log.warning("notifier: outbox not empty at shutdown; it is sent on the next start")
        if sched is not None and sched.running:
            sched.shutdown(wait=False)

    async def tick(self, now: datetime | None = None) -> None:
        """One run of the job: poll, then deliver."""
        now = now or self.core.clock.now()
        await self.poll_once(now)
        await self.flush_outbox(now)

    async def poll_once(self, now: datetime) -> None:
        """Look at every workspace's due and in-flight posts once; record results in the outbox."""
        if not self._migrated:
            await self.migrate()
        async with self._poll_lock:
            started = self.core.clock.monotonic()
            pollers = [self._poller(name) for name in self.core.settings.workspaces]
            results = await asyncio.gather(*(p.poll(now) for p in pollers), return_exceptions=True)
            for p, r in zip(pollers, results, strict=True):
                if isinstance(r, BaseException):
                    if not isinstance(r, Exception):
                        raise r
                    log.error("notifier: polling workspace %s failed", p.workspace, exc_info=r)
            metrics.POLL_DURATION.observe(max(0.0, self.core.clock.monotonic() - started))

    async def flush_outbox(self, now: datetime) -> int:
        """Send every ready announcement (a burst in one channel as digests); returns the
        number of messages sent."""
        if not self._migrated:
            await self.migrate()
        async with self._flush_lock:
            platforms = list(self.core.ports)
            batches = await self.core.db.transaction(
                lambda sdb: outbox.claim(sdb, now, digest_min=self.digest_min, platforms=platforms)
            )
            sent = 0
            for b in batches:
                if await self._deliver(b):
                    sent += 1
            await self._gauge_outbox()
            return sent

    async def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Delete what the retention policy no longer keeps (``bot.retention``)."""
        settings = self.core.settings
        following = [n for n, w in settings.workspaces.items() if w.follow_external]
        return await retention.prune(
            self.core.db, now or self.core.clock.now(), settings.retention, following=following
        )

    def stats(self, workspace: str) -> PollStats:
        return self._poller(workspace).stats

    # ------------------------------------------------------------ internals

    async def _job(self) -> None:
        if self._stopping:
            return
        # Shielded: a scheduler shutdown must not cut a tick between a send and its mark.
        self._tick_task = asyncio.ensure_future(self.tick())
        await asyncio.shield(self._tick_task)

    async def _retention_job(self) -> None:
        if self._stopping:
            return
        try:
            await self.prune()
        except Exception:
            log.exception("retention: pruning failed; it runs again at the next interval")

    async def _deliver(self, b: outbox.Batch) -> bool:
        port = self.core.ports.get(b.platform)
        if port is None:
            return False
        reply: Reply
        builder = self.builders.get(b.rows[0].result)
        if builder is not None:
            try:
                reply = await builder(b.rows[0])
            except Exception as e:  # not built (API down, render failed): retry later
                log.exception("notifier: building %s failed", b.rows[0].key)
                await self._failed(b, e)
                return False
        else:
            anns = [render.from_json(r.payload) for r in b.rows]
            reply = render.digest(anns) if b.digest else anns[0]
        dest: Destination = b.destination
        if getattr(port, "pacer", None) is None:
            # A port that holds a pacer (the Slack port: ``core.pacer("slack")``) paces its own
            # sends; pacing here too would spend two slots per message.
            await self.pacer(b.platform).acquire(b.channel_key)
        try:
            ref = await self._find_sent(port, b) if b.in_doubt else None
            if ref is None:
                ref = await port.send(dest, reply, key=b.batch)
        except Exception as e:  # the adapter's failure: retry the same batch (same key) later
            log.warning("notifier: sending %s to %s failed: %s", b.batch, b.channel_key, e)
            failed = await self._failed(b, e)
            if failed.retry_at is None and isinstance(reply, Announcement):
                await self._abandon(port, b, reply, e, failed.attempts)
            elif failed.retry_at is None:
                log.error(
                    "notifier: gave up sending %s after %d attempts", b.batch, failed.attempts
                )
            return False
        # The unavoidable window is here: sent, not yet marked (see bot/notifier/outbox.py).
        await self.core.db.transaction(
            lambda sdb: outbox.mark_sent(sdb, b.batch, ref.message_id, self.core.clock.now())
        )
        if isinstance(reply, Announcement):
            metrics.ANNOUNCEMENTS.labels(result=reply.result).inc()
        return True

    async def _failed(self, b: outbox.Batch, e: Exception) -> outbox.Failed:
        """Record a failed attempt: the same batch (same key) is retried later, with back-off,
        until the settings' attempts run out."""
        msg = f"{type(e).__name__}: {e}"
        settings = self.core.settings
        return await self.core.db.transaction(
            lambda sdb: outbox.mark_failed(
                sdb,
                b.batch,
                msg,
                self.core.clock.now(),
                max_attempts=settings.announce_attempts,
                backoff_max=settings.announce_backoff_max,
            )
        )

    async def _abandon(
        self, port: object, b: outbox.Batch, reply: Announcement, error: Exception, attempts: int
    ) -> None:
        """Given up after ``attempts`` failures: log it with its reference, count it, and tell
        each requester by direct message where the platform allows it."""
        posts = sorted({r.post_id for r in b.rows})
        log.error(
            "notifier: gave up announcing %s (posts %s) in %s after %d attempts: %s",
            b.batch,
            ", ".join(posts),
            b.channel_key,
            attempts,
            error,
        )
        metrics.ANNOUNCEMENTS.labels(result="abandoned").inc()
        send_direct = getattr(port, "send_direct", None)
        if send_direct is None:
            return
        why = (
            str(error)
            if isinstance(error, ChatSendError)
            else f"the chat platform kept failing ({type(error).__name__})"
        )
        notice = dataclasses.replace(
            reply,
            title=f"I couldn't post this result in its channel: {reply.title}",
            lines=(f"Why: {why}", f"Reference: {b.batch}", *reply.lines),
            mentions=(),
        )
        people = await self.core.db.run(lambda sdb: outbox.requesters(sdb, posts))
        for user_id, _team in people:
            try:
                await send_direct(user_id, notice)
            except Exception:
                log.warning(
                    "notifier: could not tell %s by DM that %s was given up", user_id, b.batch,
                    exc_info=True,
                )  # fmt: skip

    async def _find_sent(self, port: object, b: outbox.Batch) -> MessageRef | None:
        """A batch claimed before (its send may have gone out before a crash or a timeout):
        the message already in the chat, where the port can tell (Slack: message metadata)."""
        finder = getattr(port, "find_sent", None)
        if finder is None:
            return None
        ref: MessageRef | None = await finder(b.destination, b.batch)
        if ref is not None:
            log.info("notifier: %s was already sent to %s (found by key)", b.batch, b.channel_key)
        return ref

    async def _gauge_outbox(self) -> None:
        depth, oldest = await self.core.db.run(outbox.pending_summary)
        metrics.OUTBOX_DEPTH.set(depth)
        age = (self.core.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        metrics.OUTBOX_OLDEST_AGE.set(max(0.0, age))

    def _default_client(self, workspace: str) -> PollClient:
        return self.core.clients.for_workspace(workspace).share(BUDGET_SHARE)

    def _client(self, workspace: str) -> PollClient:
        c = self._clients.get(workspace)
        if c is None:
            c = self._clients[workspace] = self._client_factory(workspace)
        return c

    def _poller(self, name: str) -> WorkspacePoller:
        p = self._pollers.get(name)
        if p is None:
            ws = self.core.settings.workspace(name)
            announce: Destination | None = None
            if ws.follow_external:
                if ws.announce_channel and ":" in ws.announce_channel:
                    plat, chan = ws.announce_channel.split(":", 1)
                    announce = Destination(plat, chan)
                else:
                    log.warning(
                        "notifier: workspace %s follows external posts but has no "
                        "announce_channel ('platform:channel'); external posts are ignored",
                        name,
                    )
            p = WorkspacePoller(
                workspace=name,
                db=self.core.db,
                client=lambda: self._client(name),
                interval=self.interval,
                budget=self.requests_per_tick,
                announce_to=announce,
            )
            self._pollers[name] = p
        return p
