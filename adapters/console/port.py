"""A ChatPort that prints to a text stream: the console adapter of ``socialbot demo``.

Every message gets a number (``[#4]``); approval cards also get a card number
(``[#4] #launches · card 1``) that ``:react 1 ✅`` uses.
Replies in a thread read ``↳ in thread of #3``; updates of a message reprint it as
``[#4 updated]``; replies only the invoker would see are marked ``(only @alice sees this)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from adapters.console.render import is_ephemeral, render
from bot.chat import (
    APPROVE,
    REJECT,
    ApprovalCard,
    Destination,
    MessageRef,
    PictureReply,
    Reply,
)

PLATFORM = "console"
EMOJI = {APPROVE: "✅", REJECT: "❌"}
_INDENT = "     "
_POST_ID = re.compile(r"\bpst_[A-Za-z0-9]+")


@dataclass(frozen=True)
class ConsoleMessage:
    number: int
    channel: str
    thread: str | None


class ConsolePort:
    platform = PLATFORM

    def __init__(
        self,
        out: TextIO,
        groups: dict[str, frozenset[str]] | None = None,
        *,
        pictures_dir: str | None = None,
    ) -> None:
        self.out = out
        self.pictures_dir = pictures_dir  # where PictureReply PNGs are written (None: not)
        self.saved: list[str] = []  # paths of the pictures written
        self.groups = groups or {}
        self.messages: dict[str, ConsoleMessage] = {}
        self._keys: dict[str, MessageRef] = {}
        self.cards: dict[str, MessageRef] = {}  # card number → its message
        self._card_of: dict[str, str] = {}  # message number → card number
        self._n = 0
        self._prompt: str | None = None  # shown and waiting for input (interactive mode)
        self.last_post_id: str | None = None  # the first post id of the latest message: $last

    # ---------------------------------------------------------------- ChatPort

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        if key is not None and key in self._keys:
            return self._keys[key]  # the same key twice is one message (like a Discord nonce)
        ref = self._new(dest.channel, dest.thread)
        if isinstance(reply, ApprovalCard):
            number = str(len(self.cards) + 1)
            self.cards[number] = ref
            self._card_of[ref.message_id] = number
        only = dest.ephemeral_to or None
        self._print(self._header(ref, dest.thread, only), self._lines(ref, reply))
        if key is not None:
            self._keys[key] = ref
        return ref

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        msg = self.messages.get(ref.message_id)
        where = f"#{msg.channel}" if msg else f"#{ref.channel}"
        card = self._card_of.get(ref.message_id)
        label = f" · card {card}" if card else ""
        self._print(f"[#{ref.message_id} updated] {where}{label}", self._lines(ref, reply))

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        marks = " ".join(EMOJI.get(e, f":{e}:") for e in emojis)
        self._write(f"{_INDENT}(bot reacted on #{ref.message_id}: {marks})")

    async def group_members(self, group_id: str) -> frozenset[str]:
        return self.groups.get(group_id, frozenset())

    # ---------------------------------------------------------------- console side

    def typed(self, channel: str, user: str, text: str, *, echo: bool) -> MessageRef:
        """A line the user typed becomes message #n (replies thread under it)."""
        ref = self._new(channel, None)
        if echo:
            self._write(f"[#{ref.message_id}] #{channel} @{user}: {text}")
        return ref

    def reply(self, channel: str, thread: str | None, user: str, reply: Reply) -> MessageRef:
        """A reply to the user who typed a command (ephemeral ones only they would see)."""
        ref = self._new(channel, thread)
        only = user if is_ephemeral(reply) else None
        self._print(self._header(ref, thread, only), self._lines(ref, reply))
        return ref

    def show_prompt(self, prompt: str) -> None:
        """Interactive mode: show the prompt; output arriving meanwhile reprints it after."""
        self._prompt = prompt
        self.out.write(prompt)
        self.out.flush()

    def input_received(self) -> None:
        self._prompt = None

    def note(self, text: str) -> None:
        """A line from the console itself (not a chat message)."""
        self._write(f"· {text}")

    def channel_of(self, number: str) -> str | None:
        msg = self.messages.get(number)
        return msg.channel if msg else None

    def card(self, number: str) -> MessageRef | None:
        """Card ``3`` → its message; ``#7`` → message 7 (any message)."""
        if number.startswith("#"):
            n = number[1:]
            msg = self.messages.get(n)
            return MessageRef(PLATFORM, msg.channel, n) if msg else None
        return self.cards.get(number)

    # ---------------------------------------------------------------- internals

    def _new(self, channel: str, thread: str | None) -> MessageRef:
        self._n += 1
        number = str(self._n)
        self.messages[number] = ConsoleMessage(self._n, channel, thread)
        return MessageRef(PLATFORM, channel, number)

    def _save(self, ref: MessageRef, reply: PictureReply) -> list[str]:
        """Write the PNGs; the lines that say where (and what they show, in words)."""
        if not reply.pictures:
            return []
        if self.pictures_dir is None:
            return [f"  (a picture: {p.alt})" for p in reply.pictures]
        os.makedirs(self.pictures_dir, exist_ok=True)
        out = []
        for p in reply.pictures:
            name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{ref.message_id}-{p.filename}")
            path = os.path.join(self.pictures_dir, name)
            with open(path, "wb") as f:
                f.write(p.png)
            self.saved.append(path)
            out.append(f"  🖼  picture: {path}")
        return out

    def _lines(self, ref: MessageRef, reply: Reply) -> list[str]:
        lines = render(reply)
        if isinstance(reply, PictureReply):
            lines += self._save(ref, reply)
        card = self._card_of.get(ref.message_id)
        if card and isinstance(reply, ApprovalCard) and reply.state == "pending" and reply.buttons:
            lines.append(f"  (console: :react {card} ✅ or :react {card} ❌)")
        return lines

    def _header(self, ref: MessageRef, thread: str | None, only: str | None) -> str:
        head = f"[#{ref.message_id}] #{ref.channel}"
        card = self._card_of.get(ref.message_id)
        if card:
            head += f" · card {card}"
        if thread:
            head += f" ↳ in thread of #{thread}"
        if only:
            head += f" (only @{only} sees this)"
        return head

    def _print(self, header: str, lines: list[str]) -> None:
        found = _POST_ID.search("\n".join(lines))
        if found:
            self.last_post_id = found.group(0)
        self._write("\n".join([header, *(_INDENT + line for line in lines)]))

    def _write(self, text: str) -> None:
        if self._prompt is not None:  # output while the user is at the prompt
            self.out.write("\n" + text + "\n" + self._prompt)
        else:
            self.out.write(text + "\n")
        self.out.flush()
