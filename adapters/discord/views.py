"""The persistent Approve / Reject buttons on approval cards.

Stable ``custom_id``s and ``timeout=None``: one instance is registered with ``client.add_view``
at start-up, so buttons on cards posted before a restart keep working. The card is the message
the button is on; who may decide is checked by the approval workflow (``User.roles``).
"""

from __future__ import annotations

from typing import Any, Protocol

import discord

from bot.chat import APPROVE, REJECT

APPROVE_ID = "socialbot:approve"
REJECT_ID = "socialbot:reject"


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
