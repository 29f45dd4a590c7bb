"""Fault injection and the request log."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from tests.sandbox.conftest import KEY, create, err, http


async def test_5xx_rate(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.error_rate = 1.0
    r = await client.get("/v1/accounts")
    assert r.status_code == 503 and err(r)[1] == "internal_error"
    assert (await client.get("/v1/openapi.json")).status_code == 200  # never faulted
    sandbox.faults.reset()
    assert (await client.get("/v1/accounts")).status_code == 200


async def test_faults_are_seeded(clock: FakeClock) -> None:
    async def run() -> list[int]:
        async with (
            start_sandbox(SandboxOptions(clock=clock, seed=7, rate_limit=1000)) as sb,
            http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
        ):
            sb.faults.error_rate = 0.5
            return [(await c.get("/v1/accounts")).status_code for _ in range(30)]

    a, b = await run(), await run()
    assert a == b
    assert 200 in a and 503 in a


async def test_timeout_close_drops_the_connection(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.faults.timeout_rate = 1.0
    sandbox.faults.timeout_mode = "close"
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get("/v1/accounts")
    assert sandbox.state.log[-1].status == 0


async def test_timeout_hang_outlasts_the_client_timeout(sandbox: Sandbox) -> None:
    sandbox.faults.timeout_rate = 1.0
    sandbox.faults.hang_seconds = 30
    async with http(base_url=sandbox.url, headers={"X-Api-Key": KEY}, timeout=0.2) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.get("/v1/accounts")


async def test_slow_responses(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.slow_seconds = 0.15
    started = time.monotonic()
    assert (await client.get("/v1/accounts")).status_code == 200
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize("mode", ["500", "close"])
async def test_fail_after_commit_creates_the_post(
    sandbox: Sandbox, client: httpx.AsyncClient, mode: str
) -> None:
    sandbox.faults.fail_after_commit(1, mode=mode)  # type: ignore[arg-type]
    if mode == "500":
        r = await create(client, accountIds=["acc_x_1"], content="ambiguous")
        assert r.status_code == 500
    else:
        with pytest.raises(httpx.RemoteProtocolError):
            await create(client, accountIds=["acc_x_1"], content="ambiguous")
    posts = (await client.get("/v1/posts")).json()["posts"]
    assert [p["content"] for p in posts] == ["ambiguous"]
    assert sandbox.state.create_calls(KEY) == 1
    # Only the next create is hit.
    assert (await create(client, accountIds=["acc_x_1"], content="fine")).status_code == 201
    assert sandbox.state.create_calls(KEY) == 2


async def test_request_log(sandbox: Sandbox, client: httpx.AsyncClient, clock: FakeClock) -> None:
    await client.get("/v1/accounts")
    clock.advance(61)
    await client.get("/v1/posts/pst_x")
    async with http(base_url=sandbox.url) as anon:
        await anon.get("/v1/accounts")
    log = sandbox.state.log
    assert [(e.method, e.path, e.status) for e in log] == [
        ("GET", "/v1/accounts", 200),
        ("GET", "/v1/posts/pst_x", 404),
        ("GET", "/v1/accounts", 401),
    ]
    assert log[0].key_id is not None and log[0].key_id == log[1].key_id and log[2].key_id is None
    assert KEY not in repr(log)
    assert (log[1].at - log[0].at).total_seconds() == 61
    assert sandbox.state.max_requests_in_window(60) == 2
    assert sandbox.state.max_requests_in_window(60, KEY) == 1


async def test_presigned_urls_stay_out_of_the_log(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    t = (
        await client.post(
            "/v1/media/upload-url", json={"filename": "a.jpg", "contentType": "image/jpeg"}
        )
    ).json()
    async with http() as raw:
        await raw.put(t["uploadUrl"], content=b"x", headers={"Content-Type": "image/jpeg"})
    assert all("sig=" not in e.path for e in sandbox.state.log)
