"""Typed, frozen, platform-neutral values exchanged between adapters, the command layer and the core.

Adapters build ``Invocation`` / ``ReactionEvent`` / ``ButtonEvent`` from platform payloads, call
``commands.dispatch``, and render the ``Reply`` they get back natively (Block Kit, embeds, text).
Messages the core sends on its own (approval cards, announcements, decisions) go through the
adapter's ``ChatPort``. Nothing here imports slack or discord.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

ChatPlatform = str  # "slack" | "discord" | "console"

# Emoji short names after normalisation ("✅", ":white_check_mark:", "heavy_check_mark" → ...)
APPROVE = "white_check_mark"
REJECT = "x"
CHANGES = "pencil2"  # request changes (✏️ / 📝 / the Request changes button)
# Button decisions that are not about an approval card (ButtonEvent.decision):
SPLIT = "split"  # accept the offer to post a too-long caption as a thread (value: the offer)


@dataclass(frozen=True)
class User:
    id: str
    name: str | None = None
    roles: frozenset[str] = frozenset()  # Discord role ids the member has (from the payload)
    is_bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(frozen=True)
class Attachment:
    """A chat attachment, streamed on demand (never held whole in memory)."""

    name: str
    content_type: str
    size: int | None
    open: Callable[[], AsyncIterator[bytes]] = field(repr=False, compare=False)
    # How the platform it came from can show it again (approval card previews):
    slack_file: str | None = None  # a Slack file id (F…), for an image block's ``slack_file``
    # A Discord attachment URL, sealed by the adapter (opaque to the core, stored as it is):
    platform_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Invocation:
    command: str  # "post" | "schedule" | "status" | "social" (without the slash)
    text: str  # the argument text, as typed
    user: User
    platform: ChatPlatform
    channel: str
    delivery_id: str  # unique per platform delivery: retries carry the same id
    team: str | None = None  # Slack team / Discord guild
    thread: str | None = None  # the thread/message to answer under, when there is one
    user_tz: str | None = None  # IANA name, when the platform knows it
    attachments: tuple[Attachment, ...] = ()
    # Structured options (Discord options / Slack modal fields), used instead of or on top of
    # ``text``. Canonical names (see commands/options.py): targets, caption, captions, type,
    # when, times, draft, media, thread, link, article, cover, title, privacy, id, what.
    options: tuple[tuple[str, str], ...] = ()


class ReactionAction(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class MessageRef:
    """A chat message the bot posted or that a reaction is on."""

    platform: ChatPlatform
    channel: str
    message_id: str  # Slack ts / Discord message id / console card number


@dataclass(frozen=True)
class ReactionEvent:
    action: ReactionAction
    emoji: str  # normalised short name: APPROVE, REJECT, or anything else
    user: User
    message: MessageRef
    delivery_id: str
    team: str | None = None


@dataclass(frozen=True)
class ButtonEvent:
    """A button pressed: Approve / Reject / Request changes on a card (same rules as
    reactions), or an offer's action (``SPLIT``, with the offer in ``value``)."""

    decision: str  # APPROVE | REJECT | CHANGES | SPLIT
    user: User
    message: MessageRef
    delivery_id: str
    team: str | None = None
    value: str = ""  # the button's value (the offer of a SPLIT button)
    thread: str | None = None  # where the adapter shows a public answer (its working message)
    reason: str | None = None  # typed in a form the button opened (Request changes)


@dataclass(frozen=True)
class Destination:
    platform: ChatPlatform
    channel: str
    thread: str | None = None
    team: str | None = None
    ephemeral_to: str | None = None  # a user id: only they see it


@dataclass(frozen=True)
class ReplyEvent:
    """A message in the thread of a message the bot posted (Slack): e.g. the reason an
    approver gives after asking for changes with ✏️."""

    user: User
    message: MessageRef  # the thread's root message
    text: str
    delivery_id: str
    team: str | None = None


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class Button:
    """An action a reply offers: adapters render a button that comes back as a ``ButtonEvent``
    with this ``decision`` and ``value`` (``CHANGES`` buttons open a form for the reason)."""

    label: str
    decision: str
    value: str = ""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    link: Link | None = None


@dataclass(frozen=True)
class CommandButton:
    """A button that runs a command as the person who presses it (Confirm, Retry failed).

    Adapters render it as a button; pressing it dispatches ``/<command> <text>`` as that person.
    The console shows the command to type instead."""

    label: str
    command: str  # "social"
    text: str  # "cancel pst_3kqz1a confirm"
    style: str = "primary"  # "primary" | "danger"


