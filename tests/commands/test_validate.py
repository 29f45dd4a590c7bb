"""Validation against the platform table, before any API call: every problem, per target."""

from __future__ import annotations

import pytest

from bot.api.models import Account, MediaKind, Platform, PostType
from commands.validate import Draft, MediaInfo, Problem, problems

ACC = {p: Account(f"acc_{p.value}", p, f"@{p.value}", p.value.title()) for p in Platform}
X_PREMIUM = Account("acc_xp", Platform.X, "@big", "Big", premium=True)
IMG = MediaInfo("a.jpg", MediaKind.IMAGE, "image/jpeg", 10)
VID = MediaInfo("a.mp4", MediaKind.VIDEO, "video/mp4", 10)
PDF = MediaInfo("a.pdf", MediaKind.DOCUMENT, "application/pdf", 10)


def check(draft: Draft, *platforms: Platform) -> list[Problem]:
    return problems(draft, [ACC[p] for p in platforms])


@pytest.mark.parametrize(
    ("platform", "limit"),
    [
        (Platform.X, 280),
        (Platform.INSTAGRAM, 2200),
        (Platform.FACEBOOK, 63206),
        (Platform.LINKEDIN, 3000),
        (Platform.TIKTOK, 2200),
        (Platform.THREADS, 500),
        (Platform.PINTEREST, 800),
        (Platform.YOUTUBE, 5000),
    ],
)
def test_text_limit_per_platform(platform: Platform, limit: int) -> None:
    media = {
        Platform.YOUTUBE: (VID,), Platform.TIKTOK: (VID,), Platform.INSTAGRAM: (IMG,),
        Platform.PINTEREST: (IMG,),
    }.get(platform, ())  # fmt: skip
    pt = PostType.VIDEO if media == (VID,) else PostType.IMAGE if media else PostType.TEXT
    ok = Draft(pt, caption="a" * limit, media=media)
    assert check(ok, platform) == []
    too_long = Draft(pt, caption="a" * (limit + 1), media=media)
    [problem] = check(too_long, platform)
    assert f"{limit + 1:,} characters" in problem and f"(limit {limit:,})" in problem


def test_x_premium_lifts_the_cap() -> None:
    d = Draft(PostType.TEXT, caption="a" * 1000)
    assert problems(d, [X_PREMIUM]) == []
    assert "X Premium" in problems(d, [ACC[Platform.X]])[0]


def test_per_platform_caption_is_checked_for_its_platform() -> None:
    d = Draft(
        PostType.TEXT,
        caption="short",
        captions={Platform.THREADS: "a" * 501, Platform.X: "fine"},
    )
    [p] = check(d, Platform.THREADS, Platform.X, Platform.LINKEDIN)
    assert p.startswith("Threads @threads") and "501" in p


def test_caption_for_a_platform_not_targeted() -> None:
    d = Draft(PostType.TEXT, caption="hi", captions={Platform.LINKEDIN: "pro"})
    assert check(d, Platform.X) == ["There is a LinkedIn caption but no LinkedIn target."]


def test_media_required_every_platform_listed() -> None:
    d = Draft(PostType.TEXT, caption="hi")
    out = check(
        d, Platform.INSTAGRAM, Platform.TIKTOK, Platform.PINTEREST, Platform.YOUTUBE, Platform.X
    )
    assert len(out) == 4
    assert all("needs media" in p for p in out)


def test_post_type_support() -> None:
    d = Draft(PostType.REEL, caption="hi", media=(VID,))
    [p] = check(d, Platform.INSTAGRAM, Platform.X)
    assert p == "X @twitter: X doesn't take reel posts (it takes text, image, video, thread)."


def test_carousel_counts_and_kinds() -> None:
    six = tuple(IMG for _ in range(6))
    out = check(Draft(PostType.CAROUSEL, media=six), Platform.PINTEREST, Platform.INSTAGRAM)
    assert out == ["Pinterest @pinterest: Pinterest carousels take at most 5 items (6 given)."]
    mixed = (IMG, VID)
    out = check(Draft(PostType.CAROUSEL, media=mixed), Platform.TIKTOK, Platform.INSTAGRAM)
    assert out == ["TikTok @tiktok: TikTok carousels take images only."]
    eleven = tuple(IMG for _ in range(11))
    assert (
        "2–10 media (11 items given)"
        in check(Draft(PostType.CAROUSEL, media=eleven), Platform.INSTAGRAM)[0]
    )


