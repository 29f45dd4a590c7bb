"""An ambiguous POST /v1/posts is reconciled, never blindly repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.api import errors
from bot.api.client import SocialClient
from bot.api.models import NewPost, Post, PostType, ThreadSegment
from bot.api.reconcile import PostFingerprint
from bot.clock import FakeClock
from bot.secret import Secret
from tests.api.conftest import BASE_URL
from tests.api.fakes import FakeApi

POST = NewPost(
    ("acc_ig", "acc_x"),
    content="we shipped 🚀",
    media_ids=("md_1",),
    post_type=PostType.IMAGE,
    publish_now=True,
)


@pytest.mark.parametrize(
    "lost",
    [
        httpx.ReadTimeout("answer lost"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
    ],
)
async def test_created_then_timeout_returns_the_post_reconciled(
    client: SocialClient, api: FakeApi, lost: Exception
) -> None:
    api.push("POST", "/v1/posts", api.create_then(lost))
    created = await client.create_post(POST)
    assert created.reconciled and created.post.post_id == "pst_1"
    assert len(api.posts) == 1
    assert len(api.calls_to("POST", "/v1/posts")) == 1
    assert len(api.calls_to("GET", "/v1/posts")) == 1


async def test_created_then_5xx_returns_the_post_reconciled(
    client: SocialClient, api: FakeApi
) -> None:
    def created_then_500(request: httpx.Request) -> httpx.Response:
        api._create(request)  # the server created it, then failed the answer
        return httpx.Response(500, text="oops")

    api.push("POST", "/v1/posts", created_then_500)
    created = await client.create_post(POST)
    assert created.reconciled and len(api.posts) == 1


async def test_timeout_before_create_posts_once_more(client: SocialClient, api: FakeApi) -> None:
    api.push("POST", "/v1/posts", httpx.ReadTimeout("never reached the app"))
    created = await client.create_post(POST)
    assert not created.reconciled and created.post.post_id == "pst_1"
    assert len(api.posts) == 1
    assert [c.method for c in api.calls] == ["POST", "GET", "POST"]


async def test_5xx_before_create_posts_once_more(client: SocialClient, api: FakeApi) -> None:
    api.push("POST", "/v1/posts", httpx.Response(503, text="busy"))
    created = await client.create_post(POST)
    assert not created.reconciled and len(api.posts) == 1


async def test_known_posts_are_excluded(api: FakeApi, clock: FakeClock, key: Secret) -> None:
    # an identical post from yesterday, tracked by the bot's database
    api.posts.append(
        {
            "postId": "pst_old",
            "status": "published",
            "content": POST.content,
            "postType": "image",
            "accountIds": ["acc_x", "acc_ig"],
            "mediaIds": ["md_1"],
        }
    )
    asked: list[str] = []

    async def is_known(post_id: str) -> bool:
        asked.append(post_id)
        return post_id == "pst_old"

    c = SocialClient(BASE_URL, key, transport=api.transport, clock=clock, is_known_post=is_known)
    api.push("POST", "/v1/posts", httpx.ReadTimeout("lost before"))
    created = await c.create_post(POST)
    assert created.post.post_id == "pst_2" and not created.reconciled
    assert "pst_old" in asked
    await c.aclose()


async def test_posts_this_client_created_are_excluded(client: SocialClient, api: FakeApi) -> None:
    first = await client.create_post(POST)
    api.push("POST", "/v1/posts", api.create_then(httpx.ReadTimeout("lost after")))
    second = await client.create_post(POST)
    assert first.post.post_id == "pst_1"
    assert second.post.post_id == "pst_2" and second.reconciled
    assert len(api.posts) == 2


async def test_several_matches_raise_ambiguous(client: SocialClient, api: FakeApi) -> None:
    for i in (1, 2):
        api.posts.append(
            {
                "postId": f"pst_x{i}",
                "status": "scheduled",
                "content": POST.content,
                "accountIds": ["acc_ig", "acc_x"],
                "mediaIds": ["md_1"],
            }
        )
    api.push("POST", "/v1/posts", httpx.ReadTimeout("lost"))
    with pytest.raises(errors.AmbiguousCreateError) as ei:
        await client.create_post(POST)
    assert "pst_x1" in str(ei.value) and len(api.calls_to("POST", "/v1/posts")) == 1


async def test_listing_failure_raises_ambiguous(client: SocialClient, api: FakeApi) -> None:
    api.route("GET", "/v1/posts", httpx.Response(503, text="down"))
    api.push("POST", "/v1/posts", httpx.ReadTimeout("lost"))
    with pytest.raises(errors.AmbiguousCreateError):
        await client.create_post(POST)
    assert len(api.calls_to("POST", "/v1/posts")) == 1


async def test_never_landing_gives_up_after_max_retries(client: SocialClient, api: FakeApi) -> None:
    api.route("POST", "/v1/posts", httpx.ReadTimeout("always lost"))
    with pytest.raises(errors.TransportError) as ei:
        await client.create_post(POST)
    assert not isinstance(ei.value, errors.AmbiguousCreateError)
    assert len(api.calls_to("POST", "/v1/posts")) == 5  # each attempt proven not to have landed
    assert api.posts == []


def _listed(**over: object) -> Post:
    raw: dict[str, object] = {
        "postId": "p",
        "status": "scheduled",
        "content": "hi",
        "postType": "text",
        "accountIds": ["b", "a"],
        "mediaIds": [],
        "scheduledAt": "2026-07-01T09:00:00+00:00",
    }
    raw.update(over)
    return Post.from_json(raw)


def test_fingerprint_fields() -> None:
    at = datetime(2026, 7, 1, 11, 0, tzinfo=UTC) - timedelta(hours=2)
    fp = PostFingerprint.of(NewPost(("a", "b"), content="hi", scheduled_at=at))
    assert fp.matches(_listed())  # account order does not matter; the same instant
    assert not fp.matches(_listed(accountIds=["a"]))
    assert not fp.matches(_listed(content="hello"))
    assert not fp.matches(_listed(mediaIds=["m"]))
    assert not fp.matches(_listed(scheduledAt="2026-07-01T10:00:00+00:00"))
    assert not fp.matches(_listed(scheduledAt=None))
    assert not fp.matches(_listed(status="canceled"))
    now = PostFingerprint.of(NewPost(("a", "b"), content="hi", publish_now=True))
    assert now.matches(_listed(scheduledAt="2026-06-01T12:00:03+00:00"))  # server-set time ignored
    typed = PostFingerprint.of(
        NewPost(("a", "b"), content="hi", post_type=PostType.IMAGE, publish_now=True)
    )
    assert not typed.matches(_listed())
    thread = PostFingerprint.of(
        NewPost(
            ("a", "b"),
            post_type=PostType.THREAD,
            publish_now=True,
            thread=(ThreadSegment("1/"), ThreadSegment("2/")),
        )
    )
    assert thread.matches(
        _listed(postType="thread", content=None, thread=[{"text": "1/"}, {"text": "2/"}])
    )
    assert not thread.matches(_listed(postType="thread", content=None, thread=[{"text": "1/"}]))
