"""Answering one interaction: defer first, follow up, fall back to the channel when the token died.

    r = Responder(interaction, clock)
    await r.defer(ephemeral=False)   # type 5 "thinking"; r.thread = the message that will hold it
    await r.send(reply)              # 1st: edit the thinking message; then follow-ups
    await r.report_problems()        # missing permissions met on the way, in words, ephemeral

Interaction tokens live 15 minutes; after ``EXPIRY`` (14 min by the injected clock), or when
Discord answers 10062 Unknown interaction / 10015 Unknown webhook / 50027 Invalid webhook token /
401, the reply goes to the channel instead (a reply to the request's message, mentioning the
user). ``CURRENT`` holds the responder of the interaction being handled, so the chat port can
report permission problems to the person who asked.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import discord

from adapters.discord.render import Rendered, render
from adapters.discord.translate import message_ref
from adapters.discord.views import view_for
from bot.chat import ErrorReply, MessageRef, Reply
from bot.clock import Clock

log = logging.getLogger(__name__)

EXPIRY = 14 * 60.0  # seconds: stop using the interaction token after this
DEAD_TOKEN_CODES = frozenset({10062, 10015, 50027})
NO_PERMISSION_CODES = frozenset({50013, 50001})


class Responder:
    def __init__(
        self, interaction: discord.Interaction[Any], clock: Clock, *, as_command: bool = False
    ) -> None:
        """``as_command``: a button that runs a request (an offer) is answered like a slash
        command — a public "thinking" message that becomes the request's thread."""
        self.interaction = interaction
        self.clock = clock
        self.started = clock.monotonic()
        self.dead = False  # the token can no longer be used
        self.component = interaction.type == discord.InteractionType.component and not as_command
        self.deferred_ephemeral: bool | None = None
        self.thread: str | None = None  # message id that represents the request
        self._placeholder: discord.Message | discord.PartialMessage | None = None
        self._answered_first = False
        self.problems: list[str] = []
        self.sent: list[MessageRef] = []

    # ------------------------------------------------------------------ state

    @property
    def user_id(self) -> str:
        return str(self.interaction.user.id)

    @property
    def channel_id(self) -> int | None:
        return self.interaction.channel_id

    def token_usable(self) -> bool:
        return not self.dead and self.clock.monotonic() - self.started < EXPIRY

    def can_follow_up(self) -> bool:
        """A follow-up now would be a new message (not the answer to the thinking message)."""
        return self.token_usable() and (self.component or self._answered_first)

    def note_problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    # ------------------------------------------------------------------ steps

    async def defer(self, *, ephemeral: bool) -> None:
        """Acknowledge within 3 s. Public defers also fix ``thread`` (the request's message)."""
        self.deferred_ephemeral = ephemeral
        try:
            if self.component:
                await self.interaction.response.defer()
                return
            resp = await self.interaction.response.defer(thinking=True, ephemeral=ephemeral)
            if not ephemeral:
                mid = resp.message_id if resp is not None else None
                if mid is None:
                    mid = (await self.interaction.original_response()).id
                self.thread = str(mid)
        except discord.HTTPException as e:
            if not _dead_token(e):
                raise
            log.warning(
                "interaction %s expired before the defer (code %s)", self.interaction.id, e.code
            )
            self.dead = True
            if not ephemeral and not self.component:
                await self._placeholder_message()

    async def _placeholder_message(self) -> None:
        """The interaction is gone: a channel message stands for the request instead."""
        channel = self._channel()
        if channel is None:
            return
        name = getattr(self.interaction.command, "qualified_name", None) or "command"
        try:
            msg = await channel.send(
                f"⏳ <@{self.user_id}> used `/{name}` — working on it…",
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as e:
            log.error("cannot post in channel %s (%s %s)", self.channel_id, e.status, e.code)
            return
        self._placeholder = msg
        self.thread = str(msg.id)

    async def send(self, reply: Reply) -> MessageRef | None:
        r = render(reply)
        if not r.files:
            return await self._send(r)
        try:
            return await self._send(r)
        except discord.HTTPException as e:  # the attachment refused (size, Attach Files)
            if _dead_token(e):
                raise
            log.warning("discord: picture refused (HTTP %s, code %s)", e.status, e.code)
            return await self._send(r.without_files(f"Discord said {e.status}"))

    async def _send(self, r: Rendered) -> MessageRef | None:
        if self.token_usable():
            try:
                return await self._via_interaction(r)
            except discord.HTTPException as e:
                if not _dead_token(e):
                    raise
                log.warning(
                    "interaction %s token unusable (code %s): replying in the channel",
                    self.interaction.id,
                    e.code,
                )
                self.dead = True
        return await self._via_channel(r)

    async def report_problems(self) -> None:
        if not self.problems:
            return
        reply = ErrorReply(
            title="I could not do everything in Discord",
            problems=tuple(self.problems),
            hint="Ask a server admin to give the bot View Channel, Send Messages, Embed Links, "
            "Add Reactions and Read Message History in that channel.",
            ephemeral=True,
        )
        try:
            await self.send(reply)
        except discord.HTTPException:
            log.exception("could not report permission problems to user %s", self.user_id)

    # ------------------------------------------------------------------ transports

    async def _via_interaction(self, r: Rendered) -> MessageRef | None:
        kwargs: dict[str, Any] = {"embeds": list(r.embeds), "allowed_mentions": _mentions(r)}
        if r.content is not None:
            kwargs["content"] = r.content
        view = view_for(r.buttons, r.actions, r.offers)
        if view is not None:
            kwargs["view"] = view
        if r.files:
            kwargs["files"] = r.attachments()
        followup = self.interaction.followup
        channel_id = self.channel_id or 0
        if not self.component and not self._answered_first and self.deferred_ephemeral is not None:
            self._answered_first = True
            if r.ephemeral and not self.deferred_ephemeral:
                # The thinking message is public; an ephemeral answer must not replace it.
                await self.interaction.delete_original_response()
                msg = await followup.send(ephemeral=True, wait=True, **kwargs)
                return message_ref(channel_id, msg.id)
            if "files" in kwargs:  # an edit takes new files as attachments=
                kwargs["attachments"] = kwargs.pop("files")
            msg2 = await self.interaction.edit_original_response(**kwargs)
            ref = message_ref(channel_id, msg2.id)
            if not r.ephemeral:
                self.sent.append(ref)
            return ref
        msg = await followup.send(ephemeral=r.ephemeral, wait=True, **kwargs)
        ref = message_ref(channel_id, msg.id)
        if not r.ephemeral:
            self.sent.append(ref)
        return ref

    async def _via_channel(self, r: Rendered) -> MessageRef | None:
        channel = self._channel()
        if channel is None:
            log.error("no channel to answer interaction %s in", self.interaction.id)
            return None
        mention = f"<@{self.user_id}>"
        content = f"{mention} {r.content}" if r.content else mention
        kwargs: dict[str, Any] = {
            "content": content,
            "embeds": list(r.embeds),
            "allowed_mentions": discord.AllowedMentions(
                everyone=False,
                roles=False,
                users=[discord.Object(int(u)) for u in (self.user_id, *r.mentions) if u.isdigit()],
                replied_user=False,
            ),
        }
        view = view_for(r.buttons, r.actions)
        if view is not None:
            kwargs["view"] = view
        try:
            if self._placeholder is not None and not self._answered_first:
                self._answered_first = True
                if r.files:
                    kwargs["attachments"] = r.attachments()
                edited = await self._placeholder.edit(**kwargs)
                msg_id = edited.id if edited is not None else self._placeholder.id
                ref = message_ref(channel.id, msg_id)
            else:
                self._answered_first = True
                if self.thread and self.thread.isdigit():
                    kwargs["reference"] = discord.MessageReference(
                        message_id=int(self.thread),
                        channel_id=channel.id,
                        fail_if_not_exists=False,
                    )
                if r.files:
                    kwargs["files"] = r.attachments()
                msg = await channel.send(**kwargs)
                ref = message_ref(channel.id, msg.id)
        except discord.HTTPException as e:
            if r.files:
                raise  # ``send`` retries without the picture
            # Nobody can be told in words here: the interaction is gone and the channel is shut.
            log.error(
                "cannot answer user %s in channel %s (HTTP %s, code %s)",
                self.user_id,
                channel.id,
                e.status,
                e.code,
            )
            return None
        self.sent.append(ref)
        return ref

    def _channel(self) -> discord.PartialMessageable | None:
        if self.channel_id is None:
            return None
        client: discord.Client = self.interaction.client
        return client.get_partial_messageable(self.channel_id, guild_id=self.interaction.guild_id)


def _dead_token(e: discord.HTTPException) -> bool:
    return e.code in DEAD_TOKEN_CODES or e.status == 401


def _mentions(r: Rendered) -> discord.AllowedMentions:
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        users=[discord.Object(int(u)) for u in r.mentions if u.isdigit()],
        replied_user=False,
    )


def permission_words(e: discord.HTTPException, what: str, channel: str) -> str:
    """A missing-permission error in words, for the person who asked."""
    if e.code == 50001:
        return f"I can't {what} in <#{channel}>: I have no access to that channel (View Channel)."
    if e.code == 50013:
        return f"I can't {what} in <#{channel}>: I'm missing a permission there."
    return f"I can't {what} in <#{channel}> (Discord said {e.status}, code {e.code})."


CURRENT: contextvars.ContextVar[Responder | None] = contextvars.ContextVar(
    "discord_responder", default=None
)
