"""bot.deliveries: background work past the concurrency limit waits in a queue, in order, in
the context it was spawned in, and is dropped (never started) when the process gives up."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any, cast

from bot.core import Core
from bot.deliveries import Deliveries

TEAM: ContextVar[str] = ContextVar("team", default="none")


def _runner(limit: int) -> Deliveries:
    return Deliveries(cast(Core, None), "test", max_concurrent=limit)  # spawn needs no core


async def test_at_most_limit_run_and_the_rest_start_in_order_in_their_own_context() -> None:
    d = _runner(2)
    gate = asyncio.Event()
    running: list[int] = []
    seen: list[tuple[int, str]] = []
    peak = 0

    async def work(i: int) -> None:
        nonlocal peak
        running.append(i)
        peak = max(peak, len(running))
        seen.append((i, TEAM.get()))
        await gate.wait()
        running.remove(i)

    for i in range(6):
        TEAM.set(f"T{i}")  # what a request's scope would be when it spawned its work
        d.spawn(work(i), name=f"w{i}")
    TEAM.set("none")
    await asyncio.sleep(0)
    assert [i for i, _ in seen] == [0, 1]
    assert d.busy == 6 and len(d.tasks) == 2  # four wait as bare coroutines, not tasks
    gate.set()
    await d.idle()
    assert seen == [(i, f"T{i}") for i in range(6)]
    assert peak == 2 and d.busy == 0


async def test_urgent_work_skips_the_queue() -> None:
    d = _runner(1)
    gate = asyncio.Event()
    order: list[str] = []

    async def slow(name: str) -> None:
        order.append(name)
        await gate.wait()

    d.spawn(slow("a"), name="a")
    d.spawn(slow("b"), name="b")
    d.spawn(slow("now"), name="now", urgent=True)
    await asyncio.sleep(0)
    assert order == ["a", "now"]
    gate.set()
    await d.idle()
    assert order == ["a", "now", "b"]


async def test_cancel_drops_queued_work_unstarted_and_cancels_the_running() -> None:
    d = _runner(1)
    started: list[int] = []

    async def work(i: int) -> None:
        started.append(i)
        await asyncio.Event().wait()

    coros: list[Any] = [work(i) for i in range(3)]
    for i, c in enumerate(coros):
        d.spawn(c, name=f"w{i}")
    await asyncio.sleep(0)
    tasks = d.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0)
    assert started == [0]
    assert all(t.cancelled() for t in tasks)
    assert d.busy == 0
    assert all(c.cr_frame is None for c in coros[1:])  # closed, so no "never awaited" warning


async def test_a_failing_task_frees_its_slot() -> None:
    d = _runner(1)
    done: list[str] = []

    async def boom() -> None:
        raise RuntimeError("bug")

    async def after() -> None:
        done.append("after")

    d.spawn(boom(), name="boom")
    d.spawn(after(), name="after")
    await d.idle()
    assert done == ["after"]
