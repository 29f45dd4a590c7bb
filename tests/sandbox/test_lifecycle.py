"""Lifecycle on an injected clock: draft → scheduled → publishing → published/partial/failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from tests.sandbox.conftest import KEY, create, err, http, image, video

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


async def status(client: httpx.AsyncClient, pid: str) -> dict[str, object]:
    r = await client.get(f"/v1/posts/{pid}/status")
    assert r.status_code == 200
    body: dict[str, object] = r.json()
    return body


async def test_draft_scheduled_publishing_published(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    r = await create(client, accountIds=["acc_x_1", "acc_fb_1"], content="soon", draft=True)
    assert r.status_code == 201
    assert r.json()["status"] == "draft" and r.json()["scheduledAt"] is None
    pid = r.json()["postId"]
    s = await status(client, pid)
    assert s["status"] == "draft" and s["ready"] is False
    put = await client.put(f"/v1/posts/{pid}", json={"scheduledAt": at(3600)})
    assert put.status_code == 200
    assert put.json()["activated"] is True
    assert put.json()["post"]["status"] == "scheduled"
    assert put.json()["post"]["scheduledAt"] == "2026-06-01T13:00:00+00:00"
    clock.advance(3599)
    assert (await status(client, pid))["status"] == "scheduled"
    clock.advance(1)
    s = await status(client, pid)
    assert s["status"] == "publishing" and s["ready"] is False
    assert all(t["status"] == "publishing" and t["permalink"] is None for t in s["targets"])  # type: ignore[attr-defined]
    clock.advance(1.9)
    assert (await status(client, pid))["status"] == "publishing"
    clock.advance(0.1)
    s = await status(client, pid)
    assert s["status"] == "published" and s["ready"] is True
    targets = {t["platform"]: t for t in s["targets"]}  # type: ignore[attr-defined]
    assert targets["twitter"]["permalink"] == (
        f"https://x.com/acme_x/status/{targets['twitter']['platformPostId']}"
    )
    assert targets["facebook"]["permalink"].startswith("https://www.facebook.com/")
    assert all(t["ready"] and t["error"] is None for t in targets.values())
    full = (await client.get(f"/v1/posts/{pid}")).json()
    assert full["post"]["status"] == "published"
    assert {t["platformPostId"] for t in full["targets"]} == {
        t["platformPostId"] for t in targets.values()
    }


@pytest.mark.parametrize(
    ("when", "immediate"),
    [("past", True), ("+10s", True), ("+30s", True), ("+31s", False), ("now", True)],
)
async def test_near_now_publishes_immediately(
    client: httpx.AsyncClient, when: str, immediate: bool
) -> None:
    body: dict[str, object] = {"accountIds": ["acc_x_1"], "content": "t"}
    if when == "now":
        body["publishNow"] = True
        body["scheduledAt"] = at(86400)  # publishNow ignores scheduledAt
    else:
        body["scheduledAt"] = at({"past": -600, "+10s": 10, "+30s": 30, "+31s": 31}[when])
    r = await client.post("/v1/posts", json=body)
    assert r.status_code == 201
    assert r.json()["immediate"] is immediate
    assert r.json()["status"] == ("publishing" if immediate else "scheduled")
    if immediate:
        assert r.json()["scheduledAt"] == "2026-06-01T12:00:00+00:00"


@pytest.fixture
async def new_york(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        start_sandbox(SandboxOptions(clock=clock, timezone="America/New_York")) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        yield c


async def test_offset_less_times_are_in_the_workspace_time_zone(
    new_york: httpx.AsyncClient,
) -> None:
    r = await create(
        new_york,
        accountIds=["acc_x_1", "acc_fb_1"],
        content="tz",
        scheduledAt="2026-07-01T09:00:00",
        platformSchedules={"facebook": "2026-07-01T10:00:00"},
    )
    assert r.status_code == 201
    assert r.json()["scheduledAt"] == "2026-07-01T13:00:00+00:00"  # EDT = UTC-4
    due = {t["platform"]: t["scheduledAt"] for t in r.json()["targets"]}
    assert due == {"twitter": "2026-07-01T13:00:00+00:00", "facebook": "2026-07-01T14:00:00+00:00"}
    exact = await create(
        new_york, accountIds=["acc_x_1"], content="tz", scheduledAt="2026-07-01T09:00:00+05:30"
    )
    assert exact.json()["scheduledAt"] == "2026-07-01T03:30:00+00:00"
    z = await create(
        new_york, accountIds=["acc_x_1"], content="tz", scheduledAt="2026-07-01T09:00:00Z"
    )
    assert z.json()["scheduledAt"] == "2026-07-01T09:00:00+00:00"


@pytest.fixture
async def failing(clock: FakeClock) -> AsyncIterator[Sandbox]:
    async with start_sandbox(
        SandboxOptions(clock=clock, fail_platforms={"instagram", "tiktok"})
    ) as sb:
        yield sb


async def test_partial_and_failed(failing: Sandbox, clock: FakeClock) -> None:
    async with http(base_url=failing.url, headers={"X-Api-Key": KEY}) as c:
        img = await image(c)
        vid = await video(c)
        partial = await create(c, accountIds=["acc_ig_1", "acc_fb_1"], content="p", mediaIds=[img])
        failed = await create(c, accountIds=["acc_ig_1", "acc_tt_1"], content="f", mediaIds=[vid])
        clock.advance(2)
        p = await status(c, partial.json()["postId"])
        assert p["status"] == "partial" and p["ready"] is True
        by = {t["platform"]: t for t in p["targets"]}  # type: ignore[attr-defined]
        assert by["instagram"]["status"] == "failed"
        assert by["instagram"]["platformPostId"] is None
        assert "instagram_content_publish" in by["instagram"]["error"]
        assert by["facebook"]["status"] == "published" and by["facebook"]["permalink"]
        f = await status(c, failed.json()["postId"])
        assert f["status"] == "failed" and f["ready"] is False
        assert all(t["error"] for t in f["targets"])  # type: ignore[attr-defined]
        # Settled outcomes are history: clearing the fault later changes nothing.
        failing.state.fail_platforms = frozenset()
        assert (await status(c, failed.json()["postId"]))["status"] == "failed"


async def test_per_platform_schedules_fire_at_their_own_times(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    img = await image(client)
    r = await create(
        client,
        accountIds=["acc_ig_1", "acc_x_1"],
        content="staggered",
        mediaIds=[img],
        scheduledAt=at(3600),
        platformSchedules={"twitter": at(7200)},
    )
    pid = r.json()["postId"]
    assert r.json()["post"]["platformSchedules"] == {"twitter": "2026-06-01T14:00:00+00:00"}
    clock.advance(3600)
    s = await status(client, pid)
    assert s["status"] == "publishing"
    assert [t["status"] for t in s["targets"]] == ["publishing", "scheduled"]  # type: ignore[attr-defined]
    clock.advance(2)
    s = await status(client, pid)
    # Some targets live, others still waiting: the post stays "scheduled" (not terminal).
    assert s["status"] == "scheduled"
    assert [t["status"] for t in s["targets"]] == ["published", "scheduled"]  # type: ignore[attr-defined]
    clock.advance(3598)
    assert (await status(client, pid))["status"] == "publishing"
    clock.advance(2)
    assert (await status(client, pid))["status"] == "published"


async def test_platform_schedules_alone_can_say_when(client: httpx.AsyncClient) -> None:
    r = await create(
        client,
        accountIds=["acc_x_1", "acc_fb_1"],
        content="x",
        platformSchedules={"twitter": at(100), "facebook": at(200)},
    )
    assert r.status_code == 201
    assert r.json()["scheduledAt"] == at(100)
    r = await create(
        client,
        accountIds=["acc_x_1", "acc_fb_1"],
        content="x",
        platformSchedules={"twitter": at(100)},
    )
    assert err(r)[:2] == (400, "bad_request")


async def test_publish_delay_is_configurable(clock: FakeClock) -> None:
    async with (
        start_sandbox(SandboxOptions(clock=clock, publish_delay=0)) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        r = await create(c, accountIds=["acc_x_1"], content="instant")
        assert (await status(c, r.json()["postId"]))["status"] == "published"
        sb.state.publish_delay = 10
        r = await create(c, accountIds=["acc_x_1"], content="slow")
        clock.advance(9)
        assert (await status(c, r.json()["postId"]))["status"] == "publishing"
        clock.advance(1)
        assert (await status(c, r.json()["postId"]))["status"] == "published"


async def test_list_posts_ordered_by_scheduled_time_across_statuses(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    later = (
        await create(client, accountIds=["acc_x_1"], content="later", scheduledAt=at(7200))
    ).json()
    draft = (await create(client, accountIds=["acc_x_1"], content="draft", draft=True)).json()
    sooner = (
        await create(client, accountIds=["acc_x_1"], content="sooner", scheduledAt=at(3600))
    ).json()
    now = (await create(client, accountIds=["acc_x_1"], content="now")).json()
    canceled = (
        await create(client, accountIds=["acc_x_1"], content="gone", scheduledAt=at(5000))
    ).json()
    assert (await client.delete(f"/v1/posts/{canceled['postId']}")).status_code == 200
    clock.advance(5)
    posts = (await client.get("/v1/posts")).json()["posts"]
    assert [p["postId"] for p in posts] == [
        now["postId"],
        sooner["postId"],
        canceled["postId"],
        later["postId"],
        draft["postId"],
    ]
    assert [p["status"] for p in posts] == [
        "published",
        "scheduled",
        "canceled",
        "scheduled",
        "draft",
    ]
    assert posts[0]["accountIds"] == ["acc_x_1"] and posts[0]["platforms"] == ["twitter"]


async def test_unknown_post_is_404(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/v1/posts/pst_nope"),
        ("GET", "/v1/posts/pst_nope/status"),
        ("PUT", "/v1/posts/pst_nope"),
        ("DELETE", "/v1/posts/pst_nope"),
    ]:
        r = await client.request(method, path, json={})
        assert err(r)[:2] == (404, "not_found")
