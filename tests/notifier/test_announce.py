"""What gets announced, where, how often, and what it costs."""

from __future__ import annotations

from datetime import timedelta

import sqlite_utils

from bot.api.models import PostStatus, Target
from tests.notifier.conftest import Env, failed_target, published_target


async def test_published_is_announced_once_in_its_thread(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now - timedelta(seconds=5), api_status="publishing")
    await n.tick(env.now)
    assert env.slack.visible == []
    assert env.api.count("status") == 1  # one due post: a status request, no list

    env.api.settle("p1", "published")
    for _ in range(5):  # the same status seen on many polls → one announcement
        env.clock.advance(30)
        await n.tick(env.now)
    assert len(env.slack.visible) == 1
    sent = env.slack.visible[0]
    assert (sent.dest.channel, sent.dest.thread) == ("C1", "T1")
    a = sent.announcement
    assert a.result == "published" and a.post_id == "p1"
    assert a.targets[0].permalink == "https://instagram.example/p/p1"
    assert a.mentions == ()  # no mention on success
    assert await env.status_of("p1") == "published"
    # A terminal post costs no request ever again.
    assert env.api.count() == 2


async def test_far_future_posts_cost_nothing(env: Env) -> None:
    n = env.notifier()
    await env.track_many([f"f{i}" for i in range(500)], at=env.now + timedelta(days=7))
    await env.track("d1", status="draft", at=None)
    for _ in range(10):
        await n.tick(env.now)
        env.clock.advance(30)
    assert env.api.calls == []


async def test_many_due_posts_use_one_list_and_details_only_for_changes(env: Env) -> None:
    n = env.notifier()
    await env.track_many([f"p{i}" for i in range(10)], at=env.now - timedelta(seconds=1))
    for i in range(3):
        env.api.settle(f"p{i}", "published")
    env.api.posts["p3"].status = "publishing"
    await n.tick(env.now)
    assert env.api.count("list") == 1
    assert sorted((pid for k, pid in env.api.calls if k == "status"), key=str) == ["p0", "p1", "p2"]
    assert await env.status_of("p3") == "publishing"  # progress recorded, no request
    # 3 results in one channel at once → one digest
    assert len(env.slack.visible) == 1
    assert env.slack.visible[0].announcement.result == "digest"
    for i in range(3):
        assert env.slack.times_announced(f"p{i}") == 1


async def test_partial_names_what_went_out_and_what_failed_and_mentions(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, api_status="publishing")
    env.api.settle(
        "p1",
        "partial",
        [
            published_target("p1", "twitter"),
            failed_target("instagram", "Missing permission instagram_content_publish"),
        ],
    )
    await n.tick(env.now)
    a = env.slack.visible[0].announcement
    assert a.result == "partial"
    assert a.mentions == ("U1",)
    # the error once, on its target's line; the lines add only the next step
    fail = next(line for line in a.lines if line.startswith("Instagram:"))
    assert "Reconnect the Instagram account" in fail
    assert "instagram_content_publish" not in " ".join(a.lines)
    ig = next(t for t in a.targets if t.platform == "Instagram")
    assert ig.error == "Missing permission instagram_content_publish"
    assert [(b.label, b.text) for b in a.actions] == [("Retry failed", "retry p1")]
    assert {t.platform for t in a.targets} == {"X", "Instagram"}
    assert any(t.permalink for t in a.targets if t.platform == "X")


async def test_failed_gives_each_error_with_a_next_step(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, api_status="publishing")
    env.api.settle(
        "p1",
        "failed",
        [
            failed_target("twitter", "Text exceeds 280 characters"),
            failed_target("facebook", "OAuth token expired"),
        ],
    )
    await n.tick(env.now)
    a = env.slack.visible[0].announcement
    assert a.result == "failed" and a.mentions == ("U1",)
    assert any(x.startswith("X:") and "shorten" in x for x in a.lines)
    assert any(x.startswith("Facebook:") and "reconnect" in x for x in a.lines)
    errors = {t.platform: t.error for t in a.targets}
    assert errors == {"X": "Text exceeds 280 characters", "Facebook": "OAuth token expired"}


