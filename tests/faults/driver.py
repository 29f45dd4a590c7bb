"""The fault-injection run, per platform: the bot as a separate process, killed and restarted,
against the sandbox (injecting faults) and a fake chat platform, with a driver submitting posts
and approving them.

    python -m tests.faults.driver --posts 500 --kills 8      # make faults (Slack and Discord)
    python -m tests.faults.driver --platform discord --posts 40 --workdir /tmp/f -v
    FAULTS_POSTS=30 pytest tests/faults/test_faults.py        # the CI size (both platforms)

What runs, for each platform (``--platform both`` runs the two side by side, each with its
own sandbox, fake and bot, so each has the 120/min key budget):

- the sandbox: ``python -m bot sandbox --port 0 --db … --fault-5xx 0.2 --fault-timeout 0.05
  --fault-timeout-mode hang --fault-hang 2 --slow … --fault-429-burst-every N --seed S
  --publish-delay 0.3`` (a "timeout" holds the request, then drops the connection; every
  fault is logged as ``fault injected: <kind>``);
- the platform's fake in this process — Slack: ``tests.slack.fake_slack`` (a few keyed
  ``chat.postMessage`` calls post and then answer 500); Discord: ``tests.discord.fake_discord``
  with REST and gateway (a few keyed channel sends are created and then answered 500;
  interactions not answered within 3 s are dead; gateway disconnects that RESUME and ones
  that force a new IDENTIFY) — see ``slack_run.py`` / ``discord_run.py``;
- the bot: ``python -m bot run`` on one SQLite file, one channel without approval and one with
  (two approvers, quorum 1), notifier interval 2 s.

The driver submits N ``/post`` commands (each caption carries a unique token; each request
has its own user), a share of them in the approval channel. When a card appears it approves
it (✅ reaction; sometimes both approvers at once, sometimes the same delivery twice), and
approves again if the bot says an approval was interrupted. Meanwhile it SIGKILLs the bot at
random moments, at least ``kills`` times, restarting it on the same database each time.

Then it waits until everything settled and checks, per token: posts created in the sandbox
(read from its database file), announcements in the channel (the bot's keyed messages whose
text names the token), and answers to the requester. It fails on any duplicate post, any post
created but not announced, any request neither done nor answered, any double announcement,
any approved card whose post never went out, or < kills kills.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk_test_faults"
LISTEN = re.compile(r"listening on (http://\S+)")
HEALTH = re.compile(r"health at http://([\d.]+):(\d+)/healthz")
TOKEN = re.compile(r"fzt\d{4}z")
PLATFORMS = ("slack", "discord")


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


@dataclass
class Report:
    platform: str = "slack"
    asked: int = 0
    asked_approval: int = 0
    created: int = 0
    duplicates: int = 0
    announced_once: int = 0
    announced_twice: int = 0
    created_not_announced: int = 0
    reported_failed: int = 0
    lost_requests: int = 0
    approvals_sent: int = 0
    approvals_lost: int = 0
    re_reacts: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    restarts: int = 0
    resumed: int = 0
    adopted: int = 0
    extra: list[tuple[str, str]] = field(default_factory=list)  # platform-specific rows
    settled: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    min_kills: int = 5

    @property
    def ok(self) -> bool:
        return (
            self.settled
            and self.duplicates == 0
            and self.announced_twice == 0
            and self.created_not_announced == 0
            and self.lost_requests == 0
            and self.approvals_lost == 0
            and self.kills >= self.min_kills
        )

    def rows(self, extra: bool = True) -> list[tuple[str, str]]:
        faults = ", ".join(f"{k}: {v}" for k, v in sorted(self.faults.items()))
        rows = [
            ("posts asked for", f"{self.asked} ({self.asked_approval} need approval)"),
            ("posts created in the sandbox (not canceled)", str(self.created)),
            ("duplicate posts", str(self.duplicates)),
            ("results announced exactly once", str(self.announced_once)),
            ("announced twice or more", str(self.announced_twice)),
            ("created but never announced", str(self.created_not_announced)),
            ("requests answered without a post (failed)", str(self.reported_failed)),
            ("requests lost (neither done nor answered)", str(self.lost_requests)),
            ("approvals sent (✅)", str(self.approvals_sent)),
            ("re-approvals the bot asked for", str(self.re_reacts)),
            ("approvals lost", str(self.approvals_lost)),
            ("faults injected (sandbox)", f"{sum(self.faults.values())} ({faults})"),
            ("kills (SIGKILL) / restarts", f"{self.kills} / {self.restarts}"),
            ("requests resumed from the journal", str(self.resumed)),
            ("posts adopted after a restart", str(self.adopted)),
            ("settled", "yes" if self.settled else "NO"),
            ("run time", f"{self.seconds:.0f} s"),
            ("result", "PASS" if self.ok else "FAIL"),
        ]
        at = [a for a, _ in rows].index("kills (SIGKILL) / restarts")
        return rows[:at] + (self.extra if extra else []) + rows[at:]

    def table(self) -> str:
        return tables([self])


def tables(reports: list[Report]) -> str:
    """One column per platform; rows a platform does not have are left blank."""
    base = [a for a, _ in reports[0].rows(extra=False)]
    extras = list(dict.fromkeys(a for r in reports for a, _ in r.extra))
    at = base.index("kills (SIGKILL) / restarts")
    labels = base[:at] + extras + base[at:]
    cols = [dict(r.rows()) for r in reports]
    w = max(len(a) for a in labels)
    cw = [
        max(len(r.platform), *(len(c.get(a, "")) for a in labels))
        for r, c in zip(reports, cols, strict=True)
    ]
    head = (
        "".ljust(w)
        + "  "
        + "  ".join(r.platform.ljust(n) for r, n in zip(reports, cw, strict=True))
    )
    out = ["", "fault-injection run", head, "-" * len(head)]
    for a in labels:
        out.append(
            a.ljust(w)
            + "  "
            + "  ".join(c.get(a, "").ljust(n) for c, n in zip(cols, cw, strict=True))
        )
    for r in reports:
        out += [f"{r.platform} problem: {p}" for p in r.problems[:30]]
    return "\n".join(out)


# ---------------------------------------------------------------- processes


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


def token(i: int) -> str:
    return f"fzt{i:04d}z"


def caption(i: int, n: int) -> str:
    return f"fault run {token(i)} — post {i} of {n}"


# ---------------------------------------------------------------- the run


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
            text = self.card_text(pid)
            toks = set(TOKEN.findall(text)) if text is not None else set()
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


def make_run(cfg: Config, work: Path) -> Run:
    if cfg.platform == "discord":
        from tests.faults.discord_run import DiscordRun

        return DiscordRun(cfg, work)
    from tests.faults.slack_run import SlackRun

    return SlackRun(cfg, work)


async def run(cfg: Config) -> Report:
    import tempfile

    if cfg.workdir is not None:
        cfg.workdir.mkdir(parents=True, exist_ok=True)
        return await make_run(cfg, cfg.workdir).run()
    with tempfile.TemporaryDirectory(prefix=f"socialbot-faults-{cfg.platform}-") as d:
        return await make_run(cfg, Path(d)).run()


async def run_all(cfgs: list[Config]) -> list[Report]:
    """The platforms side by side (each its own sandbox, fake, bot and key budget)."""
    return list(await asyncio.gather(*(run(c) for c in cfgs)))


def configs(
    platforms: list[str],
    *,
    posts: int,
    kills: int,
    seed: int,
    workdir: Path | None = None,
    submit_rate: float | None = None,
    deadline: float | None = None,
    verbose: bool = False,
) -> list[Config]:
    rate = submit_rate or (3.0 if posts <= 60 else 0.8)
    return [
        Config(
            platform=p,
            posts=posts,
            kills=kills,
            seed=seed,
            submit_rate=rate,
            deadline=deadline or max(170.0, posts * 3.0),
            workdir=workdir / p if workdir is not None else None,
            verbose=verbose,
        )
        for p in platforms
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.faults.driver")
    p.add_argument("--platform", choices=[*PLATFORMS, "both"], default="both")
    p.add_argument("--posts", type=int, default=int(os.environ.get("FAULTS_POSTS", "500")))
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--submit-rate", type=float, default=None, help="posts per second")
    p.add_argument("--deadline", type=float, default=None, help="seconds (default: by size)")
    p.add_argument("--workdir", type=Path, default=None, help="keep logs and databases here")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    platforms = list(PLATFORMS) if a.platform == "both" else [a.platform]
    cfgs = configs(
        platforms,
        posts=a.posts,
        kills=a.kills,
        seed=a.seed,
        workdir=a.workdir,
        submit_rate=a.submit_rate,
        deadline=a.deadline,
        verbose=a.verbose,
    )
    reports = asyncio.run(run_all(cfgs))
    print(tables(reports), flush=True)
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
