"""The render worker: lazily started, a separate process, replaced when it dies; importing the
bot does not import matplotlib (start-up stays as it was)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.pictures.model import CalendarSpec, Chip
from bot.pictures.worker import Renderer
from tests.pictures.helpers import png_size

ROOT = Path(__file__).resolve().parents[2]


def spec() -> CalendarSpec:
    tz = ZoneInfo("UTC")
    start = date(2026, 7, 6)
    chip = Chip(datetime(2026, 7, 7, 9, 0, tzinfo=tz), ("facebook",), "Hello", "scheduled", "p1")
    return CalendarSpec("week", start, start + timedelta(days=7), "UTC", "Week", (chip,))


def worker_pids(r: Renderer) -> list[int]:
    """The pids of the render worker processes (the pool is started by the first picture)."""
    assert isinstance(r._pool, ProcessPoolExecutor), r._pool
    return list(r._pool._processes)


def test_importing_the_bot_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.runner, bot.pictures.worker, commands.dispatch, adapters.slack.app, "
        "adapters.discord.client, adapters.console.demo; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.stdout.strip() == "False"


async def test_a_dead_worker_is_replaced_and_the_picture_drawn() -> None:
    r = Renderer()
    try:
        assert r._pool is None  # nothing started before the first picture
        png_size((await r.calendar(spec())).png)
        pids = worker_pids(r)
        assert len(pids) == 1 and pids[0] != os.getpid()
        os.kill(pids[0], signal.SIGKILL)
        png_size((await r.calendar(spec())).png)
        assert r.rendered == 2
        assert worker_pids(r) != pids
    finally:
        await r.aclose()
