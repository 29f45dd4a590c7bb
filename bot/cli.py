"""``socialbot`` — the command line.

socialbot sandbox   run the local Social API sandbox
socialbot demo      sandbox + bot + console adapter (no account needed)
socialbot run       the bot: Slack and/or Discord, the notifier
socialbot check     validate configuration and reach each configured service
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="socialbot",
        description="Publish to eight social networks from Slack and Discord.",
    )
    p.add_argument("--version", action="version", version=f"socialbot {__version__}")
    p.add_argument("--log-format", choices=["text", "json"], default="text")
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    sb = sub.add_parser(
        "sandbox",
        help="run the local Social API sandbox",
        description="A local stand-in for the Social API (keys, platform rules, the post "
        "lifecycle, uploads, analytics, the 120 requests/minute limit) for the demo and tests. "
        "It also serves sample media at /samples/ (see bot/sandbox/README.md).",
    )
    sb.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    sb.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port to listen on; 0: any free port (default %(default)s)",
    )
    sb.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY[:SCOPE,SCOPE...]",
        help="an API key the sandbox accepts (all scopes unless listed); repeatable; "
        "none given: the demo key sk_test_sandbox with every scope",
    )
    sb.add_argument(
        "--publish-delay",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long a post stays 'publishing' before its targets land (default %(default)s)",
    )
    sb.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="PLATFORM",
        help="make every target on PLATFORM fail with a realistic error (e.g. tiktok); repeatable",
    )
    sb.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="the workspace's IANA time zone, as the real API reports it (default %(default)s)",
    )
    sb.add_argument(
        "--db",
        default=None,
        metavar="FILE",
        help="keep the sandbox's state (posts, media, accounts) in this SQLite file across "
        "restarts; default: in memory",
    )
    faults = sb.add_argument_group("fault injection (for testing the bot's resilience)")
    faults.add_argument(
        "--fault-5xx",
        type=float,
        default=0.0,
        metavar="RATE",
        help="answer this fraction of requests with a 5xx (0..1)",
    )
    faults.add_argument(
        "--fault-timeout",
        type=float,
        default=0.0,
        metavar="RATE",
        help="time out this fraction of requests (0..1)",
    )
    faults.add_argument(
        "--fault-timeout-mode",
        choices=["hang", "close"],
        default="hang",
        help="a timed-out request hangs (see --fault-hang) or has its connection closed",
    )
    faults.add_argument(
        "--fault-hang",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long a 'hang' timeout holds the request before dropping it (default 300)",
    )
    faults.add_argument(
        "--fault-429-burst-every",
        type=int,
        default=0,
        metavar="N",
        help="every N-th request starts a burst of 429 rate_limited answers",
    )
    faults.add_argument(
        "--fault-429-burst-size",
        type=int,
        default=3,
        metavar="N",
        help="429s in each burst (default 3, Retry-After 2 s)",
    )
    faults.add_argument(
        "--slow",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="delay every answer by this many seconds",
    )
    faults.add_argument("--seed", type=int, default=0, help="seed of the fault dice")
    faults.add_argument(
        "--rate-limit",
        type=int,
        default=120,
        metavar="N",
        help="requests per minute per key (default 120, as the real API)",
    )
    faults.add_argument(
        "--accounts",
        default=None,
        metavar="FILE",
        help="JSON array of connected accounts (default: one per platform)",
    )

    demo = sub.add_parser(
        "demo",
        help="sandbox + bot + console adapter, no account needed",
        description="Try the bot in the terminal: a local Social API sandbox, the bot, its "
        "notifier and a console chat with #general (no approval), #launches (one approval) and "
        "#board (two approvals), users alice (UTC), bob (Europe/Berlin) and carol "
        "(America/New_York). Type :help inside. With piped input the lines run in order, then "
        "the demo waits for posts and announcements to settle and exits.",
    )
    demo.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="piped input: wait at most this long for results after the last line, exit 1 "
        "if they have not settled (default %(default)s)",
    )
    demo.add_argument(
        "--publish-delay",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long the sandbox takes to publish a post (default %(default)s)",
    )
    demo.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="PLATFORM",
        help="make PLATFORM's targets fail, to see partial and failed announcements "
        "(repeatable; e.g. --fail facebook)",
    )
    demo.add_argument(
        "--db",
        default=None,
        metavar="FILE",
        help="keep the bot's database in FILE and the sandbox's state in FILE.sandbox, so "
        "posts survive a restart of the demo; default: temporary files",
    )
    demo.add_argument(
        "--sandbox-port",
        type=int,
        default=8765,
        metavar="PORT",
        help="port of the demo's sandbox, whose sample media the examples use "
        "(http://127.0.0.1:8765/samples/photo.png); any free port if it is taken "
        "(default %(default)s)",
    )
    demo.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often the notifier checks on posts (default %(default)s)",
    )

    run = sub.add_parser("run", help="run the bot (Slack and/or Discord) and the notifier")
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--port", type=int, default=3000)
    run.add_argument(
        "--health-port",
        type=int,
        default=None,
        help="serve /healthz and /readyz here (default: SOCIALBOT_HEALTH_PORT, else the "
        "metrics port, else --port)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve /metrics (and health) here instead of on the public port "
        "(default: SOCIALBOT_METRICS_PORT)",
    )
    _log_options(run)

    _log_options(
        sub.add_parser("check", help="validate configuration and reach each configured service")
    )
    return p


def _log_options(sp: argparse.ArgumentParser) -> None:
    """``--log-format`` / ``--log-level`` after the subcommand too (``docker run IMAGE
    --log-format json`` with ``ENTRYPOINT ["socialbot", "run"]``); they override the global ones."""
    sp.add_argument("--log-format", choices=["text", "json"], default=argparse.SUPPRESS)
    sp.add_argument("--log-level", default=argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd is None:
        build_parser().print_help()
        return 0
    try:
        if args.cmd == "sandbox":
            from bot.sandbox.cli import run_sandbox

            return run_sandbox(args)
        if args.cmd == "demo":
            from adapters.console.demo import run_demo

            return run_demo(args)
        if args.cmd == "run":
            from bot.runner import run_bot

            return run_bot(args)
        if args.cmd == "check":
            from bot.check import run_check

            return run_check(args)
    except ConfigError as e:
        for problem in e.problems:
            print(f"socialbot: configuration error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2
