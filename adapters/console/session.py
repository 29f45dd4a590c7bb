"""One console user's session: typed lines → commands, reactions, and console switches.

/post …  /schedule …  /status …  /social …   → the command layer (as the current user)
:as bob                switch user
:channel launches      switch channel
:react 4 ✅ | ❌        react on message #4 (also :unreact 4 ✅)
:wait [seconds]        wait until what was started has settled
:attach PATH           attach a local file to your next /post or /schedule
$last                  in a command: the post id the console showed last
$samples               in a command: the sandbox's sample media (…/samples/photo.png)
:help                  this list

Crash safety is the same as on Slack and Discord (``bot.deliveries``): a line read is the ack,
so each command and reaction is recorded before it runs; ``ConsoleReplayer`` re-runs what a
killed demo (``socialbot demo --db FILE``) left unfinished, answering in its channel.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import shlex
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from adapters.console.port import PLATFORM, ConsolePort
from bot import journal
from bot.chat import (
    APPROVE,
    REJECT,
    Attachment,
    ErrorReply,
    Invocation,
    MessageRef,
    ReactionAction,
    ReactionEvent,
    User,
)
from bot.core import Core
from bot.deliveries import Deliveries
from bot.text import clip
from commands.dispatcher import Dispatcher
from commands.emoji import normalise_emoji

log = logging.getLogger(__name__)

COMMANDS = ("post", "schedule", "status", "social")
# Typing words is easier than emoji at a console prompt.
CONSOLE_WORDS = {"approve": APPROVE, "yes": APPROVE, "reject": REJECT, "no": REJECT}

HELP = """\
Type a command as you would in Slack, for example:
  /post "Hello from the demo 👋"            (to the channel's defaults: X and Facebook)
  /post x,fb "Hello again"
  /post ig "Orange 🍊" media:$samples/photo.png      (sample media the sandbox serves:
  /post li "Our deck" media:$samples/deck.pdf        photo.png, cover.png, clip.mp4, deck.pdf)
  /schedule x "Launch day 🚀" tomorrow 9am
  /schedule x "Tips 💡" next      (#general's next free posting slot; /social queue shows them)
  /post x "<a caption over 280 characters>" split      (posted as a numbered thread on X)
  /status            /status <post id>  (or /status $last: the id shown last)
  /social help
  /social calendar   (this week as a picture: saved as a PNG, its path printed;
                      also /social calendar month · /social calendar next)
Console switches:
  :as <user>             act as another user: alice (UTC), bob (Europe/Berlin),
                         carol (America/New_York) — times you type are read in your zone
  :channel <name>        #general: no approval · #launches: one approval (alice or bob)
                         #board: two approvals (alice, bob, carol)
  :attach PATH           attach a local file to your next /post or /schedule
  :react <card> ✅|❌|✏️   react on approval card <card> (:unreact <card> ✅ withdraws;
                         ✏️ asks for changes: then /social changes <post id> <reason>)
  :wait [seconds]        wait until posts and announcements have settled
  :help  :quit"""


async def _chunks(path: Path, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A local file in chunks (never whole in memory)."""
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, size):
            yield chunk


def normalize_emoji(text: str) -> str:
    name = normalise_emoji(text)
    return CONSOLE_WORDS.get(name, name)


Waiter = Callable[[float | None], Awaitable[bool]]


class Session:
    def __init__(
        self,
        core: Core,
        port: ConsolePort,
        *,
        user: str,
        channel: str,
        channels: tuple[str, ...],
        dispatcher: Dispatcher,
        deliveries: Deliveries,
        wait: Waiter,
        echo: bool,
        zones: dict[str, str] | None = None,
        samples_url: str | None = None,
    ) -> None:
        self.core = core
        self.port = port
        self.user = user
        self.channel = channel
        self.channels = channels
        self.dispatcher = dispatcher
        self.deliveries = deliveries
        self._wait = wait
        self.echo = echo
        self.zones = zones or {}  # user → IANA zone (as Slack/Discord would tell)
        self.samples_url = samples_url  # $samples: the sandbox's sample media
        self.attachments: list[Attachment] = []  # :attach — sent with the next command
        self.done = False

    @property
    def prompt(self) -> str:
        return f"{self.user}@#{self.channel}> "

    def _user(self) -> User:
        return User(self.user, self.user)

    async def handle(self, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            if line.startswith(":"):
                await self._switch(line)
            elif line.startswith("/"):
                await self._command(line)
            else:
                self.port.note("commands start with / (e.g. /post …); :help lists the rest")
        except Exception:
            reference = uuid.uuid4().hex[:8]
            log.exception("console: %r failed (ref %s)", line, reference)
            self.port.reply(
                self.channel,
                None,
                self.user,
                ErrorReply(title="Sorry, something went wrong", reference=reference),
            )

    async def _command(self, line: str) -> None:
        if "$last" in line and self.port.last_post_id:
            line = line.replace("$last", self.port.last_post_id)
        if "$samples" in line and self.samples_url:
            line = line.replace("$samples", self.samples_url)
        name, _, text = line[1:].partition(" ")
        name = name.lower()
        ref = self.port.typed(self.channel, self.user, line, echo=self.echo)
        if name not in COMMANDS:
            self.port.reply(
                self.channel,
                ref.message_id,
                self.user,
                ErrorReply(
                    title=f"Unknown command /{clip(name, 40)}",
                    hint="/post, /schedule, /status or /social (:help for more)",
                ),
            )
            return
        inv = Invocation(
            command=name,
            text=text.strip(),
            user=self._user(),
            platform=PLATFORM,
            channel=self.channel,
            delivery_id=f"console-{uuid.uuid4().hex}",
            thread=ref.message_id,
            user_tz=self.zones.get(self.user, "UTC"),
            attachments=tuple(self.attachments) if name in ("post", "schedule") else (),
        )
        await self.deliveries.record(inv.delivery_id, "command", command_payload(inv))
        outcome = await self.deliveries.guarded(
            self.dispatcher.dispatch(self.core, inv), inv.delivery_id
        )
        if name in ("post", "schedule"):
            self.attachments = []
        for reply in outcome.replies:
            self.port.reply(self.channel, ref.message_id, self.user, reply)

    async def _switch(self, line: str) -> None:
        try:
            parts = shlex.split(line[1:])
        except ValueError:
            parts = line[1:].split()
        if not parts:
            return
        verb, args = parts[0].lower(), parts[1:]
        if verb == "help":
            for h in HELP.splitlines():
                self.port.note(h)
        elif verb in ("quit", "exit", "q"):
            self.done = True
        elif verb == "as" and len(args) == 1:
            name = args[0].lstrip("@").lower()
            if not name.isidentifier() or len(name) > 40:
                self.port.note(f"user names are short words, e.g. :as bob (got {clip(name, 40)!r})")
                return
            self.user = name
            self.port.note(f"you are now @{self.user} ({self.zones.get(name, 'UTC')})")
        elif verb == "channel" and len(args) == 1:
            name = args[0].lstrip("#").lower()
            if name not in self.channels:
                known = ", ".join("#" + c for c in self.channels)
                self.port.note(f"no channel #{clip(name, 40)} in the demo (channels: {known})")
                return
            self.channel = name
            self.port.note(f"now in #{self.channel}")
        elif verb in ("react", "unreact") and len(args) in (1, 2):
            await self._react(verb, args)
        elif verb == "attach" and len(args) == 1:
            self._attach(args[0])
        elif verb == "wait":
            seconds = float(args[0]) if args else None
            settled = await self._wait(seconds)
            self.port.note("settled" if settled else "still busy; moving on")
        else:
            self.port.note(f"unknown console command {clip(line)!r} (:help)")

    def _attach(self, raw: str) -> None:
        path = Path(raw).expanduser()
        if not path.is_file():
            self.port.note(f"no file {clip(raw, 80)!r} (:attach PATH — an image, video or PDF)")
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.attachments.append(
            Attachment(path.name, ctype, path.stat().st_size, open=lambda: _chunks(path))
        )
        names = ", ".join(a.name for a in self.attachments)
        self.port.note(f"attached {names} — sent with your next /post or /schedule")

    async def _react(self, verb: str, args: list[str]) -> None:
        target = args[0]
        emoji = normalize_emoji(args[1] if len(args) == 2 else "✅")
        ref = self.port.card(target)
        if ref is None:
            self.port.note(
                f"no card {clip(target, 40)} (cards are numbered 1, 2, …; #n is message n)"
            )
            return
        action = ReactionAction.ADDED if verb == "react" else ReactionAction.REMOVED
        mark = "✅" if emoji == APPROVE else "❌" if emoji == REJECT else f":{emoji}:"
        done = "reacted" if verb == "react" else "removed"
        self.port.note(f"@{self.user} {done} {mark} on #{ref.message_id}")
        event = ReactionEvent(
            action=action,
            emoji=emoji,
            user=self._user(),
            message=ref,
            delivery_id=f"console-{uuid.uuid4().hex}",
        )
        await self.deliveries.record(event.delivery_id, "reaction", reaction_payload(event))
        outcome = await self.deliveries.guarded(
            self.dispatcher.dispatch_reaction(self.core, event), event.delivery_id
        )
        for reply in outcome.replies:
            self.port.reply(ref.channel, ref.message_id, self.user, reply)


# ---------------------------------------------------------------- after a restart


def command_payload(inv: Invocation) -> dict[str, Any]:
    return {
        "command": inv.command,
        "text": inv.text,
        "user": inv.user.id,
        "channel": inv.channel,
        "tz": inv.user_tz,
    }


def reaction_payload(event: ReactionEvent) -> dict[str, Any]:
    return {
        "action": event.action.value,
        "emoji": event.emoji,
        "user": event.user.id,
        "channel": event.message.channel,
        "message": event.message.message_id,
    }


class ConsoleReplayer:
    """``bot.deliveries.Replayer`` for the console: re-run, answer in the recorded channel."""

    def __init__(self, core: Core, port: ConsolePort, dispatcher: Dispatcher) -> None:
        self.core = core
        self.port = port
        self.dispatcher = dispatcher

    async def replay(self, entry: journal.Entry) -> None:
        p = entry.payload
        user, channel = str(p["user"]), str(p["channel"])
        self.port.note(f"resuming what @{user} asked in #{channel} before the restart")
        if entry.kind == "command":
            inv = Invocation(
                command=str(p["command"]),
                text=str(p["text"]),
                user=User(user, user),
                platform=PLATFORM,
                channel=channel,
                delivery_id=entry.id,
                user_tz=p.get("tz") or "UTC",
            )
            outcome = await self.dispatcher.dispatch(self.core, inv, resumed=True)
        else:
            event = ReactionEvent(
                action=ReactionAction(str(p["action"])),
                emoji=str(p["emoji"]),
                user=User(user, user),
                message=MessageRef(PLATFORM, channel, str(p["message"])),
                delivery_id=entry.id,
            )
            outcome = await self.dispatcher.dispatch_reaction(self.core, event, resumed=True)
        for reply in outcome.replies:
            self.port.reply(channel, None, user, reply)

    async def give_up(self, entry: journal.Entry, reply: ErrorReply) -> None:
        self.port.reply(str(entry.payload["channel"]), None, str(entry.payload["user"]), reply)
