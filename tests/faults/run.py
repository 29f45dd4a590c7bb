"""One fault run on one platform: what both platforms share (``Run``) — the sandbox, the bot
process, the killer, the settling and the verdict. The platforms: ``slack_run.py``,
``discord_run.py``; the command line and the side-by-side run: ``driver.py``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.faults.procs import Proc, child_env
from tests.faults.report import Report

API_KEY = "sk_test_faults"
LISTEN = re.compile(r"listening on (http://\S+)")
HEALTH = re.compile(r"health at http://([\d.]+):(\d+)/healthz")
TOKEN = re.compile(r"fzt\d{4}z")


@dataclass
class Config:
    platform: str = "slack"
    posts: int = 40
    kills: int = 5
    seed: int = 7
    approval_share: float = 0.3
    submit_rate: float = 3.0  # posts per second
    fault_5xx: float = 0.2
    fault_timeout: float = 0.05
    hang: float = 2.0
    slow: float = 0.05
    burst_every: int = 150
    publish_delay: float = 0.3
    interval: float = 2.0
    chat_ambiguous: float = 0.05  # keyed chat sends that go out, then answer 500
    gateway_faults: int = 0  # Discord gateway disconnects (default: derived from kills)
    kill_every: tuple[float, float] | None = None  # seconds between kills (default: derived)
    deadline: float = 170.0  # seconds for the whole run
    workdir: Path | None = None
    verbose: bool = False


def token(i: int) -> str:
    return f"fzt{i:04d}z"


def caption(i: int, n: int) -> str:
    return f"fault run {token(i)} — post {i} of {n}"


class Run:
    """What both platforms share: the sandbox, the bot process, the killer, the verdict.

    A platform fills in the fake (``start_fake`` / ``stop_fake``), the bot's environment and
    readiness, ``submit(i, approval)``, the approver, and what it sees: ``announced()``
    (announcements per token), ``answered()`` (tokens whose requester got an answer) and
    ``card_text(post_id)`` (None while no card)."""

    platform = "?"

    def __init__(self, cfg: Config, work: Path) -> None:
        self.cfg = cfg
        self.work = work
        self.rng = random.Random(cfg.seed)
        self.report = Report(platform=self.platform, min_kills=cfg.kills)
        self.sandbox: Proc | None = None
        self.bot: Proc | None = None
        self.up = asyncio.Event()
        self.sandbox_url = ""
        self.approval_ids: set[int] = set()
        self.cards_seen: set[str] = set()  # post ids whose card we acted on
        self.approved_posts: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.submitted = asyncio.Event()
        self.stop_killing = asyncio.Event()
        self.epoch = 0  # bumped by every kill (what was in flight may be lost)
        # Held by a platform fault until the bot recovered from it, so a kill does not always
        # cut the recovery short (Discord: discord.py waits 5 s before a new IDENTIFY).
        self.quiet = asyncio.Lock()

    def log(self, msg: str) -> None:
        if self.cfg.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {self.platform}: {msg}", flush=True)

    # -- platform hooks

    async def start_fake(self) -> None:
        raise NotImplementedError

    async def stop_fake(self) -> None:
        raise NotImplementedError

    def bot_env(self) -> dict[str, str]:
        raise NotImplementedError

    async def start_bot(self) -> None:
        raise NotImplementedError

    async def submit(self, i: int, approval: bool) -> None:
        raise NotImplementedError

    async def approver(self) -> None:
        raise NotImplementedError

    async def disruptor(self) -> None:
        """Platform faults besides kills (Discord: gateway disconnects)."""

    def announced(self) -> Counter[str]:
        raise NotImplementedError

    def answered(self) -> set[str]:
        raise NotImplementedError

    def card_text(self, post_id: str) -> str | None:
        raise NotImplementedError

    def extra_rows(self) -> list[tuple[str, str]]:
        return []

    # -- processes

    async def start_sandbox(self) -> None:
        c = self.cfg
        args = [
            "--log-level", "INFO", "sandbox", "--host", "127.0.0.1", "--port", "0",
            "--db", str(self.work / "sandbox.db"), "--key", API_KEY,
            "--publish-delay", str(c.publish_delay), "--seed", str(c.seed),
            "--fault-5xx", str(c.fault_5xx), "--fault-timeout", str(c.fault_timeout),
            "--fault-timeout-mode", "hang", "--fault-hang", str(c.hang), "--slow", str(c.slow),
            "--fault-429-burst-every", str(c.burst_every),
        ]  # fmt: skip
        self.sandbox = await Proc.start(args, child_env({}), self.work / "sandbox.log")
        m = await self.sandbox.wait_for(LISTEN, 0, 30)
        self.sandbox_url = m.group(1)

    def config_file(self, public: str, approval: str, approvers: tuple[str, ...]) -> Path:
        config = self.work / "socialbot.toml"
        config.write_text(
            f"""[notifier]