class Tone(enum.StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Confirmation:
    title: str
    fields: tuple[Field, ...] = ()
    text: str | None = None
    ephemeral: bool = False
    tone: Tone = Tone.SUCCESS
    buttons: tuple[Button, ...] = ()  # decided by the core, e.g. "Give the reason" (a form)
    actions: tuple[CommandButton, ...] = ()  # buttons (each runs a command as the presser)


@dataclass(frozen=True)
class ErrorReply:
    """A user error: what is wrong, the limit, an example of the right form."""

    title: str
    problems: tuple[str, ...] = ()
    hint: str | None = None  # e.g. an example of the right form
    reference: str | None = None  # for unexpected failures: the id to quote to an admin
    ephemeral: bool = True
    field_errors: tuple[tuple[str, str], ...] = ()  # (option name, message): inline form errors
    buttons: tuple[Button, ...] = ()  # e.g. "Post as a thread of 3" (a way out of the error)

    @property
    def lines(self) -> tuple[str, ...]:
        """What a message shows: the problems, else the form errors (a form shows them inline;
        they repeat the problems, so a message never shows both)."""
        return self.problems or tuple(f"{name}: {msg}" for name, msg in self.field_errors)


@dataclass(frozen=True)
class TargetLine:
    platform: str  # label, e.g. "Instagram"
    account: str  # handle or display name
    status: str
    permalink: str | None = None
    error: str | None = None
    scheduled_at: datetime | None = None


@dataclass(frozen=True)
class StatusCard:
    post_id: str
    status: str
    title: str
    caption: str | None = None
    scheduled_at: datetime | None = None
    targets: tuple[TargetLine, ...] = ()
    history: tuple[str, ...] = ()  # approval decisions, one line each
    fields: tuple[Field, ...] = ()
    ephemeral: bool = False


@dataclass(frozen=True)
class ListReply:
    """A list of items (posts lately, the queue, accounts, help)."""

    title: str
    items: tuple[str, ...]
    footer: str | None = None
    ephemeral: bool = True
    plain: bool = False  # lines as they are (help text, examples): no numbers or bullets


@dataclass(frozen=True)
class MediaPreview:
    """One media item as an approval card shows it (kind: "image" | "video" | "document").

    ``url`` is a public link the media rules checked (any platform may show it); ``slack_file``
    and ``platform_url`` come from the chat platform the file was attached on and are shown only
    there (Slack image blocks by file id, Discord embeds by attachment URL). ``platform_url`` is
    opaque here: the adapter hands it over sealed (a signed link is a capability) and opens it
    itself; the core stores it as it is."""

    name: str
    kind: str
    size: int | None = None
    content_type: str | None = None
    url: str | None = None
    slack_file: str | None = None
    platform_url: str | None = field(default=None, repr=False)
    cover_for: str | None = None  # this image is the cover of that video (a reel's cover)


@dataclass(frozen=True)
class ApprovalCard:
    card_id: str
    state: str  # "pending" | "approved" | "rejected" | "expired" | "canceled"
    requester: User
    title: str
    previews: tuple[Field, ...]  # per platform: caption (+ media, time)
    targets: tuple[str, ...]
    when: str  # human text: "now" / "Tue 1 Jul 09:00 Europe/Berlin (07:00 UTC)"
    needed: int
    approvals: tuple[str, ...]  # user ids who approved
    decided_by: str | None = None
    note: str | None = None
    buttons: bool = True  # show Approve / Reject buttons while pending
    caption: str | None = None  # the post's caption (platform lines show their own if different)
    media: tuple[MediaPreview, ...] = ()  # in post order; a reel's cover last
    platforms: tuple[str, ...] = ()  # target platform labels ("Instagram", "X"), for alt text


@dataclass(frozen=True)
class Announcement:
    """A publish result (or a digest of several)."""

    title: str
    result: str  # "published" | "partial" | "failed" | "canceled" | "digest" | other
    post_id: str | None
    targets: tuple[TargetLine, ...] = ()
    mentions: tuple[str, ...] = ()  # user ids to mention (requester on partial/failed)
    lines: tuple[str, ...] = ()  # free text lines (next steps, digest entries)
    actions: tuple[CommandButton, ...] = ()  # buttons, e.g. Retry failed


@dataclass(frozen=True)
class Picture:
    """A rendered PNG with its alt text (what it shows, in words, for screen readers)."""

    png: bytes = field(repr=False)
    alt: str
    filename: str  # e.g. "calendar-2026-07-06.png"
    title: str


@dataclass(frozen=True)
class PictureReply:
    """Pictures (a calendar, a chart) with the same data as text: ``lines`` go under the
    picture; when a picture cannot be shared (no upload permission) the text still arrives.
    Shared in the channel: a picture is never ephemeral (Slack can't attach files to those)."""

    title: str
    pictures: tuple[Picture, ...]
    lines: tuple[str, ...] = ()
    footer: str | None = None


Reply = (
    Confirmation | ErrorReply | StatusCard | ListReply | ApprovalCard | Announcement | PictureReply
)


@dataclass(frozen=True)
class Outcome:
    """What dispatch returns: replies to the invoker, in order. Empty for a duplicate delivery."""

    replies: tuple[Reply, ...] = ()
    duplicate: bool = False


# ---------------------------------------------------------------- ports


class ChatPort(Protocol):
    """What the core needs from a chat platform. Each adapter implements it (render + send)."""

    platform: ChatPlatform

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        """Post a message. ``key`` is a stable de-duplication key (Discord nonce)."""
        ...

    async def update(self, ref: MessageRef, reply: Reply) -> None: ...

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None: ...

    async def group_members(self, group_id: str) -> frozenset[str]:
        """User ids in a user group (Slack). Platforms without groups return ``frozenset()``."""
        ...


class SentFinder(Protocol):
    """Optional on a ``ChatPort`` (callers use ``getattr(port, "find_sent", None)``): the
    message sent earlier to ``dest`` with de-duplication ``key``, or None. Slack (message
    metadata) and Discord (a footer marker) implement it; the console de-duplicates by key."""

    async def find_sent(self, dest: Destination, key: str) -> MessageRef | None: ...


class DirectMessenger(Protocol):
    """Optional on a ``ChatPort`` (``getattr(port, "send_direct", None)``): a direct message to
    one user. Slack and Discord implement it; the notifier uses it to tell a requester that a
    result could not be posted in the channel."""

    async def send_direct(self, user_id: str, reply: Reply) -> MessageRef: ...


class ChatSendError(Exception):
    """A chat platform refused a message the bot sent (not in the channel, missing permission,
    token revoked…). ``str()`` says why in words a person can act on; adapters raise subclasses."""
