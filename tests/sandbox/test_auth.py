"""Authentication (both header forms), 401, 403 per scope, rate limit, workspace isolation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import SCOPES, Sandbox, SandboxOptions, start_sandbox
from tests.sandbox.conftest import KEY, create, err, http

# Every endpoint with the scope the reference gives it.
ENDPOINTS: list[tuple[str, str, str]] = [
    ("GET", "/v1/accounts", "accounts:read"),
    ("GET", "/v1/accounts/acc_x_1/posts", "posts:read"),
    ("DELETE", "/v1/accounts/acc_x_1/posts/123", "posts:write"),
    ("POST", "/v1/media/upload-url", "media:write"),
    ("POST", "/v1/media/md_x/complete", "media:write"),
    ("GET", "/v1/media", "media:read"),
    ("DELETE", "/v1/media/md_x", "media:write"),
    ("POST", "/v1/posts", "posts:write"),
    ("GET", "/v1/posts", "posts:read"),
    ("GET", "/v1/posts/pst_x", "posts:read"),
    ("PUT", "/v1/posts/pst_x", "posts:write"),
    ("PATCH", "/v1/posts/pst_x", "posts:write"),
    ("DELETE", "/v1/posts/pst_x", "posts:write"),
    ("GET", "/v1/posts/pst_x/status", "posts:read"),
    ("GET", "/v1/analytics", "analytics:read"),
]


def _without(scope: str) -> str:
    return "sk_no_" + scope.replace(":", "_")


@pytest.fixture
async def scoped(clock: FakeClock) -> AsyncIterator[Sandbox]:
    keys = [f"{_without(s)}:{','.join(o for o in SCOPES if o != s)}" for s in SCOPES]
    async with start_sandbox(SandboxOptions(clock=clock, keys=keys, rate_limit=10_000)) as sb:
        yield sb


async def test_both_header_forms_authenticate(sandbox: Sandbox) -> None:
    async with http(base_url=sandbox.url) as c:
        a = await c.get("/v1/accounts", headers={"X-Api-Key": KEY})
        b = await c.get("/v1/accounts", headers={"Authorization": f"Bearer {KEY}"})
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()
    assert len(a.json()["accounts"]) == 8


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
async def test_401_without_or_with_a_wrong_key(
    sandbox: Sandbox, method: str, path: str, scope: str
) -> None:
    async with http(base_url=sandbox.url) as c:
        none = await c.request(method, path, json={})
        wrong = await c.request(method, path, json={}, headers={"X-Api-Key": "sk_wrong"})
        bearer = await c.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
        basic = await c.request(method, path, json={}, headers={"Authorization": f"Basic {KEY}"})
    for r in (none, wrong, bearer, basic):
        assert err(r)[:2] == (401, "unauthorized")
    assert KEY not in wrong.text


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
async def test_403_when_the_key_lacks_the_endpoints_scope(
    scoped: Sandbox, method: str, path: str, scope: str
) -> None:
    async with http(base_url=scoped.url) as c:
        r = await c.request(method, path, json={}, headers={"X-Api-Key": _without(scope)})
        status, code, message = err(r)
        assert (status, code) == (403, "forbidden")
        assert scope in message
        # A key lacking some *other* scope gets past the scope check.
        other = next(s for s in SCOPES if s != scope)
        r2 = await c.request(method, path, json={}, headers={"X-Api-Key": _without(other)})
        assert r2.status_code != 403


async def test_openapi_needs_no_key(sandbox: Sandbox) -> None:
    async with http(base_url=sandbox.url) as c:
        r = await c.get("/v1/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")


async def test_each_key_is_its_own_workspace(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    r = await create(client, accountIds=["acc_x_1"], content="mine", draft=True)
    pid = r.json()["postId"]
    async with http(base_url=sandbox.url, headers={"X-Api-Key": "sk_other"}) as o:
        assert err(await o.get(f"/v1/posts/{pid}"))[:2] == (404, "not_found")
        assert err(await o.delete(f"/v1/posts/{pid}"))[:2] == (404, "not_found")
        assert (await o.get("/v1/posts")).json()["posts"] == []
        assert (await o.get("/v1/analytics")).json()["totalPosts"] == 0
    assert [p.post_id for p in sandbox.state.posts(KEY)] == [pid]
    assert sandbox.state.posts("sk_other") == []


async def test_rate_limit_sliding_window_on_the_sandbox_clock(clock: FakeClock) -> None:
    async with (
        start_sandbox(SandboxOptions(clock=clock, rate_limit=5, keys=["sk_b:posts:read"])) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        for _ in range(3):
            assert (await c.get("/v1/accounts")).status_code == 200
        clock.advance(30)
        # A refused request (404) with a valid key still counts.
        assert (await c.get("/v1/posts/pst_nope")).status_code == 404
        assert (await c.get("/v1/accounts")).status_code == 200
        r = await c.get("/v1/accounts")
        assert err(r)[:2] == (429, "rate_limited")
        assert r.headers["Retry-After"] == "30"  # the first hit leaves the window in 30 s
        # Unauthenticated requests and other keys are not limited by this key's budget.
        async with http(base_url=sb.url) as anon:
            assert (await anon.get("/v1/accounts")).status_code == 401
            assert (await anon.get("/v1/posts", headers={"X-Api-Key": "sk_b"})).status_code == 200
        clock.advance(29)
        assert (await c.get("/v1/accounts")).status_code == 429
        clock.advance(1)
        assert (await c.get("/v1/accounts")).status_code == 200
        assert sb.state.max_requests_in_window(60, KEY) <= 5 + 2  # the 429s are logged too


async def test_default_limit_is_120_per_minute(
    sandbox: Sandbox, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    codes = [(await client.get("/v1/accounts")).status_code for _ in range(121)]
    assert codes[:120] == [200] * 120
    assert codes[120] == 429
    clock.advance(60)
    assert (await client.get("/v1/accounts")).status_code == 200


async def test_forced_429_burst_carries_retry_after_in_both_forms(
    sandbox: Sandbox, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    sandbox.faults.burst_429(2, retry_after=7)
    sandbox.faults.burst_429(1, retry_after=9, http_date=True)
    a, b, c = [await client.get("/v1/accounts") for _ in range(3)]
    assert err(a)[:2] == err(b)[:2] == err(c)[:2] == (429, "rate_limited")
    assert a.headers["Retry-After"] == b.headers["Retry-After"] == "7"
    when = parsedate_to_datetime(c.headers["Retry-After"])
    assert when == clock.now().replace(microsecond=0) + timedelta(seconds=9)
    assert (await client.get("/v1/accounts")).status_code == 200
