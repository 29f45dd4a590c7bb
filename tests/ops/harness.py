"""Running ``socialbot`` as a subprocess, as an operator would, against fakes in this process.

    bot = await BotProcess.start(["run", "--host", "127.0.0.1", "--port", "0"], env)
    await bot.wait_for_line("health at http://")
    ...
    rc = await bot.terminate()          # SIGTERM, then the exit code

The child's stderr is read line by line as it comes (``bot.lines``) and, at the end, handed to
the session's secret scanner (``tests/secrets.py``).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot.chat import Destination, MessageRef, Reply
from tests.secrets import session_scanner

ROOT = Path(__file__).resolve().parents[2]
HEALTH_LINE = re.compile(r"health at http://([^:/\s]+):(\d+)/healthz")
T = TypeVar("T")

# Variables of the parent that must not leak into the child (it gets exactly what a test sets).
_CLEARED_PREFIXES = ("SLACK_", "DISCORD_", "SOCIAL_", "SOCIALBOT_")


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name
        self.lines: list[str] = []
        self.stdout = ""
        self._changed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())
        self._scanned = False

    @classmethod
    async def start(
        cls, args: Sequence[str], env: Mapping[str, str], name: str = "socialbot"
    ) -> BotProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=str(ROOT),
            env=child_env(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc, name)

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while True:
            raw = await self.proc.stderr.readline()
            if not raw:
                break
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, pattern: str | re.Pattern[str], deadline: float = 30.0) -> str:
        """The first stderr line matching ``pattern`` (fails if the process exits first)."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if rx.search(line):
                    return line
            seen = len(self.lines)
            if self._reader.done():
                raise AssertionError(
                    f"{self.name} exited (rc={self.proc.returncode}) before logging "
                    f"{rx.pattern!r}:\n{self.stderr}"
                )
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"{self.name}: no line {rx.pattern!r} in:\n{self.stderr}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    async def health_port(self) -> int:
        line = await self.wait_for_line(HEALTH_LINE)
        m = HEALTH_LINE.search(line)
        assert m is not None
        return int(m.group(2))

    async def wait(self, deadline: float) -> int:
        """The exit code, within ``deadline`` seconds (fails otherwise)."""
        try:
            rc = await asyncio.wait_for(self.proc.wait(), deadline)
        except TimeoutError:
            raise AssertionError(f"{self.name} still running after {deadline} s") from None
        await self._finish()
        return rc

    async def terminate(self, deadline: float = 25.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return await self.wait(deadline)

    async def _finish(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        await asyncio.wait_for(self._reader, 10)
        if self.proc.stdout is not None:
            self.stdout = (await self.proc.stdout.read()).decode("utf-8", "replace")
        scanner = session_scanner()
        scanner.add_text(f"{self.name} stderr", self.stderr)
        scanner.add_text(f"{self.name} stdout", self.stdout)

    async def close(self) -> None:
        """Make sure the process is gone (teardown)."""
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self._finish()


async def run_cli(
    args: Sequence[str], env: Mapping[str, str], name: str = "socialbot", deadline: float = 30.0
) -> tuple[int, str, str]:
    """Run a short ``socialbot`` command to completion: (exit code, stdout, stderr)."""
    bot = await BotProcess.start(args, env, name)
    try:
        rc = await bot.wait(deadline)
    finally:
        await bot.close()
    return rc, bot.stdout, bot.stderr


async def eventually(
    probe: Callable[[], Awaitable[T]],
    ok: Callable[[T], bool] = bool,
    deadline: float = 15.0,
    what: str = "condition",
) -> T:
    """Call ``probe`` until ``ok(result)``; the result (no fixed sleeps: short polls)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while True:
        got = await probe()
        if ok(got):
            return got
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}; last: {got!r}")
        await asyncio.sleep(0.05)


@dataclass
class NullPort:
    """A ``ChatPort`` that records what is sent and does nothing else."""

    platform: str = "slack"
    sent: list[tuple[Destination, Reply]] = field(default_factory=list)

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        self.sent.append((dest, reply))
        return MessageRef(self.platform, dest.channel, str(len(self.sent)))

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        return None

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        return None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()
