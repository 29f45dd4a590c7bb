"""Post lifecycle on a clock, computed lazily from ``now``.

A target is ``scheduled`` until its due time, ``publishing`` from then until
``due + publish_delay``, and after that ``published`` or ``failed`` — that outcome is *settled*
(frozen into the record, with its platform post id / permalink / error) by the first request
that observes it, so later changes to the fault settings never rewrite history.

The post's overall status (documented choice where the reference is silent):

- canceled → ``canceled``; every target still a draft → ``draft``
- any target publishing → ``publishing``
- any target still scheduled (per-platform schedules: some already out) → ``scheduled``
- every target settled → ``published`` (all ok) / ``failed`` (all failed) / ``partial``
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from bot.api.models import Platform, PostStatus
from bot.sandbox.accounts import SandboxAccount
from bot.sandbox.records import PostRecord, TargetRecord

FAILURE_MESSAGES: dict[Platform, str] = {
    Platform.X: "X rejected the post (403 Forbidden): the app lacks write access — reconnect the account",
    Platform.INSTAGRAM: "The account is missing the instagram_content_publish permission — reconnect it",
    Platform.FACEBOOK: "(#200) The Page token lacks pages_manage_posts — reconnect the Page",
    Platform.LINKEDIN: "LinkedIn returned 401 REVOKED_ACCESS_TOKEN: the token expired — reconnect the account",
    Platform.TIKTOK: "TikTok rejected the upload: url_ownership_unverified — the video URL's domain is not verified",
    Platform.THREADS: "Threads could not process the media (error 2207026) — try a different file",
    Platform.PINTEREST: "Pinterest returned 404: the board no longer exists — choose a board on the Accounts page",
    Platform.YOUTUBE: "YouTube Data API returned quotaExceeded: the daily upload quota is used up",
}


def target_status(
    post: PostRecord, target: TargetRecord, now: datetime, delay: float
) -> PostStatus:
    if target.outcome is not None:
        if target.removed:
            return PostStatus.CANCELED
        return PostStatus(target.outcome)
    if target.canceled or post.canceled_at is not None:
        return PostStatus.CANCELED
    if target.due_at is None:
        return PostStatus.DRAFT
    if now < target.due_at:
        return PostStatus.SCHEDULED
    if now < target.due_at + timedelta(seconds=delay):
        return PostStatus.PUBLISHING
    # Due and past the delay but not yet settled: settle() makes this final.
    return PostStatus.PUBLISHED


def post_status(post: PostRecord, now: datetime, delay: float) -> PostStatus:
    if post.canceled_at is not None:
        return PostStatus.CANCELED
    statuses = [target_status(post, t, now, delay) for t in post.targets]
    if not statuses or all(s is PostStatus.DRAFT for s in statuses):
        return PostStatus.DRAFT
    if PostStatus.PUBLISHING in statuses:
        return PostStatus.PUBLISHING
    if PostStatus.SCHEDULED in statuses:
        return PostStatus.SCHEDULED
    ok = sum(1 for s in statuses if s is PostStatus.PUBLISHED)
    if ok == len(statuses):
        return PostStatus.PUBLISHED
    if ok == 0:
        return PostStatus.FAILED
    return PostStatus.PARTIAL


def has_gone_out(post: PostRecord) -> bool:
    """Some target already published or failed (so it can't simply be recreated)."""
    return any(t.outcome is not None for t in post.targets)


def settle(
    post: PostRecord,
    now: datetime,
    delay: float,
    fail_platforms: frozenset[Platform],
    accounts: dict[str, SandboxAccount],
) -> bool:
    """Freeze the outcome of every target whose publish has finished; True if any changed."""
    if post.canceled_at is not None:
        return False
    changed = False
    for t in post.targets:
        if t.outcome is not None or t.canceled or t.due_at is None:
            continue
        done_at = t.due_at + timedelta(seconds=delay)
        if now < done_at:
            continue
        t.settled_at = done_at
        acc = accounts.get(t.account_id)
        error = publish_error(t.platform, acc, fail_platforms)
        if error is not None:
            t.outcome = "failed"
            t.error = error
        else:
            handle = acc.bare_handle if acc else t.account_id
            t.outcome = "published"
            t.platform_post_id, t.permalink = platform_ids(
                t.platform, handle, post.post_id, t.account_id
            )
        changed = True
    return changed


def publish_error(
    platform: Platform, acc: SandboxAccount | None, fail_platforms: frozenset[Platform]
) -> str | None:
    if acc is None:
        return "The account was disconnected from the workspace — reconnect it"
    if acc.platform_error:
        return acc.platform_error
    if platform in fail_platforms or "instagram_content_publish" in acc.missing_permissions:
        return FAILURE_MESSAGES[platform]
    return None


def _digits(seed: str, n: int) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    num = str(int(h, 16))
    return (num * 2)[:n]


def _code(seed: str, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    h = hashlib.sha256(("code:" + seed).encode()).digest()
    return "".join(alphabet[b % 64] for b in h[:n])


def platform_ids(platform: Platform, handle: str, post_id: str, account_id: str) -> tuple[str, str]:
    """A realistic (platformPostId, permalink) pair, deterministic per post and account."""
    seed = f"{post_id}:{account_id}"
    if platform is Platform.X:
        pid = "18" + _digits(seed, 17)
        return pid, f"https://x.com/{handle}/status/{pid}"
    if platform is Platform.INSTAGRAM:
        pid = "179" + _digits(seed, 14)
        return pid, f"https://www.instagram.com/p/{_code(seed, 11)}/"
    if platform is Platform.FACEBOOK:
        page = "1009" + _digits("page:" + account_id, 11)
        post = "1220" + _digits(seed, 11)
        return f"{page}_{post}", f"https://www.facebook.com/{page}/posts/{post}"
    if platform is Platform.LINKEDIN:
        urn = "urn:li:share:71" + _digits(seed, 17)
        return urn, f"https://www.linkedin.com/feed/update/{urn}/"
    if platform is Platform.TIKTOK:
        pid = "73" + _digits(seed, 17)
        return pid, f"https://www.tiktok.com/@{handle}/video/{pid}"
    if platform is Platform.THREADS:
        pid = "180" + _digits(seed, 14)
        return pid, f"https://www.threads.net/@{handle}/post/{_code(seed, 11)}"
    if platform is Platform.PINTEREST:
        pid = "9" + _digits(seed, 17)
        return pid, f"https://www.pinterest.com/pin/{pid}/"
    vid = _code(seed, 11)
    return vid, f"https://www.youtube.com/watch?v={vid}"


def fake_metrics(platform_post_id: str) -> dict[str, int]:
    """Deterministic engagement for a live post."""
    h = hashlib.sha256(("metrics:" + platform_post_id).encode()).digest()
    return {
        "likes": h[0] * 2 + h[1] % 7,
        "comments": h[2] % 40,
        "shares": h[3] % 25,
        "impressions": 200 + (h[4] << 5) + h[5],
    }
