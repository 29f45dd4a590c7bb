"""Edit (PUT/PATCH) and delete rules by post state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import SandboxOptions, start_sandbox
from tests.sandbox.conftest import KEY, create, err, http, image, video

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


async def test_scheduled_post_edit_any_field_and_reschedule(client: httpx.AsyncClient) -> None:
    pid = (await create(client, accountIds=["acc_x_1"], content="v1", scheduledAt=at(3600))).json()[
        "postId"
    ]
    r = await client.put(f"/v1/posts/{pid}", json={"content": "v2", "scheduledAt": at(7200)})
    assert r.status_code == 200
    body = r.json()
    assert body["updated"] is True and body["rescheduled"] is True
    assert body["post"]["content"] == "v2" and body["post"]["scheduledAt"] == at(7200)
    assert body["targets"][0]["scheduledAt"] == at(7200)
    # PATCH is an alias; retarget recreates the targets.
    img = await image(client)
    r = await client.patch(
        f"/v1/posts/{pid}", json={"accountIds": ["acc_ig_1", "acc_fb_1"], "mediaIds": [img]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["rescheduled"] is False
    assert r.json()["post"]["postType"] == "image"  # re-detected from the new media
    assert [t["platform"] for t in r.json()["targets"]] == ["instagram", "facebook"]
    assert r.json()["post"]["scheduledAt"] == at(7200)
    # Edits are re-validated.
    r = await client.put(f"/v1/posts/{pid}", json={"content": "x" * 2201})
    assert err(r)[1] == "content_invalid" and "Instagram's 2200-character limit" in err(r)[2]
    r = await client.put(f"/v1/posts/{pid}", json={"accountIds": ["acc_nope"]})
    assert err(r)[:2] == (404, "not_found")
    r = await client.put(f"/v1/posts/{pid}", json={"mediaIds": ["md_nope"]})
    assert err(r)[:2] == (404, "not_found")
    r = await client.put(f"/v1/posts/{pid}", json={"accountIds": []})
    assert err(r)[:2] == (400, "bad_request")
    r = await client.put(
        f"/v1/posts/{pid}", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert err(r)[:2] == (400, "bad_request")
    # Nothing above changed the post.
    got = (await client.get(f"/v1/posts/{pid}")).json()["post"]
    assert got["content"] == "v2" and got["mediaIds"] == [img]


async def test_edit_without_new_timing_is_not_a_reschedule(client: httpx.AsyncClient) -> None:
    pid = (await create(client, accountIds=["acc_x_1"], content="v1", scheduledAt=at(3600))).json()[
        "postId"
    ]
    r = await client.put(f"/v1/posts/{pid}", json={"content": "v2", "publishNow": False})
    assert r.json()["rescheduled"] is False and r.json()["post"]["scheduledAt"] == at(3600)


async def test_clearing_optional_fields(client: httpx.AsyncClient) -> None:
    pid = (
        await create(
            client,
            accountIds=["acc_x_1", "acc_li_1"],
            content="base",
            platformContent={"linkedin": "pro"},
            link="https://e.com",
            scheduledAt=at(3600),
        )
    ).json()["postId"]
    r = await client.put(f"/v1/posts/{pid}", json={"platformContent": {}, "link": ""})
    post = r.json()["post"]
    assert "platformContent" not in post and "link" not in post


async def test_publish_now_on_edit(client: httpx.AsyncClient, clock: FakeClock) -> None:
    pid = (await create(client, accountIds=["acc_x_1"], content="x", scheduledAt=at(3600))).json()[
        "postId"
    ]
    r = await client.put(f"/v1/posts/{pid}", json={"publishNow": True})
    assert r.json()["post"]["status"] == "publishing" and r.json()["rescheduled"] is True
    clock.advance(2)
    assert (await client.get(f"/v1/posts/{pid}/status")).json()["status"] == "published"


async def test_draft_edits_stay_draft_until_activated(client: httpx.AsyncClient) -> None:
    pid = (await create(client, accountIds=["acc_x_1"], content="d", draft=True)).json()["postId"]
    r = await client.put(f"/v1/posts/{pid}", json={"content": "d2"})
    assert r.json()["activated"] is False and r.json()["post"]["status"] == "draft"
    r = await client.put(f"/v1/posts/{pid}", json={"publishNow": True})
    assert r.json()["activated"] is True and r.json()["post"]["status"] == "publishing"


async def test_published_post_caption_edits_facebook_and_linkedin_only(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    img = await image(client)
    pid = (
        await create(
            client,
            accountIds=["acc_fb_1", "acc_li_1", "acc_ig_1", "acc_x_1"],
            content="v1",
            mediaIds=[img],
        )
    ).json()["postId"]
    clock.advance(2)
    r = await client.put(f"/v1/posts/{pid}", json={"content": "v2"})
    assert r.status_code == 200
    assert r.json()["updated"] is True
    assert r.json()["unsupported"] == ["instagram", "twitter"]
    assert r.json()["post"]["content"] == "v2"
    r = await client.put(f"/v1/posts/{pid}", json={"content": "x" * 3001})
    assert err(r)[1] == "content_invalid" and "LinkedIn" in err(r)[2]
    for body in ({"mediaIds": [img]}, {"scheduledAt": at(9000)}, {"accountIds": ["acc_fb_1"]}):
        assert err(await client.put(f"/v1/posts/{pid}", json=body))[:2] == (409, "not_editable")
    # The edited caption is what the platform now shows.
    native = (await client.get("/v1/accounts/acc_fb_1/posts")).json()["posts"]
    assert next(p for p in native if p["dbPostId"] == pid)["caption"] == "v2"


async def test_not_editable_states(client: httpx.AsyncClient, clock: FakeClock) -> None:
    publishing = (await create(client, accountIds=["acc_x_1"], content="p")).json()["postId"]
    r = await client.put(f"/v1/posts/{publishing}", json={"content": "new"})
    assert err(r)[:2] == (409, "not_editable") and "publishing" in err(r)[2]
    canceled = (
        await create(client, accountIds=["acc_x_1"], content="c", scheduledAt=at(999))
    ).json()["postId"]
    await client.delete(f"/v1/posts/{canceled}")
    assert err(await client.put(f"/v1/posts/{canceled}", json={"content": "n"}))[:2] == (
        409,
        "not_editable",
    )


async def test_failed_and_partial_are_not_editable(clock: FakeClock) -> None:
    async with (
        start_sandbox(SandboxOptions(clock=clock, fail_platforms={"twitter"})) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        failed = (await create(c, accountIds=["acc_x_1"], content="f")).json()["postId"]
        partial = (await create(c, accountIds=["acc_x_1", "acc_fb_1"], content="p")).json()[
            "postId"
        ]
        clock.advance(2)
        for pid in (failed, partial):
            assert err(await c.patch(f"/v1/posts/{pid}", json={"content": "n"}))[:2] == (
                409,
                "not_editable",
            )


async def test_delete_while_publishing_is_409(client: httpx.AsyncClient, clock: FakeClock) -> None:
    pid = (await create(client, accountIds=["acc_x_1"], content="p")).json()["postId"]
    r = await client.delete(f"/v1/posts/{pid}")
    assert err(r)[:2] == (409, "publishing")
    clock.advance(2)
    assert (await client.delete(f"/v1/posts/{pid}")).json()["removedFrom"] == ["twitter"]


async def test_delete_scheduled_and_draft_cancels_and_get_still_returns(
    client: httpx.AsyncClient,
) -> None:
    for body in ({"scheduledAt": at(3600)}, {"draft": True}):
        pid = (
            await create(
                client,
                accountIds=["acc_x_1", "acc_ig_1"],
                content="c",
                mediaIds=[await image(client)],
                **body,
            )
        ).json()["postId"]
        r = await client.delete(f"/v1/posts/{pid}")
        assert r.json() == {"postId": pid, "status": "canceled", "removedFrom": [], "manual": []}
        got = await client.get(f"/v1/posts/{pid}")
        assert got.status_code == 200
        assert got.json()["post"]["status"] == "canceled"
        assert {t["status"] for t in got.json()["targets"]} == {"canceled"}
        assert (await client.get(f"/v1/posts/{pid}/status")).json()["status"] == "canceled"


async def test_delete_published_removed_from_and_manual(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    vid = await video(client)
    pid = (
        await create(
            client,
            accountIds=["acc_x_1", "acc_fb_1", "acc_li_1", "acc_tt_1", "acc_yt_1", "acc_ig_1"],
            content="everywhere",
            mediaIds=[vid],
            platformContent={},
        )
    ).json()
    assert pid.get("postId"), pid
    clock.advance(2)
    r = (await client.delete(f"/v1/posts/{pid['postId']}")).json()
    assert r["status"] == "canceled"
    assert r["removedFrom"] == ["twitter", "facebook", "instagram"]
    manual = {m["platform"]: m["reason"] for m in r["manual"]}
    assert set(manual) == {"linkedin", "tiktok", "youtube"}
    assert "personal" in manual["linkedin"]
    assert manual["tiktok"] == "platform has no delete API"
    got = (await client.get(f"/v1/posts/{pid['postId']}")).json()
    by = {t["platform"]: t["status"] for t in got["targets"]}
    assert by["twitter"] == "canceled" and by["linkedin"] == "published"  # still live there


@pytest.fixture
async def company(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    accounts = [
        {
            "accountId": "acc_li_co",
            "platform": "linkedin",
            "handle": "acme-inc",
            "accountType": "company",
        }
    ]
    async with (
        start_sandbox(SandboxOptions(clock=clock, accounts=accounts)) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        yield c


async def test_linkedin_company_posts_are_deletable(
    company: httpx.AsyncClient, clock: FakeClock
) -> None:
    pid = (await create(company, accountIds=["acc_li_co"], content="co")).json()["postId"]
    clock.advance(2)
    r = (await company.delete(f"/v1/posts/{pid}")).json()
    assert r["removedFrom"] == ["linkedin"] and r["manual"] == []


async def test_partly_sent_post_edits_the_caption_only(clock: FakeClock) -> None:
    """Per-platform schedules: Instagram went out (and failed), X is still scheduled."""
    async with (
        start_sandbox(SandboxOptions(clock=clock, fail_platforms={"instagram"})) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        img = await image(c)
        pid = (
            await create(
                c,
                accountIds=["acc_ig_1", "acc_fb_1", "acc_x_1"],
                content="v1",
                mediaIds=[img],
                scheduledAt=at(60),
                platformSchedules={"twitter": at(3600)},
            )
        ).json()["postId"]
        clock.advance(62)
        r = await c.put(f"/v1/posts/{pid}", json={"content": "v2"})
        assert r.status_code == 200
        assert r.json()["post"]["status"] == "scheduled"
        assert r.json()["unsupported"] == []  # Instagram failed: nothing live there to edit
        by = {t["platform"]: t["status"] for t in r.json()["targets"]}
        assert by == {"instagram": "failed", "facebook": "published", "twitter": "scheduled"}
        r = await c.put(f"/v1/posts/{pid}", json={"content": "x" * 281})
        assert err(r)[1] == "content_invalid"  # X hasn't gone out yet: its limit applies
        r = await c.put(f"/v1/posts/{pid}", json={"scheduledAt": at(9000)})
        assert err(r)[:2] == (409, "not_editable")
        d = (await c.delete(f"/v1/posts/{pid}")).json()
        assert d["removedFrom"] == ["facebook"] and d["manual"] == []
        got = {
            t["platform"]: t["status"] for t in (await c.get(f"/v1/posts/{pid}")).json()["targets"]
        }
        assert got == {"instagram": "failed", "facebook": "canceled", "twitter": "canceled"}
        clock.advance(7200)
        assert (await c.get(f"/v1/posts/{pid}/status")).json()["status"] == "canceled"
