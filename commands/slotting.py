"""Posting slots in commands: ``/schedule x "…" next`` (or ``slot`` / ``queue``) and the slot view
of ``/social queue``.

The slot instants come from the channel's schedule (``bot.slots``) read in the CHANNEL's zone
(not the user's: the schedule belongs to the channel); who holds each one is ``bot.slotclaims``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import slotclaims
from bot.api.models import Account
from bot.chat import ListReply, Reply
from bot.slots import EXAMPLE, occurrences
from commands.context import Context
from commands.errors import UsageError
from commands.render import preview
from commands.targets import platform_label
from commands.times import MIN_LEAD

WORDS = frozenset({"next", "slot", "queue", "next slot", "next free", "next free slot"})
HORIZON = timedelta(days=60)  # how far ahead "next" looks for a free slot
QUEUE_DAYS = 7
LEAD = max(MIN_LEAD, timedelta(minutes=1))  # a slot closer than this is already gone


def wanted(when: str | None) -> bool:
    """``/schedule … next``: the time words ask for the next free slot."""
    return when is not None and " ".join(when.lower().split()) in WORDS


def zone(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.config.timezone or "UTC")


def slot_text(t: datetime, tz: ZoneInfo, now: datetime) -> str:
    """'Tue 13:30' within the coming week, else 'Tue 9 Jun 13:30'."""
    local = t.astimezone(tz)
    if t - now < timedelta(days=6):
        return f"{local:%a %H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _no_slots() -> UsageError:
    return UsageError(
        "This channel has no posting slots",
        problems=["“next” takes the channel's next free posting slot, and none are set up here."],
        hint='Give a time instead: /schedule x "…" tomorrow 9am — or ask an admin to add '
        f"slots = {EXAMPLE} to this channel in the bot's TOML.",
        field="when",
    )


async def take(
    ctx: Context, targets: Sequence[Account], summary: str
) -> tuple[slotclaims.Claimed, str]:
    """Claim the next slot free for every target platform; (the claim, why this slot)."""
    slots = ctx.config.slots
    if not slots:
        raise _no_slots()
    tz, now = zone(ctx), ctx.now()
    candidates = occurrences(slots, tz, now + LEAD, now + HORIZON)
    claimed = await slotclaims.claim_next(
        ctx.core.db,
        chat_platform=ctx.inv.platform,
        channel=ctx.inv.channel,
        candidates=candidates,
        social={str(a.platform) for a in targets},
        owner=ctx.inv.delivery_id,
        summary=preview(summary, 60),
        now=now,
    )
    if claimed is None:
        raise UsageError(
            f"Every posting slot of this channel in the next {HORIZON.days} days is taken",
            problems=[f"{len(candidates)} slots checked, none free for these platforms."],
            hint='Give a time instead: /schedule x "…" "2026-07-01 09:00" — `/social queue` '
            "shows the slots.",
            field="when",
        )
    return claimed, why(claimed, tz, now)


def why(claimed: slotclaims.Claimed, tz: ZoneInfo, now: datetime) -> str:
    """'next free: Tue 13:30 — Tue 09:00 is taken by pst_…'."""
    head = f"next free: {slot_text(claimed.slot_at, tz, now)}"
    if not claimed.skipped:
        return f"{head} — the first coming slot"
    shown = [
        f"{slot_text(t, tz, now)} is taken by {', '.join(sorted({h.label() for h in hs}))}"
        for t, hs in claimed.skipped[:3]
    ]
    more = len(claimed.skipped) - len(shown)
    tail = f" (and {more} earlier slot{'s' if more != 1 else ''})" if more > 0 else ""
    return f"{head} — {'; '.join(shown)}{tail}"


async def free_between(ctx: Context, start: datetime, end: datetime, limit: int = 12) -> str | None:
    """'Free posting slots here: Tue 2 Jun 09:00 · …' for the calendar, or None (no slots)."""
    if not ctx.config.slots:
        return None
    tz, now = zone(ctx), ctx.now()
    instants = occurrences(ctx.config.slots, tz, max(start, now + LEAD), end)
    held = await slotclaims.holders(ctx.core.db, ctx.inv.platform, ctx.inv.channel, instants, now)
    free = [t for t in instants if not held.get(t)]
    if not free:
        return "Free posting slots here: none in this period."
    shown = [f"{t.astimezone(tz):%a} {t.astimezone(tz).day} {t.astimezone(tz):%b %H:%M}"
             for t in free[:limit]]  # fmt: skip
    more = f" · …and {len(free) - limit} more" if len(free) > limit else ""
    return f"Free posting slots here ({tz.key}): {' · '.join(shown)}{more}"


async def queue(ctx: Context) -> tuple[Reply, ...]:
    """The coming week's slots of this channel, filled and free."""
    tz, now = zone(ctx), ctx.now()
    instants = occurrences(ctx.config.slots, tz, now + LEAD, now + timedelta(days=QUEUE_DAYS))
    held = await slotclaims.holders(ctx.core.db, ctx.inv.platform, ctx.inv.channel, instants, now)
    items: list[str] = []
    free = 0
    for t in instants:
        local = t.astimezone(tz)
        when = f"{local:%a} {local.day} {local:%b %H:%M}"
        takers = held.get(t, ())
        if not takers:
            free += 1
            items.append(f"{when} · free")
            continue
        by_post: dict[str, list[str]] = {}
        for h in takers:
            by_post.setdefault(h.label(), []).append(platform_label(h.social))
        filled = "; ".join(f"{label} ({', '.join(ps)})" for label, ps in by_post.items())
        items.append(f"{when} · {filled}")
    return (
        ListReply(
            title=f"Posting slots, next {QUEUE_DAYS} days — {free} of {len(instants)} free",
            items=tuple(items) or ("No slots in the next 7 days.",),
            footer=f'Times in {tz.key} · /schedule x "…" next takes the next free slot · '
            "/status queue lists everything scheduled in the workspace",
        ),
    )
