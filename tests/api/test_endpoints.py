"""Every endpoint of the reference parses into typed results (answers taken from the reference)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from bot.api.client import SocialClient
from bot.api.models import (
    Account,
    Analytics,
    MediaKind,
    NewPost,
    Platform,
    PostStatus,
    PostType,
    PostUpdate,
    ThreadSegment,
)
from tests.api.fakes import FakeApi

ACCOUNTS = {
    "accounts": [
        {
            "accountId": "acc_8fK2qz",
            "platform": "instagram",
            "handle": "@acme",
            "displayName": "Acme Inc",
            "someNewField": {"nested": True},
        },
        {
            "accountId": "acc_p1L9wd",
            "platform": "linkedin",
            "handle": "acme-inc",
            "displayName": "Acme Inc",
        },
        {"accountId": "acc_x", "platform": "x", "handle": "@acme", "displayName": "Acme"},
    ],
    "unknownTopLevel": 1,
}


async def test_list_accounts(client: SocialClient, api: FakeApi) -> None:
    api.route("GET", "/v1/accounts", ACCOUNTS)
    accounts = await client.list_accounts()
    assert accounts[0] == Account("acc_8fK2qz", Platform.INSTAGRAM, "@acme", "Acme Inc")
    assert [a.platform for a in accounts] == [Platform.INSTAGRAM, Platform.LINKEDIN, Platform.X]


async def test_list_native_posts_paginates(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "GET",
        "/v1/accounts/acc_8fK2qz/posts",
        {
            "accountId": "acc_8fK2qz",
            "platform": "instagram",
            "posts": [
                {
                    "platformPostId": "17912",
                    "caption": "Golden hour 🌅",
                    "mediaType": "image",
                    "permalink": "https://www.instagram.com/p/x",
                    "timestamp": "2026-06-20T18:00:00+0000",
                    "metrics": {"likes": 120, "comments": 8, "shares": 0, "impressions": 0},
                    "inDb": True,
                    "dbPostId": "pst_3kqz1a",
                }
            ],
            "nextCursor": "QVFI",
        },
    )
    page = await client.list_native_posts("acc_8fK2qz", limit=10, cursor="abc")
    assert api.calls[-1].query == {"limit": "10", "cursor": "abc"}
    assert page.platform is Platform.INSTAGRAM
    assert page.next_cursor == "QVFI"
    (p,) = page.posts
    assert p.platform_post_id == "17912" and p.in_db and p.db_post_id == "pst_3kqz1a"
    assert p.timestamp == datetime(2026, 6, 20, 18, tzinfo=UTC)
    assert p.metrics["likes"] == 120
    first = await client.list_native_posts("acc_8fK2qz")
    assert api.calls[-1].query == {"limit": "25"}
    assert first.next_cursor == "QVFI"
    with pytest.raises(ValueError):
        await client.list_native_posts("acc_8fK2qz", limit=101)


async def test_native_posts_last_page_has_no_cursor(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "GET",
        "/v1/accounts/acc_1/posts",
        {"accountId": "acc_1", "platform": "x", "posts": [], "nextCursor": None},
    )
    page = await client.list_native_posts("acc_1")
    assert page.next_cursor is None and page.posts == ()


async def test_delete_native_post(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "DELETE",
        "/v1/accounts/acc_8fK2qz/posts/17912",
        {
            "accountId": "acc_8fK2qz",
            "platform": "instagram",
            "platformPostId": "17912",
            "deleted": True,
            "dbPostId": None,
        },
    )
    r = await client.delete_native_post("acc_8fK2qz", "17912")
    assert r.deleted and r.platform is Platform.INSTAGRAM and r.db_post_id is None
    api.route(
        "DELETE",
        "/v1/accounts/acc_li/posts/urn:li:1",
        {
            "accountId": "acc_li",
            "platform": "linkedin",
            "platformPostId": "urn:li:1",
            "deleted": False,
            "reason": "personal profile",
        },
    )
    r2 = await client.delete_native_post("acc_li", "urn:li:1")
    assert not r2.deleted and r2.reason == "personal profile"


async def test_path_segments_are_quoted(client: SocialClient, api: FakeApi) -> None:
    api.route("GET", "/v1/posts/a/b", {"post": {"postId": "a/b", "status": "draft"}})
    await client.get_post("a/b")
    assert api.calls[-1].raw_path == b"/v1/posts/a%2Fb"
    with pytest.raises(ValueError):
        await client.get_post("")


async def test_media_endpoints(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "POST",
        "/v1/media/upload-url",
        httpx.Response(
            201,
            json={
                "mediaId": "md_1a2b3c",
                "uploadUrl": "https://r2.test/b/md?X-Amz-Signature=s3cr3t",
                "key": "b/md",
            },
        ),
    )
    t = await client.create_upload_url("sunset.jpg", "image/jpeg")
    assert t.media_id == "md_1a2b3c" and t.key == "b/md"
    assert "s3cr3t" not in repr(t)
    assert api.calls[-1].json() == {"filename": "sunset.jpg", "contentType": "image/jpeg"}

    api.route(
        "POST", "/v1/media/md_1a2b3c/complete", {"mediaId": "md_1a2b3c", "status": "uploaded"}
    )
    assert await client.complete_upload("md_1a2b3c", 240128) == "md_1a2b3c"
    assert api.calls[-1].json() == {"size": 240128}
    assert await client.complete_upload("md_1a2b3c") == "md_1a2b3c"
    assert api.calls[-1].json() == {}

    api.route(
        "GET",
        "/v1/media",
        {
            "media": [
                {
                    "mediaId": "md_1a2b3c",
                    "filename": "sunset.jpg",
                    "kind": "image",
                    "status": "uploaded",
                    "previewUrl": "https://p",
                },
                "junk",
            ]
        },
    )
    (m,) = await client.list_media()
    assert m.kind is MediaKind.IMAGE and m.status == "uploaded" and m.preview_url == "https://p"

    api.route("DELETE", "/v1/media/md_1a2b3c", {"mediaId": "md_1a2b3c", "deleted": True})
    assert await client.delete_media("md_1a2b3c") is True


async def test_create_post(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "POST",
        "/v1/posts",
        httpx.Response(
            201,
            json={
                "postId": "pst_3kqz1a",
                "status": "scheduled",
                "scheduledAt": "2026-07-01T09:00:00+00:00",
                "immediate": False,
                "post": {
                    "postId": "pst_3kqz1a",
                    "content": "we shipped 🚀",
                    "postType": "image",
                    "status": "scheduled",
                    "platforms": ["instagram"],
                    "mediaIds": ["md_1a2b3c"],
                },
                "targets": [
                    {"accountId": "acc_8fK2qz", "platform": "instagram", "status": "scheduled"}
                ],
            },
        ),
    )
    when = datetime(2026, 7, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    created = await client.create_post(
        NewPost(
            ("acc_8fK2qz",),
            content="we shipped 🚀",
            media_ids=("md_1a2b3c",),
            post_type=PostType.IMAGE,
            scheduled_at=when,
        )
    )
    assert api.calls[-1].json() == {
        "accountIds": ["acc_8fK2qz"],
        "content": "we shipped 🚀",
        "mediaIds": ["md_1a2b3c"],
        "postType": "image",
        "scheduledAt": "2026-07-01T11:00:00+02:00",
    }
    assert not created.reconciled and not created.immediate
    p = created.post
    assert p.post_id == "pst_3kqz1a" and p.status is PostStatus.SCHEDULED
    assert p.post_type is PostType.IMAGE and p.platforms == (Platform.INSTAGRAM,)
    assert p.scheduled_at == datetime(2026, 7, 1, 9, tzinfo=UTC)
    assert p.targets[0].account_id == "acc_8fK2qz"


async def test_naive_datetime_refused_before_sending(client: SocialClient, api: FakeApi) -> None:
    with pytest.raises(ValueError, match="offset"):
        await client.create_post(
            NewPost(("acc_1",), content="x", scheduled_at=datetime(2026, 7, 1, 9))
        )
    with pytest.raises(ValueError, match="offset"):
        await client.update_post("pst_1", PostUpdate(scheduled_at=datetime(2026, 7, 1, 9)))
    assert api.calls == []


async def test_list_get_status(client: SocialClient, api: FakeApi) -> None:
    api.posts.append(
        {
            "postId": "pst_3kqz1a",
            "content": "we shipped 🚀",
            "postType": "image",
            "status": "scheduled",
            "scheduledAt": "2026-07-01T09:00:00+00:00",
            "platforms": ["instagram"],
            "accountIds": ["acc_8fK2qz"],
            "mediaIds": ["md_1a2b3c"],
            "brandNewField": [1, 2],
        }
    )
    (p,) = await client.list_posts()
    assert p.account_ids == ("acc_8fK2qz",) and p.media_ids == ("md_1a2b3c",)

    api.route(
        "GET",
        "/v1/posts/pst_3kqz1a",
        {
            "post": {
                "postId": "pst_3kqz1a",
                "content": "c",
                "postType": "image",
                "status": "published",
                "platforms": ["instagram"],
                "mediaIds": ["md_1a2b3c"],
            },
            "targets": [
                {
                    "accountId": "acc_8fK2qz",
                    "platform": "instagram",
                    "status": "published",
                    "platformPostId": "17912",
                    "scheduledAt": "2026-07-01T09:00:00+00:00",
                }
            ],
        },
    )
    got = await client.get_post("pst_3kqz1a")
    assert got.status is PostStatus.PUBLISHED and got.targets[0].platform_post_id == "17912"

    api.route(
        "GET",
        "/v1/posts/pst_3kqz1a/status",
        {
            "postId": "pst_3kqz1a",
            "status": "publishing",
            "ready": False,
            "scheduledAt": "2026-07-01T09:00:00+00:00",
            "targets": [
                {
                    "accountId": "acc_8fK2qz",
                    "platform": "instagram",
                    "status": "publishing",
                    "ready": False,
                    "platformPostId": None,
                    "permalink": None,
                    "error": None,
                }
            ],
        },
    )
    st = await client.get_status("pst_3kqz1a")
    assert st.status is PostStatus.PUBLISHING and st.ready is False
    assert st.targets[0].ready is False and st.targets[0].error is None


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_update_post(client: SocialClient, api: FakeApi, method: str) -> None:
    api.route(
        method,
        "/v1/posts/pst_3kqz1a",
        {
            "postId": "pst_3kqz1a",
            "updated": True,
            "rescheduled": True,
            "unsupported": ["instagram", {"platform": "twitter", "reason": "no edit"}],
            "post": {
                "postId": "pst_3kqz1a",
                "content": "new",
                "status": "scheduled",
                "scheduledAt": "2026-07-02T10:00:00+00:00",
            },
            "targets": [
                {"accountId": "acc_8fK2qz", "platform": "instagram", "status": "scheduled"}
            ],
        },
    )
    up = await client.update_post(
        "pst_3kqz1a",
        PostUpdate(
            content="new",
            scheduled_at=datetime(2026, 7, 2, 10, tzinfo=UTC),
            thread=(ThreadSegment("a"),),
        ),
        method=method,  # type: ignore[arg-type]
    )
    assert api.calls[-1].method == method
    assert api.calls[-1].json() == {
        "content": "new",
        "scheduledAt": "2026-07-02T10:00:00+00:00",
        "thread": [{"text": "a"}],
    }
    assert up.updated and up.rescheduled and not up.activated
    assert up.unsupported == ("instagram", "twitter")
    assert up.post.scheduled_at == datetime(2026, 7, 2, 10, tzinfo=UTC)


async def test_delete_post(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "DELETE",
        "/v1/posts/pst_3kqz1a",
        {
            "postId": "pst_3kqz1a",
            "status": "canceled",
            "removedFrom": ["facebook"],
            "manual": [{"platform": "instagram", "reason": "platform has no delete API"}],
        },
    )
    d = await client.delete_post("pst_3kqz1a")
    assert d.status is PostStatus.CANCELED and d.removed_from == (Platform.FACEBOOK,)
    assert d.manual[0].platform is Platform.INSTAGRAM


async def test_analytics_and_openapi(client: SocialClient, api: FakeApi) -> None:
    api.route(
        "GET",
        "/v1/analytics",
        {
            "totalPosts": 128,
            "byStatus": {"scheduled": 12, "published": 110, "failed": 6},
            "engagement": {"likes": 4210, "comments": 318, "shares": 96, "impressions": 51200},
        },
    )
    a = await client.analytics()
    assert a == Analytics(
        128,
        {"scheduled": 12, "published": 110, "failed": 6},
        {"likes": 4210, "comments": 318, "shares": 96, "impressions": 51200},
    )
    api.route("GET", "/v1/openapi.json", {"openapi": "3.1.0", "paths": {}})
    doc = await client.openapi()
    assert doc["openapi"] == "3.1.0"
    call = api.calls[-1]
    assert "x-api-key" not in call.headers and "authorization" not in call.headers
    assert client.limiter.granted == 1  # openapi is not counted against the key


async def test_thread_body(client: SocialClient, api: FakeApi) -> None:
    created = await client.create_post(
        NewPost(
            ("acc_x",),
            post_type=PostType.THREAD,
            publish_now=True,
            thread=(ThreadSegment("1/"), ThreadSegment("2/", ("md_1",))),
        )
    )
    assert api.calls[-1].json()["thread"] == [{"text": "1/"}, {"text": "2/", "mediaIds": ["md_1"]}]
    assert created.immediate
