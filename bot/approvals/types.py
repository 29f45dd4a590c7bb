"""The request the command layer hands to the approval workflow."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api.models import Account, NewPost
from bot.chat import Destination, MediaPreview, User


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
    previews: tuple[MediaPreview, ...] = ()  # how the card shows the media (a cover last)
