"""A caption too long for X or Threads: offer to post it there as a numbered thread.

    overflows(draft, targets)      → per thread platform over its limit: the count and the parts
    offer(ctx, overflows, …)       → the ``SplitOffer`` error: "This is 612 characters for X
                                     (limit 280). Post it as a thread of 3?" + the parts + a
                                     button (the request is kept so the button can re-run it)
    claim(core, event)             → the kept request, once, for the person who made it

The parts come from ``bot.split``; lengths are counted as each platform counts them
(``length``: X weighted, as twitter-text v3 does; code points elsewhere). Accepting re-runs the
same command with ``split`` on (typing ``split`` does the same, also up front).
"""

from __future__ import annotations

import json
import secrets
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.api.models import Account, Platform, PostType
from bot.chat import SPLIT, Button, ButtonEvent, ErrorReply, Invocation, User
from bot.core import Core
from bot.platforms import RULES, max_text
from bot.split import SplitError, split_text, strip_numbering
from bot.storage import Database
from bot.textcount import count
from commands import options as opt
from commands.errors import UserError
from commands.targets import platform_label
from commands.validate import Draft

OFFER_TTL = timedelta(hours=24)
PREVIEW_PART = 300  # characters of each part shown in the offer
# At most this many parts are offered (X's composer takes a thread of 25 posts). A longer text
# keeps the plain length error; it is also never split, which would cost seconds of CPU for a
# 70,000-character caption (the fuzz run found one).
MAX_PARTS = 25
# Post types whose caption can become a thread (media go on its first part).
SPLITTABLE_TYPES = frozenset({PostType.TEXT, PostType.IMAGE, PostType.VIDEO})


def length(platform: Platform, text: str) -> int:
    """How ``platform`` counts ``text`` against its limit."""
    return count(platform, text)


def counter(platform: Platform) -> Callable[[str], int]:
    return lambda text: length(platform, text)


@dataclass(frozen=True)
class Overflow:
    platform: Platform
    length: int
    limit: int
    parts: tuple[str, ...]  # numbered, each within ``limit``

    @property
    def label(self) -> str:
        return platform_label(self.platform)


def overflows(draft: Draft, targets: Sequence[Account]) -> list[Overflow]:
    """Thread platforms among ``targets`` whose caption is over their limit (and can be split)."""
    if draft.post_type not in SPLITTABLE_TYPES or draft.thread:
        return []
    out: list[Overflow] = []
    for p in dict.fromkeys(a.platform for a in targets):
        if not isinstance(p, Platform) or not RULES[p].threads:
            continue
        limit = min(max_text(p, a.premium) for a in targets if a.platform == p)
        caption = draft.captions.get(p, draft.caption)
        n = length(p, caption)
        if n <= limit or n > limit * MAX_PARTS:
            continue
        try:
            parts = split_text(caption, limit, counter(p))
        except SplitError:
            continue  # the plain length error stands
        if len(parts) > MAX_PARTS:
            continue
        out.append(Overflow(p, n, limit, tuple(parts)))
    return out


def without_overflow(draft: Draft, over: Sequence[Overflow]) -> Draft:
    """``draft`` as if each overflowing platform had its first part as caption (to see what
    else is wrong)."""
    captions = dict(draft.captions)
    for o in over:
        captions[o.platform] = o.parts[0]
    return Draft(**{**draft.__dict__, "captions": captions})


def question(over: Sequence[Overflow]) -> str:
    """'This is 612 characters for X (limit 280). Post it as a thread of 3?'"""
    if len(over) == 1:
        o = over[0]
        return (
            f"This is {o.length:,} characters for {o.label} (limit {o.limit:,}). "
            f"Post it as a thread of {len(o.parts)}?"
        )
    first, *rest = over
    head = f"{first.length:,} characters for {first.label} (limit {first.limit:,})"
    head += "".join(f" and {o.length:,} for {o.label} (limit {o.limit:,})" for o in rest)
    parts = ", ".join(f"{o.label}: {len(o.parts)} parts" for o in over)
    return f"This is {head}. Post it as threads ({parts})?"


