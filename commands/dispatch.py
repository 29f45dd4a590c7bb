"""The one dispatch entry point. CONTRACT STUB — the command-layer helper implements it.

    dispatch(core, invocation)        a slash command → Outcome (replies for the invoker)
    dispatch_reaction(core, event)    ✅ / ❌ on an approval card → Outcome
    dispatch_button(core, event)      Approve / Reject button on a card → Outcome

A user error becomes an ``ErrorReply``; any other exception is logged with context and a
reference id, and the user gets a short apology carrying that id. The same ``delivery_id``
processed twice has one effect (the second returns ``Outcome(duplicate=True)``).
"""

from __future__ import annotations

from bot.core import Core
from commands.types import ButtonEvent, Invocation, Outcome, ReactionEvent


async def dispatch(core: Core, inv: Invocation) -> Outcome:
    raise NotImplementedError


async def dispatch_reaction(core: Core, event: ReactionEvent) -> Outcome:
    raise NotImplementedError


async def dispatch_button(core: Core, event: ButtonEvent) -> Outcome:
    raise NotImplementedError
