"""``Renderer``: draws pictures off the event loop.

    renderer = Renderer()                 # nothing started yet (no import, no process)
    out = await renderer.calendar(spec)   # first use: start the worker; later: reuse it
    await renderer.aclose()

Mode ``"process"`` (the default): a one-process ``ProcessPoolExecutor`` (``spawn``: never a fork
of a threaded, running event loop). matplotlib is imported in that process only, so the bot's
own memory and start-up do not grow, and drawing never holds the bot's GIL while it acks Slack
and Discord; the worker runs at a lower CPU priority (nice 10), so on a busy machine the
acks come first. Mode ``"thread"``: a thread pool in this process (for tools; it shares the GIL).
A worker that died (``BrokenProcessPool``) is replaced once and the picture retried.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from bot.pictures.calendar import render_calendar
from bot.pictures.chart import render_chart
from bot.pictures.model import CalendarSpec, ChartSpec, Rendered

log = logging.getLogger(__name__)

T = TypeVar("T")


NICE = 10  # the worker's scheduling priority: below the bot's, which acks Slack and Discord


def _lower_priority(nice: int) -> None:
    """In the worker: draw with what CPU the bot leaves (not at its expense)."""
    try:
        os.nice(nice)
    except OSError:
        pass


class Renderer:
    def __init__(self, mode: str = "process", workers: int = 1, nice: int = NICE) -> None:
        if mode not in ("process", "thread"):
            raise ValueError("mode must be 'process' or 'thread'")
        self.mode = mode
        self.workers = max(1, workers)
        self.nice = nice
        self._pool: Executor | None = None
        self.rendered = 0  # pictures drawn (for tests and metrics)

    def _executor(self) -> Executor:
        if self._pool is None:
            if self.mode == "process":
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=ctx, initializer=_lower_priority,
                    initargs=(self.nice,),
                )  # fmt: skip
            else:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="pictures")
        return self._pool

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            try:
                return await loop.run_in_executor(self._executor(), fn, *args)
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                log.warning("pictures: the render worker died; starting a new one")
                pool, self._pool = self._pool, None
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
        raise AssertionError("unreachable")

    async def calendar(self, spec: CalendarSpec) -> Rendered:
        out = await self._run(render_calendar, spec)
        self.rendered += 1
        return out

    async def chart(self, spec: ChartSpec) -> Rendered:
        out = await self._run(render_chart, spec)
        self.rendered += 1
        return out

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def close(self) -> None:
        """Stop the worker (waits for a picture being drawn)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()
