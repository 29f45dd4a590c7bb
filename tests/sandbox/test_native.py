"""Native platform posts: list (paginated, unsupported platforms) and delete."""

from __future__ import annotations

import httpx

from bot.clock import FakeClock
from bot.sandbox import Sandbox
from tests.sandbox.conftest import KEY, create, err, video


async def test_native_list_paginates_and_flags_tracked_posts(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    ids = [
        (await create(client, accountIds=["acc_x_1"], content=f"post {i}")).json()["postId"]
        for i in range(3)
    ]
    clock.advance(2)
    first = (await client.get("/v1/accounts/acc_x_1/posts", params={"limit": 2})).json()
    assert first["accountId"] == "acc_x_1" and first["platform"] == "twitter"
    assert len(first["posts"]) == 2 and first["nextCursor"]
    seen = list(first["posts"])
    cursor = first["nextCursor"]
    while cursor:
        page = (
            await client.get("/v1/accounts/acc_x_1/posts", params={"limit": 2, "cursor": cursor})
        ).json()
        seen += page["posts"]
        cursor = page["nextCursor"]
    assert len(seen) == 6  # 3 through the API + 3 seeded outside it
    tracked = [p for p in seen if p["inDb"]]
    assert sorted(p["dbPostId"] for p in tracked) == sorted(ids)
    assert all(p["dbPostId"] is None for p in seen if not p["inDb"])
    assert all(p["permalink"].startswith("https://x.com/acme_x/status/") for p in seen)
    assert all(set(p["metrics"]) == {"likes", "comments", "shares", "impressions"} for p in seen)
    stamps = [p["timestamp"] for p in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0].endswith("+0000")
    default = (await client.get("/v1/accounts/acc_x_1/posts")).json()
    assert len(default["posts"]) == 6 and default["nextCursor"] is None


async def test_native_list_errors(client: httpx.AsyncClient) -> None:
    for limit in ("0", "101", "ten"):
        r = await client.get("/v1/accounts/acc_x_1/posts", params={"limit": limit})
        assert err(r)[:2] == (400, "bad_request")
    assert err(await client.get("/v1/accounts/acc_x_1/posts", params={"cursor": "!!"}))[:2] == (
        400,
        "bad_request",
    )
    assert err(await client.get("/v1/accounts/acc_nope/posts"))[:2] == (404, "not_found")
    for acc in ("acc_li_1", "acc_th_1"):
        status, code, _ = err(await client.get(f"/v1/accounts/{acc}/posts"))
        assert (status, code) == (422, "unsupported")
    for acc in ("acc_ig_1", "acc_fb_1", "acc_tt_1", "acc_pin_1", "acc_yt_1"):
        assert (await client.get(f"/v1/accounts/{acc}/posts")).status_code == 200


async def test_native_delete(sandbox: Sandbox, client: httpx.AsyncClient, clock: FakeClock) -> None:
    pid = (await create(client, accountIds=["acc_x_1", "acc_fb_1"], content="tracked")).json()[
        "postId"
    ]
    clock.advance(2)
    listing = (await client.get("/v1/accounts/acc_x_1/posts")).json()["posts"]
    seeded = next(p for p in listing if not p["inDb"])
    tracked = next(p for p in listing if p["inDb"])
    r = (await client.delete(f"/v1/accounts/acc_x_1/posts/{seeded['platformPostId']}")).json()
    assert r == {
        "accountId": "acc_x_1",
        "platform": "twitter",
        "platformPostId": seeded["platformPostId"],
        "deleted": True,
        "dbPostId": None,
    }
    r = (await client.delete(f"/v1/accounts/acc_x_1/posts/{tracked['platformPostId']}")).json()
    assert r["deleted"] is True and r["dbPostId"] == pid
    after = [
        p["platformPostId"]
        for p in (await client.get("/v1/accounts/acc_x_1/posts")).json()["posts"]
    ]
    assert seeded["platformPostId"] not in after and tracked["platformPostId"] not in after
    post = (await client.get(f"/v1/posts/{pid}")).json()
    assert post["post"]["status"] == "canceled"  # our record is canceled too
    r = await client.delete("/v1/accounts/acc_x_1/posts/123456")
    assert err(r)[:2] == (404, "not_found")
    assert err(await client.delete("/v1/accounts/acc_nope/posts/1"))[:2] == (404, "not_found")
    assert sandbox.state.post(KEY, pid) is not None


async def test_native_delete_not_supported_platforms(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    vid = await video(client)
    pid = (await create(client, accountIds=["acc_tt_1"], mediaIds=[vid])).json()["postId"]
    clock.advance(2)
    ppid = (await client.get(f"/v1/posts/{pid}")).json()["targets"][0]["platformPostId"]
    r = (await client.delete(f"/v1/accounts/acc_tt_1/posts/{ppid}")).json()
    assert r["deleted"] is False and r["dbPostId"] == pid and "TikTok" in r["reason"]
    for acc, word in (("acc_li_1", "personal"), ("acc_th_1", "Threads"), ("acc_yt_1", "YouTube")):
        r = (await client.delete(f"/v1/accounts/{acc}/posts/999")).json()
        assert r["deleted"] is False and word in r["reason"]
    assert (await client.get(f"/v1/posts/{pid}")).json()["post"]["status"] == "published"


async def test_analytics_counts_and_engagement(client: httpx.AsyncClient, clock: FakeClock) -> None:
    empty = (await client.get("/v1/analytics")).json()
    assert empty["totalPosts"] == 0 and sum(empty["engagement"].values()) == 0
    await create(client, accountIds=["acc_x_1", "acc_fb_1"], content="a")
    await create(client, accountIds=["acc_x_1"], content="b", draft=True)
    await create(client, accountIds=["acc_x_1"], content="c", scheduledAt="2026-07-01T00:00:00Z")
    clock.advance(2)
    a = (await client.get("/v1/analytics")).json()
    assert a["totalPosts"] == 3
    assert (
        a["byStatus"]["published"] == 1
        and a["byStatus"]["draft"] == 1
        and a["byStatus"]["scheduled"] == 1
    )
    natives = [
        p
        for acc in ("acc_x_1", "acc_fb_1")
        for p in (await client.get(f"/v1/accounts/{acc}/posts")).json()["posts"]
        if p["inDb"]
    ]
    for k in ("likes", "comments", "shares", "impressions"):
        assert a["engagement"][k] == sum(p["metrics"][k] for p in natives)
    assert a["engagement"]["impressions"] > 0
    again = (await client.get("/v1/analytics")).json()
    assert again == a  # deterministic
