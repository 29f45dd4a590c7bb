"""Posts created outside the bot (Workspace.follow_external) → the announce channel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings, Workspace
from tests.notifier.conftest import Env, make_settings


@pytest.fixture
def settings() -> Settings:
    return make_settings(
        default=Workspace(
            "default", "SOCIAL_API_KEY", follow_external=True, announce_channel="discord:D-ANN"
        )
    )


async def test_history_is_the_baseline_and_new_external_posts_are_announced(env: Env) -> None:
    n = env.notifier()
    env.api.add("old1", "published", env.now - timedelta(days=3))
    env.api.add("old2", "failed", env.now - timedelta(days=2))
    env.api.add("old3", "scheduled", env.now + timedelta(minutes=1), content="queued earlier")
    await n.tick(env.now)
    assert env.discord.visible == []  # history is never announced
    assert env.api.count() == 1  # one list per tick discovers new posts

    env.api.add("new1", "published", env.now, content="made in the dashboard")
    env.api.settle("new1", "published")
    env.clock.advance(30)
    await n.tick(env.now)  # first sighting: wait a tick (the bot may be recording it)
    assert env.discord.visible == []
    env.clock.advance(30)
    await n.tick(env.now)
    [msg] = env.discord.visible
    assert msg.dest.channel == "D-ANN" and msg.dest.thread is None
    a = msg.announcement
    assert a.result == "published" and a.post_id == "new1"
    assert a.mentions == ()
    assert "Created outside the bot." in a.lines

    # The queued one from before the baseline is followed and announced when it lands.
    env.clock.advance(60)
    env.api.settle("old3", "published")
    await n.tick(env.now)
    await n.tick(env.now)
    assert [s.announcement.post_id for s in env.discord.visible] == ["new1", "old3"]
    for _ in range(3):
        env.clock.advance(30)
        await n.tick(env.now)
    assert len(env.discord.visible) == 2


async def test_posts_the_bot_made_are_not_taken_for_external(env: Env) -> None:
    n = env.notifier()
    await n.tick(env.now)  # baseline (empty)
    await env.track("mine", at=env.now, platform="slack", channel="C1", thread="T1")
    env.api.settle("mine", "published")
    for _ in range(3):
        env.clock.advance(30)
        await n.tick(env.now)
    assert env.discord.visible == []
    assert [s.dest.thread for s in env.slack.visible] == ["T1"]
