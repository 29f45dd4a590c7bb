"""A fake remote service run in a process of its own, for the benchmarks.

    async with child_service("bench.slack_ack", ["--serve", "slack"], "slack") as url: ...

The child prints one line (its URL, or whatever the caller needs) once it is up and runs until
its standard input closes; this reads that line, and on exit closes stdin and waits (killing
it after 10 s).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def child_service(
    module: str, args: Sequence[str], name: str, *, niceness: int = 0
) -> AsyncIterator[str]:
    """``niceness``: lower the child's CPU priority (a service whose speed is not what is
    measured yields the CPU to the measured process and the load generator)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    keep_off_first_core(proc.pid)
    if niceness:
        try:
            os.setpriority(os.PRIO_PROCESS, proc.pid, niceness)
        except (AttributeError, OSError):
            pass
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"the {name} process did not start")
        yield line.decode().strip()
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def keep_off_first_core(pid: int) -> None:
    """Pin a helper process (a fake service, the load generator) to the CPUs other than the
    first, so the measured process has one core the helpers never preempt it on (a 2-core
    machine running four busy processes otherwise stalls the measured event loop for a
    scheduler slice now and then — the same stall in either of two apps compared). No-op
    where affinity cannot be set or there is one CPU."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) > 1:
            os.sched_setaffinity(pid, cpus[1:])
    except (AttributeError, OSError):
        pass
