"""``socialbot sandbox``: run the Social API sandbox until Ctrl-C (exit 0)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys

from bot.sandbox.accounts import build_accounts
from bot.sandbox.faults import Faults
from bot.sandbox.options import DEMO_KEY, SandboxOptions, build_keys, parse_platforms
from bot.sandbox.server import start_sandbox


def options_from_args(args: argparse.Namespace) -> SandboxOptions:
    """Raises ``ValueError`` / ``OSError`` / ``ZoneInfoNotFoundError`` on a bad flag.

    Reads the optional ``--accounts FILE`` (JSON array), ``--rate-limit N`` and ``--seed N``
    too when the CLI defines them."""
    from zoneinfo import ZoneInfo

    ZoneInfo(args.timezone)
    if args.publish_delay < 0:
        raise ValueError("--publish-delay must be >= 0")
    accounts = None
    accounts_file = getattr(args, "accounts", None)
    if accounts_file:
        with open(accounts_file, encoding="utf-8") as fh:
            accounts = json.load(fh)
        if not isinstance(accounts, list):
            raise ValueError(f"{accounts_file}: expected a JSON array of account objects")
    options = SandboxOptions(
        keys=list(args.key or []),
        publish_delay=float(args.publish_delay),
        fail_platforms=parse_platforms(args.fail or []),
        timezone=args.timezone,
        db_path=args.db,
        rate_limit=int(getattr(args, "rate_limit", None) or 120),
        seed=int(getattr(args, "seed", None) or 0),
        accounts=accounts,
    )
    build_keys(options)
    build_accounts(options.accounts)
    return options


def faults_from_args(args: argparse.Namespace) -> Faults:
    """Optional flags (``--fault-5xx RATE``, ``--fault-timeout RATE``,
    ``--fault-timeout-mode hang|close``, ``--fault-hang SECONDS``, ``--slow SECONDS``,
    ``--fault-429-burst-every N``, ``--fault-429-burst-size N``, ``--seed N``) if the CLI has
    them."""
    faults = Faults(seed=int(getattr(args, "seed", None) or 0))
    faults.error_rate = float(getattr(args, "fault_5xx", None) or 0.0)
    faults.timeout_rate = float(getattr(args, "fault_timeout", None) or 0.0)
    faults.slow_seconds = float(getattr(args, "slow", None) or 0.0)
    if getattr(args, "fault_timeout_mode", None) in ("hang", "close"):
        faults.timeout_mode = args.fault_timeout_mode
    hang = getattr(args, "fault_hang", None)
    if hang:
        faults.hang_seconds = float(hang)
    faults.burst_every = int(getattr(args, "fault_429_burst_every", None) or 0)
    size = getattr(args, "fault_429_burst_size", None)
    if size:
        faults.burst_size = int(size)
    return faults


async def _serve(args: argparse.Namespace, options: SandboxOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with start_sandbox(
        options, host=args.host, port=args.port, faults=faults_from_args(args)
    ) as sb:
        extra = len(options.keys)
        print(f"Social API sandbox listening on {sb.url}", flush=True)
        print(f"  OpenAPI:  {sb.url}/v1/openapi.json", flush=True)
        print(f"  demo key: {DEMO_KEY} (every scope)", flush=True)
        if extra:
            print(f"  plus {extra} key(s) from --key", flush=True)
        if options.fail_platforms:
            names = ", ".join(sorted(p.value for p in parse_platforms(options.fail_platforms)))
            print(f"  failing platforms: {names}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()


def run_sandbox(args: argparse.Namespace) -> int:
    try:
        options = options_from_args(args)
    except Exception as e:  # a bad flag: say which, exit 2
        print(f"socialbot sandbox: {e}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        level = str(getattr(args, "log_level", None) or "INFO").upper()
        logging.basicConfig(
            level=level if level in logging.getLevelNamesMapping() else "INFO",
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    try:
        asyncio.run(_serve(args, options))
    except KeyboardInterrupt:
        return 0
    except OSError as e:
        print(f"socialbot sandbox: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0
