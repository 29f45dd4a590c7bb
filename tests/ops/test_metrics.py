"""The /metrics counters move where they should: commands by outcome, approvals by decision,
Social API requests by endpoint template and status, 429s (the runner test covers the rest
over HTTP: announcements, poll duration, outbox gauges)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot import approvals
from bot.api.client import SocialClient, endpoint_template
from bot.api.ratelimit import LimiterRegistry
from bot.chat import Confirmation, Invocation
from bot.clock import FakeClock
from bot.metrics import REGISTRY
from bot.secret import Secret
from tests.ops.conftest import BOB, REVIEW_A, SHARED, TEAM_A, Two


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_endpoint_templates_never_carry_ids() -> None:
    assert endpoint_template("GET", "/v1/posts") == "GET /v1/posts"
    assert endpoint_template("GET", "/v1/posts/p_9f3/status") == "GET /v1/posts/{id}/status"
    assert endpoint_template("PATCH", "/v1/posts/p%2F1") == "PATCH /v1/posts/{id}"
    assert endpoint_template("POST", "/v1/media/upload-url") == "POST /v1/media/upload-url"
    assert endpoint_template("POST", "/v1/media/md_1/complete") == "POST /v1/media/{id}/complete"
    assert (
        endpoint_template("DELETE", "/v1/accounts/acc_1/posts/777")
        == "DELETE /v1/accounts/{id}/posts/{id}"
    )


async def test_commands_by_outcome(two: Two) -> None:
    before = {
        o: sample("socialbot_commands_total", command="status", outcome=o)
        for o in ("ok", "user_error", "duplicate")
    }
    other_before = sample("socialbot_commands_total", command="other", outcome="user_error")
    await two.run("status", "p_nope", team=TEAM_A, channel=SHARED)  # not found: a user error
    await two.run("status", "", team=TEAM_A, channel=SHARED)  # the recent list: ok
    inv = Invocation(
        command="status", text="", user=BOB, platform="slack", channel=SHARED,
        delivery_id="same-delivery", team=TEAM_A, thread=None,
    )  # fmt: skip
    from commands.dispatch import dispatch

    await dispatch(two.core, inv)
    assert (await dispatch(two.core, inv)).duplicate
    await two.run("no-such-command-💥", "", team=TEAM_A, channel=SHARED)
    after = {
        o: sample("socialbot_commands_total", command="status", outcome=o)
        for o in ("ok", "user_error", "duplicate")
    }
    assert after["user_error"] - before["user_error"] == 1
    assert after["ok"] - before["ok"] == 2
    assert after["duplicate"] - before["duplicate"] == 1
    # an unknown command name is counted as "other", never as a new label value
    assert sample("socialbot_commands_total", command="other", outcome="user_error") == (
        other_before + 1
    )
    assert 'command="no-such-command' not in _exposition()


async def test_approvals_by_decision(two: Two) -> None:
    before = {
        d: sample("socialbot_approvals_total", decision=d)
        for d in ("approved", "rejected", "expired")
    }
    pids = []
    for text in ('x "one"', 'x "two"', 'x "three"'):
        reply = await two.run("post", text, team=None, channel=REVIEW_A)
        assert isinstance(reply, Confirmation), reply
    recent = await two.run("status", "", team=None, channel=REVIEW_A)
    pids = [line.split(" · ")[0] for line in recent.items]  # type: ignore[union-attr]
    assert len(pids) == 3
    await two.run("social", f"approve {pids[0]}", team=None, channel=REVIEW_A, user=BOB)
    await two.run("social", f"reject {pids[1]} no", team=None, channel=REVIEW_A, user=BOB)
    later = two.core.clock.now() + timedelta(days=30)
    assert await approvals.expire_due(two.core, later) == 1
    after = {
        d: sample("socialbot_approvals_total", decision=d)
        for d in ("approved", "rejected", "expired")
    }
    assert {d: after[d] - before[d] for d in after} == {"approved": 1, "rejected": 1, "expired": 1}


async def test_api_requests_by_endpoint_and_status_and_429s() -> None:
    answers = [
        httpx.Response(429, json={"error": {"code": "rate_limited", "message": "slow"}},
                       headers={"Retry-After": "1"}),
        httpx.Response(200, json={"postId": "p_secret_id_42", "status": "draft"}),
        httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}}),
    ]  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    ep = "GET /v1/posts/{id}"
    before = {s: sample("socialbot_api_requests_total", endpoint=ep, status=s) for s in ("200", "404", "429")}  # fmt: skip
    limited = sample("socialbot_api_rate_limited_total")
    registry = LimiterRegistry()
    clock = FakeClock()
    registry.for_key(Secret("sk_test_ops_one"), clock)  # (an empty registry is falsy)
    client = SocialClient(
        "http://api.test", Secret("sk_test_ops_one"), transport=httpx.MockTransport(handler),
        clock=clock, limiters=registry,
    )  # fmt: skip
    try:
        await client.get_post("p_secret_id_42")
        try:
            await client.get_post("p_secret_id_42")
        except Exception as e:
            assert type(e).__name__ == "NotFound"
    finally:
        await client.aclose()
    after = {s: sample("socialbot_api_requests_total", endpoint=ep, status=s) for s in ("200", "404", "429")}  # fmt: skip
    assert {s: after[s] - before[s] for s in after} == {"200": 1, "404": 1, "429": 1}
    assert sample("socialbot_api_rate_limited_total") == limited + 1
    assert client.last_success is not None  # /readyz reports it
    assert "p_secret_id_42" not in _exposition()


def _exposition() -> str:
    from prometheus_client import generate_latest

    return generate_latest(REGISTRY).decode()
