"""The process ``bench capacity`` measures: one ``python -m bot run``, its CPU and RSS read from
``/proc``, its ``/readyz`` and ``/metrics`` read over HTTP. Platform-neutral: the caller gives
the chat platform's environment and the TOML config (``capacity.py`` for Slack,
``_capacity_discord.py`` for Discord)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
HEALTH_LINE = re.compile(r"health at http://([^:/\s]+):(\d+)/healthz")
TICKS = os.sysconf("SC_CLK_TCK")
MIB = 1 << 20


def key_of(i: int) -> str:
    """Workspace key ``i`` (the sandbox knows ``key_of(0..n-1)``; the bot reads them from
    ``CAP_KEY_{i:04d}``)."""
    return f"sk_test_capacity_{i:04d}"


def workspaces_toml(n: int, interval: float) -> list[str]:
    """``[notifier]`` and ``n`` workspaces ``w0000…``, each with its own key."""
    lines = [f"[notifier]\ninterval = {interval}\n"]
    for i in range(n):
        lines.append(f'[workspaces.w{i:04d}]\nkey_env = "CAP_KEY_{i:04d}"\n')
    return lines


@dataclass
class Bot:
    proc: asyncio.subprocess.Process
    started: float
    base: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> tuple[float, float]:
        """(event-loop thread, all other threads) CPU seconds so far."""
        main = other = 0.0
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            secs = (int(fields[11]) + int(fields[12])) / TICKS
            if int(tid) == self.pid:
                main += secs
            else:
                other += secs
        return main, other

    def rss_mib(self) -> float:
        with open(f"/proc/{self.pid}/status") as f:
            m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.MULTILINE)
        return int(m.group(1)) / 1024 if m else 0.0


@asynccontextmanager
async def bot_process(
    tmp: Path,
    config: str,
    platform_env: Mapping[str, str],
    api_url: str,
    keys: int,
    db: Path,
) -> AsyncIterator[Bot]:
    """``python -m bot run`` on ``--port 0`` with ``config`` as its TOML, ``keys`` workspace
    keys in its environment and ``platform_env`` (SLACK_… or DISCORD_…); yields once its
    health URL is known (not yet ready: see ``wait_ready``)."""
    cfg = tmp / f"capacity-{db.stem}.toml"
    cfg.write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "SOC"))}
    env.update(
        SOCIAL_API_URL=api_url,
        SOCIAL_API_KEY=key_of(0),
        SOCIALBOT_DB=str(db),
        SOCIALBOT_CONFIG=str(cfg),
        SOCIALBOT_ALLOW_PRIVATE_MEDIA="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(platform_env)
    env.update({f"CAP_KEY_{i:04d}": key_of(i) for i in range(keys)})
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0",
        cwd=str(ROOT), env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = Bot(proc, started)
    assert proc.stderr is not None
    found = asyncio.get_running_loop().create_future()

    async def read() -> None:
        assert proc.stderr is not None
        while raw := await proc.stderr.readline():
            line = raw.decode("utf-8", "replace").rstrip()
            bot.lines.append(line)
            if (m := HEALTH_LINE.search(line)) and not found.done():
                found.set_result(f"http://{m.group(1)}:{m.group(2)}")
        if not found.done():
            found.set_exception(RuntimeError("bot exited:\n" + "\n".join(bot.lines[-20:])))

    reader = asyncio.create_task(read())
    try:
        bot.base = await asyncio.wait_for(found, 120)
        yield bot
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        reader.cancel()


async def wait_ready(http: aiohttp.ClientSession, bot: Bot, deadline_s: float = 120) -> float:
    """Seconds from process start to the first ``/readyz`` 200."""
    end = time.perf_counter() + deadline_s
    while time.perf_counter() < end:
        try:
            async with http.get(f"{bot.base}/readyz") as r:
                if r.status == 200:
                    return time.perf_counter() - bot.started
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.02)
    raise RuntimeError("/readyz never answered 200")


async def metrics(http: aiohttp.ClientSession, bot: Bot) -> dict[str, float]:
    """Sums of the counters the report uses."""
    async with http.get(f"{bot.base}/metrics") as r:
        text = await r.text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"(socialbot_[a-z_]+?)(_total)?(\{[^}]*\})? ([0-9.eE+-]+)$", line)
        if m and m.group(2):
            out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(4))
    return out
