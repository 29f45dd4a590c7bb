"""Exactly once across crashes, API faults, bursts, catch-up, budgets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.api.errors import RateLimited, ServerError, TransportError
from bot.config import Workspace
from bot.notifier import Notifier, outbox
from bot.notifier.pacing import ChannelPacer
from tests.notifier.conftest import Crash, Env, make_settings


async def _outbox_rows(env: Env) -> list[dict[str, object]]:
    return await env.core.db.run(
        lambda sdb: list(sdb.query("SELECT * FROM notifier_outbox ORDER BY id"))
    )


# ---------------------------------------------------------------- exactly once


async def test_crash_between_send_and_mark_discord_nonce_dedupes(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, platform="discord", channel="D1", thread="M1")
    env.api.settle("p1", "published")
    await n.poll_once(env.now)
    env.discord.crash_after_send = 1
    with pytest.raises(Crash):
        await n.flush_outbox(env.now)
    [row] = await _outbox_rows(env)
    assert row["sent_at"] is None and row["batch"]  # sent, not marked

    await env.reopen()
    n2 = env.notifier()
    for _ in range(3):
        await n2.tick(env.now)
        env.clock.advance(30)
    assert len(env.discord.calls) == 2  # re-sent once after the restart ...
    assert env.discord.calls[0].key == env.discord.calls[1].key  # ... with the same nonce
    assert len(env.discord.visible) == 1  # so people see it once
    [row] = await _outbox_rows(env)
    assert row["sent_at"] is not None
    assert env.api.count() == 1  # the restart did not poll the terminal post again


async def test_crash_between_mark_and_commit(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, platform="discord", channel="D1")
    env.api.settle("p1", "published")
    await n.poll_once(env.now)
    real = outbox.mark_sent

    def mark_then_die(*a: object, **kw: object) -> int:
        real(*a, **kw)  # type: ignore[arg-type]
        raise Crash("killed before commit")

    monkeypatch.setattr(outbox, "mark_sent", mark_then_die)
    with pytest.raises(Crash):
        await n.flush_outbox(env.now)
    monkeypatch.setattr(outbox, "mark_sent", real)
    [row] = await _outbox_rows(env)
    assert row["sent_at"] is None  # the mark was rolled back

    await env.reopen()
    await env.notifier().tick(env.now)
    assert len(env.discord.visible) == 1
    assert len({c.key for c in env.discord.calls}) == 1
    [row] = await _outbox_rows(env)
    assert row["sent_at"] is not None


async def test_slack_crash_after_send_resends_at_most_once(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now)
    env.api.settle("p1", "published")
    await n.poll_once(env.now)
    env.slack.crash_after_send = 1
    with pytest.raises(Crash):
        await n.flush_outbox(env.now)
    await env.reopen()
    n2 = env.notifier()
    for _ in range(3):
        await n2.tick(env.now)
        env.clock.advance(30)
    # Slack has no idempotency key: the in-flight message may show twice, never more.
    assert len(env.slack.visible) == 2
    assert env.slack.calls[0].key == env.slack.calls[1].key


async def test_crash_inside_the_status_transaction_records_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now)
    env.api.settle("p1", "failed")
    real = outbox.enqueue

    def enqueue_then_die(*a: object, **kw: object) -> bool:
        real(*a, **kw)  # type: ignore[arg-type]
        raise Crash("killed before commit")

    monkeypatch.setattr(outbox, "enqueue", enqueue_then_die)
    with pytest.raises(Crash):
        await n.poll_once(env.now)
    monkeypatch.setattr(outbox, "enqueue", real)
    assert await env.status_of("p1") == "scheduled"  # status change rolled back with it
    assert await _outbox_rows(env) == []

    await env.reopen()
    n2 = env.notifier()
    for _ in range(3):
        await n2.tick(env.now)
        env.clock.advance(30)
    assert [s.announcement.result for s in env.slack.visible] == ["failed"]


async def test_send_error_retries_later_with_the_same_key(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now)
    env.api.settle("p1", "published")
    env.slack.fail_next = 1
    await n.tick(env.now)
    assert env.slack.visible == []
    await n.flush_outbox(env.now)  # not before its retry time
    assert env.slack.visible == []
    env.clock.advance(6)
    await n.flush_outbox(env.now)
    assert len(env.slack.visible) == 1


async def test_stop_flushes_the_outbox(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now)
    env.api.settle("p1", "published")
    await n.poll_once(env.now)
    await n.stop(grace=5.0)
    assert len(env.slack.visible) == 1


# ---------------------------------------------------------------- pacing and digests


async def test_burst_of_50_results_in_one_channel_becomes_digests(env: Env) -> None:
    n = env.notifier(requests_per_tick=60)
    ids = [f"b{i}" for i in range(50)]
    await env.track_many(ids, at=env.now - timedelta(seconds=1))
    for pid in ids[:45]:
        env.api.settle(pid, "published")
    for pid in ids[45:]:
        env.api.settle(pid, "failed", [])
    await env.track("other", at=env.now, channel="C2")
    env.api.settle("other", "published")
    start = env.clock.monotonic()
    await n.tick(env.now)
    msgs = [s for s in env.slack.visible if s.dest.channel == "C1"]
    assert len(msgs) == 2  # 25 + 25 entries, not 50 messages
    assert all(m.announcement.result == "digest" for m in msgs)
    assert msgs[0].announcement.title == "25 posts published"
    assert msgs[1].announcement.title == "25 results: 20 published, 5 failed"
    assert msgs[1].announcement.mentions == ("U1",)
    assert msgs[1].at - msgs[0].at >= 1.0  # ≤ 1 message/s in the channel
    assert env.clock.monotonic() - start <= 2.0  # never a queue minutes long
    for pid in ids:
        assert env.slack.times_announced(pid) == 1  # nothing dropped, nothing twice
    assert len([s for s in env.slack.visible if s.dest.channel == "C2"]) == 1


async def test_two_results_in_one_channel_are_paced_not_digested(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, thread="T1")
    await env.track("p2", at=env.now, thread="T2")
    env.api.settle("p1", "published")
    env.api.settle("p2", "published")
    await n.tick(env.now)
    a, b = env.slack.visible
    assert (a.dest.thread, b.dest.thread) == ("T1", "T2")
    assert b.at - a.at >= 1.0


async def test_pacer_per_channel() -> None:
    from bot.clock import FakeClock

    clock = FakeClock()
    p = ChannelPacer(clock)
    await p.acquire("slack:C1")
    await p.acquire("slack:C2")
    assert clock.slept == []  # different channels never wait for each other
    await p.acquire("slack:C1")
    assert clock.slept == [1.0]
    p.penalize("slack:C1", 7)
    assert p.delay("slack:C1") == 7
    await p.acquire("slack:C1")
    assert clock.slept[-1] == 7


async def test_notifier_uses_the_cores_shared_pacer(env: Env) -> None:
    n = env.notifier()
    assert n.pacer("slack") is env.core.pacer("slack")
    await env.core.pacer("slack").acquire("slack:C1")  # the adapter just sent in C1
    await env.track("p1", at=env.now)
    env.api.settle("p1", "published")
    await n.tick(env.now)
    assert env.clock.slept == [1.0]


# ---------------------------------------------------------------- API faults


@pytest.mark.parametrize(
    "fault",
    [
        ServerError(503, "http_error", "unavailable"),
        TransportError("read timeout"),
        RateLimited(429, "rate_limited", "slow down", retry_after=90.0),
    ],
    ids=["5xx", "timeout", "429"],
)
async def test_api_fault_backs_off_and_catches_up(env: Env, fault: Exception) -> None:
    n = env.notifier()
    await env.track_many([f"p{i}" for i in range(5)], at=env.now)
    for i in range(5):
        env.api.settle(f"p{i}", "published")
    env.api.faults = [fault]  # type: ignore[list-item]
    await n.tick(env.now)
    assert env.slack.visible == [] and env.api.count() == 1
    stats = n.stats("default")
    assert stats.errors == 1
    if isinstance(fault, RateLimited):
        assert stats.rate_limited == 1
        env.clock.advance(60)
        await n.tick(env.now)
        assert env.api.count() == 1  # Retry-After 90 s honoured
        env.clock.advance(30)
    else:
        env.clock.advance(30)
    await n.tick(env.now)
    for _ in range(3):
        env.clock.advance(30)
        await n.tick(env.now)
    assert len(env.slack.visible) == 1  # a digest of the 5
    for i in range(5):
        assert env.slack.times_announced(f"p{i}") == 1
    assert env.api.count() == 1 + 1 + 5  # failed list, list, 5 details


async def test_fault_midway_keeps_what_was_recorded(env: Env) -> None:
    n = env.notifier()
    await env.track_many([f"p{i}" for i in range(4)], at=env.now)
    for i in range(4):
        env.api.settle(f"p{i}", "published")
    # list ok, first detail ok, second detail 503
    env.api.faults = []
    calls = {"n": 0}
    orig = env.api._fault

    def fault_on_third() -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ServerError(502, "http_error", "bad gateway")
        orig()

    env.api._fault = fault_on_third  # type: ignore[method-assign]
    await n.tick(env.now)
    assert env.slack.times_announced("p0") == 1
    for _ in range(3):
        env.clock.advance(30)
        await n.tick(env.now)
    for i in range(4):
        assert env.slack.times_announced(f"p{i}") == 1


# ---------------------------------------------------------------- scheduling and catch-up


async def test_job_configuration_and_immediate_catch_up_run(env: Env) -> None:
    n = env.notifier()
    opts = n.job_options()
    assert opts["max_instances"] == 1
    assert opts["coalesce"] is True
    assert opts["misfire_grace_time"] == 30
    assert opts["trigger"].interval == timedelta(seconds=30)

    await env.track("p1", at=env.now)
    env.api.settle("p1", "published")
    await n.start()
    sched = n.scheduler
    assert sched is not None
    job, retention_job = sorted(sched.get_jobs(), key=lambda j: j.id != "notifier-poll")
    assert retention_job.id == "retention" and retention_job.max_instances == 1
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 30)
    # The first run is immediate (the catch-up run); poll for its effect with a deadline.
    await asyncio.wait_for(env.slack.sent_event.wait(), timeout=5)
    assert len(env.slack.visible) == 1
    nrt = job.next_run_time
    assert nrt is not None and nrt > datetime.now(UTC)  # the next run is an interval away
    await n.stop(grace=1.0)
    assert n.scheduler is None


async def test_one_run_after_downtime_covers_the_gap(env: Env) -> None:
    n = env.notifier()
    # Posts that came due at different times during 10 minutes of downtime.
    ids = [f"p{i}" for i in range(8)]
    for i, pid in enumerate(ids):
        await env.track(pid, at=env.now + timedelta(seconds=60 * i + 30))
    env.clock.advance(600)
    for pid in ids:
        env.api.settle(pid, "published")
    await n.tick(env.now)  # the single catch-up run
    for pid in ids:
        assert env.slack.times_announced(pid) == 1
    assert env.api.count() <= 2 + len(ids)
    assert env.api.count("list") == 1


# ---------------------------------------------------------------- budgets


@pytest.fixture
def settings():  # type: ignore[no-untyped-def]
    return make_settings(
        default=Workspace("default", "KEY_A"),
        other=Workspace("other", "KEY_B"),
    )


async def test_two_workspaces_poll_within_their_own_budgets(env: Env) -> None:
    n = env.notifier(requests_per_tick=10)
    await env.track_many([f"a{i}" for i in range(30)], at=env.now)
    await env.track_many([f"b{i}" for i in range(3)], at=env.now, workspace="other", channel="C9")
    for i in range(30):
        env.api.settle(f"a{i}", "published")
    for i in range(3):
        env.apis["other"].settle(f"b{i}", "published")
    env.apis["other"].faults = [RateLimited(429, "rate_limited", "slow", retry_after=60.0)]
    await n.tick(env.now)
    assert env.api.count() == 10  # 1 list + 9 details: the per-tick budget of this key
    assert env.apis["other"].count() == 1  # its 429 ...
    assert n.stats("default").rate_limited == 0  # ... does not slow the other key
    for _ in range(4):
        before = env.api.count()
        env.clock.advance(30)
        await n.tick(env.now)
        assert env.api.count() - before <= 10
    for i in range(30):
        assert env.slack.times_announced(f"a{i}") == 1
    for i in range(3):
        assert env.slack.times_announced(f"b{i}") == 1
    assert env.apis["other"].count() == 1 + 1 + 3


async def test_default_budget_is_half_the_key_per_tick(env: Env) -> None:
    n = Notifier(env.core)
    assert n.requests_per_tick == 30  # 120/min x 0.5 x 30 s


async def test_a_port_that_paces_itself_is_not_paced_twice(env: Env) -> None:
    env.slack.pacer = env.core.pacer("slack")  # type: ignore[attr-defined]
    n = env.notifier()
    await env.track("p1", at=env.now)
    env.api.settle("p1", "published")
    await n.tick(env.now)
    assert len(env.slack.visible) == 1
    assert env.core.pacer("slack").delay("slack:C1") == 0  # no slot taken by the notifier
