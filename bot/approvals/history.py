"""The approval history of a post, for ``/status``: one human line per recorded event."""

from __future__ import annotations

from datetime import UTC

from bot.approvals import store
from bot.approvals.cards import ready
from bot.approvals.render import mention
from bot.core import Core

_VERBS = {
    "submitted": "asked for approval",
    "approved": "approved",
    "withdrawn": "withdrew their approval",
    "rejected": "rejected",
    "changes_requested": "requested changes",
    "changes_reason": "said what to change",
    "reason": "gave a reason",
    "activated": "activation:",
    "activation_failed": "activation failed:",
    "edited": "edited the post",
    "resubmitted": "sent the edited post for approval again",
    "expired": "expired",
    "canceled": "canceled",
    "late_approval": "approved too late",
    "late_rejection": "rejected too late",
    "draft_not_deleted": "note:",
    "recovered": "recovered:",
}


async def history(core: Core, post_id: str) -> tuple[str, ...]:
    """Approval decisions for /status, one human line each."""
    await ready(core)
    events = await core.db.run(lambda sdb: store.events(sdb, post_id))
    lines = []
    for e in events:
        who = mention(e.actor_id) + " " if e.actor_id else ""
        verb = _VERBS.get(e.action, e.action)
        detail = f" {e.detail}" if e.detail else ""
        if e.action in ("rejected", "reason", "changes_requested", "changes_reason") and e.detail:
            detail = f": “{e.detail}”"
        elif e.action in ("submitted", "edited", "resubmitted") and e.detail:
            detail = f" ({e.detail})"
        at = e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"{at} · {who}{verb}{detail} · post v{e.post_version}")
    return tuple(lines)
