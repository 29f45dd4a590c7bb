"""Create-time validation: every platform limit and post-type rule of the reference."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from tests.sandbox.conftest import KEY, create, err, http, image, pdf, upload, video

LIMITS = [
    ("acc_x_1", 280, None),
    ("acc_ig_1", 2200, "image"),
    ("acc_fb_1", 63206, None),
    ("acc_li_1", 3000, None),
    ("acc_tt_1", 2200, "video"),
    ("acc_th_1", 500, None),
    ("acc_pin_1", 800, "image"),
    ("acc_yt_1", 5000, "video"),
]
LABELS = {
    "acc_x_1": "X's",
    "acc_ig_1": "Instagram's",
    "acc_fb_1": "Facebook's",
    "acc_li_1": "LinkedIn's",
    "acc_tt_1": "TikTok's",
    "acc_th_1": "Threads'",
    "acc_pin_1": "Pinterest's",
    "acc_yt_1": "YouTube's",
}


async def _media(client: httpx.AsyncClient, kind: str | None) -> list[str]:
    if kind == "image":
        return [await image(client)]
    if kind == "video":
        return [await video(client)]
    return []


@pytest.mark.parametrize(("account", "limit", "kind"), LIMITS)
async def test_max_text_per_platform(
    client: httpx.AsyncClient, account: str, limit: int, kind: str | None
) -> None:
    media = await _media(client, kind)
    ok = await create(client, accountIds=[account], content="a" * limit, mediaIds=media)
    assert ok.status_code == 201, ok.text
    r = await create(client, accountIds=[account], content="a" * (limit + 1), mediaIds=media)
    status, code, message = err(r)
    assert (status, code) == (422, "content_invalid")
    assert f"{LABELS[account]} {limit}-character limit ({limit + 1})" in message
    assert "for account" in message


async def test_x_message_names_platform_limit_and_account(client: httpx.AsyncClient) -> None:
    r = await create(client, accountIds=["acc_x_1"], content="b" * 312)
    assert err(r)[2].startswith("content exceeds X's 280-character limit (312) for account @acme_x")


@pytest.fixture
async def premium(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    accounts: list[dict[str, Any]] = [
        {"accountId": "acc_xp", "platform": "twitter", "handle": "@big", "premium": True},
        {"accountId": "acc_xf", "platform": "x", "handle": "@small"},
        {
            "accountId": "acc_lic",
            "platform": "linkedin",
            "handle": "acme",
            "accountType": "company",
        },
    ]
    async with (
        start_sandbox(SandboxOptions(clock=clock, accounts=accounts)) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        yield c


async def test_premium_x_accounts_get_25000_characters(premium: httpx.AsyncClient) -> None:
    accounts = (await premium.get("/v1/accounts")).json()["accounts"]
    assert {a["accountId"]: a.get("premium") for a in accounts}["acc_xp"] is True
    assert (await create(premium, accountIds=["acc_xp"], content="c" * 25000)).status_code == 201
    r = await create(premium, accountIds=["acc_xp"], content="c" * 25001)
    assert "X's 25000-character limit (25001) for account @big" in err(r)[2]
    r = await create(premium, accountIds=["acc_xp", "acc_xf"], content="c" * 281)
    assert "X's 280-character limit (281) for account @small" in err(r)[2]


@pytest.mark.parametrize("account", ["acc_ig_1", "acc_tt_1", "acc_pin_1", "acc_yt_1"])
async def test_platforms_that_need_media(client: httpx.AsyncClient, account: str) -> None:
    status, code, message = err(await create(client, accountIds=[account], content="words"))
    assert (status, code) == (422, "content_invalid")
    assert "requires media" in message


CASES: list[tuple[str, str, dict[str, Any], list[str], str, str]] = [
    # (name, account, extra body, media kinds, expected code, message fragment)
    ("tiktok image", "acc_tt_1", {"postType": "image"}, ["image"], "post_type_invalid", "TikTok does not support image"),
    ("youtube image", "acc_yt_1", {}, ["image"], "post_type_invalid", "YouTube does not support image"),
    ("youtube reel", "acc_yt_1", {"postType": "reel"}, ["video"], "post_type_invalid", "YouTube does not support reel"),
    ("pinterest video", "acc_pin_1", {}, ["video"], "post_type_invalid", "Pinterest does not support video"),
    ("pinterest 6", "acc_pin_1", {}, ["image"] * 6, "post_type_invalid", "Pinterest carousels take at most 5"),
    ("pinterest video in carousel", "acc_pin_1", {}, ["image", "video"], "post_type_invalid", "images only"),
    ("tiktok video in carousel", "acc_tt_1", {"postType": "carousel"}, ["image", "video"], "post_type_invalid", "images only"),
    ("carousel of 1", "acc_ig_1", {"postType": "carousel"}, ["image"], "post_type_invalid", "2–10"),
    ("carousel of 11", "acc_fb_1", {}, ["image"] * 11, "post_type_invalid", "2–10"),
    ("linkedin carousel", "acc_li_1", {}, ["image", "image"], "post_type_invalid", "LinkedIn does not support carousel"),
    ("x carousel", "acc_x_1", {}, ["image", "image"], "post_type_invalid", "X does not support carousel"),
    ("image with video", "acc_ig_1", {"postType": "image"}, ["video"], "post_type_invalid", "needs image"),
    ("video with image", "acc_fb_1", {"postType": "video"}, ["image"], "post_type_invalid", "needs video"),
    ("text with media", "acc_fb_1", {"postType": "text"}, ["image"], "post_type_invalid", "takes no media"),
    ("document on facebook", "acc_fb_1", {"postType": "document"}, ["pdf"], "post_type_invalid", "Facebook does not support document"),
    ("document with image", "acc_li_1", {"postType": "document"}, ["image"], "post_type_invalid", "needs document"),
    ("story on facebook", "acc_fb_1", {"postType": "story"}, ["image"], "post_type_invalid", "Facebook does not support story"),
    ("article on x", "acc_x_1", {"postType": "article", "article": {"url": "https://e.com/a"}}, [], "post_type_invalid", "X does not support article"),
    ("article without article", "acc_li_1", {"postType": "article"}, [], "bad_request", "article object"),
    ("article bad url", "acc_li_1", {"postType": "article", "article": {"title": "t"}}, [], "bad_request", "article.url"),
    ("thread on facebook", "acc_fb_1", {"thread": [{"text": "1"}, {"text": "2"}]}, [], "post_type_invalid", "Facebook does not support thread"),
    ("thread without segments", "acc_x_1", {"postType": "thread"}, [], "bad_request", "thread array"),
    ("thread segments on image", "acc_x_1", {"postType": "text", "thread": [{"text": "1"}]}, [], "post_type_invalid", "postType thread"),
    ("cover on image", "acc_ig_1", {"postType": "image", "coverMediaId": "@image"}, ["image"], "post_type_invalid", "coverMediaId"),
]  # fmt: skip


async def _ids(client: httpx.AsyncClient, kinds: list[str]) -> list[str]:
    makers = {"image": image, "video": video, "pdf": pdf}
    return [await makers[k](client) for k in kinds]


@pytest.mark.parametrize(
    ("name", "account", "extra", "kinds", "code", "fragment"), CASES, ids=[c[0] for c in CASES]
)
async def test_post_type_rules(
    client: httpx.AsyncClient,
    name: str,
    account: str,
    extra: dict[str, Any],
    kinds: list[str],
    code: str,
    fragment: str,
) -> None:
    body: dict[str, Any] = {"accountIds": [account], "content": "caption", **extra}
    if kinds:
        body["mediaIds"] = await _ids(client, kinds)
    if body.get("coverMediaId") == "@image":
        body["coverMediaId"] = await image(client)
    status, got, message = err(await create(client, **body))
    assert got == code, message
    assert status == (400 if code == "bad_request" else 422)
    assert fragment in message


VALID: list[tuple[str, list[str], dict[str, Any], list[str], str]] = [
    ("ig image", ["acc_ig_1"], {}, ["image"], "image"),
    ("ig carousel 10", ["acc_ig_1"], {}, ["image"] * 10, "carousel"),
    ("ig reel with cover", ["acc_ig_1"], {"postType": "reel", "coverMediaId": "@image"}, ["video"], "reel"),
    ("ig story", ["acc_ig_1"], {"postType": "story"}, ["video"], "story"),
    ("pinterest 5", ["acc_pin_1"], {"link": "https://e.com/r"}, ["image"] * 5, "carousel"),
    ("tiktok video", ["acc_tt_1"], {}, ["video"], "video"),
    ("tiktok photos", ["acc_tt_1"], {}, ["image"] * 3, "carousel"),
    ("youtube video", ["acc_yt_1"], {"ytPrivacy": "unlisted"}, ["video"], "video"),
    ("linkedin pdf", ["acc_li_1"], {"documentTitle": "Q3"}, ["pdf"], "document"),
    ("linkedin article", ["acc_li_1", "acc_fb_1"], {"article": {"url": "https://e.com/a", "title": "T"}}, [], "article"),
    ("text everywhere text goes", ["acc_x_1", "acc_fb_1", "acc_li_1", "acc_th_1"], {}, [], "text"),
    ("facebook video", ["acc_fb_1"], {}, ["video"], "video"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "accounts", "extra", "kinds", "post_type"), VALID, ids=[v[0] for v in VALID]
)
async def test_valid_posts_and_auto_detected_types(
    client: httpx.AsyncClient,
    name: str,
    accounts: list[str],
    extra: dict[str, Any],
    kinds: list[str],
    post_type: str,
) -> None:
    body: dict[str, Any] = {"accountIds": accounts, "content": "caption", **extra}
    if kinds:
        body["mediaIds"] = await _ids(client, kinds)
    if body.get("coverMediaId") == "@image":
        body["coverMediaId"] = await image(client)
    r = await create(client, **body)
    assert r.status_code == 201, r.text
    assert r.json()["post"]["postType"] == post_type
    assert [t["accountId"] for t in r.json()["targets"]] == accounts


async def test_threads(client: httpx.AsyncClient) -> None:
    imgs = [await image(client) for _ in range(5)]
    ok = await create(
        client,
        accountIds=["acc_x_1", "acc_th_1"],
        thread=[{"text": "1/ go"}, {"text": "2/ pic", "mediaIds": imgs[:1]}, {"text": "3/ end"}],
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["post"]["postType"] == "thread"
    r = await create(client, accountIds=["acc_th_1"], thread=[{"text": "ok"}, {"text": "t" * 501}])
    assert err(r)[1] == "content_invalid"
    assert "thread segment 2 exceeds Threads' 500-character limit (501)" in err(r)[2]
    r = await create(
        client, accountIds=["acc_th_1"], thread=[{"text": "two", "mediaIds": imgs[:2]}]
    )
    assert err(r)[1] == "post_type_invalid" and "Threads allows at most 1 media item" in err(r)[2]
    ok4 = await create(client, accountIds=["acc_x_1"], thread=[{"text": "4", "mediaIds": imgs[:4]}])
    assert ok4.status_code == 201
    r = await create(client, accountIds=["acc_x_1"], thread=[{"text": "5", "mediaIds": imgs}])
    assert err(r)[1] == "post_type_invalid" and "X allows at most 4" in err(r)[2]
    r = await create(client, accountIds=["acc_x_1"], thread=[{"text": "x" * 281}])
    assert "thread segment 1 exceeds X's 280-character limit (281)" in err(r)[2]
    r = await create(
        client, accountIds=["acc_x_1"], postType="thread", mediaIds=imgs[:1], thread=[{"text": "a"}]
    )
    assert err(r)[1] == "post_type_invalid"


async def test_platform_content_overrides_are_checked_per_platform(
    client: httpx.AsyncClient,
) -> None:
    long = "L" * 1000
    ok = await create(
        client,
        accountIds=["acc_x_1", "acc_li_1"],
        content=long,
        platformContent={"twitter": "short"},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["post"]["platformContent"] == {"twitter": "short"}
    r = await create(
        client, accountIds=["acc_x_1", "acc_li_1"], content="fine", platformContent={"x": "s" * 300}
    )
    assert "X's 280-character limit (300)" in err(r)[2]
    r = await create(client, accountIds=["acc_x_1"], content="a", platformContent={"myspace": "hi"})
    assert err(r)[:2] == (400, "bad_request") and "myspace" in err(r)[2]
    r = await create(client, accountIds=["acc_x_1"], content="a", platformContent={"twitter": 5})
    assert err(r)[:2] == (400, "bad_request")


BAD: list[tuple[str, Any]] = [
    ("no accountIds", {"content": "x", "publishNow": True}),
    ("empty accountIds", {"accountIds": [], "content": "x", "publishNow": True}),
    ("accountIds not a list", {"accountIds": "acc_x_1", "content": "x", "publishNow": True}),
    ("no content", {"accountIds": ["acc_x_1"], "publishNow": True}),
    ("no when", {"accountIds": ["acc_x_1"], "content": "x"}),
    ("content not a string", {"accountIds": ["acc_x_1"], "content": 5, "publishNow": True}),
    ("publishNow not a bool", {"accountIds": ["acc_x_1"], "content": "x", "publishNow": "yes"}),
    ("unknown postType", {"accountIds": ["acc_x_1"], "content": "x", "postType": "gif", "publishNow": True}),
    ("bad scheduledAt", {"accountIds": ["acc_x_1"], "content": "x", "scheduledAt": "next tuesday"}),
    ("scheduledAt number", {"accountIds": ["acc_x_1"], "content": "x", "scheduledAt": 1700000000}),
    ("bad platformSchedules", {"accountIds": ["acc_x_1"], "content": "x", "publishNow": True, "platformSchedules": {"twitter": "soon"}}),
    ("unknown platformSchedules key", {"accountIds": ["acc_x_1"], "content": "x", "publishNow": True, "platformSchedules": {"orkut": "2026-07-01T09:00:00Z"}}),
    ("thread not a list", {"accountIds": ["acc_x_1"], "thread": "1/ hi", "publishNow": True}),
    ("bad ytPrivacy", {"accountIds": ["acc_x_1"], "content": "x", "publishNow": True, "ytPrivacy": "secret"}),
    ("draft and publishNow", {"accountIds": ["acc_x_1"], "content": "x", "publishNow": True, "draft": True}),
    ("array body", [{"accountIds": ["acc_x_1"]}]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body"), BAD, ids=[b[0] for b in BAD])
async def test_bad_requests(client: httpx.AsyncClient, name: str, body: Any) -> None:
    r = await client.post("/v1/posts", json=body)
    assert err(r)[:2] == (400, "bad_request")


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    for raw in (b"{not json", b"", b"\xff\xfe"):
        r = await client.post(
            "/v1/posts", content=raw, headers={"Content-Type": "application/json"}
        )
        assert err(r)[:2] == (400, "bad_request")


async def test_unknown_account_and_media_are_404(client: httpx.AsyncClient) -> None:
    r = await create(client, accountIds=["acc_x_1", "acc_zz"], content="x")
    assert err(r)[:2] == (404, "not_found") and "acc_zz" in err(r)[2]
    r = await create(client, accountIds=["acc_ig_1"], content="x", mediaIds=["md_nope"])
    assert err(r)[:2] == (404, "not_found") and "md_nope" in err(r)[2]


async def test_media_must_be_completed(client: httpx.AsyncClient) -> None:
    mid = await upload(client, complete=False)
    r = await create(client, accountIds=["acc_ig_1"], content="x", mediaIds=[mid])
    assert err(r)[:2] == (400, "bad_request") and "not uploaded" in err(r)[2]
    assert (await client.post(f"/v1/media/{mid}/complete", json={})).status_code == 200
    assert (await create(client, accountIds=["acc_ig_1"], mediaIds=[mid])).status_code == 201


async def test_nothing_is_created_when_validation_fails(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    r = await create(client, accountIds=["acc_x_1", "acc_ig_1"], content="no media for ig")
    assert r.status_code == 422
    assert sandbox.state.posts(KEY) == []
    assert sandbox.state.create_calls(KEY) == 0
