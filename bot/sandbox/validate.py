"""Create-time validation of a post against the shared platform table (``bot.platforms``).

Order: referenced media exist (404) and are uploaded (400) → the post type's own media rules
(422 ``post_type_invalid``) → each target's platform rules, in ``accountIds`` order (422
``post_type_invalid`` / ``content_invalid``). The first failure is answered; its message names
the platform, the limit and the account. Lengths are counted as each platform counts them
(``bot.textcount``: weighted characters on X).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.api.models import MediaKind, Platform, PostType
from bot.platforms import POST_TYPE_MEDIA, RULES, max_text
from bot.sandbox.accounts import SandboxAccount
from bot.sandbox.errors import bad_request, content_invalid, not_found, post_type_invalid
from bot.sandbox.records import MediaRecord, PostSpec
from bot.textcount import count

# "Image only" (Pinterest) and "carousel (photos)" (TikTok) in the platform table's notes.
IMAGE_ONLY_CAROUSEL = frozenset({Platform.PINTEREST, Platform.TIKTOK})
SEGMENT_KINDS = frozenset({MediaKind.IMAGE, MediaKind.VIDEO})

_ARTICLE = "an article object with a url"


def possessive(label: str) -> str:
    return f"{label}'" if label.endswith("s") else f"{label}'s"


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _n(count: int, what: str) -> str:
    return f"{count} {what}" if count == 1 else f"{count} {what}s"


def check_media(spec: PostSpec, media: Mapping[str, MediaRecord]) -> None:
    for mid in spec.all_media_ids():
        m = media.get(mid)
        if m is None:
            raise not_found(f"media {mid} does not exist in your workspace")
        if m.status != "uploaded":
            raise bad_request(
                f"media {mid} is not uploaded yet (status {m.status}) — PUT the bytes to its "
                "uploadUrl and call POST /v1/media/{id}/complete first"
            )


def check_post_type(spec: PostSpec, media: Mapping[str, MediaRecord]) -> None:
    pt = spec.post_type
    lo, hi, kinds = POST_TYPE_MEDIA[pt]
    n = len(spec.media_ids)
    if pt is PostType.THREAD:
        if not spec.thread:
            raise bad_request("postType thread needs a thread array of {text, mediaIds?} segments")
        if spec.media_ids:
            raise post_type_invalid(
                "a thread carries its media on its segments (thread[].mediaIds), not in mediaIds"
            )
        for i, seg in enumerate(spec.thread, 1):
            for mid in seg.media_ids:
                if media[mid].kind not in SEGMENT_KINDS:
                    raise post_type_invalid(
                        f"thread segment {i}: {mid} is a {media[mid].kind.value}; "
                        "segments take images or videos"
                    )
        return
    if spec.thread:
        raise post_type_invalid(f"thread segments need postType thread (got {pt.value})")
    if pt is PostType.ARTICLE and not spec.article:
        raise bad_request(f"postType article needs {_ARTICLE}")
    if not lo <= n <= hi:
        if lo == hi == 0:
            raise post_type_invalid(
                f"{_a(pt.value)} post takes no media ({_n(n, 'item')} attached) — "
                "use postType image, video or carousel"
            )
        want = f"exactly {lo}" if lo == hi else f"{lo}–{hi}"
        raise post_type_invalid(
            f"{_a(pt.value)} post takes {want} media ({_n(n, 'item')} attached)"
        )
    for mid in spec.media_ids:
        kind = media[mid].kind
        if kind not in kinds:
            need = " or ".join(sorted(k.value for k in kinds))
            raise post_type_invalid(
                f"{_a(pt.value)} post needs {need} media; {mid} is {kind.value} "
                f"({media[mid].content_type})"
            )
    if spec.cover_media_id:
        if pt not in (PostType.VIDEO, PostType.REEL):
            raise post_type_invalid(f"coverMediaId is for video and reel posts, not {pt.value}")
        if media[spec.cover_media_id].kind is not MediaKind.IMAGE:
            raise post_type_invalid(f"coverMediaId {spec.cover_media_id} must be an image")


def check_target(spec: PostSpec, acc: SandboxAccount, media: Mapping[str, MediaRecord]) -> None:
    rules = RULES[acc.platform]
    label, who, pt = rules.label, f"for account {acc.handle}", spec.post_type
    n = len(spec.media_ids)
    has_media = n > 0 or any(seg.media_ids for seg in spec.thread)
    if rules.media_required and not has_media:
        raise content_invalid(f"{label} requires media — none attached, {who}")
    if pt not in rules.post_types:
        supported = ", ".join(t.value for t in PostType if t in rules.post_types)
        raise post_type_invalid(
            f"{label} does not support {pt.value} posts (supported: {supported}), {who}"
        )
    if pt is PostType.CAROUSEL:
        if n > rules.max_carousel:
            raise post_type_invalid(
                f"{label} carousels take at most {rules.max_carousel} items ({n} attached), {who}"
            )
        if acc.platform in IMAGE_ONLY_CAROUSEL:
            for mid in spec.media_ids:
                if media[mid].kind is not MediaKind.IMAGE:
                    raise post_type_invalid(
                        f"{label} carousels take images only; {mid} is a {media[mid].kind.value}, {who}"
                    )
    elif n > rules.max_media:
        raise post_type_invalid(
            f"{label} takes at most {_n(rules.max_media, 'media item')} per post ({n} attached), {who}"
        )
    limit = max_text(acc.platform, acc.premium)
    premium_hint = (
        " — longer posts need X Premium"
        if rules.max_text_free is not None and not acc.premium
        else ""
    )
    caption = spec.caption_for(acc.platform)
    size = count(acc.platform, caption)
    if size > limit:
        raise content_invalid(
            f"content exceeds {possessive(label)} {limit}-character limit "
            f"({size}) {who}{premium_hint}"
        )
    if pt is PostType.THREAD:
        for i, seg in enumerate(spec.thread, 1):
            size = count(acc.platform, seg.text)
            if size > limit:
                raise content_invalid(
                    f"thread segment {i} exceeds {possessive(label)} {limit}-character limit "
                    f"({size}) {who}{premium_hint}"
                )
            if len(seg.media_ids) > rules.max_media:
                raise post_type_invalid(
                    f"{label} allows at most {_n(rules.max_media, 'media item')} per thread "
                    f"segment (segment {i} has {len(seg.media_ids)}), {who}"
                )


def validate_post(
    spec: PostSpec,
    accounts: Sequence[SandboxAccount],
    media: Mapping[str, MediaRecord],
) -> None:
    check_media(spec, media)
    check_post_type(spec, media)
    for acc in accounts:
        check_target(spec, acc, media)


def check_caption_edit(caption: str, acc: SandboxAccount) -> None:
    """A caption edit of a live post on a platform that allows it."""
    limit = max_text(acc.platform, acc.premium)
    size = count(acc.platform, caption)
    if size > limit:
        label = RULES[acc.platform].label
        raise content_invalid(
            f"content exceeds {possessive(label)} {limit}-character limit "
            f"({size}) for account {acc.handle}"
        )
