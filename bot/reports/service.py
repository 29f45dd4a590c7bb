"""``Reports``: the daily analytics snapshots and the weekly reports, on the notifier's scheduler.

    reports = Reports(core, notifier, load_reports(settings), compose)
    reports.start()          # a job on notifier.scheduler; its first run is now (catch-up)
    await reports.tick(now)  # what the job runs (tests call it directly)

``tick``: (1) one ``GET /v1/analytics`` per workspace that has no snapshot today
(``bot.pictures.snapshots``); (2) each ``[[reports]]`` entry that is due is enqueued in the
notifier outbox under the key ``report:<platform>:<channel>:<date>`` — UNIQUE, so however many
ticks, restarts or processes see it due, it is enqueued once; (3) the outbox is flushed.

The picture is drawn when the outbox sends the row (``build``, registered as the notifier's
builder of ``report`` rows): ``compose`` (the command layer's, injected by the runner) gathers
the data and renders. A failure leaves the row pending and the outbox retries it with back-off
under the same key (Discord nonce / Slack message metadata), so a report is posted once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlite_utils
from apscheduler.triggers.interval import IntervalTrigger

from bot.api.models import Analytics
from bot.chat import Destination, Reply
from bot.notifier import outbox
from bot.pictures import snapshots
from bot.reports import schedule
from bot.reports.config import ReportConfig

if TYPE_CHECKING:
    from bot.core import Core
    from bot.notifier import Notifier

log = logging.getLogger(__name__)

JOB_ID = "reports"
INTERVAL = 300.0  # seconds between looks (a report goes out within this of its time)


@dataclass(frozen=True)
class ReportRequest:
    """One report to draw (the outbox payload)."""

    platform: str
    channel: str
    team: str | None
    workspace: str
    timezone: str
    at: str  # ISO time of the occurrence (the report's "now")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> ReportRequest:
        d = json.loads(raw)
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


Compose = Callable[["Core", ReportRequest], Awaitable[Reply]]


class Reports:
    def __init__(
        self,
        core: Core,
        notifier: Notifier,
        configs: Sequence[ReportConfig],
        compose: Compose,
        *,
        interval: float = INTERVAL,
    ) -> None:
        self.core = core
        self.notifier = notifier
        self.configs = tuple(configs)
        self.compose = compose
        self.interval = interval
        notifier.builders[outbox.REPORT] = self.build

    def start(self) -> None:
        sched = self.notifier.scheduler
        if sched is None:
            raise RuntimeError("start the notifier first")
        sched.add_job(
            self._job,
            trigger=IntervalTrigger(seconds=self.interval, timezone=UTC),
            id=JOB_ID,
            name="snapshots and reports",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(self.interval)),
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )

    async def _job(self) -> None:
        try:
            await self.tick(self.core.clock.now())
        except Exception:
            log.exception("reports: the tick failed; it runs again in %.0f s", self.interval)

    async def tick(self, now: datetime) -> int:
        """Snapshots, then due reports into the outbox, then a flush. Returns the number of
        reports enqueued by this tick."""
        try:
            await self.snapshot(now)
        except Exception:
            log.exception("reports: an analytics snapshot failed; the next tick retries")
        n = await self.enqueue_due(now)
        if n:
            await self.notifier.flush_outbox(now)
        return n

    async def snapshot(self, now: datetime) -> list[str]:
        names = [w.name for w in self.core.settings.workspaces.values() if w.key is not None]
        names += [n for n in self.core.clients.overrides if n not in names]

        async def fetch(ws: str) -> Analytics:
            return await self.core.clients.for_workspace(ws).analytics()

        return await snapshots.take_due(self.core.db, names, fetch, now)

    async def enqueue_due(self, now: datetime) -> int:
        await self.notifier.migrate()
        n = 0
        for cfg in self.configs:
            at = schedule.due(cfg, now)
            if at is None:
                continue
            req = ReportRequest(
                cfg.platform, cfg.channel, cfg.team, cfg.workspace, cfg.timezone, at.isoformat()
            )
            key = schedule.period_key(cfg, at)

            def put(sdb: sqlite_utils.Database, req: ReportRequest = req, key: str = key) -> bool:
                return outbox.enqueue(
                    sdb,
                    key=key,
                    workspace=req.workspace,
                    post_id=key,
                    result=outbox.REPORT,
                    dest=Destination(req.platform, req.channel, team=req.team),
                    payload=req.to_json(),
                    now=now,
                )

            if await self.core.db.transaction(put):
                log.info("reports: %s for %s enqueued", key, cfg.when)
                n += 1
        return n

    async def build(self, row: outbox.OutboxRow) -> Reply:
        """The outbox's builder of ``report`` rows: draw the report now."""
        return await self.compose(self.core, ReportRequest.from_json(row.payload))
