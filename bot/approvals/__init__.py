"""The emoji-reaction approval workflow.

The command layer calls ``submit`` when the channel's policy requires approval, ``on_reaction``
/ ``on_button`` for ✅ ❌ and buttons, ``on_edit`` when a pending post is edited (approvals
reset), and ``history`` for ``/status``. ``expire_due`` closes expired requests.

Extras: ``approve(core, post_id, user)`` / ``reject(core, post_id, user, reason)`` for typed
``/social approve <id>`` / ``/social reject <id> reason…``; ``migrate(db)`` creates the tables
(also run lazily on first use); ``open_requests(core)`` counts undecided requests.

Modules: ``types`` (PostRequest), ``store`` (tables + queries), ``eligibility`` (who may
decide), ``render`` (card replies), ``workflow`` (the decisions).
"""

from __future__ import annotations

from bot.approvals.render import PreviewChange
from bot.approvals.types import PostRequest
from bot.approvals.workflow import (
    approve,
    expire_due,
    history,
    migrate,
    on_button,
    on_edit,
    on_reaction,
    open_requests,
    recover_stuck,
    reject,
    submit,
)

__all__ = [
    "PostRequest",
    "PreviewChange",
    "approve",
    "expire_due",
    "history",
    "migrate",
    "on_button",
    "on_edit",
    "on_reaction",
    "open_requests",
    "recover_stuck",
    "reject",
    "submit",
]
