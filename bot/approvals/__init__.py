"""The emoji-reaction approval workflow.

The command layer calls ``submit`` when the channel's policy requires approval, ``on_reaction``
/ ``on_button`` for ✅ ❌ and buttons, ``on_edit`` when a pending post is edited (approvals
reset), and ``history`` for ``/status``. ``expire_due`` closes expired requests.

Extras: ``approve(core, post_id, user)`` / ``reject(core, post_id, user, reason)`` for typed
``/social approve <id>`` / ``/social reject <id> reason…``; ``request_changes`` for ``/social
changes <id> reason…`` and ``on_reply`` for a reason given in a card's thread (``changes``: ✏️,
the Request changes button); ``cancel`` closes the request of a
post canceled with ``/social cancel``; ``resubmit`` sends an approved, not yet published post
back for approval after an edit; ``migrate(db)`` creates the tables
(also run lazily on first use); ``open_requests(core)`` counts undecided requests.

Modules: ``types`` (PostRequest), ``store`` (tables + queries), ``transition`` (the one
compare-and-set state change, and decisions in flight), ``cards`` (shared look-ups and chat
updates), ``submit`` (submit, edit), ``decide`` (votes, rejections), ``activate`` (the API call
after approval), ``lifecycle`` (expiry, recovery, cancel), ``history`` (/status lines),
``eligibility`` (who may decide), ``render`` (card replies).
"""

from __future__ import annotations

from bot.approvals.cards import migrate
from bot.approvals.changes import awaits_reason, on_reply
from bot.approvals.changes import typed as request_changes
from bot.approvals.decide import approve, on_button, on_reaction, reject
from bot.approvals.history import history
from bot.approvals.lifecycle import cancel, expire_due, open_requests, recover_stuck
from bot.approvals.render import PreviewChange
from bot.approvals.submit import on_edit, resubmit, submit
from bot.approvals.types import PostRequest

__all__ = [
    "PostRequest",
    "PreviewChange",
    "approve",
    "awaits_reason",
    "cancel",
    "expire_due",
    "history",
    "migrate",
    "on_button",
    "on_edit",
    "on_reaction",
    "on_reply",
    "open_requests",
    "recover_stuck",
    "reject",
    "request_changes",
    "resubmit",
    "submit",
]
