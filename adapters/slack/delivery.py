"""Running what the Slack listeners accepted, and answering it: the Slack side of
``bot.deliveries`` (which does the journaling, the tracked tasks and the resume loop).

    record_command / record_card_event     the journal entry (after the ack over HTTP, before
                                           it in Socket Mode)
    start_command / start_card_event       dispatch in the background; show the replies
    replay(entry) / give_up(entry, reply)  after a restart (``bot.deliveries.Replayer``): a
                                           command re-runs in its recorded "⏳ working" thread
    deliver(outcome, origin, working)      the first public reply replaces the working message,
                                           later ones go in its thread, ephemeral ones to the
                                           invoker only (response_url, ephemeral, else a DM)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.directory import Directory
from adapters.slack.errors import SlackPortError
from adapters.slack.port import SlackPort
from adapters.slack.render import is_ephemeral, picture_error, render, working_message
from adapters.slack.translate import PLATFORM, SlashCommand
from bot import journal
from bot.chat import (
    ButtonEvent,
    ErrorReply,
    Invocation,
    MessageRef,
    Outcome,
    PictureReply,
    ReactionAction,
    ReactionEvent,
    Reply,
    ReplyEvent,
    User,
)
from bot.core import Core
from bot.deliveries import Deliveries
from commands.dispatcher import Dispatcher

log = logging.getLogger(__name__)

# Commands whose request gets an in-channel message (the thread its announcements go under).
THREADED = frozenset({"post", "schedule"})

Recorded = tuple[journal.Begin, journal.Entry | None]


@dataclass
class Origin:
    """Where a request came from and how to answer its invoker."""

    channel: str
    user: str
    respond: AsyncRespond | None = None  # response_url (slash commands)


class SlackDelivery:
    def __init__(
        self,
        core: Core,
        port: SlackPort,
        directory: Directory,
        dispatcher: Dispatcher,
        deliveries: Deliveries,
    ) -> None:
        self.core = core
        self.port = port
        self.directory = directory
        self.dispatcher = dispatcher
        self.deliveries = deliveries
        # Journal kinds replayed elsewhere (the compose form registers "compose").
        self.replays: dict[str, Callable[[journal.Entry], Awaitable[None]]] = {}

    # ------------------------------------------------------------ slash commands

    async def record_command(self, cmd: SlashCommand) -> Recorded:
        return await self.deliveries.record(cmd.delivery_id, "command", asdict(cmd))

    def start_command(self, cmd: SlashCommand, origin: Origin, recorded: Recorded) -> None:
        # A retry of a delivery running here (BUSY) or finished (DONE) runs as usual: dispatch's
        # delivery claim answers it as a duplicate.
        begin, entry = recorded
        resumed = begin is journal.Begin.TAKEN_OVER
        thread = entry.thread if entry is not None and resumed else None
        self.deliveries.spawn(
            self.run_command(cmd, origin, resumed=resumed, thread=thread),
            name=f"slack {cmd.slash}",
        )

    async def accept_command(self, cmd: SlashCommand, origin: Origin) -> None:
        self.start_command(cmd, origin, await self.record_command(cmd))

    async def run_command(
        self,
        cmd: SlashCommand,
        origin: Origin,
        *,
        resumed: bool = False,
        thread: str | None = None,
    ) -> None:
        try:
            tz = await self.directory.user_tz(cmd.user_id)
            working: MessageRef | None = None
            if cmd.command in THREADED:
                if thread is not None:  # resumed: its working message is already there
                    working = MessageRef(PLATFORM, cmd.channel, thread)
                else:
                    working = await self.port.post(
                        cmd.channel, working_message(cmd.user_id, cmd.command, cmd.text)
                    )
                    await self.deliveries.set_thread(cmd.delivery_id, working.message_id)
            inv = cmd.invocation(thread=working.message_id if working else None, user_tz=tz)
            call = self.dispatcher.dispatch(self.core, inv, resumed=resumed)
            outcome = await self.deliveries.guarded(call, inv.delivery_id)
            await self.deliver(outcome, origin, working)
        except SlackPortError as e:
            await self.tell(origin, ErrorReply(title=e.human))
            await self.deliveries.done(cmd.delivery_id)

    async def run_invocation(
        self, inv: Invocation, origin: Origin, working: MessageRef, *, resumed: bool = False
    ) -> None:
        """A command built elsewhere (the compose form), answered in its working message."""
        call = self.dispatcher.dispatch(self.core, inv, resumed=resumed)
        outcome = await self.deliveries.guarded(call, inv.delivery_id)
        await self.deliver(outcome, origin, working)

    # ------------------------------------------------------------ reactions and buttons

    async def record_card_event(self, event: ReactionEvent | ButtonEvent) -> Recorded:
        kind = "reaction" if isinstance(event, ReactionEvent) else "button"
        return await self.deliveries.record(event.delivery_id, kind, event_payload(event))

    def start_card_event(self, event: ReactionEvent | ButtonEvent, recorded: Recorded) -> None:
        kind = "reaction" if isinstance(event, ReactionEvent) else "button"
        origin = Origin(channel=event.message.channel, user=event.user.id)
        self.deliveries.spawn(
            self.run_card_event(event, origin, resumed=recorded[0] is journal.Begin.TAKEN_OVER),
            name=f"slack {kind}",
        )

    async def accept_card_event(self, event: ReactionEvent | ButtonEvent) -> None:
        self.start_card_event(event, await self.record_card_event(event))

    async def run_card_event(
        self, event: ReactionEvent | ButtonEvent, origin: Origin, *, resumed: bool = False
    ) -> None:
        call: Coroutine[Any, Any, Outcome]
        if isinstance(event, ReactionEvent):
            call = self.dispatcher.dispatch_reaction(self.core, event, resumed=resumed)
        else:
            call = self.dispatcher.dispatch_button(self.core, event, resumed=resumed)
        outcome = await self.deliveries.guarded(call, event.delivery_id)
        await self.deliver(outcome, origin, None, thread=event.message.message_id)

    # ------------------------------------------------------------ thread replies and offers

    async def run_reply(self, event: ReplyEvent) -> None:
        """A reply in a card's thread (an approver's reason after ✏️); not journaled: only a
        reason owed is claimed as a delivery, and Slack resends unacknowledged events."""
        outcome = await self.deliveries.guarded(
            self.dispatcher.dispatch_reply(self.core, event), event.delivery_id
        )
        origin = Origin(channel=event.message.channel, user=event.user.id)
        await self.deliver(outcome, origin, None, thread=event.message.message_id)

    async def run_offer(self, event: ButtonEvent, origin: Origin) -> None:
        """ "Post as a thread of 3" on an error reply: the kept request runs again, answered like
        a command (a working message in the channel becomes the request's thread)."""
        try:
            working = await self.port.post(
                origin.channel, working_message(origin.user, "post", "(as a thread)")
            )
            call = self.dispatcher.dispatch_button(
                self.core, replace(event, thread=working.message_id)
            )
            outcome = await self.deliveries.guarded(call, event.delivery_id)
            if any(not is_ephemeral(r) for r in outcome.replies) and origin.respond is not None:
                try:  # the offer is taken: remove it
                    await origin.respond(delete_original=True)
                except Exception as e:
                    log.info("could not remove the offer (%s)", type(e).__name__)
            await self.deliver(outcome, origin, working)
        except SlackPortError as e:
            await self.tell(origin, ErrorReply(title=e.human))

    # ------------------------------------------------------------ after a restart

    async def replay(self, entry: journal.Entry) -> None:
        if entry.kind == "command":
            cmd = SlashCommand(**entry.payload)
            origin = Origin(channel=cmd.channel, user=cmd.user_id)
            await self.run_command(cmd, origin, resumed=True, thread=entry.thread)
        elif entry.kind in ("reaction", "button"):
            event = event_from(entry.kind, entry.payload)
            origin = Origin(channel=event.message.channel, user=event.user.id)
            await self.run_card_event(event, origin, resumed=True)
        elif entry.kind in self.replays:
            await self.replays[entry.kind](entry)
        else:
            log.warning("journal: unknown kind %r of %s; dropped", entry.kind, entry.id)
            await self.deliveries.done(entry.id)

    async def give_up(self, entry: journal.Entry, reply: ErrorReply) -> None:
        user = str(entry.payload.get("user_id") or entry.payload.get("user") or "")
        channel = str(entry.payload.get("channel") or "")
        if entry.kind in ("command", "compose") and user and channel:
            await self.tell(Origin(channel=channel, user=user), reply)

    # ------------------------------------------------------------ showing replies

    async def deliver(
        self,
        outcome: Outcome,
        origin: Origin,
        working: MessageRef | None,
        *,
        thread: str | None = None,
    ) -> None:
        """Show ``outcome``'s replies: the first public one replaces the working message, later
        public ones go in its thread, ephemeral ones to the invoker only."""
        root = working
        used_working = False
        for reply in () if outcome.duplicate else outcome.replies:
            try:
                if isinstance(reply, PictureReply):
                    replace = working if working is not None and not used_working else None
                    in_thread = root.message_id if root is not None else thread
                    _, problem = await self.port.post_picture(
                        origin.channel, reply, thread=in_thread, replace=replace
                    )
                    used_working = used_working or replace is not None
                    if problem is not None:
                        await self.tell(origin, picture_error(problem))
                elif is_ephemeral(reply):
                    await self.tell(origin, reply, thread=thread)
                elif working is not None and not used_working:
                    await self.port.update(working, reply)
                    used_working = True
                else:
                    in_thread = root.message_id if root is not None else thread
                    await self.port.post(origin.channel, render(reply), thread=in_thread)
            except SlackPortError as e:
                await self.tell(origin, ErrorReply(title=e.human))
        if working is not None and not used_working:
            try:
                await self.port.delete(working)
            except SlackPortError as e:
                log.info("could not delete the working message: %s", e.code)

    async def tell(self, origin: Origin, reply: Reply, *, thread: str | None = None) -> None:
        """Only the invoker sees ``reply``: response_url when there is one (it works even where
        the bot isn't a member), else an ephemeral message, else a DM. Never raises."""
        msg = render(reply)
        if origin.respond is not None:
            try:
                await origin.respond(response_type="ephemeral", **msg.kwargs())
                return
            except Exception as e:
                log.info("response_url failed (%s); trying chat.postEphemeral", type(e).__name__)
        try:
            await self.port.post_ephemeral(origin.channel, origin.user, msg, thread=thread)
        except SlackPortError as e:
            log.warning("could not tell %s in %s: %s", origin.user, origin.channel, e.code)


def event_payload(event: ReactionEvent | ButtonEvent) -> dict[str, Any]:
    """A card event as journal JSON (``event_from`` reads it back)."""
    out: dict[str, Any] = {
        "user": event.user.id,
        "user_name": event.user.name,
        "channel": event.message.channel,
        "ts": event.message.message_id,
        "delivery_id": event.delivery_id,
        "team": event.team,
    }
    if isinstance(event, ReactionEvent):
        out |= {"action": event.action.value, "emoji": event.emoji}
    else:
        out |= {"decision": event.decision, "value": event.value, "reason": event.reason}
    return out


def event_from(kind: str, p: Mapping[str, Any]) -> ReactionEvent | ButtonEvent:
    user = User(id=str(p["user"]), name=p.get("user_name"))
    ref = MessageRef(PLATFORM, str(p["channel"]), str(p["ts"]))
    if kind == "reaction":
        return ReactionEvent(
            action=ReactionAction(str(p["action"])),
            emoji=str(p["emoji"]),
            user=user,
            message=ref,
            delivery_id=str(p["delivery_id"]),
            team=p.get("team"),
        )
    return ButtonEvent(
        decision=str(p["decision"]),
        user=user,
        message=ref,
        delivery_id=str(p["delivery_id"]),
        team=p.get("team"),
        value=str(p.get("value") or ""),
        reason=p.get("reason"),  # typed in the Request changes form
    )
