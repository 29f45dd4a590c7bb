"""End to end on the in-process sandbox: real client, real lifecycle, injected faults."""

from __future__ import annotations

from datetime import timedelta

from bot.api.client import SocialClient
from bot.api.models import NewPost
from bot.api.ratelimit import LimiterRegistry
from bot.notifier import Notifier
from bot.sandbox import Faults, SandboxOptions, start_sandbox
from bot.secret import Secret
from tests.notifier.conftest import Env

KEY = "sk_test_notifier_e2e"


async def test_results_from_the_sandbox_are_announced_once_through_faults(env: Env) -> None:
    faults = Faults(seed=7)
    opts = SandboxOptions(
        keys=(KEY,), clock=env.clock, publish_delay=2.0, fail_platforms=("threads",)
    )
    async with start_sandbox(opts, faults=faults) as sb:
        client = SocialClient(sb.url, Secret(KEY), clock=env.clock, limiters=LimiterRegistry())
        env.core.clients.overrides["default"] = client
        ok = await client.create_post(
            NewPost(account_ids=("acc_x_1", "acc_fb_1"), content="all good", publish_now=True)
        )
        part = await client.create_post(
            NewPost(
                account_ids=("acc_fb_1", "acc_th_1"),
                content="half good",
                scheduled_at=env.now + timedelta(minutes=2),
            )
        )
        later = await client.create_post(
            NewPost(
                account_ids=("acc_x_1",),
                content="next week",
                scheduled_at=env.now + timedelta(days=7),
            )
        )
        await env.track(ok.post.post_id, at=None, api_status="scheduled")
        await env.track(part.post.post_id, at=env.now + timedelta(minutes=2), channel="C2")
        await env.track(later.post.post_id, at=env.now + timedelta(days=7))
        n = Notifier(env.core)
        faults.error_rate = 0.5  # half of the requests answer 503 for a while
        for _ in range(4):
            await n.tick(env.now)
            env.clock.advance(30)
        assert faults.injected > 0
        faults.reset()
        for _ in range(8):
            await n.tick(env.now)
            env.clock.advance(30)
        results = {s.announcement.post_id: s.announcement for s in env.slack.visible}
        assert len(env.slack.visible) == 2
        assert results[ok.post.post_id].result == "published"
        assert all(t.permalink for t in results[ok.post.post_id].targets)
        p = results[part.post.post_id]
        assert p.result == "partial" and p.mentions == ("U1",)
        assert any(line.startswith("Threads:") for line in p.lines)
        # the far-future post was never asked about; no 429 from the sandbox
        assert not any(later.post.post_id in e.path for e in sb.state.log)
        assert not any(e.status == 429 for e in sb.state.log)
        await client.aclose()
