"""Typed errors for every documented code; auth header forms; the key never leaks."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.api import errors
from bot.api.client import SocialClient
from bot.api.ratelimit import LimiterRegistry
from bot.api.retry import RetryPolicy
from bot.clock import FakeClock
from bot.secret import Secret
from tests.api.conftest import BASE_URL, KEY_VALUE
from tests.api.fakes import FakeApi, error

DOCUMENTED = [
    (400, "bad_request", errors.BadRequest),
    (401, "unauthorized", errors.Unauthorized),
    (403, "forbidden", errors.Forbidden),
    (404, "not_found", errors.NotFound),
    (409, "not_editable", errors.NotEditable),
    (409, "publishing", errors.Publishing),
    (422, "post_type_invalid", errors.PostTypeInvalid),
    (422, "content_invalid", errors.ContentInvalid),
    (422, "unsupported", errors.Unsupported),
    (502, "platform_error", errors.ServerError),  # a 5xx is a server failure whatever its code
    (422, "platform_error", errors.PlatformError),
]


@pytest.mark.parametrize(("status", "code", "cls"), DOCUMENTED)
async def test_documented_codes(
    client: SocialClient, api: FakeApi, status: int, code: str, cls: type[errors.HttpError]
) -> None:
    api.route("GET", "/v1/posts/pst_1", error(status, code, f"about {code}"))
    with pytest.raises(cls) as ei:
        await client.get_post("pst_1")
    e = ei.value
    assert (e.status, e.code, e.message) == (status, code, f"about {code}")
    assert isinstance(e, errors.ApiError)
    assert str(e) == f"{status} {code}: about {code}"


async def test_rate_limited_after_retries_is_typed(
    api: FakeApi, clock: FakeClock, key: Secret
) -> None:
    c = SocialClient(
        BASE_URL,
        key,
        transport=api.transport,
        clock=clock,
        max_retries=1,
        limiters=LimiterRegistry(),
    )
    api.route(
        "GET", "/v1/accounts", error(429, "rate_limited", "slow down", **{"Retry-After": "3"})
    )
    with pytest.raises(errors.RateLimited) as ei:
        await c.list_accounts()
    assert ei.value.status == 429 and ei.value.retry_after == 3.0
    assert len(api.calls) == 2
    await c.aclose()


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(418, json={"error": {"code": "teapot_mode", "message": "short and stout"}}),
        httpx.Response(400, text="<html>bad gateway</html>"),
        httpx.Response(400, json={"error": "flat string"}),
        httpx.Response(400, json=["not", "an", "object"]),
        httpx.Response(400, json={"error": {"code": 7}}),
    ],
)
async def test_unknown_or_malformed_error_is_server_error(
    client: SocialClient, api: FakeApi, response: httpx.Response
) -> None:
    api.route("DELETE", "/v1/media/md_1", response)
    with pytest.raises(errors.ServerError) as ei:
        await client.delete_media("md_1")
    assert ei.value.status == response.status_code


async def test_5xx_non_json_after_retries_is_server_error(
    client: SocialClient, api: FakeApi
) -> None:
    api.route("GET", "/v1/media", httpx.Response(503, text="upstream down"))
    with pytest.raises(errors.ServerError) as ei:
        await client.list_media()
    assert ei.value.status == 503


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200, text="<html>captive portal</html>", headers={"content-type": "text/html"}
        ),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, content=b"\xff\xfe\x00garbage"),
    ],
)
async def test_non_json_success_is_clear_api_error(
    client: SocialClient, api: FakeApi, response: httpx.Response
) -> None:
    api.route("GET", "/v1/analytics", response)
    with pytest.raises(errors.ApiError) as ei:
        await client.analytics()
    assert not isinstance(ei.value, errors.HttpError)
    assert "GET /v1/analytics" in str(ei.value) and "200" in str(ei.value)


async def test_error_from_response_never_keyerror() -> None:
    body: object
    for body in (None, {}, {"error": None}, {"error": {}}, "text", 5, {"error": {"message": 1}}):
        e = errors.error_from_response(500, body)
        assert isinstance(e, errors.ServerError)


async def test_x_api_key_is_the_default(client: SocialClient, api: FakeApi) -> None:
    api.route("GET", "/v1/accounts", {"accounts": []})
    await client.list_accounts()
    h = api.calls[-1].headers
    assert h["x-api-key"] == KEY_VALUE and "authorization" not in h


async def test_bearer_form(api: FakeApi, clock: FakeClock, key: Secret) -> None:
    c = SocialClient(
        BASE_URL,
        key,
        transport=api.transport,
        clock=clock,
        auth_scheme="bearer",
        limiters=LimiterRegistry(),
    )
    api.route("GET", "/v1/accounts", {"accounts": []})
    await c.list_accounts()
    h = api.calls[-1].headers
    assert h["authorization"] == f"Bearer {KEY_VALUE}" and "x-api-key" not in h
    await c.aclose()


async def test_key_never_in_repr_errors_or_logs(
    api: FakeApi, clock: FakeClock, key: Secret, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clients = [
        SocialClient(
            BASE_URL,
            key,
            transport=api.transport,
            clock=clock,
            auth_scheme=s,
            max_retries=1,
            limiters=LimiterRegistry(),
            retry_policy=RetryPolicy(),
        )
        for s in ("x-api-key", "bearer")
    ]
    # a hostile server that echoes the key back in its messages
    api.route("GET", "/v1/accounts", error(401, "unauthorized", f"key {KEY_VALUE} is revoked"))
    api.route("GET", "/v1/media", httpx.ConnectError(f"refused for {KEY_VALUE}"))
    api.route("GET", "/v1/analytics", httpx.Response(500, text=KEY_VALUE))
    api.route("GET", "/v1/posts/p", httpx.Response(200, text=f"not json {KEY_VALUE}"))
    api.route("DELETE", "/v1/posts/p", error(429, "rate_limited", KEY_VALUE))
    api.push("POST", "/v1/posts", httpx.ReadTimeout(KEY_VALUE), httpx.ReadTimeout(KEY_VALUE))
    api.route("GET", "/v1/posts", httpx.ReadTimeout(KEY_VALUE))
    seen: list[errors.ApiError] = []
    from bot.api.models import NewPost

    for c in clients:
        assert KEY_VALUE not in repr(c) and KEY_VALUE not in str(c)
        for call in (
            c.list_accounts(),
            c.list_media(),
            c.analytics(),
            c.get_post("p"),
            c.delete_post("p"),
            c.create_post(NewPost(("acc_1",), content="hi", publish_now=True)),
        ):
            with pytest.raises(errors.ApiError) as ei:
                await call
            seen.append(ei.value)
        await c.aclose()
    assert len(seen) == 12
    for e in seen:
        assert KEY_VALUE not in str(e) and KEY_VALUE not in repr(e), repr(e)
        assert KEY_VALUE not in e.message
    assert caplog.records, "the client logs one debug line per request"
    for r in caplog.records:
        assert KEY_VALUE not in r.getMessage()
        assert "sk_test" not in r.getMessage()
    assert any("GET /v1/accounts -> 401 attempt=1" in r.getMessage() for r in caplog.records)
