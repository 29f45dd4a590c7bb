"""Connected accounts and simulated per-account trouble (platform errors, missing permissions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import SandboxOptions, start_sandbox
from tests.sandbox.conftest import KEY, create, err, http, image

EXPECTED_PLATFORMS = {
    "twitter", "instagram", "facebook", "linkedin", "tiktok", "threads", "pinterest", "youtube",
}  # fmt: skip


async def test_default_accounts_one_per_platform(client: httpx.AsyncClient) -> None:
    accounts = (await client.get("/v1/accounts")).json()["accounts"]
    assert {a["platform"] for a in accounts} == EXPECTED_PLATFORMS
    assert len(accounts) == 8
    by = {a["platform"]: a for a in accounts}
    assert by["instagram"] == {
        "accountId": "acc_ig_1",
        "platform": "instagram",
        "handle": "@acme",
        "displayName": "Acme Inc",
    }
    assert by["twitter"]["premium"] is False
    assert by["linkedin"]["accountType"] == "personal"
    assert all(a["accountId"] and a["handle"] and a["displayName"] for a in accounts)


@pytest.fixture
async def troubled(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    accounts: list[dict[str, Any]] = [
        {"accountId": "acc_ig_old", "platform": "instagram", "handle": "@old",
         "missingPermissions": ["instagram_manage_contents"]},
        {"accountId": "acc_ig_nopub", "platform": "instagram", "handle": "@nopub",
         "missingPermissions": ["instagram_content_publish"]},
        {"accountId": "acc_fb_exp", "platform": "facebook", "handle": "acme",
         "platformError": "Error validating access token: Session has expired"},
    ]  # fmt: skip
    async with (
        start_sandbox(SandboxOptions(clock=clock, accounts=accounts)) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        yield c


async def test_configured_accounts_and_their_trouble(
    troubled: httpx.AsyncClient, clock: FakeClock
) -> None:
    c = troubled
    ids = [a["accountId"] for a in (await c.get("/v1/accounts")).json()["accounts"]]
    assert ids == ["acc_ig_old", "acc_ig_nopub", "acc_fb_exp"]
    img = await image(c)
    pid = (await create(c, accountIds=ids, content="hi", mediaIds=[img])).json()["postId"]
    clock.advance(2)
    s = (await c.get(f"/v1/posts/{pid}/status")).json()
    assert s["status"] == "partial"
    by = {t["accountId"]: t for t in s["targets"]}
    assert by["acc_ig_old"]["status"] == "published"
    assert "instagram_content_publish" in by["acc_ig_nopub"]["error"]
    assert "Session has expired" in by["acc_fb_exp"]["error"]
    # Listing / deleting natively on a broken connection is a platform_error.
    assert err(await c.get("/v1/accounts/acc_fb_exp/posts"))[:2] == (502, "platform_error")
    ppid = by["acc_ig_old"]["platformPostId"]
    status, code, message = err(await c.delete(f"/v1/accounts/acc_ig_old/posts/{ppid}"))
    assert (status, code) == (502, "platform_error") and "instagram_manage_contents" in message
    # Deleting the post: the old Instagram connection has to be cleaned up by hand.
    d = (await c.delete(f"/v1/posts/{pid}")).json()
    assert d["removedFrom"] == []
    assert [(m["platform"], "instagram_manage_contents" in m["reason"]) for m in d["manual"]] == [
        ("instagram", True)
    ]


async def test_bad_account_options_are_refused() -> None:
    with pytest.raises(ValueError):
        async with start_sandbox(
            SandboxOptions(accounts=[{"accountId": "a", "platform": "myspace"}])
        ):
            pass


async def test_unknown_routes_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    assert err(await client.get("/v1/nope"))[:2] == (404, "not_found")
    r = await client.post("/v1/accounts", json={})
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
