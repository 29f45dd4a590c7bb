"""Retries of idempotent calls; POST /v1/posts never blindly repeated."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bot.api import errors
from bot.api.client import SocialClient
from bot.api.models import NewPost, PostUpdate
from bot.api.retry import RetryPolicy, may_have_been_sent, parse_retry_after
from bot.clock import FakeClock
from tests.api.fakes import FakeApi, error

UPDATED = {"postId": "p", "updated": True, "post": {"postId": "p", "status": "scheduled"}}


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, text="busy"),
        error(500, "internal"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("eof"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "ok", "call"),
    [
        (
            "GET",
            "/v1/posts/p",
            {"post": {"postId": "p", "status": "draft"}},
            lambda c: c.get_post("p"),
        ),
        ("PUT", "/v1/posts/p", UPDATED, lambda c: c.update_post("p", PostUpdate(content="x"))),
        (
            "PATCH",
            "/v1/posts/p",
            UPDATED,
            lambda c: c.update_post("p", PostUpdate(content="x"), method="PATCH"),
        ),
        (
            "DELETE",
            "/v1/posts/p",
            {"postId": "p", "status": "canceled"},
            lambda c: c.delete_post("p"),
        ),
        (
            "POST",
            "/v1/media/upload-url",
            {"mediaId": "m", "uploadUrl": "https://s/u?sig=1"},
            lambda c: c.create_upload_url("a.jpg", "image/jpeg"),
        ),
        (
            "POST",
            "/v1/media/m/complete",
            {"mediaId": "m", "status": "uploaded"},
            lambda c: c.complete_upload("m"),
        ),
    ],
)
async def test_idempotent_calls_are_retried(
    client: SocialClient,
    api: FakeApi,
    clock: FakeClock,
    method: str,
    path: str,
    ok: dict[str, object],
    call: object,
    failure: object,
) -> None:
    api.route(method, path, ok)
    api.push(method, path, failure, failure)  # type: ignore[arg-type]
    await call(client)  # type: ignore[operator]
    assert len(api.calls_to(method, path)) == 3
    assert len(clock.slept) == 2 and clock.slept[1] > clock.slept[0] * 0.5 > 0  # backoff


async def test_retries_are_bounded(api: FakeApi, clock: FakeClock, client: SocialClient) -> None:
    api.route("GET", "/v1/analytics", httpx.Response(502, text="bad gateway"))
    with pytest.raises(errors.ServerError):
        await client.analytics()
    assert len(api.calls) == 5  # 1 + max_retries (4)
    api.route("GET", "/v1/media", httpx.ReadTimeout("slow"))
    with pytest.raises(errors.TransportError):
        await client.list_media()
    assert len(api.calls_to("GET", "/v1/media")) == 5


async def test_4xx_is_not_retried(client: SocialClient, api: FakeApi) -> None:
    api.route("DELETE", "/v1/posts/p", error(409, "publishing", "mid-publish"))
    with pytest.raises(errors.Publishing):
        await client.delete_post("p")
    assert len(api.calls) == 1


async def test_create_4xx_raised_once(client: SocialClient, api: FakeApi) -> None:
    api.push("POST", "/v1/posts", error(422, "content_invalid", "too long for X"))
    with pytest.raises(errors.ContentInvalid):
        await client.create_post(NewPost(("acc_x",), content="x" * 300, publish_now=True))
    assert len(api.calls) == 1


async def test_create_connect_error_is_not_ambiguous(client: SocialClient, api: FakeApi) -> None:
    api.push("POST", "/v1/posts", httpx.ConnectError("refused"), httpx.ConnectTimeout("syn lost"))
    created = await client.create_post(NewPost(("acc_x",), content="hello", publish_now=True))
    assert not created.reconciled
    assert len(api.calls_to("POST", "/v1/posts")) == 3
    assert api.calls_to("GET", "/v1/posts") == []  # nothing to reconcile: it was never sent
    assert len(api.posts) == 1


async def test_create_429_is_retried_after_pause(
    client: SocialClient, api: FakeApi, clock: FakeClock
) -> None:
    api.push("POST", "/v1/posts", error(429, "rate_limited", "slow", **{"Retry-After": "5"}))
    t0 = clock.monotonic()
    created = await client.create_post(NewPost(("acc_x",), content="hello", publish_now=True))
    assert created.post.post_id == "pst_1" and len(api.posts) == 1
    assert api.calls[-1].at >= t0 + 5


def test_classification() -> None:
    assert not may_have_been_sent(httpx.ConnectError("x"))
    assert not may_have_been_sent(httpx.ConnectTimeout("x"))
    assert not may_have_been_sent(httpx.PoolTimeout("x"))
    assert may_have_been_sent(httpx.ReadTimeout("x"))
    assert may_have_been_sent(httpx.WriteTimeout("x"))
    assert may_have_been_sent(httpx.ReadError("x"))
    assert may_have_been_sent(httpx.RemoteProtocolError("x"))


def test_parse_retry_after() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after("Mon, 01 Jun 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 01 Jun 2026 11:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("-3", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None


def test_policy_bounds() -> None:
    p = RetryPolicy(base_delay=1, max_delay=8)
    for attempt in range(1, 10):
        step = min(8, 2 ** (attempt - 1))
        d = p.backoff(attempt)
        assert step / 2 <= d <= step
    assert 7 <= p.rate_limit_pause(7) <= 8
    assert p.rate_limit_pause(10_000) == 120
    assert 1 <= p.rate_limit_pause(None) <= 2
