"""``python -m bench.slack_ack --teams N``: the single-team bot against the distributed bot
with N installed teams, alternating slices in one run (see ``bench.slack_ack``'s docstring).

Both bots share this process and its garbage collector: a full pass (a few ms, while every
in-flight ack waits) lands in whichever slice is running and alone decides that side's p99. So
each slice starts from a fresh collection, and the passes inside slices are counted
(``FullPasses``) and printed."""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

from bench.slack_ack import Result, bot_app, fire, service, table


class FullPasses:
    """Full (oldest-generation) garbage collections while a named slice runs (gc.callbacks)."""

    def __init__(self) -> None:
        self.passes: dict[str, list[float]] = {}
        self._name: str | None = None
        self._t0 = 0.0

    @contextmanager
    def counting(self, name: str) -> Iterator[None]:
        self._name = name
        self.passes.setdefault(name, [])
        gc.callbacks.append(self._callback)
        try:
            yield
        finally:
            gc.callbacks.remove(self._callback)
            self._name = None

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2 or self._name is None:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.passes[self._name].append((time.perf_counter() - self._t0) * 1000)

    def summary(self) -> str:
        return "; ".join(
            f"{name.strip()}: {len(ms)} ({sum(ms):.1f} ms)" for name, ms in self.passes.items()
        )


async def run_teams(n: int, concurrency: int, stub: bool, rounds: int, teams: int) -> int:
    """Single-team bot vs distributed bot with ``teams`` teams, alternating slices."""
    single = Result("1 team   ", [], {})
    many = Result(f"{teams} teams", [], {})
    async with AsyncExitStack() as stack:
        slack_url = await stack.enter_async_context(service("slack", teams))
        sandbox = None if stub else await stack.enter_async_context(service("sandbox"))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        one_url, one = await stack.enter_async_context(bot_app(slack_url, tmp, stub, 0, sandbox))
        many_url, dist = await stack.enter_async_context(
            bot_app(slack_url, tmp, stub, teams, sandbox)
        )
        response_url = f"{slack_url}/respond/bench"
        per = max(1, n // rounds)
        full = FullPasses()
        slices: dict[str, list[float]] = {single.name: [], many.name: []}  # each slice's p99
        for r in range(rounds):
            order = [(single, one_url, 0), (many, many_url, teams)]
            for result, url, t in order[:: 1 if r % 2 == 0 else -1]:
                if stub:
                    await one.idle()  # type: ignore[attr-defined]
                    await dist.idle()  # type: ignore[attr-defined]
                gc.collect()  # see the module docstring
                with full.counting(result.name):
                    part = await fire(url, per, concurrency, response_url, result.name, t, teams)
                result.latencies += part.latencies
                slices[result.name].append(part.pct(99))
        tokens = dist.tokens  # type: ignore[attr-defined]
        cache = f"token cache: {len(tokens)} teams held, {tokens.hits} hits, {tokens.misses} misses"
    for res in (single, many):
        res.statuses = {200: len(res.latencies)}
    print(table([single, many]))
    ratio = many.pct(99) / single.pct(99) if single.pct(99) else float("inf")
    ok = ratio <= 1.2
    print(
        f"\n{teams}-team p99 / single-team p99 = {ratio:.2f} (target ≤ 1.2: "
        f"{'ok' if ok else 'MISSED'}); {cache}"
    )
    print(
        f"dispatch: {'stub' if stub else 'real commands.dispatch + sandbox (own process)'}; "
        f"{rounds} alternating rounds, a gc.collect() before each; both bots in this process, "
        "the fake Slack, sandbox and load generator each in their own"
    )
    print(f"full GC passes inside the measured slices: {full.summary()}")
    # The pooled p99 is set by the slowest slice (50 requests in flight stall together), so it
    # varies run to run with this machine's load; the slices' median p99 varies less.
    typical = statistics.median(slices[many.name]) / statistics.median(slices[single.name])
    print(f"median of the slices' p99, {teams} teams / 1 team: {typical:.2f} (for reference)")
    return 0 if ok else 1
