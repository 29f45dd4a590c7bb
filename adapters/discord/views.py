"""The persistent Approve / Reject buttons on approval cards, and the buttons a reply offers.

Stable ``custom_id``s and ``timeout=None``: one instance is registered with ``client.add_view``
at start-up, so buttons on cards posted before a restart keep working. The card is the message
the button is on; who may decide is checked by the approval workflow (``User.roles``).

An offer ("Post as a thread of 3", ``bot.chat.Button``) is a ``DynamicItem`` whose custom id
carries the decision and the offer (``socialbot:offer:split:<token>``), and a command button
(``bot.chat.CommandButton``: Confirm delete, Retry failed) one that carries the command
(``socialbot:run:social:<text>``); both are registered with ``client.add_dynamic_items``, so
they work after a restart too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from bot.chat import APPROVE, CHANGES, REJECT, Button, CommandButton

APPROVE_ID = "socialbot:approve"
REJECT_ID = "socialbot:reject"
CHANGES_ID = "socialbot:changes"
REASON_MAX = 1000
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

    @discord.ui.button(
        label="Request changes", style=discord.ButtonStyle.secondary, custom_id=CHANGES_ID
    )
    async def changes(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        message = interaction.message
        await interaction.response.send_modal(
            ReasonModal(message.id if message is not None else None, None)
        )


class ReasonModal(discord.ui.Modal, title="Request changes"):
    """What should change: the reason of a Request changes (on the card) or of a ✏️ (the
    "Give the reason" button under the bot's question, which names the post)."""

    reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="What should change?",
        style=discord.TextStyle.paragraph,
        placeholder="e.g. Shorten the first line and add the blog link",
        max_length=REASON_MAX,
        custom_id="socialbot:reason",
    )

    def __init__(self, card_message: int | None, post_id: str | None) -> None:
        # discord.py keeps open forms by custom id: one id per form, so two approvers filling
        # one in at the same time each get their own (and their own card).
        super().__init__(timeout=900, custom_id=f"socialbot:reason_form:{uuid.uuid4().hex}")
        self.card_message = card_message
        self.post_id = post_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        handler = getattr(interaction.client, "on_card_button", None)
        if handler is not None:
            await handler(
                interaction,
                CHANGES,
                reason=str(self.reason.value),
                value=self.post_id or "",
                card_message=self.card_message,
            )


class OfferButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"socialbot:offer:(?P<decision>[a-z0-9]+):(?P<value>[A-Za-z0-9_-]+)",
):
    def __init__(self, decision: str, value: str, label: str = "OK") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=f"socialbot:offer:{decision}:{value}",
            )
        )
        self.decision = decision
        self.value = value

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OfferButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["decision"], match["value"], label or "OK")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.decision == CHANGES:  # "Give the reason": a form first
            await interaction.response.send_modal(ReasonModal(None, self.value))
            return
        handler = getattr(interaction.client, "on_offer_button", None)
        if handler is not None:
            await handler(interaction, self.decision, self.value)


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
        match: re.Match[str],
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


def view_for(
    buttons: bool, actions: Sequence[CommandButton], offers: Sequence[Button] = ()
) -> discord.ui.View | None:
    """The view a rendered reply carries: the approval buttons, else its offers ("Post as a
    thread of 3", "Give the reason") and command buttons."""
    if buttons:
        return ApprovalView()
    view = command_view(actions) if actions else None
    if offers:
        view = view or discord.ui.View(timeout=None)
        for b in offers[: max(0, 5 - len(view.children))]:
            view.add_item(OfferButton(b.decision, b.value, b.label))
    return view
