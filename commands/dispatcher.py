"""The command layer as every adapter sees it: one ``Dispatcher`` protocol.

    dispatch(core, inv, resumed=)               a command → Outcome
    dispatch_reaction(core, event, resumed=)    ✅ / ❌ on a card → Outcome
    dispatch_button(core, event, resumed=)      Approve / Reject / Request changes on a card, an
                                                offer's button → Outcome
    dispatch_reply(core, event, resumed=)       a reply in a card's thread (the reason for ✏️)
    target_choices(core, platform, team, channel, typed)          autocomplete / form pickers
    when_choices(core, platform, team, channel, typed, user_tz)   "tomorrow 9am → …"

``resumed``: the delivery is a journal entry a dead process left pending (``bot.deliveries``).
``CommandLayer`` is the real one (``commands.dispatch`` / ``commands.complete``); tests hand
the adapters a recorder that implements the same protocol.
"""

from __future__ import annotations

from typing import Protocol

from bot.chat import ButtonEvent, Invocation, Outcome, ReactionEvent, ReplyEvent
from bot.core import Core
from commands.complete import Choice


class Dispatcher(Protocol):
    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome: ...

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome: ...

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome: ...

    async def dispatch_reply(
        self, core: Core, event: ReplyEvent, *, resumed: bool = False
    ) -> Outcome: ...

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]: ...

    async def when_choices(
        self,
        core: Core,
        platform: str,
        team: str | None,
        channel: str,
        typed: str,
        user_tz: str | None,
    ) -> list[Choice]: ...


class CommandLayer:
    """``commands.dispatch`` / ``commands.complete`` (imported when an adapter is built, not on
    the first command: that import alone takes ~0.1 s of event-loop time)."""

    def __init__(self) -> None:
        from commands import complete, dispatch

        self._dispatch = dispatch
        self._complete = complete

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        return await self._dispatch.dispatch(core, inv, resumed=resumed)

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._dispatch.dispatch_reaction(core, event, resumed=resumed)

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._dispatch.dispatch_button(core, event, resumed=resumed)

    async def dispatch_reply(
        self, core: Core, event: ReplyEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._dispatch.dispatch_reply(core, event, resumed=resumed)

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]:
        return await self._complete.target_choices(core, platform, team, channel, typed)

    async def when_choices(
        self,
        core: Core,
        platform: str,
        team: str | None,
        channel: str,
        typed: str,
        user_tz: str | None,
    ) -> list[Choice]:
        return await self._complete.when_choices(core, platform, team, channel, typed, user_tz)
