"""Finding, among the workspace's posts, the one a failed ``POST /v1/posts`` may have created.

``POST /v1/posts`` is not idempotent. After an ambiguous failure the client lists the posts and
looks for its own by a fingerprint of what it sent (see ``SocialClient.create_post`` for the
whole procedure). A fingerprint field is compared only when the listing carries it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.api.models import NewPost, Post, PostStatus

# Times that differ by less than this are the same instant (servers may drop sub-seconds).
TIME_TOLERANCE_S = 1.0


def _text(value: str | None) -> str:
    return (value or "").strip()


@dataclass(frozen=True)
class PostFingerprint:
    """What identifies the post we meant to create.

    ``scheduled_at`` is None for publish-now posts, drafts, and schedules so near that the
    server publishes them at once: the server sets the time then, so it cannot be compared.
    """

    account_ids: frozenset[str]
    content: str
    post_type: str | None
    media_ids: tuple[str, ...]
    thread_texts: tuple[str, ...]
    scheduled_at: datetime | None

    @classmethod
    def of(cls, post: NewPost, *, server_sets_time: bool = False) -> PostFingerprint:
        exact_time = not (post.publish_now or post.draft or server_sets_time)
        return cls(
            account_ids=frozenset(post.account_ids),
            content=_text(post.content),
            post_type=post.post_type.value if post.post_type is not None else None,
            media_ids=tuple(post.media_ids),
            thread_texts=tuple(_text(s.text) for s in post.thread),
            scheduled_at=post.scheduled_at if exact_time else None,
        )

    def matches(self, post: Post) -> bool:
        raw = post.extra
        if post.status == PostStatus.CANCELED:
            return False  # a post we just created cannot already be canceled
        if "accountIds" in raw and frozenset(post.account_ids) != self.account_ids:
            return False
        if self.content and _text(post.content) != self.content:
            return False
        if not self.content and "content" in raw and _text(post.content) and not self.thread_texts:
            return False
        if self.post_type is not None and post.post_type is not None:
            if str(post.post_type) != self.post_type:
                return False
        if "mediaIds" in raw and tuple(post.media_ids) != self.media_ids:
            return False
        thread = raw.get("thread")
        if self.thread_texts and isinstance(thread, list):
            texts = tuple(_text(s.get("text")) if isinstance(s, dict) else "" for s in thread)
            if texts != self.thread_texts:
                return False
        if self.scheduled_at is not None:
            if post.scheduled_at is None:
                return False
            delta = abs((post.scheduled_at - self.scheduled_at).total_seconds())
            if delta >= TIME_TOLERANCE_S:
                return False
        return True


async def find_candidates(
    posts: Iterable[Post],
    fingerprint: PostFingerprint,
    *,
    known_ids: Iterable[str],
    is_known_post: Callable[[str], Awaitable[bool]] | None = None,
) -> list[Post]:
    """The listed posts that match ``fingerprint`` and are not already known to us."""
    known = set(known_ids)
    out: list[Post] = []
    for p in posts:
        if not p.post_id or p.post_id in known or not fingerprint.matches(p):
            continue
        if is_known_post is not None and await is_known_post(p.post_id):
            continue
        out.append(p)
    return out