interval = {self.cfg.interval}

[[channels]]
platform = "{self.platform}"
channel = "{public}"

[[channels]]
platform = "{self.platform}"
channel = "{approval}"
[channels.approval]
required = true
approvers = {json.dumps(list(approvers))}
quorum = 1
""",
            encoding="utf-8",
        )
        return config

    def common_env(self, config: Path) -> dict[str, str]:
        return {
            "SOCIAL_API_URL": self.sandbox_url,
            "SOCIAL_API_KEY": API_KEY,
            "SOCIALBOT_DB": str(self.work / "bot.db"),
            "SOCIALBOT_CONFIG": str(config),
        }

    async def launch(self, args: list[str]) -> tuple[str, int]:
        """Start the bot; the (host, port) of its health endpoint."""
        log = self.work / "bot.log"
        after = len(log.read_text(encoding="utf-8", errors="replace")) if log.exists() else 0
        self.bot = await Proc.start(["--log-level", "INFO", *args], self.bot_env(), log)
        m = await self.bot.wait_for(HEALTH, after, 60)
        return m.group(1), int(m.group(2))

    async def kill_bot(self) -> None:
        assert self.bot is not None
        self.up.clear()
        self.epoch += 1
        await self.bot.kill()
        self.report.kills += 1
        self.log(f"SIGKILL #{self.report.kills}")
        await asyncio.sleep(self.rng.uniform(0.0, 0.5))
        await self.start_bot()
        self.report.restarts += 1

    def spawn(self, coro: Any) -> None:
        t = asyncio.ensure_future(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)

    async def submit_all(self) -> None:
        n = self.cfg.posts
        k = round(n * self.cfg.approval_share)
        self.approval_ids = set(self.rng.sample(range(n), k))
        self.report.asked, self.report.asked_approval = n, k
        for i in range(n):
            self.spawn(self.submit(i, i in self.approval_ids))
            await asyncio.sleep(self.rng.expovariate(self.cfg.submit_rate))
        self.submitted.set()

    def kill_gaps(self, kills: int) -> tuple[float, float]:
        c = self.cfg
        span = c.posts / c.submit_rate + 10.0
        gap = span / (kills + 1)
        return gap * 0.5, gap * 1.2

    async def killer(self) -> None:
        c = self.cfg
        lo, hi = c.kill_every if c.kill_every is not None else self.kill_gaps(c.kills)
        while self.report.kills < c.kills or not self.submitted.is_set():
            await asyncio.sleep(self.rng.uniform(lo, hi))
            if self.stop_killing.is_set():
                return
            async with self.quiet:
                await self.kill_bot()

    # -- checking

    def sandbox_posts(self) -> list[dict[str, Any]]:
        path = self.work / "sandbox.db"
        if not path.exists():
            return []
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute("SELECT blob FROM records WHERE kind = 'post'").fetchall()
        return [json.loads(r[0]) for r in rows]

    def evaluate(self, final: bool) -> bool:
        """Fill the report; True when every request has settled."""
        r = self.report
        created: Counter[str] = Counter()  # records per token (canceled ones included)
        live: Counter[str] = Counter()  # not canceled
        for p in self.sandbox_posts():
            text = json.dumps(p.get("spec", p), ensure_ascii=False)
            targets = p.get("targets") or []
            canceled = bool(p.get("canceled")) or (
                bool(targets) and all(t.get("canceled") for t in targets)
            )
            for t in set(TOKEN.findall(text)):
                created[t] += 1
                live[t] += not canceled
        announced = self.announced()
        answered = self.answered()

        tokens = [token(i) for i in range(self.cfg.posts)]
        settled = True
        problems: list[str] = []
        r.created = sum(1 for t in tokens if live[t])
        r.duplicates = sum(max(0, created[t] - 1) for t in tokens)
        r.announced_once = sum(1 for t in tokens if announced[t] == 1)
        r.announced_twice = sum(1 for t in tokens if announced[t] > 1)
        r.created_not_announced = 0
        r.lost_requests = 0
        r.reported_failed = sum(1 for t in tokens if t in answered and not live[t])
        for t in tokens:
            if live[t] and not announced[t]:
                settled = False
                r.created_not_announced += 1
                problems.append(f"{t}: created, not announced")
            elif not live[t] and t not in answered:
                settled = False
                r.lost_requests += 1
                problems.append(f"{t}: not created, no answer to the requester")
            if created[t] > 1:
                problems.append(f"{t}: created {created[t]} times")
            if announced[t] > 1:
                problems.append(f"{t}: announced {announced[t]} times")
        # approvals: every card we approved must have gone out (announced as a result)
        lost = 0
        for pid in self.approved_posts:
            card = self.card_text(pid)
            toks = set(TOKEN.findall(card)) if card is not None else set()
            if not toks or not all(announced[t] for t in toks):
                lost += 1
                problems.append(f"approved {pid} ({', '.join(toks) or '?'}): not published")
        r.approvals_lost = lost
        settled = settled and lost == 0
        cards_pending = len(self.cards_seen - self.approved_posts)
        settled = settled and cards_pending == 0
        r.faults = self.sandbox_faults()
        if final:
            r.problems = problems
            r.extra = self.extra_rows()
            bot_log = self.work / "bot.log"
            text = bot_log.read_text(encoding="utf-8", errors="replace") if bot_log.exists() else ""
            r.resumed = len(re.findall(r"journal: resuming ", text))
            r.adopted = len(re.findall(r"journal: adopting post", text))
        return settled

    def sandbox_faults(self) -> Counter[str]:
        log = self.work / "sandbox.log"
        if not log.exists():
            return Counter()
        text = log.read_text(encoding="utf-8", errors="replace")
        return Counter(re.findall(r"fault injected: (\S+)", text))

    async def run(self) -> Report:
        started = time.monotonic()
        end = started + self.cfg.deadline
        await self.start_fake()
        try:
            await self.start_sandbox()
            await self.start_bot()
            approver = asyncio.ensure_future(self.approver())
            disruptor = asyncio.ensure_future(self.disruptor())
            killer = asyncio.ensure_future(self.killer())
            await self.submit_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(killer), max(0.0, end - time.monotonic()))
            self.stop_killing.set()
            if not killer.done():
                killer.cancel()
                self.report.problems.append("deadline before all kills were done")
            with contextlib.suppress(asyncio.CancelledError):
                await disruptor
            # settle: every request done or answered, every result announced
            while time.monotonic() < end:
                if self.evaluate(final=False) and not self.tasks:
                    # and nothing more arrives for two notifier intervals
                    await asyncio.sleep(2 * self.cfg.interval + 1)
                    if self.evaluate(final=False):
                        self.report.settled = True
                        break
                await asyncio.sleep(0.5)
            approver.cancel()
            for t in list(self.tasks):
                t.cancel()
            self.evaluate(final=True)
        finally:
            self.report.seconds = time.monotonic() - started
            await self.shutdown()
        return self.report

    async def shutdown(self) -> None:
        if self.bot is not None:
            await self.bot.terminate()
        if self.sandbox is not None:
            await self.sandbox.terminate(5)
        await self.stop_fake()
