"""Announcements of publish results: one per post, a digest for a burst, and advice on errors.

Pure functions: (tracked request, terminal status, per-target results) → ``Announcement``.
Announcements are stored in the outbox as JSON (``to_json`` / ``from_json``) so the text sent
after a crash is the text decided when the status changed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.api.models import Platform, PostStatus, Target
from bot.chat import Announcement, CommandButton, TargetLine
from bot.platforms import RULES
from bot.tracking import TrackedPost

DIGEST_MAX_ENTRIES = 25  # entries per digest message (Slack: 50 blocks; keep it readable)

_ICON = {"published": "✅", "partial": "⚠️", "failed": "❌", "canceled": "🚫"}
_LIVE = {PostStatus.PUBLISHED.value, "live"}


def platform_label(p: Platform | str) -> str:
    if isinstance(p, Platform):
        return RULES[p].label
    try:
        return RULES[Platform.parse(p)].label
    except (ValueError, KeyError):
        return str(p) or "?"


def _status_str(s: PostStatus | str) -> str:
    return s.value if isinstance(s, PostStatus) else str(s)


# (pattern, advice). First match wins; patterns are matched on the lower-cased error text.
_ADVICE: tuple[tuple[str, str], ...] = (
    (
        r"instagram_manage|permission|scope|not authori[sz]ed|forbidden",
        "Reconnect the {platform} account in the dashboard (Accounts → Reconnect) to grant the "
        "missing permission, then post again.",
    ),
    (
        r"token|expired|reconnect|session|revoked|unauthori[sz]ed|disconnected",
        "The {platform} connection has expired: reconnect the account in the dashboard "
        "(Accounts → Reconnect), then post again.",
    ),
    (
        r"rate.?limit|too many|throttl|quota",
        "{platform} is rate-limiting the account: wait a while, then post again.",
    ),
    (
        r"duplicate|already (been )?posted|same content",
        "{platform} rejects duplicate content: change the caption a little and post again.",
    ),
    (
        r"280|too long|character|caption.*(limit|exceed)|text.*exceed",
        "The caption is too long for {platform}: shorten it (X free accounts allow 280 "
        "characters) and post again.",
    ),
    (
        r"aspect|resolution|dimension|too (large|big)|file size|format|codec|duration|media",
        "{platform} rejected the media: check its type, size and aspect ratio against "
        "`/social help limits`, then post again with a fixed file.",
    ),
    (
        r"board|page not (set|selected)|no page|destination",
        "Choose the {platform} destination (Page / board) on the dashboard's Accounts page, "
        "then post again.",
    ),
    (
        r"domain|verified|unverified",
        "{platform} only accepts media from a verified domain: verify it in the {platform} "
        "developer settings, then post again.",
    ),
    (
        r"timeout|timed out|unavailable|5\d\d|internal|temporar",
        "{platform} had a temporary problem: post again in a few minutes.",
    ),
)


def advice(platform: Platform | str, error: str | None) -> str:
    """The next step a person can take for a target's error."""
    label = platform_label(platform)
    text = (error or "").lower()
    for pattern, hint in _ADVICE:
        if re.search(pattern, text):
            return hint.format(platform=label)
    return (
        f"Check the {label} account in the dashboard, then post again "
        "(`/status <post id>` shows the details)."
    )


def _line(t: Target, post: TrackedPost) -> TargetLine:
    return TargetLine(
        platform=platform_label(t.platform),
        account=post.account_label(t.account_id),
        status=_status_str(t.status),
        permalink=t.permalink,
        error=t.error,
        scheduled_at=t.scheduled_at,
    )


def _quote(post: TrackedPost) -> str:
    s = (post.summary or "").strip().replace("\n", " ")
    if len(s) > 60:
        s = s[:59] + "…"
    return f"“{s}”" if s else post.post_id


def _ok(t: Target) -> bool:
    return _status_str(t.status) in _LIVE or (t.permalink is not None and not t.error)


def announcement(
    post: TrackedPost, status: str, targets: Sequence[Target], *, gone: bool = False
) -> Announcement:
    """The announcement for a post that reached a terminal ``status`` (``gone``: the API no
    longer knows the post at all)."""
    lines_t = tuple(_line(t, post) for t in targets)
    mentions: tuple[str, ...] = ()
    if post.requester and not post.external and status in ("partial", "failed"):
        mentions = (post.requester,)
    where = ", ".join(dict.fromkeys(platform_label(t.platform) for t in targets))
    lines: list[str] = []
    if post.external:
        lines.append("Created outside the bot.")
    for p, text in post.captions.items():
        one = " ".join(text.split())
        lines.append(f"{platform_label(p)} caption: {one[:199] + '…' if len(one) > 200 else one}")
    if status == "published":
        title = f"Published {_quote(post)}" + (f" on {where}" if where else "")
    elif status == "partial":
        ok = [t for t in targets if _ok(t)]
        bad = [t for t in targets if not _ok(t)]
        title = f"Partly published {_quote(post)}: {len(ok)} of {len(targets)} went out"
        # each target line carries its own error; these lines add only the next step
        lines.extend(_next_steps(bad))
    elif status == "failed":
        title = f"Publishing failed {_quote(post)}"
        lines.extend(_next_steps(targets))
        if not targets:
            lines.append(advice("", None))
    elif status == "canceled":
        title = f"Canceled outside the bot {_quote(post)}"
        if gone:
            lines.append(
                "The post no longer exists in the Social API workspace. If it had gone out, "
                "check each network: copies on platforms without a delete API stay visible."
            )
        else:
            lines.extend(_visibility(targets))
    else:
        title = f"{status.capitalize()} {_quote(post)}"
    actions: tuple[CommandButton, ...] = ()
    if status in ("partial", "failed") and not post.external and targets:
        actions = (CommandButton("Retry failed", "social", f"retry {post.post_id}"),)
    return Announcement(
        title=title,
        result=status,
        post_id=post.post_id,
        targets=lines_t,
        mentions=mentions,
        lines=tuple(lines),
        actions=actions,
    )


