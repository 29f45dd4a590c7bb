"""Crash-safe delivery, the same for every adapter: record → run → mark done → resume at start.

An adapter acknowledges what the platform sent (Slack: the HTTP 200 or the Socket Mode ack;
Discord: the defer callback; the console: the line read) and says so by recording it here::

    runner = Deliveries(core, "discord")
    begin, entry = await runner.record(delivery_id, kind, payload)   # pending in bot.journal
    runner.spawn(work(), name="discord /post")                      # tracked, ≤ N at a time
    outcome = await runner.guarded(dispatcher.dispatch(core, inv), delivery_id)
    # commands.dispatch marks the entry done when it has an answer (whatever the answer)
    ...
    await runner.resume(replayer)     # at start-up, before serving: what a dead process left

``payload`` is whatever the adapter needs to run the delivery again (JSON). What the runner
cannot know is how the platform lets the bot answer later; that is the adapter's ``Replayer``:

    replay(entry)            run it again and answer (Slack: in the recorded thread; Discord:
                             the follow-up webhook while the interaction token lives, else in
                             the channel mentioning the requester)
    give_up(entry, reply)    tell the requester it could not be finished

Effects are not repeated on a re-run: a post the dead process created is adopted, never
created twice (``bot.journal``: ``note_post`` / ``find_created``); votes are idempotent.

Order against the ack: recording *after* the ack leaves a window (the ack went out, the
process dies before the local write commits: the platform will not send it again). Where the
platform allows a local write before the ack (Slack Socket Mode: 3 s), the adapter records
first and acks after.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections import deque
from collections.abc import Coroutine
from typing import Any, Protocol

from bot import journal
from bot.chat import ErrorReply, Outcome
from bot.core import Core

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8

GAVE_UP = ErrorReply(
    title="Sorry — I could not finish your request",
    problems=("It was interrupted too many times.",),
    hint="Check /status before sending it again.",
)


def apology(reference: str) -> ErrorReply:
    """What the requester sees when running a delivery hit a bug (not a user error)."""
    return ErrorReply(
        title="Sorry — something went wrong on my side",
        problems=("It may not have been done: check /status before trying again.",),
        hint="If it keeps happening, give an admin the reference.",
        reference=reference,
    )


class Replayer(Protocol):
    """How one adapter runs a recorded delivery again and answers its requester now."""

    async def replay(self, entry: journal.Entry) -> None: ...

    async def give_up(self, entry: journal.Entry, reply: ErrorReply) -> None: ...


class Deliveries:
    """One adapter's accepted deliveries: journaled, run as tracked background tasks."""

    def __init__(
        self, core: Core, platform: str, *, max_concurrent: int = DEFAULT_CONCURRENCY
    ) -> None:
        self.core = core
        self.platform = platform
        self._tasks: set[asyncio.Task[None]] = set()
        # Work behind acks runs at most this many at a time: a burst queues up cheaply instead
        # of crowding the event loop that has to answer the next acks.
        self._max = max_concurrent
        self._running = 0
        self._queue: deque[tuple[Coroutine[Any, Any, None], str, contextvars.Context]] = deque()

    # ------------------------------------------------------------ the journal

    async def record(
        self, id: str, kind: str, payload: dict[str, Any]
    ) -> tuple[journal.Begin, journal.Entry | None]:
        """Record an acknowledged delivery (pending); what to do with it. A database failure
        here is logged and the work runs anyway (unjournaled)."""
        try:
            return await journal.record(
                self.core.db,
                id=id,
                platform=self.platform,
                kind=kind,
                payload=payload,
                now=self.core.clock.now(),
            )
        except Exception:
            log.exception("journal: could not record delivery %s; running it unjournaled", id)
            return journal.Begin.NEW, None

    async def set_thread(self, id: str, thread: str) -> None:
        """The message that stands for the request (its thread), once posted."""
        await journal.set_thread(self.core.db, id, thread)

    async def done(self, id: str) -> None:
        """Finished without a dispatch (answered by the adapter itself, or dropped)."""
        await journal.mark_done(self.core.db, id, self.core.clock.now())

    async def resume(self, replayer: Replayer) -> int:
        """Take over what a dead process accepted and did not finish, and run it again in the
        background; the number of deliveries taken over. Called at start-up, before serving."""
        entries = await journal.take_over(self.core.db, self.platform, self.core.clock.now())
        for e in entries:
            log.info(
                "journal: resuming %s %s delivery %s (attempt %d)",
                self.platform,
                e.kind,
                e.id,
                e.attempts,
            )
            try:
                if e.post_id is not None:  # its post was recorded: nothing left to redo
                    await self.done(e.id)
                elif e.attempts > journal.MAX_ATTEMPTS:  # it keeps dying with the process
                    log.error("journal: giving up on %s after %d attempts", e.id, e.attempts)
                    await replayer.give_up(e, GAVE_UP)
                    await self.done(e.id)
                else:
                    self.spawn(replayer.replay(e), name=f"{self.platform} {e.kind} resumed")
            except Exception:
                log.exception("journal: could not resume delivery %s", e.id)
        return len(entries)

    # ------------------------------------------------------------ running

    async def guarded(self, call: Coroutine[Any, Any, Outcome], delivery_id: str) -> Outcome:
        """Run a dispatch call; a bug becomes an apology with a reference id (never a crash)."""
        try:
            return await call
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception(
                "%s: dispatch failed (ref %s, delivery %s)", self.platform, ref, delivery_id
            )
            return Outcome(replies=(apology(ref),))

    def spawn(self, coro: Coroutine[Any, Any, None], name: str, *, urgent: bool = False) -> None:
        """Run ``coro`` in the background, tracked; ``urgent`` skips the queue (e.g. Slack's
        views.open must happen within the trigger_id's 3 s whatever else is running).

        Past ``max_concurrent`` the work waits in a queue as the bare coroutine and the context
        it was spawned in (the request's, e.g. its Slack team), and becomes a task only when a
        slot frees: a burst of thousands of requests holds no task, future or waiter each,
        which the garbage collector's full passes would otherwise walk while acks wait."""
        if urgent or self._running < self._max:
            self._start(coro, name, slotted=not urgent, context=None)
        else:
            self._queue.append((coro, name, contextvars.copy_context()))

    def _start(
        self,
        coro: Coroutine[Any, Any, None],
        name: str,
        *,
        slotted: bool,
        context: contextvars.Context | None,
    ) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name, context=context)
        self._tasks.add(task)
        if slotted:
            self._running += 1
            task.add_done_callback(self._slot_done)
        task.add_done_callback(self._task_done)

    def _slot_done(self, task: asyncio.Task[None]) -> None:
        self._running -= 1
        if self._queue:
            coro, name, context = self._queue.popleft()
            self._start(coro, name, slotted=True, context=context)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "%s task %s failed", self.platform, task.get_name(), exc_info=task.exception()
            )

    @property
    def busy(self) -> int:
        """Background work not finished: running, or queued for a slot."""
        return len(self._tasks) + len(self._queue)

    @property
    def tasks(self) -> frozenset[asyncio.Task[None]]:
        return frozenset(self._tasks)

    async def idle(self) -> None:
        """Wait until every background task (and any they started) has finished."""
        while self._tasks or self._queue:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def cancel(self) -> frozenset[asyncio.Task[None]]:
        """Drop the queued work (never started) and cancel the running tasks; those tasks."""
        while self._queue:
            coro, _, _ = self._queue.popleft()
            coro.close()
        tasks = self.tasks
        for t in tasks:
            t.cancel()
        return tasks

    async def drain(self, grace: float) -> None:
        """Let running work finish (up to ``grace`` seconds), then cancel what is left."""
        try:
            await asyncio.wait_for(self.idle(), grace)
        except TimeoutError:
            self.cancel()