def preview_lines(over: Sequence[Overflow], others: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for o in over:
        n = len(o.parts)
        for i, part in enumerate(o.parts, 1):
            text = " ".join(strip_numbering(part).split())
            if len(text) > PREVIEW_PART:
                text = text[: PREVIEW_PART - 1] + "…"
            lines.append(f"{o.label} {i}/{n}: {text}")
    if others:
        lines.append(f"{', '.join(others)}: the whole caption, as one post.")
    return lines


class SplitOffer(UserError):
    """Too long for X / Threads, and a thread would fit: the reply offers it."""

    def __init__(self, title: str, problems: Sequence[str], hint: str, buttons: tuple[Button, ...]):
        super().__init__(title, problems=problems, hint=hint, field=opt.CAPTION)
        self.buttons = buttons

    def reply(self) -> ErrorReply:
        base = super().reply()
        return ErrorReply(
            title=base.title,
            problems=base.problems,
            hint=base.hint,
            field_errors=base.field_errors,
            buttons=self.buttons,
        )


async def offer(
    core: Core,
    inv: Invocation,
    over: Sequence[Overflow],
    others: Sequence[str],
    too_long: Sequence[str] = (),
) -> SplitOffer:
    """The error that offers the thread (after ``too_long``, the length problems as validation
    words them); keeps ``inv`` so its button can re-run it."""
    example = f"/{inv.command} … split"
    hint = f"Nothing was posted. Add `split` to post it this way: {example}"
    buttons: tuple[Button, ...] = ()
    if inv.attachments:
        hint += " (send the attachments again with it)."
    else:
        token = await _keep(core, inv)
        n = sum(len(o.parts) for o in over)
        what = f"a thread of {n}" if len(over) == 1 else "threads"
        buttons = (Button(f"Post as {what}", SPLIT, token),)
        hint += " — or press the button."
    lines = [*too_long, *preview_lines(over, others)]
    return SplitOffer(question(over), lines, hint, buttons)


# ---------------------------------------------------------------- kept requests

NAMESPACE = "offers"


def _v1(sdb: sqlite_utils.Database) -> None:
    sdb.execute(
        """CREATE TABLE offers (
            token TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            request TEXT NOT NULL,           -- the invocation to re-run (JSON, no attachments)
            created_at TEXT NOT NULL,
            used_at TEXT
        )"""
    )


_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def _ready(db: Database) -> None:
    if db not in _migrated:
        await db.migrate(NAMESPACE, [_v1])
        _migrated.add(db)


async def _keep(core: Core, inv: Invocation) -> str:
    await _ready(core.db)
    token = secrets.token_hex(8)
    request = {
        "command": inv.command,
        "text": inv.text,
        "user": inv.user.id,
        "user_name": inv.user.name,
        "platform": inv.platform,
        "channel": inv.channel,
        "team": inv.team,
        "thread": inv.thread,
        "user_tz": inv.user_tz,
        "options": [list(o) for o in inv.options if o[0] != opt.SPLIT],
    }
    now = core.clock.now()

    def keep(sdb: sqlite_utils.Database) -> None:
        # offers past their time are of no use: dropped as new ones come (no table grows)
        sdb.execute("DELETE FROM offers WHERE created_at < ?", [(now - OFFER_TTL).isoformat()])
        sdb.execute(
            "INSERT INTO offers (token, user_id, request, created_at) VALUES (?,?,?,?)",
            [token, inv.user.id, json.dumps(request, ensure_ascii=False), now.isoformat()],
        )

    await core.db.transaction(keep)
    return token


def _gone() -> UserError:
    return UserError(
        "That offer is no longer open",
        problems=["It was used already, or it is more than a day old."],
        hint='Send the post again with `split`: /post x "…" split',
    )


async def claim(core: Core, event: ButtonEvent) -> Invocation:
    """The kept request of ``event``'s offer, with ``split`` on — once, and only for the person
    who asked (compare-and-set on ``used_at``)."""
    await _ready(core.db)
    now: datetime = core.clock.now()

    def take(sdb: sqlite_utils.Database) -> dict[str, object] | str | None:
        rows = list(sdb.query("SELECT * FROM offers WHERE token = ?", [event.value]))
        if (
            not rows
            or rows[0]["used_at"]
            or (now - datetime.fromisoformat(str(rows[0]["created_at"])) > OFFER_TTL)
        ):
            return None
        if rows[0]["user_id"] != event.user.id:
            return str(rows[0]["user_id"])
        cur = sdb.execute(
            "UPDATE offers SET used_at = ? WHERE token = ? AND used_at IS NULL",
            [now.isoformat(), event.value],
        )
        return dict(json.loads(str(rows[0]["request"]))) if cur.rowcount == 1 else None

    got = await core.db.transaction(take)
    if got is None:
        raise _gone()
    if isinstance(got, str):
        raise UserError(
            "Only the person who wrote the post can accept this",
            problems=[f"<@{got}> asked for it."],
            hint='Post your own with /post x "…" split',
        )
    r = got
    raw = r["options"]
    kept = tuple((str(k), str(v)) for k, v in raw) if isinstance(raw, list) else ()
    name = str(r["user_name"]) if r["user_name"] else event.user.name
    return Invocation(
        command=str(r["command"]),
        text=str(r["text"]),
        user=User(str(r["user"]), name, roles=event.user.roles),
        platform=str(r["platform"]),
        channel=str(r["channel"]),
        delivery_id=event.delivery_id,
        team=str(r["team"]) if r["team"] else None,
        thread=event.thread,
        user_tz=str(r["user_tz"]) if r["user_tz"] else None,
        options=(*kept, (opt.SPLIT, "true")),
    )
