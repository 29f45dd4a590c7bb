"""The fault-injection run: the bot as a separate process, killed and restarted, against the
sandbox (injecting faults) and a fake Slack, with a driver submitting posts and approving them.

    python -m tests.faults.driver --posts 500 --kills 8      # make faults
    FAULTS_POSTS=40 pytest tests/faults/test_faults.py        # the CI size

What runs:

- the sandbox: ``python -m bot sandbox --port 0 --db … --fault-5xx 0.2 --fault-timeout 0.05
  --fault-timeout-mode hang --fault-hang 2 --slow … --fault-429-burst-every N --seed S
  --publish-delay 0.3`` (a "timeout" holds the request, then drops the connection; every
  fault is logged as ``fault injected: <kind>``);
- a fake Slack Web API in this process (``tests.faults.fake_slack``: messages with thread and
  metadata, ``conversations.replies``/``history``; a few keyed ``chat.postMessage`` calls post
  and then answer 500);
- the bot: ``python -m bot run --host 127.0.0.1 --port 0`` on one SQLite file, one channel
  without approval and one with (approvers UAPP1 and UAPP2, quorum 1), notifier interval 1 s.

The driver submits N signed ``/post x "…<token>…"`` slash commands (each caption carries a
unique token; each request has its own user and trigger id), a share of them in the approval
channel. When a card appears in the fake Slack it reacts ✅ (sometimes two approvers at once,
sometimes the same ``event_id`` twice). If the bot posts "approval interrupted/failed — react
again" for a card, it reacts again, as a person would (counted). Meanwhile it SIGKILLs the
bot at random moments, at least ``kills`` times, restarting it on the same database each time.
Every delivery the bot did not answer 200 is sent again, unchanged (same trigger id / event
id), as Slack (events) or the user (commands) would.

Then it waits until everything settled and checks, per token: posts created in the sandbox
(read from its database file), announcements in Slack (messages carrying an outbox key in their
metadata whose text names the token), and failures reported to the requester. It fails on any
duplicate post, any post created but not announced, any request neither done nor reported
failed, any double announcement, any approved card whose post never went out, or < kills kills.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
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
from urllib.parse import urlencode

import httpx

from tests.faults.fake_slack import BOT_TOKEN, BOT_USER, TEAM, FakeSlack, Message

ROOT = Path(__file__).resolve().parents[2]
SECRET = "faults-signing-secret-0123456789"
API_KEY = "sk_test_faults"
PUBLIC = "CPUB"
APPROVAL = "CAPP"
APPROVERS = ("UAPP1", "UAPP2")
OUTBOX_KEY = re.compile(r"^n[0-9a-f]{24}$")
HEALTH = re.compile(r"health at http://([\d.]+):(\d+)/healthz")
LISTEN = re.compile(r"listening on (http://\S+)")


@dataclass
class Config:
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
    slack_ambiguous: float = 0.05
    kill_every: tuple[float, float] | None = None  # seconds between kills (default: derived)
    deadline: float = 170.0  # seconds for the whole run
    workdir: Path | None = None
    verbose: bool = False


@dataclass
class Report:
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
    slack_ambiguous: int = 0
    kills: int = 0
    restarts: int = 0
    resumed: int = 0
    adopted: int = 0
    settled: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

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

    min_kills: int = 5

    def table(self) -> str:
        rows = [
            ("posts asked for", f"{self.asked} ({self.asked_approval} needing approval)"),
            ("posts created in the sandbox (not canceled)", str(self.created)),
            ("duplicate posts", str(self.duplicates)),
            ("terminal results announced exactly once", str(self.announced_once)),
            ("announced twice or more", str(self.announced_twice)),
            ("created but never announced", str(self.created_not_announced)),
            ("requests reported failed to the requester", str(self.reported_failed)),
            ("requests lost (neither done nor reported)", str(self.lost_requests)),
            ("approvals sent (✅ events)", str(self.approvals_sent)),
            ("re-approvals the bot asked for", str(self.re_reacts)),
            ("approvals lost", str(self.approvals_lost)),
            (
                "faults injected (sandbox)",
                f"{sum(self.faults.values())} "
                + "("
                + ", ".join(f"{k}: {v}" for k, v in sorted(self.faults.items()))
                + ")",
            ),
            ("ambiguous Slack sends (posted, then 500)", str(self.slack_ambiguous)),
            ("kills (SIGKILL) / restarts", f"{self.kills} / {self.restarts}"),
            ("requests resumed from the journal", str(self.resumed)),
            ("posts adopted after a restart", str(self.adopted)),
            ("settled", "yes" if self.settled else "NO"),
            ("run time", f"{self.seconds:.0f} s"),
            ("result", "PASS" if self.ok else "FAIL"),
        ]
        w = max(len(a) for a, _ in rows)
        out = ["", "fault-injection run", "-" * (w + 30)]
        out += [f"{a.ljust(w)}  {b}" for a, b in rows]
        out += [f"problem: {p}" for p in self.problems[:30]]
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


# ---------------------------------------------------------------- Slack requests


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": "v0=" + sig}


def slash_body(text: str, *, channel: str, user: str, trigger: str, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy", "team_id": TEAM, "team_domain": "t", "channel_id": channel,
            "channel_name": channel.lower(), "user_id": user, "user_name": user.lower(),
            "command": "/post", "text": text, "api_app_id": "A1",
            "response_url": response_url, "trigger_id": trigger,
        }
    )  # fmt: skip


def reaction_body(user: str, channel: str, ts: str, event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "event": {
                "type": "reaction_added", "user": user, "reaction": "white_check_mark",
                "item": {"type": "message", "channel": channel, "ts": ts},
                "item_user": BOT_USER, "event_ts": f"{time.time():.6f}",
            },
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    )  # fmt: skip


# ---------------------------------------------------------------- the run


def token(i: int) -> str:
    return f"fzt{i:04d}z"


class Run:
    def __init__(self, cfg: Config, work: Path) -> None:
        self.cfg = cfg
        self.work = work
        self.rng = random.Random(cfg.seed)
        self.report = Report(min_kills=cfg.kills)
        self.fake = FakeSlack(seed=cfg.seed, ambiguous_rate=cfg.slack_ambiguous)
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0))
        self.sandbox: Proc | None = None
        self.bot: Proc | None = None
        self.bot_url: str | None = None
        self.up = asyncio.Event()
        self.sandbox_url = ""
        self.approval_ids: set[int] = set()
        self.cards_seen: set[str] = set()  # post ids whose card we acted on
        self.reacted_notes: set[str] = set()
        self.approved_posts: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.submitted = asyncio.Event()
        self.stop_killing = asyncio.Event()
        self._event_ids = 0

    def log(self, msg: str) -> None:
        if self.cfg.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

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

    def bot_env(self) -> dict[str, str]:
        config = self.work / "socialbot.toml"
        config.write_text(
            f"""[notifier]
