"""``NullDispatcher``: the ``commands.dispatcher.Dispatcher`` protocol answering nothing — an
empty ``Outcome`` to every event, no choices. The tests' and benches' stand-ins for the
command layer subclass it and override only what they record or answer."""

from __future__ import annotations

from bot.chat import ButtonEvent, Invocation, Outcome, ReactionEvent, ReplyEvent
from bot.core import Core
from commands.complete import Choice


class NullDispatcher:
    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        return Outcome()

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        return Outcome()

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome:
        return Outcome()

    async def dispatch_reply(
        self, core: Core, event: ReplyEvent, *, resumed: bool = False
    ) -> Outcome:
        return Outcome()

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]:
        return []

    async def when_choices(
        self,
        core: Core,
        platform: str,
        team: str | None,
        channel: str,
        typed: str,
        user_tz: str | None,
    ) -> list[Choice]:
        return []