def test_post_type_media_rules() -> None:
    out = check(Draft(PostType.IMAGE, media=(VID,)), Platform.FACEBOOK)
    assert out == ["An image post needs image media; “a.mp4” is video/mp4."]
    out = check(Draft(PostType.CAROUSEL, media=(IMG,)), Platform.FACEBOOK)
    assert "2–10 media (1 item given)" in out[0]
    out = check(Draft(PostType.TEXT, caption="x", media=(IMG,)), Platform.FACEBOOK)
    assert "takes no media" in out[0]


def test_document_only_linkedin_with_a_pdf() -> None:
    assert check(Draft(PostType.DOCUMENT, caption="deck", media=(PDF,)), Platform.LINKEDIN) == []
    out = check(Draft(PostType.DOCUMENT, caption="deck", media=(PDF,)), Platform.FACEBOOK)
    assert out == [
        "Facebook @facebook: Facebook doesn't take document posts (it takes text, image, carousel, video, reel, article)."
    ]
    out = check(Draft(PostType.DOCUMENT, caption="deck", media=(IMG,)), Platform.LINKEDIN)
    assert "needs document media" in out[0]


def test_thread_segments() -> None:
    d = Draft(PostType.THREAD, thread=("a" * 281, "ok", "b" * 501))
    out = check(d, Platform.X, Platform.THREADS, Platform.LINKEDIN)
    assert "X @twitter: thread segment 1 is 281 characters as X counts them (limit 280)" in out[0]
    assert any("Threads @threads: thread segment 3 is 501" in p for p in out)
    assert any("LinkedIn doesn't take thread posts" in p for p in out)
    out = check(Draft(PostType.THREAD, thread=("a",), media=(IMG, IMG)), Platform.THREADS)
    assert out == [
        "Threads @threads: Threads takes at most 1 media item per thread segment (2 given)."
    ]


def test_article_needs_a_url_on_facebook_or_linkedin() -> None:
    assert (
        check(Draft(PostType.ARTICLE, caption="c", article_url="https://b.co/p"), Platform.LINKEDIN)
        == []
    )
    out = check(Draft(PostType.ARTICLE, caption="c"), Platform.LINKEDIN)
    assert "needs an article link" in out[0]
    out = check(Draft(PostType.ARTICLE, caption="c", article_url="not a url"), Platform.FACEBOOK)
    assert "must be a web address" in out[0]


def test_cover_privacy_and_offset() -> None:
    out = check(Draft(PostType.IMAGE, media=(IMG,), cover=IMG), Platform.INSTAGRAM)
    assert out == ["A cover is for video and reel posts, not image."]
    out = check(Draft(PostType.REEL, media=(VID,), cover=VID), Platform.INSTAGRAM)
    assert "The cover must be an image" in out[0]
    out = check(
        Draft(PostType.REEL, media=(VID,), cover=IMG, cover_offset_ms=10), Platform.INSTAGRAM
    )
    assert out == ["Give a cover image or a cover-offset, not both."]
    out = check(Draft(PostType.VIDEO, media=(VID,), privacy="secret"), Platform.YOUTUBE)
    assert "privacy must be one of public, unlisted, private" in out[0]
    out = check(Draft(PostType.TEXT, caption="x", privacy="unlisted"), Platform.X)
    assert out == ["privacy is for YouTube, and there is no YouTube target."]


def test_nothing_to_post() -> None:
    assert "nothing to post" in check(Draft(PostType.TEXT), Platform.X)[0]


def test_every_problem_in_one_list() -> None:
    d = Draft(PostType.TEXT, caption="a" * 900)
    out = check(d, Platform.X, Platform.THREADS, Platform.INSTAGRAM, Platform.PINTEREST)
    assert len(out) == 5  # X + Threads length, IG + Pinterest media, Pinterest length
