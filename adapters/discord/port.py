"""``DiscordPort``: the ChatPort the core uses to post cards and announcements on Discord.

    send(dest, reply, key=)   POST /channels/{id}/messages — a reply to ``dest.thread`` when set
                              (message reference, never failing if it is gone); ``key`` becomes
                              the message nonce (≤ 25 chars, ``enforce_nonce``) so a resend after
                              a crash is de-duplicated by Discord — for a few minutes only — and
                              is written in the last embed's footer ("ref <nonce>")
    find_sent(dest, key)      the bot's own message carrying that footer among the channel's
                              latest messages (GET /channels/{id}/messages, newest first), so an
                              ambiguous send is not repeated once the nonce window has passed
    update(ref, reply)        PATCH the message (approval cards as votes arrive / when decided).
                              A card's attachment URLs come sealed from the core: ``send`` and
                              ``update`` open them (``attachments.opened``) just before rendering.
    add_reactions(ref, ...)   PUT …/reactions/{emoji}/@me (✅ ❌ seeded on cards).

Missing permissions (50013 / 50001) are logged and, while an interaction is being handled,
told in words to the person who asked (``respond.CURRENT``). ``send`` then raises
``DiscordPermissionError``; reactions and edits are best-effort and do not raise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord.attachments import opened
from adapters.discord.render import render
from adapters.discord.respond import CURRENT, NO_PERMISSION_CODES, permission_words
from adapters.discord.translate import PLATFORM, emoji_for, message_ref, nonce_for
from adapters.discord.views import ApprovalView, view_for
from bot.chat import ChatSendError, Destination, MessageRef, Reply
from bot.secret import Secret

log = logging.getLogger(__name__)


FIND_LIMIT = 200  # latest messages of a channel looked at by ``find_sent``


def ref_marker(key: str) -> str:
    return f"ref {nonce_for(key)}"


def with_ref(embeds: list[discord.Embed], key: str) -> list[discord.Embed]:
    """``embeds`` with the key's marker appended to the last one's footer (a copy)."""
    if not embeds:
        return [discord.Embed(description="\u200b").set_footer(text=ref_marker(key))]
    last = embeds[-1].copy()
    text = last.footer.text
    last.set_footer(text=f"{text} · {ref_marker(key)}" if text else ref_marker(key))
    return [*embeds[:-1], last]


MAX_BRIEF = 400  # characters of a note that answers a reaction


class DiscordPortError(ChatSendError):
    """A message could not be posted. ``str()`` is safe to show."""


class DiscordPermissionError(DiscordPortError):
    """The bot lacks a permission in the channel (Discord 50013 / 50001)."""


class DiscordPort:
    platform = PLATFORM

    def __init__(self, client: discord.Client, key: Secret | None = None) -> None:
        self.client = client
        self.key = key  # the bot token: what a card's attachment URLs are sealed under

    def _channel(self, channel_id: str, team: str | None = None) -> discord.PartialMessageable:
        guild_id = int(team) if team and team.isdigit() else None
        return self.client.get_partial_messageable(int(channel_id), guild_id=guild_id)

    def _problem(self, e: discord.HTTPException, what: str, channel: str) -> str:
        words = permission_words(e, what, channel)
        log.warning("discord: %s (HTTP %s, code %s)", words, e.status, e.code)
        responder = CURRENT.get()
        if responder is not None:
            responder.note_problem(words)
        return words

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        reply = opened(reply, self.key)  # a card's sealed URLs
        r = render(reply)
        responder = CURRENT.get()
        if (
            dest.ephemeral_to is not None
            and responder is not None
            and responder.user_id == dest.ephemeral_to
            and responder.can_follow_up()
        ):
            ref = await responder.send(reply)
            if ref is not None:
                return ref
        if not dest.channel.isdigit():
            raise DiscordPortError(f"not a Discord channel id: {dest.channel!r}")
        channel = self._channel(dest.channel, dest.team)
        mentions = [*r.mentions]
        content = r.content
        if dest.ephemeral_to is not None and dest.ephemeral_to not in mentions:
            mentions.append(dest.ephemeral_to)
            content = f"<@{dest.ephemeral_to}> {content or ''}".strip()
        kwargs: dict[str, Any] = {
            "embeds": list(r.embeds),
            "allowed_mentions": discord.AllowedMentions(
                everyone=False,
                roles=False,
                users=[discord.Object(int(u)) for u in mentions if u.isdigit()],
                replied_user=False,
            ),
        }
        if content:
            kwargs["content"] = content
        if key is not None:
            kwargs["nonce"] = nonce_for(key)
            kwargs["embeds"] = with_ref(kwargs["embeds"], key)
        if dest.thread and dest.thread.isdigit():
            kwargs["reference"] = discord.MessageReference(
                message_id=int(dest.thread), channel_id=channel.id, fail_if_not_exists=False
            )
        view = view_for(r.buttons, r.actions, r.offers)
        if view is not None:
            kwargs["view"] = view
        try:
            try:
                if r.files:
                    kwargs["files"] = r.attachments()
                msg = await channel.send(**kwargs)
            except discord.HTTPException as e:
                if not r.files or e.code == 50001:
                    raise
                # the picture refused (too large, no Attach Files): the words without it
                log.warning("discord: picture refused in %s (code %s)", dest.channel, e.code)
                words = r.without_files(f"Discord said {e.status}")
                kwargs["embeds"] = list(words.embeds)
                kwargs["content"] = words.content
                kwargs.pop("files", None)
                msg = await channel.send(**kwargs)
        except discord.HTTPException as e:
            if e.code in NO_PERMISSION_CODES or isinstance(e, discord.Forbidden):
                raise DiscordPermissionError(
                    self._problem(e, "post messages", dest.channel)
                ) from None
            raise
        return message_ref(dest.channel, msg.id)

    async def find_sent(self, dest: Destination, key: str) -> MessageRef | None:
        """The bot's own message sent earlier to ``dest.channel`` with ``key`` (its footer
        marker), among the latest ``FIND_LIMIT`` messages; None if not there or if the channel's
        history cannot be read (then Discord's nonce is all that guards the re-send)."""
        if not dest.channel.isdigit():
            return None
        marker = ref_marker(key)
        me = self.client.user.id if self.client.user is not None else None
        channel = self._channel(dest.channel, dest.team)
        try:
            async for msg in channel.history(limit=FIND_LIMIT):
                if me is not None and msg.author.id != me:
                    continue
                if any(marker in (e.footer.text or "") for e in msg.embeds):
                    return message_ref(dest.channel, msg.id)
        except discord.HTTPException as e:
            log.warning(
                "discord: cannot read the history of %s to look for %s (HTTP %s, code %s)",
                dest.channel,
                marker,
                e.status,
                e.code,
            )
        return None

    async def send_brief(
        self, dest: Destination, user_id: str, reply: Reply, *, delete_after: float
    ) -> None:
        """A one-line note to ``user_id`` under a message, deleted after ``delete_after``
        seconds: how a reaction (which has no interaction to answer privately) is answered."""
        title = getattr(reply, "title", "")
        problems = getattr(reply, "problems", ())
        text = f"<@{user_id}> {title}" + (f" — {problems[0]}" if problems else "")
        channel = self._channel(dest.channel, dest.team)
        kwargs: dict[str, Any] = {
            "content": text[:MAX_BRIEF],
            "delete_after": delete_after,
            "allowed_mentions": discord.AllowedMentions(
                everyone=False,
                roles=False,
                users=[discord.Object(int(user_id))] if user_id.isdigit() else False,
                replied_user=False,
            ),
        }
        if dest.thread and dest.thread.isdigit():
            kwargs["reference"] = discord.MessageReference(
                message_id=int(dest.thread), channel_id=channel.id, fail_if_not_exists=False
            )
        await channel.send(**kwargs)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        r = render(opened(reply, self.key))
        message = self._channel(ref.channel).get_partial_message(int(ref.message_id))
        kwargs: dict[str, Any] = {
            "embeds": list(r.embeds),
            "view": ApprovalView() if r.buttons else None,
        }
        if r.content is not None:
            kwargs["content"] = r.content
        try:
            await message.edit(**kwargs)
        except discord.NotFound:
            log.warning(
                "discord: message %s in %s is gone; not updated", ref.message_id, ref.channel
            )
        except discord.Forbidden as e:
            self._problem(e, "update the card", ref.channel)

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        message = self._channel(ref.channel).get_partial_message(int(ref.message_id))
        for name in emojis:
            try:
                await message.add_reaction(emoji_for(name))
            except discord.Forbidden as e:
                self._problem(e, "add reactions", ref.channel)
                return
            except discord.NotFound:
                log.warning("discord: message %s is gone; no reactions added", ref.message_id)
                return

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()  # Discord has roles (User.roles), not user groups

    async def send_direct(self, user_id: str, reply: Reply) -> MessageRef:
        """A direct message (POST /users/@me/channels, then the DM channel). Raises
        ``DiscordPortError`` when the user does not accept DMs from the bot."""
        r = render(reply)
        try:
            dm = await self.client.create_dm(discord.Object(int(user_id)))
            kwargs: dict[str, Any] = {"embeds": list(r.embeds)}
            if r.content:
                kwargs["content"] = r.content
            msg = await dm.send(**kwargs)
        except discord.HTTPException as e:
            raise DiscordPortError(
                f"cannot send a direct message to {user_id} ({e.status})"
            ) from None
        return message_ref(str(dm.id), msg.id)
