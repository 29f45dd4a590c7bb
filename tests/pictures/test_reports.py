"""The weekly report: its config, when it is due, and that it is posted exactly once per
period — across ticks, restarts and a failed send — through the notifier outbox; and the daily
analytics snapshot (one GET /v1/analytics per workspace per day)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.chat import Destination, MessageRef, PictureReply, Reply
from bot.clock import FakeClock
from bot.config import ChannelBinding, ChannelConfig, ConfigError, Settings, Workspace
from bot.core import Clients, Core
from bot.notifier import Notifier
from bot.pictures import snapshots
from bot.pictures.worker import Renderer
from bot.reports.config import ReportConfig, parse_reports
from bot.reports.schedule import due, last_occurrence
from bot.reports.service import Reports
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands.reports import compose
from tests.pictures.helpers import BERLIN, at, png_size, schedule

KEY = "sk_test_reports"
MONDAY_0905 = datetime(2026, 7, 6, 9, 5, tzinfo=BERLIN)  # a Monday, 5 min after the report time


def settings_for(url: str = "http://127.0.0.1:1") -> Settings:
    return Settings(
        api_url=url,
        workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=Secret(KEY))},
        bindings=(
            ChannelBinding("console", None, "team", ChannelConfig(timezone="Europe/Berlin")),
        ),
    )


def test_config_shape_defaults_and_errors() -> None:
    s = settings_for()
    [r] = parse_reports([{"channel": "console:team", "when": "monday 09:00"}], s)
    assert r == ReportConfig("console", "team", 0, 9, 0, "Europe/Berlin", "default")
    [r] = parse_reports([{"channel": "slack:C1", "when": "Fri 17:30", "timezone": "Asia/Tokyo"}], s)
    assert (r.platform, r.weekday, r.hour, r.minute, r.timezone) == (
        "slack",
        4,
        17,
        30,
        "Asia/Tokyo",
    )
    assert r.timezone == "Asia/Tokyo" and r.workspace == "default"
    bad = [
        ({"channel": "C1", "when": "monday 09:00"}, "reports[0].channel"),
        ({"channel": "slack:C1", "when": "someday 09:00"}, "reports[0].when"),
        ({"channel": "slack:C1", "when": "monday 25:00"}, "not a time"),
        ({"channel": "slack:C1", "when": "monday 09:00", "timezone": "Mars/Base"}, "timezone"),
        ({"channel": "slack:C1", "when": "monday 09:00", "workspace": "nope"}, "workspace"),
    ]
    for raw, words in bad:
        with pytest.raises(ConfigError, match=re.escape(words)):
            parse_reports([raw], s)


def test_due_is_the_last_occurrence_within_a_day() -> None:
    [cfg] = parse_reports([{"channel": "console:team", "when": "monday 09:00"}], settings_for())
    assert due(cfg, MONDAY_0905) == datetime(2026, 7, 6, 9, 0, tzinfo=BERLIN)
    assert due(cfg, MONDAY_0905 - timedelta(minutes=10)) is None  # Monday 08:55: last week's
    assert last_occurrence(cfg, MONDAY_0905 - timedelta(minutes=10)).date() == date(2026, 6, 29)
    assert due(cfg, MONDAY_0905 + timedelta(hours=23)) is not None  # catch-up after downtime
    assert due(cfg, MONDAY_0905 + timedelta(days=3)) is None  # not on a Thursday


@dataclass
class Port:
    """A chat port that records what it was asked to send (and can refuse once)."""

    platform: str = "console"
    sent: list[tuple[Destination, Reply, str | None]] = field(default_factory=list)
    refuse: int = 0

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        if self.refuse:
            self.refuse -= 1
            raise RuntimeError("chat platform down")
        self.sent.append((dest, reply, key))
        return MessageRef(self.platform, dest.channel, str(len(self.sent)))

    async def update(self, ref: MessageRef, reply: Reply) -> None: ...

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None: ...

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


@dataclass
class World:
    sandbox: Sandbox
    clock: FakeClock
    db_path: str
    port: Port
    renderer: Renderer
    cores: list[Core] = field(default_factory=list)

    async def boot(self) -> Reports:
        """A fresh process: its own database connection, core, notifier and reports."""
        settings = settings_for(self.sandbox.url)
        db = await Database.open(self.db_path)
        core = Core(settings, db, Clients(settings, self.clock), self.clock, pictures=self.renderer)
        core.ports["console"] = self.port
        self.cores.append(core)
        configs = parse_reports([{"channel": "console:team", "when": "monday 09:00"}], settings)
        return Reports(core, Notifier(core), configs, compose)

    def analytics_calls(self) -> int:
        return sum(1 for e in self.sandbox.state.log if e.path == "/v1/analytics")


@pytest.fixture
async def world(tmp_path: Path, renderer: Renderer) -> AsyncIterator[World]:
    clock = FakeClock(MONDAY_0905.astimezone(UTC) - timedelta(days=6))  # Tuesday
    options = SandboxOptions(keys=(KEY,), clock=clock, publish_delay=1.0, demo_key=False)
    async with start_sandbox(options, port=0) as sb:
        w = World(sb, clock, str(tmp_path / "bot.db"), Port(), renderer)
        try:
            yield w
        finally:
            for c in w.cores:
                await c.clients.aclose()
                await c.db.close()


async def test_report_is_posted_once_per_week_across_ticks_restarts_and_a_failed_send(
    world: World,
) -> None:
    w = world
    first = await w.boot()
    # six daily snapshots before the report (one GET per day, whatever the tick count)
    for _ in range(6):
        await first.tick(w.clock.now())
        await first.tick(w.clock.now())
        w.clock.advance(86400)
    assert w.analytics_calls() == 6
    assert w.port.sent == []  # no report due on those days (last Monday's is too old)

    client = w.cores[0].clients.for_workspace("default")
    await schedule(client, ["twitter"], "Monday kick-off 👋", at(date(2026, 7, 7), 10, 30))
    await schedule(client, ["linkedin"], "Thursday deep dive", at(date(2026, 7, 9), 15, 0))
    w.clock.advance(MONDAY_0905.timestamp() - w.clock.now().timestamp())
    w.port.refuse = 1  # the first send fails: the row stays pending, retried with back-off
    assert await first.tick(w.clock.now()) == 1
    assert w.port.sent == []
    assert await first.tick(w.clock.now()) == 0  # enqueued once

    second = await w.boot()  # a restart: another process on the same database
    assert await second.tick(w.clock.now()) == 0
    w.clock.advance(60)
    await second.notifier.flush_outbox(w.clock.now())  # the retry
    [(dest, reply, key)] = w.port.sent
    assert dest == Destination("console", "team") and key
    assert isinstance(reply, PictureReply)
    assert reply.lines[0].startswith("2 scheduled, 0 published, 0 failed — engagement")
    calendar, chart = reply.pictures
    png_size(calendar.png)
    png_size(chart.png)
    assert "Tue 07 Jul 10:30 · X · scheduled" in calendar.alt and "Europe/Berlin" in calendar.alt
    assert "The past week" in chart.alt

    for _ in range(3):  # more ticks, another restart: nothing more this week
        await second.tick(w.clock.now())
    third = await w.boot()
    await third.tick(w.clock.now())
    await third.notifier.flush_outbox(w.clock.now() + timedelta(hours=1))
    assert len(w.port.sent) == 1

    w.clock.advance(7 * 86400)  # next Monday 09:05: the next report
    assert await third.tick(w.clock.now()) == 1
    assert len(w.port.sent) == 2
    assert await snapshots.count(w.cores[-1].db, "default") == 6 + 1 + 1
    assert w.analytics_calls() == 8


def test_reports_in_the_toml_file_pass_the_schema_and_load(tmp_path: Path) -> None:
    from bot.config import load_settings
    from bot.reports.config import load_reports

    path = tmp_path / "socialbot.toml"
    path.write_text(
        '[[channels]]\nplatform = "slack"\nchannel = "C0TEAM"\ntimezone = "Asia/Tokyo"\n\n'
        '[[reports]]\nchannel = "slack:C0TEAM"\nwhen = "Mon 9:00"\n',
        encoding="utf-8",
    )
    settings = load_settings({"SOCIALBOT_CONFIG": str(path)})
    [r] = load_reports(settings)
    assert (r.platform, r.channel, r.weekday, r.hour, r.timezone) == (
        "slack", "C0TEAM", 0, 9, "Asia/Tokyo"
    )  # fmt: skip
    path.write_text('[[reports]]\nchannel = "slack:C0TEAM"\nwhen = "someday"\nevery = 1\n')
    with pytest.raises(ConfigError) as e:
        load_settings({"SOCIALBOT_CONFIG": str(path)})
    text = str(e.value) + " ".join(str(a) for a in e.value.args)
    assert "reports[0].when" in text and "monday 09:00" in text
    assert "reports[0].every: unknown key" in text
