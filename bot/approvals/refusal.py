"""Telling someone why their ✅ / ❌ / button changed nothing.

A typed ``/social approve`` and a button press (an interaction) are always answered. A reaction
is answered once per person per card (``approval_refusals``): on Slack privately (ephemeral),
on Discord — where a reaction has no interaction to answer — by a short message in the card's
channel that deletes itself. The bot's own reactions are never answered.
"""

from __future__ import annotations

import sqlite_utils

from bot.approvals import store
from bot.chat import ErrorReply, Outcome, User
from bot.core import Core

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS approval_refusals ("
    "card_id INTEGER NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (card_id, user_id))"
)


def _who(approver: str) -> str:
    if approver.startswith("role:"):
        return f"<@&{approver.removeprefix('role:')}>"
    if approver.startswith("S") and approver[1:].isalnum() and approver.isupper():
        return f"<!subteam^{approver}>"
    return f"<@{approver}>"


def explanation(card: store.CardRow, user: User) -> ErrorReply:
    needed = f"{card.quorum} approval{'s' if card.quorum != 1 else ''} needed"
    if user.id == card.requester_id and not card.allow_self:
        others = ", ".join(_who(a) for a in card.approvers if a != user.id) or "nobody else"
        return ErrorReply(
            title="You can't approve or reject your own request",
            problems=(f"Another approver decides: {others} ({needed}).",),
        )
    approvers = ", ".join(_who(a) for a in card.approvers) or "nobody is configured"
    return ErrorReply(
        title="You are not an approver for this request",
        problems=(f"Approvers here are {approvers} ({needed}).",),
        hint="Ask one of them to approve it.",
    )


async def refuse(core: Core, card: store.CardRow, user: User, *, explicit: bool) -> Outcome:
    """The reply for ``user``, who may not decide ``card`` (empty for the bot, and for a
    reaction by someone already told about this card)."""
    if user.is_bot:
        return Outcome()
    reply = explanation(card, user)
    if explicit:
        return Outcome((reply,))

    def first_time(sdb: sqlite_utils.Database) -> bool:
        sdb.execute(_SCHEMA)
        cur = sdb.execute(
            "INSERT OR IGNORE INTO approval_refusals (card_id, user_id) VALUES (?, ?)",
            [card.id, user.id],
        )
        return cur.rowcount == 1

    return Outcome((reply,)) if await core.db.transaction(first_time) else Outcome()
