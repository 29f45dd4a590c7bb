"""An announcement Slack keeps refusing is given up after ``announce_attempts`` tries: logged
with its reference, counted, and the requester told by DM why — through the real Slack adapter
(``SlackPort`` over slack_sdk) against the fake Slack."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.app import SlackAdapter, build_slack_adapter
from bot import metrics, tracking
from bot.chat import Announcement, Destination, TargetLine
from bot.clock import FakeClock
from bot.core import Clients, Core
from bot.notifier import Notifier, outbox, render
from bot.storage import Database
from bot.tracking import TrackedPost
from tests.slack.conftest import FakeCommands, slack_settings
from tests.slack.fake_slack import FakeSlack

ATTEMPTS = 3


@pytest.fixture
async def stack(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[tuple[Core, SlackAdapter]]:
    settings = slack_settings(fake, announce_attempts=ATTEMPTS)
    db = await Database.open(str(tmp_path / "bot.db"))
    clock = FakeClock()
    core = Core(settings=settings, db=db, clients=Clients(settings, clock), clock=clock)
    adapter = build_slack_adapter(core, settings, dispatcher=FakeCommands())
    await Notifier(core).migrate()
    yield core, adapter
    await adapter.aclose()
    await db.close()


async def _queue(core: Core, post_id: str) -> None:
    tp = TrackedPost(
        post_id=post_id, workspace="default", platform="slack", channel="C1", thread="1.1",
        requester="U1", requester_name="alice", created_at=core.clock.now(), scheduled_at=None,
        last_due_at=None, status="published", summary="hello",
    )  # fmt: skip
    ann = Announcement(
        title="Published", result="published", post_id=post_id,
        targets=(TargetLine("Instagram", "@acme", "published", "https://ig.example/p/1"),),
    )  # fmt: skip

    def write(sdb: object) -> None:
        tracking.record(sdb, tp)  # type: ignore[arg-type]
        outbox.enqueue(
            sdb, key=f"{post_id}:published", workspace="default", post_id=post_id,  # type: ignore[arg-type]
            result="published", dest=Destination("slack", "C1", "1.1"),
            payload=render.to_json(ann), now=core.clock.now(),
        )  # fmt: skip

    await core.db.transaction(write)


def _abandoned() -> float:
    return (
        metrics.REGISTRY.get_sample_value("socialbot_announcements_total", {"result": "abandoned"})
        or 0.0
    )


async def test_given_up_after_n_failures_and_the_requester_is_told_by_dm(
    stack: tuple[Core, SlackAdapter], fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    core, _ = stack
    assert isinstance(core.clock, FakeClock)
    await _queue(core, "p_gone")
    fake.fail("chat.postMessage", "not_in_channel", times=ATTEMPTS)
    notifier = Notifier(core)
    before = _abandoned()
    with caplog.at_level(logging.ERROR, logger="bot.notifier.service"):
        for _ in range(ATTEMPTS):
            assert await notifier.flush_outbox(core.clock.now()) == 0
            core.clock.advance(700)  # past the longest back-off
    posts = fake.calls_to("chat.postMessage")
    in_channel = [p for p in posts if p["channel"] == "C1"]
    assert len(in_channel) == ATTEMPTS  # tried exactly N times, then given up
    [dm] = [p for p in posts if p["channel"] == "U1"]
    assert "I couldn't post this result in its channel: Published" in dm["text"]
    blocks = str(dm["blocks"])
    assert "invite me with `/invite @socialbot`" in blocks  # why, in words
    assert "https://ig.example/p/1" in blocks  # and the result itself
    assert _abandoned() == before + 1
    [record] = [r for r in caplog.records if "gave up announcing" in r.getMessage()]
    assert "p_gone" in record.getMessage() and "after 3 attempts" in record.getMessage()

    # no longer pending: the outbox-age alert clears and nothing is retried
    depth, oldest = await core.db.run(outbox.pending_summary)
    assert (depth, oldest) == (0, None)
    core.clock.advance(3600)
    assert await notifier.flush_outbox(core.clock.now()) == 0
    assert len(fake.calls_to("chat.postMessage")) == len(posts)


async def test_a_send_that_recovers_before_n_is_not_given_up(
    stack: tuple[Core, SlackAdapter], fake: FakeSlack
) -> None:
    core, _ = stack
    assert isinstance(core.clock, FakeClock)
    await _queue(core, "p_late")
    fake.fail("chat.postMessage", "internal_error", times=ATTEMPTS - 1)
    notifier = Notifier(core)
    sent = 0
    for _ in range(ATTEMPTS):
        sent += await notifier.flush_outbox(core.clock.now())
        core.clock.advance(700)
    assert sent == 1
    assert [p["channel"] for p in fake.calls_to("chat.postMessage")] == ["C1"] * ATTEMPTS
