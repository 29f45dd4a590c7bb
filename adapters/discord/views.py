"""The persistent Approve / Reject buttons on approval cards.

Stable ``custom_id``s and ``timeout=None``: one instance is registered with ``client.add_view``
at start-up, so buttons on cards posted before a restart keep working. The card is the message
the button is on; who may decide is checked by the approval workflow (``User.roles``).
"""

from __future__ import annotations

from collections.abc import Sequence
from re import Match
from typing import Any, Protocol

import discord

from bot.chat import APPROVE, REJECT, CommandButton

APPROVE_ID = "socialbot:approve"
REJECT_ID = "socialbot:reject"
RUN_PREFIX = "socialbot:run:"
RUN_COMMANDS = frozenset({"social"})  # what a command button may run


class ButtonSink(Protocol):
    async def on_card_button(
        self, interaction: discord.Interaction[Any], decision: str
    ) -> None: ...


class ApprovalView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Approve", style=discord.ButtonStyle.success, custom_id=APPROVE_ID)
    async def approve(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await _forward(interaction, APPROVE)

    @discord.ui.button(label="Reject", style=discord.ButtonStyle.danger, custom_id=REJECT_ID)
    async def reject(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await _forward(interaction, REJECT)


async def _forward(interaction: discord.Interaction[Any], decision: str) -> None:
    sink = interaction.client
    handler = getattr(sink, "on_card_button", None)
    if handler is not None:
        await handler(interaction, decision)


class RunButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"socialbot:run:(?P<command>[a-z]+):(?P<text>.+)",
):
    """A button that runs ``/<command> <text>`` as the presser (Confirm delete, Retry failed).

    The command is in the ``custom_id`` (at most 100 characters), so it works on old
    messages after a restart (registered once with ``client.add_dynamic_items``)."""

    def __init__(
        self,
        command: str,
        text: str,
        label: str = "Run",
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
    ) -> None:
        super().__init__(
            discord.ui.Button(label=label[:80], style=style, custom_id=run_id(command, text))
        )
        self.command = command
        self.text = text

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Match[str],
        /,
    ) -> RunButton:
        return cls(match["command"], match["text"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler = getattr(interaction.client, "on_run_button", None)
        if handler is not None and self.command in RUN_COMMANDS:
            await handler(interaction, self.command, self.text)


def run_id(command: str, text: str) -> str:
    return f"{RUN_PREFIX}{command}:{text}"


def command_view(actions: Sequence[CommandButton]) -> discord.ui.View | None:
    """A view of command buttons (those whose custom_id fits Discord's 100 characters)."""
    view = discord.ui.View(timeout=None)
    for a in actions[:5]:
        if a.command in RUN_COMMANDS and len(run_id(a.command, a.text)) <= 100:
            style = (
                discord.ButtonStyle.danger if a.style == "danger" else discord.ButtonStyle.primary
            )
            view.add_item(RunButton(a.command, a.text, a.label, style))
    return view if view.children else None


def view_for(buttons: bool, actions: Sequence[CommandButton]) -> discord.ui.View | None:
    """The view a rendered reply carries: the approval buttons, else its command buttons."""
    if buttons:
        return ApprovalView()
    return command_view(actions) if actions else None
