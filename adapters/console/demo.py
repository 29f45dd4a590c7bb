"""``socialbot demo``: the local sandbox + the bot + the console adapter, no account needed.

Three demo channels: ``#general`` (no approval), ``#launches`` (approvers alice and bob, one
approval) and ``#board`` (approvers alice, bob and carol, two approvals). The demo users live in
different zones (``USERS``), so times typed as bob or carol are read in their zone. The console
user starts as alice in #general.

Non-interactive (stdin is not a TTY): the piped lines run in order; once input ends the demo
waits until what they started has settled — no post publishing or due within ``--wait``, no
approval decision in flight, no announcement waiting in the outbox — then exits (0), or exits
(1) when ``--wait`` seconds pass first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TextIO

import sqlite_utils

from adapters.console.port import PLATFORM, ConsolePort
from adapters.console.session import HELP, ConsoleReplayer, Session
from bot import approvals, journal
from bot.clock import SystemClock
from bot.config import (
    DEFAULT_KEY_ENV,
    DEFAULT_WORKSPACE,
    SANDBOX_DEMO_KEY,
    ApprovalPolicy,
    ChannelBinding,
    ChannelConfig,
    MediaRules,
    Settings,
    Workspace,
)
from bot.core import Clients, Core
from bot.deliveries import Deliveries
from bot.logs import setup_logging
from bot.secret import Secret
from bot.slots import parse_slots
from bot.storage import Database
from commands.dispatcher import CommandLayer, Dispatcher

log = logging.getLogger(__name__)

CHANNELS = ("general", "launches", "board")
APPROVERS = ("alice", "bob")
BOARD = ("alice", "bob", "carol")
# demo user → time zone (what Slack / Discord would tell the bot)
USERS = {"alice": "UTC", "bob": "Europe/Berlin", "carol": "America/New_York"}
DEFAULT_TARGETS = ("x", "facebook")
SLOTS = ["mon-fri 09:00", "mon-fri 13:30", "sat 11:00"]  # #general's posting slots (UTC)
PICTURES_DIR = os.path.join(tempfile.gettempdir(), "socialbot-pictures")


def demo_settings(api_url: str, db_path: str, poll_interval: float) -> Settings:
    workspace = Workspace(DEFAULT_WORKSPACE, DEFAULT_KEY_ENV, key=Secret(SANDBOX_DEMO_KEY))
    general = ChannelConfig(
        default_targets=DEFAULT_TARGETS,
        timezone="UTC",
        slots=parse_slots(SLOTS),  # /schedule x "…" next · /social queue
    )
    launches = ChannelConfig(
        default_targets=DEFAULT_TARGETS,
        timezone="UTC",
        approval=ApprovalPolicy(
            required=True,
            approvers=APPROVERS,
            quorum=1,
            allow_self=False,
            expires_after=timedelta(hours=48),
        ),
    )
    board = ChannelConfig(
        default_targets=DEFAULT_TARGETS,
        timezone="UTC",
        approval=ApprovalPolicy(
            required=True,
            approvers=BOARD,
            quorum=2,
            allow_self=False,
            expires_after=timedelta(hours=48),
        ),
    )
    return Settings(
        api_url=api_url,
        db_path=db_path,
        workspaces={DEFAULT_WORKSPACE: workspace},
        bindings=(
            ChannelBinding(PLATFORM, None, "general", general),
            ChannelBinding(PLATFORM, None, "launches", launches),
            ChannelBinding(PLATFORM, None, "board", board),
        ),
        poll_interval=poll_interval,
        media=MediaRules.local(),  # the demo is all on this machine: its media links too
    )


# ---------------------------------------------------------------- the pieces


class _Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@contextlib.asynccontextmanager
async def _sandbox(
    publish_delay: float, fail: list[str], db_path: str | None = None, port: int = 0
) -> AsyncIterator[str]:
    """The Social API sandbox in this process on 127.0.0.1:<free port>; yields its URL.
    ``db_path``: keep its state there (``--db``), so the bot's posts still exist next time."""
    from bot.sandbox import SandboxOptions, start_sandbox

    opts = SandboxOptions(
        publish_delay=publish_delay, fail_platforms=frozenset(fail), db_path=db_path
    )
    async with contextlib.AsyncExitStack() as stack:
        try:  # the documented port (sample media URLs), else any free one
            sb = await stack.enter_async_context(start_sandbox(opts, host="127.0.0.1", port=port))
        except OSError:
            if not port:
                raise
            sb = await stack.enter_async_context(start_sandbox(opts, host="127.0.0.1", port=0))
        yield sb.url


def _notifier(core: Core) -> _Service | None:
    """The notifier (announces results as they land)."""
    try:
        from bot.notifier import Notifier
    except ImportError:  # pragma: no cover - the notifier ships with the bot
        return None
    return Notifier(core)


async def _settled(core: Core, horizon: float) -> bool:
    """Nothing the demo started is still moving (see the module docstring)."""
    now = core.clock.now()
    limit = (now + timedelta(seconds=horizon)).isoformat()

    def check(sdb: sqlite_utils.Database) -> bool:
        moving = sdb.execute(
            "SELECT COUNT(*) FROM requests WHERE status = 'publishing' OR (status = 'scheduled' "
            "AND COALESCE(last_due_at, scheduled_at, '') <= ?)",
            [limit],
        ).fetchone()[0]
        if moving:
            return False
        if "notifier_outbox" in sdb.table_names():
            if sdb.execute("SELECT COUNT(*) FROM notifier_outbox WHERE sent_at IS NULL").fetchone()[
                0
            ]:
                return False
        busy = sdb.execute(
            "SELECT COUNT(*) FROM approval_cards WHERE state IN ('approving', 'rejecting')"
        ).fetchone()[0]
        return not busy

    return bool(await core.db.run(check))


