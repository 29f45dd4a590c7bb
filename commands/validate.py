"""Check a post against every target's platform rules before any API call.

Pure: ``problems(draft, targets)`` returns every problem, one line each, naming the target and
the limit, in the order the user would fix them. The rules are the shared table
(``bot.platforms``): post types per platform, text limits (X free tier 280 unless premium), media
counts and kinds per post type and platform, required media, thread segments, documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.api.models import Account, MediaKind, Platform, PostType
from bot.platforms import POST_TYPE_MEDIA, RULES, YT_PRIVACY, max_text
from bot.textcount import count, describe
from commands.targets import account_label

# Pinterest is image only; TikTok carousels are photos (the table's notes).
IMAGE_ONLY_CAROUSEL = frozenset({Platform.PINTEREST, Platform.TIKTOK})
_URL = re.compile(r"https?://[^\s/]+\S*$", re.IGNORECASE)


@dataclass(frozen=True)
class MediaInfo:
    name: str
    kind: MediaKind
    content_type: str
    size: int | None = None


@dataclass(frozen=True)
class Draft:
    post_type: PostType
    caption: str = ""
    captions: Mapping[Platform, str] = field(default_factory=dict)
    media: tuple[MediaInfo, ...] = ()
    thread: tuple[str, ...] = ()
    article_url: str | None = None
    link: str | None = None
    cover: MediaInfo | None = None
    cover_offset_ms: int | None = None
    privacy: str | None = None
    document_title: str | None = None
    schedules: Mapping[Platform, object] = field(default_factory=dict)


class Problem(str):
    """One problem's text, carrying the option it is about (for inline form errors)."""

    field: str


def _p(field: str, text: str) -> Problem:
    out = Problem(text)
    out.field = field
    return out


def _n(count: int, what: str) -> str:
    return f"{count} {what}" if count == 1 else f"{count} {what}s"


def _a(pt: PostType) -> str:
    """'an image post' / 'a video post'."""
    return f"{'an' if pt.value[0] in 'aeiou' else 'a'} {pt.value} post"


def _types(platform: Platform) -> str:
    return ", ".join(t.value for t in PostType if t in RULES[platform].post_types)


def post_type_problems(d: Draft) -> list[Problem]:
    """The post type's own media rules (the same for every target)."""
    out: list[Problem] = []
    pt = d.post_type
    lo, hi, kinds = POST_TYPE_MEDIA[pt]
    n = len(d.media)
    if pt is PostType.THREAD:
        if len(d.thread) < 1:
            out.append(_p("thread", 'A thread needs segments: thread:"1/ first" | "2/ second"'))
    elif d.thread:
        out.append(
            _p(
                "thread",
                f"Thread segments only go with a thread post (the post type is {pt.value}).",
            )
        )
    if pt is PostType.ARTICLE and not d.article_url:
        out.append(_p("article", "An article post needs an article link: article:https://…"))
    if pt is not PostType.THREAD and not lo <= n <= hi:
        if lo == hi == 0:
            out.append(
                _p(
                    "media",
                    f"{_a(pt).capitalize()} takes no media ({_n(n, 'item')} given) — "
                    "use type image, video or carousel.",
                )
            )
        else:
            want = f"exactly {lo}" if lo == hi else f"{lo}–{hi}"
            out.append(
                _p("media", f"{_a(pt).capitalize()} takes {want} media ({_n(n, 'item')} given).")
            )
    if pt is not PostType.THREAD:
        for m in d.media:
            if kinds and m.kind not in kinds:
                need = " or ".join(sorted(k.value for k in kinds))
                out.append(
                    _p(
                        "media",
                        f"{_a(pt).capitalize()} needs {need} media; “{m.name}” is {m.content_type}.",
                    )
                )
    if d.cover is not None:
        if pt not in (PostType.VIDEO, PostType.REEL):
            out.append(_p("cover", f"A cover is for video and reel posts, not {pt.value}."))
        elif d.cover.kind is not MediaKind.IMAGE:
            out.append(
                _p(
                    "cover",
                    f"The cover must be an image; “{d.cover.name}” is {d.cover.content_type}.",
                )
            )
    if d.cover_offset_ms is not None and pt not in (PostType.VIDEO, PostType.REEL):
        out.append(_p("cover_offset", f"cover-offset is for video and reel posts, not {pt.value}."))
    if d.cover is not None and d.cover_offset_ms is not None:
        out.append(_p("cover", "Give a cover image or a cover-offset, not both."))
    for name, url in (("article", d.article_url), ("link", d.link)):
        if url is not None and not _URL.match(url):
            out.append(
                _p(name, f"The {name} must be a web address starting with https:// (got “{url}”).")
            )
    if d.privacy is not None and d.privacy not in YT_PRIVACY:
        out.append(
            _p("privacy", f"privacy must be one of {', '.join(YT_PRIVACY)} (got “{d.privacy}”).")
        )
    if not (d.caption.strip() or d.media or d.thread or d.captions or d.article_url):
        out.append(_p("caption", "There is nothing to post: give a caption, media or a thread."))
    return out


