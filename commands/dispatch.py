"""The one dispatch entry point.

    dispatch(core, invocation)        a slash command → Outcome (replies for the invoker)
    dispatch_reaction(core, event)    ✅ / ❌ / ✏️ on an approval card → Outcome
    dispatch_reply(core, event)       a reply in an approval card's thread (the reason for ✏️)
    dispatch_button(core, event)      Approve / Reject button on a card → Outcome; "Post as a
                                      thread" on a too-long caption's reply → the kept request
                                      re-run with ``split`` (commands.threadoffer)

A user error becomes an ``ErrorReply``; any other exception is logged with context and a
reference id, and the user gets a short apology carrying that id. The same ``delivery_id``
processed twice has one effect: the delivery is claimed in the ``deliveries`` table (INSERT OR
IGNORE, one statement, before anything else happens) and a second claim returns
``Outcome(duplicate=True)``.

Routing (text normalised first, see ``commands.normalize``):

    /post help | accounts | analytics | cancel <id> | edit <id> … | status <id> | queue | …
    /post …                      → handlers.post
    /schedule help | …           → handlers.schedule
    /status [help | queue | <id>]→ handlers.status
    /social <what> …             → help, accounts, analytics [7d|30d|90d], cancel, edit,
                                   status, queue, approve, reject, changes, post, schedule,
                                   calendar [week|month] [next|last|<date>]
    /social queue                → the channel's posting slots (commands.slotting) when it has
                                   some, else the same as /status queue
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace

import sqlite_utils

from bot import approvals, journal, metrics
from bot.chat import (
    SPLIT,
    ButtonEvent,
    ErrorReply,
    Invocation,
    Outcome,
    ReactionEvent,
    Reply,
    ReplyEvent,
)
from bot.core import Core
from bot.logs import request_id
from bot.text import clip_echoes
from commands import options as opt
from commands import slotting, threadoffer
from commands.context import Context
from commands.errors import UsageError, UserError
from commands.handlers import info, manage, pictures, post, retry, schedule, status
from commands.normalize import normalize

log = logging.getLogger(__name__)

SUBCOMMANDS = (
    "help", "accounts", "analytics", "cancel", "edit", "status", "queue", "approve", "reject",
    "changes", "post", "schedule", "retry", "calendar",
)  # fmt: skip
_SUB_ALIASES = {
    "?": "help", "h": "help", "account": "accounts", "stats": "analytics", "delete": "cancel",
    "remove": "cancel", "next": "queue", "scheduled": "queue", "upcoming": "queue",
    "publish": "post", "update": "edit", "ok": "approve", "lgtm": "approve", "deny": "reject",
    "change": "changes", "request-changes": "changes", "revise": "changes",
    "cal": "calendar", "planner": "calendar",
}  # fmt: skip
# after /post, these words start a subcommand only when followed by a post id (or alone)
_POST_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*[_-][A-Za-z0-9_-]+$")


def _split(text: str) -> tuple[str, str]:
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _sub(word: str) -> str | None:
    w = word.lower().lstrip("/")
    w = _SUB_ALIASES.get(w, w)
    return w if w in SUBCOMMANDS else None


async def _social(ctx: Context, what: str, rest: str) -> tuple[Reply, ...]:
    """One subcommand; ``rest`` is the normalised text after its name."""
    ids = dict(ctx.inv.options)
    pid_opt = ids.get(opt.ID, "").strip() or None
    first, after = _split(rest)
    sub_ctx = replace(ctx, text=rest)
    if what == "help":
        return await info.help_(ctx, first or None)
    if what == "accounts":
        return await info.accounts(ctx)
    period = " ".join(x for x in (rest, ids.get(opt.PERIOD, "").strip()) if x)
    if what == "analytics":
        pid = pid_opt or first or None
        if pid and not pictures.is_range(pid):
            return await info.analytics(ctx, pid)  # one post's numbers
        return await pictures.analytics(ctx, period)  # the workspace's, with the chart
    if what == "calendar":
        return await pictures.calendar_(ctx, period)
    if what == "cancel":
        return await manage.cancel(ctx, pid_opt or first or None, after if not pid_opt else rest)
    if what == "edit":
        return await manage.edit(sub_ctx)
    if what == "retry":
        return await retry.retry(ctx, pid_opt or first or None)
    if what == "queue":  # the channel's posting slots if it has some, else what is scheduled
        return await (slotting.queue(ctx) if ctx.config.slots else status.queue(ctx))
    if what == "status":
        sub = _sub(first) if first else None
        if sub == "queue":
            return await status.queue(ctx)
        if sub == "help":
            return await info.help_(ctx, "status")
        pid = pid_opt or first or None
        return await (status.one(ctx, pid) if pid else status.recent(ctx))
    reason = ids.get(opt.REASON, "").strip() or (rest if pid_opt else after) or None
    if what in ("approve", "reject"):
        return await manage.decide(ctx, what, pid_opt or first or None, reason)
    if what == "changes":
        return await manage.changes(ctx, pid_opt or first or None, reason)
    if what == "post":
        return await post.post(sub_ctx)
    if what == "schedule":
        return await schedule.schedule(sub_ctx)
    raise UsageError(
        f"I don't know “{what}”",
        problems=[f"/social takes: {', '.join(SUBCOMMANDS)}."],
        hint="/social help",
        field=opt.WHAT,
    )


async def route(core: Core, inv: Invocation) -> tuple[Reply, ...]:
    text = normalize(inv.text)
    ctx = Context.build(core, inv, text)
    command = inv.command.strip().lower().lstrip("/")
    first, rest = _split(text)
    sub = _sub(first) if first else None
    what = dict(inv.options).get(opt.WHAT, "").strip().lower()

    if command == "social":
        if what:
            name = _sub(what)
            return await _social(ctx, name or what, text)
        if not first:
            return await info.help_(ctx, None)
        return await _social(ctx, sub or first.lower(), rest)
    if command == "post":
        if what and _sub(what):
            return await _social(ctx, _sub(what) or what, text)
        if sub == "help":
            return await info.help_(ctx, rest.split(None, 1)[0] if rest else "post")
        if sub in ("accounts", "analytics", "queue") and not rest:
            return await _social(ctx, sub, rest)
        if sub in ("cancel", "edit", "status", "approve", "reject", "retry"):
            if _POST_ID.match(rest.split(None, 1)[0] if rest else ""):
                return await _social(ctx, sub, rest)
        return await post.post(ctx)
    if command == "schedule":
        if sub == "help":
            return await info.help_(ctx, "schedule")
        return await schedule.schedule(ctx)
    if command == "status":
        return await _social(ctx, "status", text)
    raise UsageError(
        f"Unknown command /{command}",
        problems=["Commands: /post, /schedule, /status, /social."],
        hint="/social help",
    )


async def _claim(core: Core, kind: str, platform: str, delivery_id: str) -> bool:
    """Record the delivery; False if it was recorded before (a platform retry)."""
    key = f"{kind}:{platform}:{delivery_id}"
    seen_at = core.clock.now().isoformat()

    def claim(sdb: sqlite_utils.Database) -> bool:
        cur = sdb.execute(
            "INSERT OR IGNORE INTO deliveries (id, seen_at) VALUES (?, ?)", [key, seen_at]
        )
        return cur.rowcount == 1

    return await core.db.run(claim)


def apology(reference: str) -> ErrorReply:
    return ErrorReply(
        title="Sorry — something went wrong on my side",
        problems=("It may not have been done: check /status before trying again.",),
        hint=f"If it keeps happening, give an admin the reference {reference}.",
        reference=reference,
    )


async def _guarded(
    core: Core,
    kind: str,
    platform: str,
    delivery_id: str,
    context: dict[str, object],
    run: Callable[[], Awaitable[tuple[Reply, ...]]],
    resumed: bool = False,
) -> Outcome:
    name = _metric_name(kind, context)
    # Log lines of this delivery carry its id (unless the adapter already set one).
    token = request_id.set(delivery_id[:80]) if request_id.get() is None else None
    resuming = journal.resuming.set(True) if resumed else None
    try:
        out = await _run_guarded(core, kind, platform, delivery_id, context, run, name, resumed)
        # Finished, whatever the answer: the journal entry (if the adapter made one) is done.
        await journal.mark_done(core.db, delivery_id, core.clock.now())
        return out
    finally:
        if resuming is not None:
            journal.resuming.reset(resuming)
        if token is not None:
            request_id.reset(token)


async def _run_guarded(
    core: Core,
    kind: str,
    platform: str,
    delivery_id: str,
    context: dict[str, object],
    run: Callable[[], Awaitable[tuple[Reply, ...]]],
    name: str,
    resumed: bool = False,
) -> Outcome:
    try:
        # A resumed delivery (journal, after a crash) was claimed by the process that died.
        if not await _claim(core, kind, platform, delivery_id) and not resumed:
            log.info("duplicate %s delivery %s ignored", kind, delivery_id)
            metrics.COMMANDS.labels(name, "duplicate").inc()
            return Outcome(duplicate=True)
        out = Outcome(tuple(_clipped(r) for r in await run()))
        outcome = "ok"
        if any(isinstance(r, ErrorReply) and r.reference is not None for r in out.replies):
            outcome = "error"  # a handler that answered with its own apology
        elif any(isinstance(r, ErrorReply) for r in out.replies):
            outcome = "user_error"
        metrics.COMMANDS.labels(name, outcome).inc()
        log.info("%s %s handled: %s", kind, name, outcome)
        return out
    except UserError as e:
        log.info("%s: user error %s: %s", kind, type(e).__name__, e.title)
        metrics.COMMANDS.labels(name, "user_error").inc()
        return Outcome((_clipped(e.reply()),))
    except Exception:
        reference = secrets.token_hex(4)
        details = " ".join(f"{k}={v}" for k, v in context.items())
        log.exception("%s failed (ref %s) %s delivery=%s", kind, reference, details, delivery_id)
        metrics.COMMANDS.labels(name, "error").inc()
        return Outcome((apology(reference),))


def _clipped(reply: Reply) -> Reply:
    """An error quotes the user's text back at most ``ECHO_LIMIT`` characters at a time."""
    if not isinstance(reply, ErrorReply):
        return reply
    return replace(
        reply,
        title=clip_echoes(reply.title),
        problems=tuple(clip_echoes(p) for p in reply.problems),
        hint=clip_echoes(reply.hint) if reply.hint else reply.hint,
        field_errors=tuple((n, clip_echoes(m)) for n, m in reply.field_errors),
    )


