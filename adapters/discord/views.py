"""The persistent Approve / Reject buttons on approval cards, and the buttons a reply offers.

Stable ``custom_id``s and ``timeout=None``: one instance is registered with ``client.add_view``
at start-up, so buttons on cards posted before a restart keep working. The card is the message
the button is on; who may decide is checked by the approval workflow (``User.roles``).

An offer ("Post as a thread of 3", ``bot.chat.Button``) is a ``DynamicItem`` whose custom id
carries the decision and the offer (``socialbot:offer:split:<token>``), registered with
``client.add_dynamic_items``: it works after a restart too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from bot.chat import APPROVE, CHANGES, REJECT, Button

APPROVE_ID = "socialbot:approve"
REJECT_ID = "socialbot:reject"
CHANGES_ID = "socialbot:changes"
REASON_MAX = 1000


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


def offer_view(buttons: Sequence[Button]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for b in buttons:
        view.add_item(OfferButton(b.decision, b.value, b.label))
    return view


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
