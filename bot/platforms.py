"""The Social API's platform table ("Platform support" and "Post types" in the reference).

One table, used by the sandbox's create-time validation and by the command layer's validation
before any API call, so both say the same thing about the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.api.models import MediaKind, Platform, PostType


@dataclass(frozen=True)
class PlatformRules:
    platform: Platform
    label: str  # how people name it: "X", "Instagram", ...
    post_types: frozenset[PostType]
    max_text: int
    max_text_free: int | None  # X free tier cap (280) unless the account is premium
    max_media: int  # per post (per segment for thread platforms)
    max_carousel: int  # largest carousel
    media_required: bool
    threads: bool
    edit_live: bool  # caption of a published post can be edited
    delete_api: bool  # published posts can be deleted through the API
    list_native: bool  # GET /v1/accounts/{id}/posts supported
    short_names: tuple[str, ...]  # names a user may type: ig, x, li, ...


R = PostType

RULES: dict[Platform, PlatformRules] = {
    Platform.X: PlatformRules(
        Platform.X, "X", frozenset({R.TEXT, R.IMAGE, R.VIDEO, R.THREAD}),
        25_000, 280, 4, 4, False, True, False, True, True, ("x", "twitter", "tw"),
    ),
    Platform.INSTAGRAM: PlatformRules(
        Platform.INSTAGRAM, "Instagram",
        frozenset({R.IMAGE, R.VIDEO, R.CAROUSEL, R.REEL, R.STORY}),
        2_200, None, 10, 10, True, False, False, True, True, ("instagram", "ig", "insta"),
    ),
    Platform.FACEBOOK: PlatformRules(
        Platform.FACEBOOK, "Facebook",
        frozenset({R.TEXT, R.IMAGE, R.VIDEO, R.CAROUSEL, R.REEL, R.ARTICLE}),
        63_206, None, 10, 10, False, False, True, True, True, ("facebook", "fb"),
    ),
    Platform.LINKEDIN: PlatformRules(
        Platform.LINKEDIN, "LinkedIn",
        frozenset({R.TEXT, R.IMAGE, R.VIDEO, R.ARTICLE, R.DOCUMENT}),
        3_000, None, 1, 1, False, False, True, False, True, ("linkedin", "li", "in"),
    ),
    Platform.TIKTOK: PlatformRules(
        Platform.TIKTOK, "TikTok", frozenset({R.VIDEO, R.CAROUSEL}),
        2_200, None, 35, 35, True, False, False, False, True, ("tiktok", "tt"),
    ),
    Platform.THREADS: PlatformRules(
        Platform.THREADS, "Threads", frozenset({R.TEXT, R.IMAGE, R.VIDEO, R.THREAD}),
        500, None, 1, 1, False, True, False, False, False, ("threads", "th"),
    ),
    Platform.PINTEREST: PlatformRules(
        Platform.PINTEREST, "Pinterest", frozenset({R.IMAGE, R.CAROUSEL}),
        800, None, 5, 5, True, False, False, True, True, ("pinterest", "pin", "pi"),
    ),
    Platform.YOUTUBE: PlatformRules(
        Platform.YOUTUBE, "YouTube", frozenset({R.VIDEO}),
        5_000, None, 1, 1, True, False, False, False, True, ("youtube", "yt"),
    ),
}  # fmt: skip

# Media each post type takes: (min, max, allowed kinds). Platform caps apply on top.
POST_TYPE_MEDIA: dict[PostType, tuple[int, int, frozenset[MediaKind]]] = {
    R.TEXT: (0, 0, frozenset()),
    R.IMAGE: (1, 1, frozenset({MediaKind.IMAGE})),
    R.CAROUSEL: (2, 10, frozenset({MediaKind.IMAGE, MediaKind.VIDEO})),
    R.VIDEO: (1, 1, frozenset({MediaKind.VIDEO})),
    R.REEL: (1, 1, frozenset({MediaKind.VIDEO})),
    R.STORY: (1, 1, frozenset({MediaKind.IMAGE, MediaKind.VIDEO})),
    R.THREAD: (0, 0, frozenset()),  # media live on the segments
    R.ARTICLE: (0, 0, frozenset()),
    R.DOCUMENT: (1, 1, frozenset({MediaKind.DOCUMENT})),
}

YT_PRIVACY = ("public", "unlisted", "private")


def max_text(platform: Platform, premium: bool = False) -> int:
    rules = RULES[platform]
    if rules.max_text_free is not None and not premium:
        return rules.max_text_free
    return rules.max_text


def auto_post_type(kinds: list[MediaKind]) -> PostType:
    """What the API auto-detects when ``postType`` is omitted."""
    if not kinds:
        return PostType.TEXT
    if len(kinds) >= 2:
        return PostType.CAROUSEL
    if kinds[0] is MediaKind.VIDEO:
        return PostType.VIDEO
    if kinds[0] is MediaKind.DOCUMENT:
        return PostType.DOCUMENT
    return PostType.IMAGE


def platform_by_name(name: str) -> Platform | None:
    """``ig`` / ``instagram`` / ``x`` / ``twitter`` / ``li`` ... → the platform."""
    n = name.strip().lower()
    for rules in RULES.values():
        if n == rules.platform.value or n in rules.short_names or n == rules.label.lower():
            return rules.platform
    return None