def _next_steps(failed: Sequence[Target]) -> list[str]:
    """One next step per failed platform (the same advice once), the error itself being on the
    target's line; errors a target line lacks are given here."""
    out: list[str] = []
    for t in failed:
        # the announcement carries a Retry failed button: "post again" means retry here
        hint = advice(t.platform, t.error).replace("then post again", "then retry")
        step = f"{platform_label(t.platform)}: {hint}"
        if not t.error:
            step = f"{platform_label(t.platform)}: no reason given. {advice(t.platform, None)}"
        if step not in out:
            out.append(step)
    return out


def _visibility(targets: Sequence[Target]) -> list[str]:
    """Who can still see a canceled post: live copies on platforms without a delete API."""
    live = [t for t in targets if t.platform_post_id or t.permalink]
    if not live:
        return ["It had not gone out: nobody saw it."]
    out: list[str] = []
    for t in live:
        label = platform_label(t.platform)
        try:
            deletable = RULES[Platform.parse(str(t.platform))].delete_api
        except (ValueError, KeyError):
            deletable = False
        if deletable:
            out.append(f"{label}: removed; nobody can see it there any more.")
        else:
            out.append(
                f"{label}: still visible to everyone — {label} has no delete API; "
                f"delete it in the {label} app."
            )
    return out


def digest_entry(a: Announcement) -> str:
    icon = _ICON.get(a.result, "•")
    head = a.title
    links = [f"{t.platform} {t.permalink}" for t in a.targets if t.permalink]
    fails = [f"{t.platform}: {t.error}" for t in a.targets if t.error]
    parts = [f"{icon} {head}"]
    if links:
        parts.append(" · ".join(links))
    if fails:
        parts.append("failed — " + "; ".join(fails))
    if a.mentions:
        parts.append(" ".join(f"<@{m}>" for m in a.mentions))
    return " — ".join(parts)


def digest(anns: Sequence[Announcement]) -> Announcement:
    """One message for a burst of results in one channel ("12 posts published: …")."""
    counts = Counter(a.result for a in anns)
    if len(counts) == 1:
        ((result, n),) = counts.items()
        title = f"{n} posts {result}"
    else:
        order = ("published", "partial", "failed", "canceled")
        parts = [f"{counts[r]} {r}" for r in order if counts[r]]
        parts += [f"{n} {r}" for r, n in counts.items() if r not in order]
        title = f"{len(anns)} results: " + ", ".join(parts)
    mentions = tuple(dict.fromkeys(m for a in anns for m in a.mentions))
    return Announcement(
        title=title,
        result="digest",
        post_id=None,
        targets=(),
        mentions=mentions,
        lines=tuple(digest_entry(a) for a in anns),
    )


# ---------------------------------------------------------------- JSON (outbox payload)


def _t(v: datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def to_json(a: Announcement) -> str:
    return json.dumps(
        {
            "title": a.title,
            "result": a.result,
            "post_id": a.post_id,
            "targets": [
                {
                    "platform": t.platform,
                    "account": t.account,
                    "status": t.status,
                    "permalink": t.permalink,
                    "error": t.error,
                    "scheduled_at": _t(t.scheduled_at),
                }
                for t in a.targets
            ],
            "mentions": list(a.mentions),
            "lines": list(a.lines),
            "actions": [[x.label, x.command, x.text, x.style] for x in a.actions],
        },
        ensure_ascii=False,
    )


def from_json(text: str) -> Announcement:
    d: dict[str, Any] = json.loads(text)
    return Announcement(
        title=str(d["title"]),
        result=str(d["result"]),
        post_id=d.get("post_id"),
        targets=tuple(
            TargetLine(
                platform=str(t["platform"]),
                account=str(t["account"]),
                status=str(t["status"]),
                permalink=t.get("permalink"),
                error=t.get("error"),
                scheduled_at=datetime.fromisoformat(t["scheduled_at"])
                if t.get("scheduled_at")
                else None,
            )
            for t in d.get("targets", [])
        ),
        mentions=tuple(str(m) for m in d.get("mentions", [])),
        lines=tuple(str(x) for x in d.get("lines", [])),
        actions=tuple(CommandButton(*(str(v) for v in x)) for x in d.get("actions", [])),
    )