interval = {self.cfg.interval}

[[channels]]
platform = "slack"
channel = "{PUBLIC}"

[[channels]]
platform = "slack"
channel = "{APPROVAL}"
[channels.approval]
required = true
approvers = {json.dumps(list(APPROVERS))}
quorum = 1
""",
            encoding="utf-8",
        )
        return child_env(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": self.fake.url,
                "SOCIAL_API_URL": self.sandbox_url,
                "SOCIAL_API_KEY": API_KEY,
                "SOCIALBOT_DB": str(self.work / "bot.db"),
                "SOCIALBOT_CONFIG": str(config),
            }
        )

    async def start_bot(self) -> None:
        log = self.work / "bot.log"
        after = len(log.read_text(encoding="utf-8", errors="replace")) if log.exists() else 0
        args = ["--log-level", "INFO", "run", "--host", "127.0.0.1", "--port", "0"]
        self.bot = await Proc.start(args, self.bot_env(), log)
        m = await self.bot.wait_for(HEALTH, after, 60)
        self.bot_url = f"http://{m.group(1)}:{m.group(2)}/slack/events"
        self.up.set()
        self.log(f"bot up at {self.bot_url}")

    async def kill_bot(self) -> None:
        assert self.bot is not None
        self.up.clear()
        self.bot_url = None
        await self.bot.kill()
        self.report.kills += 1
        self.log(f"SIGKILL #{self.report.kills}")
        await asyncio.sleep(self.rng.uniform(0.0, 0.5))
        await self.start_bot()
        self.report.restarts += 1

    # -- deliveries

    async def deliver(self, body: str, ctype: str, what: str) -> None:
        """Send until the bot answers 200 (retries carry the same body: same ids)."""
        attempt = 0
        while True:
            await self.up.wait()
            url = self.bot_url
            if url is None:
                await asyncio.sleep(0.05)
                continue
            headers = {"content-type": ctype, **signed(body)}
            if attempt and ctype == "application/json":
                headers["x-slack-retry-num"] = str(min(attempt, 3))
                headers["x-slack-retry-reason"] = "http_error"
            try:
                r = await self.http.post(url, content=body.encode(), headers=headers)
                if r.status_code == 200:
                    return
                self.log(f"{what}: HTTP {r.status_code}, retrying")
            except httpx.HTTPError:
                pass
            attempt += 1
            await asyncio.sleep(0.2)

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
            channel = APPROVAL if i in self.approval_ids else PUBLIC
            text = f'x "fault run {token(i)} — post {i} of {n}"'
            body = slash_body(
                text,
                channel=channel,
                user=f"UREQ{i:04d}",
                trigger=f"trig.{self.cfg.seed}.{i}",
                response_url=self.fake.response_url(token(i)),
            )
            self.spawn(self.deliver(body, "application/x-www-form-urlencoded", f"post {i}"))
            await asyncio.sleep(self.rng.expovariate(self.cfg.submit_rate))
        self.submitted.set()

    def next_event_id(self) -> str:
        self._event_ids += 1
        return f"Ev{self.cfg.seed:03d}{self._event_ids:06d}"

    async def approve(self, post_id: str, card: Message, again: bool = False) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 1.0))
        users = [self.rng.choice(APPROVERS)]
        if not again and self.rng.random() < 0.3:
            users = list(APPROVERS)  # two approvers at the same instant
        sends = []
        for u in users:
            body = reaction_body(u, card.channel, card.ts, self.next_event_id())
            copies = 2 if self.rng.random() < 0.2 else 1  # the same event_id twice
            sends += [self.deliver(body, "application/json", f"✅ {post_id}")] * copies
            self.report.approvals_sent += 1
        await asyncio.gather(*sends)
        self.approved_posts.add(post_id)

    async def approver(self) -> None:
        while True:
            for m in list(self.fake.live()):
                key = m.key or ""
                if key.startswith("approval-card:"):
                    pid = key.split(":", 1)[1]
                    if pid not in self.cards_seen:
                        self.cards_seen.add(pid)
                        self.spawn(self.approve(pid, m))
                elif key.startswith(("approval-recovered:", "approval-failed:")):
                    if key in self.reacted_notes:
                        continue
                    self.reacted_notes.add(key)
                    pid = key.split(":")[1]
                    card = self.card_of(pid)
                    if card is not None:
                        self.report.re_reacts += 1
                        self.spawn(self.approve(pid, card, again=True))
            await asyncio.sleep(0.2)

    def card_of(self, post_id: str) -> Message | None:
        for m in self.fake.live():
            if m.key == f"approval-card:{post_id}":
                return m
        return None

    async def killer(self) -> None:
        c = self.cfg
        if c.kill_every is not None:
            lo, hi = c.kill_every
        else:
            span = c.posts / c.submit_rate + 10.0
            gap = span / (c.kills + 1)
            lo, hi = gap * 0.5, gap * 1.2
        while self.report.kills < c.kills or not self.submitted.is_set():
            await asyncio.sleep(self.rng.uniform(lo, hi))
            if self.stop_killing.is_set():
                return
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
        rx = re.compile(r"fzt\d{4}z")
        for p in self.sandbox_posts():
            text = json.dumps(p.get("spec", p), ensure_ascii=False)
            targets = p.get("targets") or []
            canceled = bool(p.get("canceled")) or (
                bool(targets) and all(t.get("canceled") for t in targets)
            )
            for t in set(rx.findall(text)):
                created[t] += 1
                live[t] += not canceled
        announced: Counter[str] = Counter()
        for m in self.fake.live():
            if m.key and OUTBOX_KEY.match(m.key):
                for t in set(rx.findall(m.body())):
                    announced[t] += 1
        failed: set[str] = set()
        for tag_user in self.fake.ephemeral:
            u = str(tag_user.get("user", ""))
            if u.startswith("UREQ"):
                failed.add(token(int(u[4:])))
        failed |= self.fake_response_tags()  # response_url posts: the token is in the URL

        tokens = [token(i) for i in range(self.cfg.posts)]
        settled = True
        problems: list[str] = []
        r.created = sum(1 for t in tokens if live[t])
        r.duplicates = sum(max(0, created[t] - 1) for t in tokens)
        r.announced_once = sum(1 for t in tokens if announced[t] == 1)
        r.announced_twice = sum(1 for t in tokens if announced[t] > 1)
        r.created_not_announced = 0
        r.lost_requests = 0
        r.reported_failed = sum(1 for t in tokens if t in failed)
        for t in tokens:
            if live[t] and not announced[t]:
                settled = False
                r.created_not_announced += 1
                problems.append(f"{t}: created, not announced")
            elif not live[t] and t not in failed:
                settled = False
                r.lost_requests += 1
                problems.append(f"{t}: not created, no failure reported")
            if created[t] > 1:
                problems.append(f"{t}: created {created[t]} times")
            if announced[t] > 1:
                problems.append(f"{t}: announced {announced[t]} times")
        # approvals: every card we approved must have gone out (announced as a result)
        lost = 0
        for pid in self.approved_posts:
            card = self.card_of(pid)
            toks = set(rx.findall(card.body())) if card is not None else set()
            if not toks or not all(announced[t] for t in toks):
                lost += 1
                problems.append(f"approved {pid} ({', '.join(toks) or '?'}): not published")
        r.approvals_lost = lost
        settled = settled and lost == 0
        cards_pending = len(self.cards_seen - self.approved_posts)
        settled = settled and cards_pending == 0
        r.slack_ambiguous = self.fake.ambiguous
        r.faults = self.sandbox_faults()
        if final:
            r.problems = problems
            bot_log = self.work / "bot.log"
            text = bot_log.read_text(encoding="utf-8", errors="replace") if bot_log.exists() else ""
            r.resumed = len(re.findall(r"journal: resuming ", text))
            r.adopted = len(re.findall(r"journal: adopting post", text))
        return settled

    def fake_response_tags(self) -> set[str]:
        return {str(x.get("_tag")) for x in self.fake.responses if x.get("_tag")}

    def sandbox_faults(self) -> Counter[str]:
        log = self.work / "sandbox.log"
        if not log.exists():
            return Counter()
        text = log.read_text(encoding="utf-8", errors="replace")
        return Counter(re.findall(r"fault injected: (\S+)", text))

    async def run(self) -> Report:
        started = time.monotonic()
        end = started + self.cfg.deadline
        await self.fake.start()
        try:
            await self.start_sandbox()
            await self.start_bot()
            approver = asyncio.ensure_future(self.approver())
            killer = asyncio.ensure_future(self.killer())
            await self.submit_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(killer), max(0.0, end - time.monotonic()))
            self.stop_killing.set()
            if not killer.done():
                killer.cancel()
                self.report.problems.append("deadline before all kills were done")
            # settle: every request done or reported, every result announced
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
        await self.http.aclose()
        await self.fake.stop()


async def run(cfg: Config) -> Report:
    import tempfile

    if cfg.workdir is not None:
        cfg.workdir.mkdir(parents=True, exist_ok=True)
        return await Run(cfg, cfg.workdir).run()
    with tempfile.TemporaryDirectory(prefix="socialbot-faults-") as d:
        return await Run(cfg, Path(d)).run()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.faults.driver")
    p.add_argument("--posts", type=int, default=int(os.environ.get("FAULTS_POSTS", "500")))
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--submit-rate", type=float, default=None, help="posts per second")
    p.add_argument("--deadline", type=float, default=None, help="seconds (default: by size)")
    p.add_argument("--workdir", type=Path, default=None, help="keep logs and databases here")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    rate = a.submit_rate or (3.0 if a.posts <= 60 else 0.8)
    deadline = a.deadline or max(170.0, a.posts * 3.0)
    cfg = Config(
        posts=a.posts,
        kills=a.kills,
        seed=a.seed,
        submit_rate=rate,
        deadline=deadline,
        workdir=a.workdir,
        verbose=a.verbose,
    )
    report = asyncio.run(run(cfg))
    print(report.table(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
