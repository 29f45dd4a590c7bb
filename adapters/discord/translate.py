"""Discord payloads → neutral events, in one place. No I/O; never raises on odd payloads.

emoji_name(emoji)                 "✅" / "☑️" / "✔️" → APPROVE, "❌" / "✖️" → REJECT
user_of(member_or_user)           → bot.chat.User (role ids from the member)
reaction_event(payload, action)   RawReactionActionEvent → ReactionEvent | None
message_ref(channel_id, msg_id)   → MessageRef("discord", …)
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

import discord

from bot.chat import MessageRef, ReactionAction, ReactionEvent, User
from commands.emoji import CHARACTER, normalise_emoji

PLATFORM = "discord"

# What the bot seeds on cards, and what normalises to the two decisions.
EMOJI_FOR: dict[str, str] = CHARACTER


def emoji_name(emoji: discord.PartialEmoji | discord.Emoji | str | None) -> str:
    """The normalised short name of a reaction emoji (``APPROVE``, ``REJECT`` or other)."""
    if emoji is None:
        return ""
    # A custom emoji (it has an id) normalises by its name, e.g. "white_check_mark".
    return normalise_emoji(emoji if isinstance(emoji, str) else emoji.name or "")


def emoji_for(name: str) -> str:
    """What to put on the wire for a neutral emoji name (APPROVE → "✅")."""
    return EMOJI_FOR.get(name, name)


def role_ids(member: object) -> frozenset[str]:
    """Role ids of a guild member, including roles not (yet) in the guild cache."""
    ids: set[str] = set()
    roles = getattr(member, "roles", None)
    if isinstance(roles, Iterable):
        for r in roles:
            rid = getattr(r, "id", None)
            if rid is not None:
                ids.add(str(rid))
    raw = getattr(member, "_roles", None)  # discord.Member keeps the payload's ids here
    if isinstance(raw, Iterable):
        ids.update(str(r) for r in raw)
    guild = getattr(member, "guild", None)
    gid = getattr(guild, "id", None)
    if gid is not None:
        ids.discard(str(gid))  # @everyone says nothing about the person
    return frozenset(ids)


def user_of(who: discord.abc.User | Any, fallback_id: int | str | None = None) -> User:
    if who is None:
        return User(id=str(fallback_id or ""), roles=frozenset())
    name = getattr(who, "display_name", None) or getattr(who, "name", None)
    return User(
        id=str(getattr(who, "id", fallback_id)),
        name=str(name) if name else None,
        roles=role_ids(who),
        is_bot=bool(getattr(who, "bot", False)),
    )


def message_ref(channel_id: int | str, message_id: int | str) -> MessageRef:
    return MessageRef(platform=PLATFORM, channel=str(channel_id), message_id=str(message_id))


def reaction_event(
    payload: discord.RawReactionActionEvent,
    action: ReactionAction,
    bot_user_id: int | None,
) -> ReactionEvent | None:
    """A raw reaction (cached message or not) as a neutral event; None for the bot's own."""
    if bot_user_id is not None and payload.user_id == bot_user_id:
        return None
    member = payload.member
    user = user_of(member, payload.user_id) if member is not None else User(id=str(payload.user_id))
    if user.is_bot and bot_user_id is not None and user.id == str(bot_user_id):
        return None
    return ReactionEvent(
        action=action,
        emoji=emoji_name(payload.emoji),
        user=user,
        message=message_ref(payload.channel_id, payload.message_id),
        # Discord has no delivery id for gateway events and never redelivers them once
        # acknowledged by sequence; every event is its own delivery.
        delivery_id=f"discord:reaction:{uuid.uuid4().hex}",
        team=str(payload.guild_id) if payload.guild_id else None,
    )


def nonce_for(key: str) -> str:
    """A Discord message nonce (≤ 25 chars) derived from an announcement key."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]
