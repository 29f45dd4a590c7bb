"""Child processes of the fault run (the sandbox, the bot): started with ``python -m bot``, their
output in a log file read by pattern, SIGKILLed or terminated."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Proc:
    """A child process whose stdout+stderr go to a log file (read by pattern)."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log

    @classmethod
    async def start(cls, args: list[str], env: dict[str, str], log: Path) -> Proc:
        fh = await asyncio.to_thread(open, log, "ab")  # handed to the child
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *args,
                cwd=str(ROOT),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=fh,
                stderr=fh,
            )
        finally:
            fh.close()
        return cls(proc, log)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for(self, rx: re.Pattern[str], after: int, deadline: float) -> re.Match[str]:
        end = time.monotonic() + deadline
        while True:
            m = rx.search(self.text()[after:])
            if m:
                return m
            if self.proc.returncode is not None:
                raise RuntimeError(f"{self.log.name}: exited ({self.proc.returncode})")
            if time.monotonic() > end:
                raise RuntimeError(f"{self.log.name}: no {rx.pattern!r} in {deadline} s")
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self, grace: float = 25.0) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except TimeoutError:
                await self.kill()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    prefixes = ("SLACK_", "DISCORD_", "SOCIAL_", "SOCIALBOT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env