async def test_canceled_outside_the_bot_says_who_can_see_it(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, api_status="publishing")
    env.api.settle(
        "p1",
        "canceled",
        [
            Target("acc_li", "linkedin", "canceled", platform_post_id="urn:li:1"),
            Target("acc_fb", "facebook", "canceled", platform_post_id="fb1"),
        ],
    )
    await env.track("p2", at=env.now, api_status="canceled")
    await n.tick(env.now)
    by_id = {s.announcement.post_id: s.announcement for s in env.slack.visible}
    li = by_id["p1"].lines
    assert any("LinkedIn: still visible" in x for x in li)
    assert any("Facebook: removed" in x for x in li)
    assert by_id["p2"].lines == ("It had not gone out: nobody saw it.",)


async def test_per_platform_schedule_one_summary_and_no_polls_in_between(env: Env) -> None:
    n = env.notifier()
    first, last = env.now + timedelta(minutes=1), env.now + timedelta(hours=3)
    await env.track("p1", at=first, last=last)
    await n.tick(env.now)
    assert env.api.calls == []  # not due yet
    env.clock.advance(90)  # instagram went out, twitter waits for its own time
    env.api.posts["p1"].status = "scheduled"
    env.api.posts["p1"].targets = [
        published_target("p1"),
        Target("acc_x", "twitter", PostStatus.SCHEDULED, scheduled_at=last),
    ]
    await n.tick(env.now)
    assert env.api.count() == 1
    while env.now + timedelta(seconds=300) < last:  # ~3 hours: deferred to the last time
        env.clock.advance(300)
        await n.tick(env.now)
    assert env.api.count() == 1
    assert env.slack.visible == []
    env.clock.advance(300)
    env.api.settle("p1", "published", [published_target("p1"), published_target("p1", "twitter")])
    await n.tick(env.now)
    assert len(env.slack.visible) == 1
    a = env.slack.visible[0].announcement
    assert a.result == "published"
    assert [t.platform for t in a.targets] == ["Instagram", "X"]


async def test_rescheduled_elsewhere_sleeps_until_the_new_time(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now - timedelta(seconds=1))
    env.api.posts["p1"].scheduled_at = env.now + timedelta(days=2)
    await n.tick(env.now)
    assert env.api.count() == 1
    for _ in range(10):
        env.clock.advance(30)
        await n.tick(env.now)
    assert env.api.count() == 1


async def test_post_gone_from_the_api_is_announced_once_after_two_strikes(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now)
    del env.api.posts["p1"]
    await n.tick(env.now)
    assert env.slack.visible == []
    env.clock.advance(30)
    await n.tick(env.now)
    env.clock.advance(30)
    await n.tick(env.now)
    assert [s.announcement.result for s in env.slack.visible] == ["canceled"]
    assert "no longer exists" in env.slack.visible[0].announcement.lines[0]
    assert env.api.count() == 2


async def test_posts_announced_to_discord_carry_a_stable_nonce(env: Env) -> None:
    n = env.notifier()
    await env.track("p1", at=env.now, platform="discord", channel="D1", thread=None)
    env.api.settle("p1", "published")
    await n.tick(env.now)
    [s] = env.discord.visible
    assert s.key is not None and len(s.key) <= 25
    assert s.dest.thread is None


async def test_workspace_without_a_key_is_skipped_not_fatal(env: Env) -> None:
    from bot.notifier import Notifier

    n = Notifier(env.core)  # the real client factory: SOCIAL_API_KEY is not set
    await env.track("p1", at=env.now)
    await n.tick(env.now)  # no exception, nothing sent
    assert env.slack.visible == []
    assert n.stats("default").requests == 0
    assert n.stats("default").skipped_backoff == 0
    env.clock.advance(30)
    await n.tick(env.now)
    assert n.stats("default").skipped_backoff == 1  # backed off, not retried every tick


async def test_deferred_post_rescheduled_earlier_by_a_command_is_polled_then(env: Env) -> None:
    from bot import tracking

    n = env.notifier()
    first, last = env.now, env.now + timedelta(hours=3)
    await env.track("p1", at=first, last=last)
    await n.tick(env.now)  # in flight until `last`: deferred
    assert env.api.count() == 1
    sooner = env.now + timedelta(minutes=10)

    def reschedule(sdb: sqlite_utils.Database) -> None:  # what /reschedule does
        tracking.set_status(sdb, "p1", "scheduled", scheduled_at=first, last_due_at=sooner)

    await env.core.db.run(reschedule)
    env.clock.advance(11 * 60)
    env.api.settle("p1", "published")
    await n.tick(env.now)
    assert env.api.count() == 2
    assert len(env.slack.visible) == 1