_METRIC_COMMANDS = frozenset({"post", "schedule", "status", "social"})


def _metric_name(kind: str, context: dict[str, object]) -> str:
    """The ``command`` label: post/schedule/status/social, reaction, button, or other (the
    platform sends the command name: never an unbounded label value)."""
    if kind != "command":
        return kind
    name = str(context.get("command", "")).strip().lower().lstrip("/")
    return name if name in _METRIC_COMMANDS else "other"


async def dispatch(core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
    """``resumed``: a journal entry a dead process left pending, run again (see bot.journal)."""
    context: dict[str, object] = {
        "command": inv.command,
        "platform": inv.platform,
        "team": inv.team,
        "channel": inv.channel,
        "user": inv.user.id,
        "text_chars": len(inv.text),
        "options": ",".join(name for name, _ in inv.options) or "-",
        "attachments": len(inv.attachments),
    }
    return await _guarded(
        core,
        "command",
        inv.platform,
        inv.delivery_id,
        context,
        lambda: route(core, inv),
        resumed,
    )


async def dispatch_reaction(core: Core, event: ReactionEvent, *, resumed: bool = False) -> Outcome:
    context: dict[str, object] = {
        "platform": event.message.platform,
        "channel": event.message.channel,
        "message": event.message.message_id,
        "emoji": event.emoji,
        "action": event.action.value,
        "user": event.user.id,
    }

    async def run() -> tuple[Reply, ...]:
        outcome = await approvals.on_reaction(core, event)
        return outcome.replies

    return await _guarded(
        core, "reaction", event.message.platform, event.delivery_id, context, run, resumed
    )


async def dispatch_reply(core: Core, event: ReplyEvent, *, resumed: bool = False) -> Outcome:
    """Every thread reply in the channels the bot is in arrives here: only the reason an
    approver owes after ✏️ is recorded (and claimed as a delivery); the rest is ignored."""
    if not await approvals.awaits_reason(core, event):
        return Outcome()
    context: dict[str, object] = {
        "platform": event.message.platform,
        "channel": event.message.channel,
        "message": event.message.message_id,
        "user": event.user.id,
        "text_chars": len(event.text),
    }

    async def run() -> tuple[Reply, ...]:
        outcome = await approvals.on_reply(core, event)
        return outcome.replies

    return await _guarded(
        core, "reply", event.message.platform, event.delivery_id, context, run, resumed
    )


async def dispatch_button(core: Core, event: ButtonEvent, *, resumed: bool = False) -> Outcome:
    context: dict[str, object] = {
        "platform": event.message.platform,
        "channel": event.message.channel,
        "message": event.message.message_id,
        "decision": event.decision,
        "user": event.user.id,
    }

    async def run() -> tuple[Reply, ...]:
        if event.decision == SPLIT:  # "Post as a thread of 3" on a too-long caption's reply
            return await route(core, await threadoffer.claim(core, event))
        outcome = await approvals.on_button(core, event)
        return outcome.replies

    return await _guarded(
        core, "button", event.message.platform, event.delivery_id, context, run, resumed
    )