async def _expiry_loop(core: Core, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await approvals.expire_due(core, core.clock.now())
        except Exception:
            log.exception("demo: expiring approval requests failed")


def _reader(stream: TextIO, loop: asyncio.AbstractEventLoop, q: asyncio.Queue[str | None]) -> None:
    """A daemon thread: blocking readline never holds up the loop or the exit."""
    try:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(q.put_nowait, line)
    finally:
        loop.call_soon_threadsafe(q.put_nowait, None)


@dataclass
class DemoOptions:
    wait: float = 30.0
    publish_delay: float = 2.0
    fail: tuple[str, ...] = ()
    db: str | None = None
    poll_interval: float = 1.0
    sandbox_port: int = 0  # 0: any free port (the CLI asks for 8765, the documented one)


async def demo(
    opts: DemoOptions,
    stdin: TextIO,
    out: TextIO,
    interactive: bool,
    *,
    dispatcher: Dispatcher | None = None,
) -> int:
    """The demo on these streams. ``dispatcher`` replaces the command layer (tests)."""
    layer: Dispatcher = dispatcher or CommandLayer()

    tmpdir: tempfile.TemporaryDirectory[str] | None = None
    db_path = opts.db
    if db_path is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="socialbot-demo-")
        db_path = os.path.join(tmpdir.name, "demo.db")
    port = ConsolePort(out, pictures_dir=PICTURES_DIR)
    try:
        sandbox_db = f"{opts.db}.sandbox" if opts.db is not None else None
        async with _sandbox(
            opts.publish_delay, list(opts.fail), sandbox_db, opts.sandbox_port
        ) as api_url:
            settings = demo_settings(api_url, db_path, opts.poll_interval)
            clock = SystemClock()
            db = await Database.open(db_path)
            clients = Clients(settings, clock)
            core = Core(settings, db, clients, clock, ports={PLATFORM: port})
            await approvals.migrate(db)
            await journal.migrate(db)
            deliveries = Deliveries(core, PLATFORM)
            # A demo killed on a kept database (--db) left requests unfinished: run them again.
            await deliveries.resume(ConsoleReplayer(core, port, layer))
            notifier = _notifier(core)
            if notifier is not None:
                await notifier.start()
            expiry = asyncio.create_task(_expiry_loop(core, max(opts.poll_interval, 1.0)))

            async def wait(seconds: float | None) -> bool:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + (opts.wait if seconds is None else seconds)
                while loop.time() < deadline:
                    if await _settled(core, opts.wait):
                        return True
                    await asyncio.sleep(0.1)
                return await _settled(core, opts.wait)

            session = Session(
                core,
                port,
                user="alice",
                channel="general",
                channels=CHANNELS,
                dispatcher=layer,
                deliveries=deliveries,
                wait=wait,
                echo=not interactive,
                zones=USERS,
                samples_url=f"{api_url}/samples",
            )
            port.note(f"socialbot demo — Social API sandbox at {api_url}, database {db_path}")
            port.note(
                "channels: #general (no approval), #launches (alice or bob approves), "
                "#board (two of alice, bob, carol approve)"
            )
            port.note("users: alice (UTC), bob (Europe/Berlin), carol (America/New_York)")
            port.note(
                f"sample media ($samples): {api_url}/samples/photo.png, cover.png, clip.mp4, "
                "deck.pdf"
            )
            port.note(
                "pictures: /social calendar (this week; `month`, `next`) and /social analytics "
                f"are saved as PNG files in {PICTURES_DIR}"
            )
            if interactive:
                for h in HELP.splitlines():
                    port.note(h)
            settled = True
            try:
                q: asyncio.Queue[str | None] = asyncio.Queue()
                threading.Thread(
                    target=_reader,
                    args=(stdin, asyncio.get_running_loop(), q),
                    name="console-input",
                    daemon=True,
                ).start()
                while not session.done:
                    if interactive:
                        port.show_prompt(session.prompt)
                    line = await q.get()
                    port.input_received()
                    if line is None:
                        break
                    await session.handle(line)
                if not interactive and not session.done:
                    settled = await wait(None)
                    if not settled:
                        port.note(f"gave up waiting after {opts.wait:g} s (--wait)")
            finally:
                await deliveries.idle()
                expiry.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await expiry
                if notifier is not None:
                    await notifier.stop()
                await clients.aclose()
                await core.pictures.aclose()
                await db.close()
            port.note("demo finished")
            return 0 if settled else 1
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()


def run_demo(args: argparse.Namespace | Any) -> int:
    opts = DemoOptions(
        wait=float(args.wait),
        publish_delay=float(args.publish_delay),
        fail=tuple(args.fail or ()),
        db=args.db,
        poll_interval=float(args.poll_interval),
        sandbox_port=int(getattr(args, "sandbox_port", 0) or 0),
    )
    # The transcript is stdout; logs go to stderr, warnings and up unless --log-level DEBUG.
    level = "DEBUG" if str(getattr(args, "log_level", "")).upper() == "DEBUG" else "WARNING"
    setup_logging(getattr(args, "log_format", "text"), level, secrets=[SANDBOX_DEMO_KEY])
    # A poll still running when the next is due is skipped by design: not worth a warning here.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    interactive = sys.stdin.isatty()
    return asyncio.run(demo(opts, sys.stdin, sys.stdout, interactive))
