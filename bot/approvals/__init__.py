"""The emoji-reaction approval workflow. CONTRACT STUB — the approvals helper implements it.

The command layer calls ``submit`` when the channel's policy requires approval, ``on_reaction``
/ ``on_button`` for ✅ ❌ and buttons, ``on_edit`` when a pending post is edited (approvals
reset), and ``history`` for ``/status``. ``expire_due`` closes expired requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.api.models import Account, NewPost
from bot.config import ApprovalPolicy
from bot.core import Core
from commands.types import ButtonEvent, Destination, Outcome, ReactionEvent, Reply, User


@dataclass(frozen=True)
class PostRequest:
    """A validated request to publish, as the command layer hands it to the workflow."""

    workspace: str
    post: NewPost  # as it will be activated: publish_now or scheduled_at (never draft)
    targets: tuple[Account, ...]
    when: str  # human text: "now" / "Tue 1 Jul 09:00 Europe/Berlin (07:00 UTC)"
    summary: str  # caption preview
    media: tuple[str, ...]  # media names
    origin: Destination  # where it was asked: channel + thread
    requester: User
    delivery_id: str


async def submit(core: Core, request: PostRequest, policy: ApprovalPolicy) -> tuple[Reply, ...]:
    """Create the API draft, record it, post the card (seeded ✅ ❌); replies for the requester."""
    raise NotImplementedError


async def on_reaction(core: Core, event: ReactionEvent) -> Outcome:
    raise NotImplementedError


async def on_button(core: Core, event: ButtonEvent) -> Outcome:
    raise NotImplementedError


async def on_edit(core: Core, post_id: str, by: User) -> str | None:
    """A pending request's post was edited: reset its approvals. Returns a note, or None."""
    raise NotImplementedError


async def history(core: Core, post_id: str) -> tuple[str, ...]:
    """Approval decisions for /status, one human line each."""
    raise NotImplementedError


async def expire_due(core: Core, now: datetime) -> int:
    raise NotImplementedError
