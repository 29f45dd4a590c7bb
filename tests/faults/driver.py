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
any approved card whose post never went out, or < kills kills — per platform, with a table
that has a column per platform.

Modules: ``run.py`` (the shared run), ``slack_run.py`` / ``discord_run.py`` (a platform's
requests, approvals and what counts as an announcement or an answer), ``procs.py`` (child
processes), ``report.py`` (verdict and table), this one (command line, platforms side by side).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from tests.faults.discord_run import DiscordRun
from tests.faults.report import Report, tables
from tests.faults.run import Config, Run
from tests.faults.slack_run import SlackRun

PLATFORMS = ("slack", "discord")


def make_run(cfg: Config, work: Path) -> Run:
    return DiscordRun(cfg, work) if cfg.platform == "discord" else SlackRun(cfg, work)


async def run(cfg: Config) -> Report:
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
            deadline=deadline or max(240.0, posts * 3.0),
            workdir=workdir / p if workdir is not None else None,
            verbose=verbose,
        )
        for p in platforms
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.faults.driver")
    p.add_argument("--platform", choices=[*PLATFORMS, "both"], default="both")
    p.add_argument("--posts", type=int, default=int(os.environ.get("FAULTS_POSTS", "500")))
    p.add_argument("--kills", type=int, default=8)
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