def target_problems(d: Draft, acc: Account) -> list[Problem]:
    if not isinstance(acc.platform, Platform):
        return [
            _p(
                "targets",
                f"{account_label(acc)}: the bot does not know the platform {acc.platform!r}.",
            )
        ]
    p = acc.platform
    rules = RULES[p]
    who = account_label(acc)
    out: list[Problem] = []
    pt = d.post_type
    n = len(d.media)
    if rules.media_required and n == 0:
        need = {
            Platform.YOUTUBE: "a video",
            Platform.PINTEREST: "an image",
            Platform.TIKTOK: "a video or photos",
        }.get(p, "an image or a video")
        out.append(_p("media", f"{who}: {rules.label} needs media — attach {need}."))
    elif pt not in rules.post_types:
        out.append(
            _p(
                "type",
                f"{who}: {rules.label} doesn't take {pt.value} posts (it takes {_types(p)}).",
            )
        )
    if pt is PostType.CAROUSEL:
        if n > rules.max_carousel:
            out.append(
                _p(
                    "media",
                    f"{who}: {rules.label} carousels take at most {rules.max_carousel} items "
                    f"({n} given).",
                )
            )
        if p in IMAGE_ONLY_CAROUSEL and any(m.kind is not MediaKind.IMAGE for m in d.media):
            out.append(_p("media", f"{who}: {rules.label} carousels take images only."))
    elif pt is PostType.THREAD:
        if n > rules.max_media:
            out.append(
                _p(
                    "media",
                    f"{who}: {rules.label} takes at most {_n(rules.max_media, 'media item')} per "
                    f"thread segment ({n} given).",
                )
            )
    elif n > rules.max_media and n <= POST_TYPE_MEDIA[pt][1]:
        out.append(
            _p(
                "media",
                f"{who}: {rules.label} takes at most {_n(rules.max_media, 'media item')} per post "
                f"({n} given).",
            )
        )
    if p is Platform.PINTEREST and any(m.kind is not MediaKind.IMAGE for m in d.media):
        if pt is not PostType.CAROUSEL:
            out.append(_p("media", f"{who}: Pinterest takes images only."))
    limit = max_text(p, acc.premium)
    free = " on the free tier — longer posts need X Premium" if limit != rules.max_text else ""
    caption = d.captions.get(p, d.caption)
    size = count(p, caption) if pt is not PostType.THREAD else 0
    if size > limit:
        out.append(
            _p(
                "captions" if p in d.captions else "caption",
                f"{who}: the caption is {describe(p, size)} (limit {limit:,}){free}.",
            )
        )
    if pt is PostType.THREAD and rules.threads:
        for i, seg in enumerate(d.thread, 1):
            size = count(p, seg)
            if size > limit:
                out.append(
                    _p(
                        "thread",
                        f"{who}: thread segment {i} is {describe(p, size)} (limit {limit:,}){free}.",
                    )
                )
    return out


def problems(d: Draft, targets: Sequence[Account]) -> list[Problem]:
    out = post_type_problems(d)
    platforms = {a.platform for a in targets}
    for p in d.captions:
        if p not in platforms:
            out.append(
                _p(
                    "captions",
                    f"There is a {RULES[p].label} caption but no {RULES[p].label} target.",
                )
            )
    for p in d.schedules:
        if p not in platforms:
            out.append(
                _p("times", f"There is a {RULES[p].label} time but no {RULES[p].label} target.")
            )
    if d.privacy is not None and Platform.YOUTUBE not in platforms:
        out.append(_p("privacy", "privacy is for YouTube, and there is no YouTube target."))
    for acc in targets:
        out.extend(target_problems(d, acc))
    return list(dict.fromkeys(out))
