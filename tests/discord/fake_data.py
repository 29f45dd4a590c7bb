"""The fake Discord's world: ids of the guild, channels and people, their payloads, and the
messages it keeps (``Msg``). ``tests.discord.fake_discord`` re-exports what tests use."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = "1000000000000000001"
BOT_ID = "1000000000000000002"
GUILD_ID = "1000000000000000003"
CHANNEL_ID = "1000000000000000004"
APPROVAL_CHANNEL_ID = "1000000000000000006"
ALICE_ID = "1000000000000000005"
BOB_ID = "1000000000000000007"
CAROL_ID = "1000000000000000008"
APPROVER_ROLE_ID = "1000000000000000009"
REVIEW_CHANNEL_ID = "1000000000000000010"
# A second guild (many guilds, one bot): its own #general. ``FakeDiscord.second_guild = True``.
GUILD2_ID = "2000000000000000003"
CHANNEL2_ID = "2000000000000000004"

ALL_PERMISSIONS = "2248473465835073"
JSON_HEADERS = {"Content-Type": "application/json"}  # discord.py wants it exactly so
NONCE_WINDOW = 300.0  # seconds a nonce de-duplicates sends (Discord: "the past few minutes")


def jresp(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, headers=JSON_HEADERS)


def error(status: int, code: int, message: str) -> web.Response:
    return jresp({"message": message, "code": code}, status=status)


_snow = itertools.count(1_200_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_snow))


BOT_USER = {
    "id": BOT_ID,
    "username": "socialbot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
    "flags": 0,
    "verified": True,
    "mfa_enabled": False,
}


def human(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
    }


USERS = {
    ALICE_ID: human(ALICE_ID, "alice"),
    BOB_ID: human(BOB_ID, "bob"),
    CAROL_ID: human(CAROL_ID, "carol"),
}
ROLES: dict[str, list[str]] = {ALICE_ID: [], BOB_ID: [APPROVER_ROLE_ID], CAROL_ID: []}


def member(user_id: str, roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "user": USERS.get(user_id, human(user_id, f"user{user_id[-3:]}")),
        "roles": ROLES.get(user_id, []) if roles is None else roles,
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "pending": False,
    }


def guild_of(channel_id: str) -> str:
    return GUILD2_ID if channel_id == CHANNEL2_ID else GUILD_ID


def _channel(cid: str, name: str) -> dict[str, Any]:
    return {
        "id": cid,
        "type": 0,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "guild_id": guild_of(cid),
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def guild2_payload() -> dict[str, Any]:
    """The second guild: same members and roles, one channel (#general)."""
    g = guild_payload()
    g["roles"] = [{**r, "id": GUILD2_ID if r["id"] == GUILD_ID else r["id"]} for r in g["roles"]]
    return {
        **g,
        "id": GUILD2_ID,
        "name": "Second Guild",
        "channels": [_channel(CHANNEL2_ID, "general")],
    }


def guild_payload() -> dict[str, Any]:
    role = {
        "permissions": ALL_PERMISSIONS,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": GUILD_ID,
        "name": "Test Guild",
        "icon": None,
        "owner_id": ALICE_ID,
        "unavailable": False,
        "member_count": 4,
        "large": False,
        "features": [],
        "roles": [
            {**role, "id": GUILD_ID, "name": "@everyone", "position": 0},
            {**role, "id": APPROVER_ROLE_ID, "name": "approvers", "position": 1},
        ],
        "channels": [
            _channel(CHANNEL_ID, "general"),
            _channel(APPROVAL_CHANNEL_ID, "approvals"),
            _channel(REVIEW_CHANNEL_ID, "review"),
        ],
        "members": [member(ALICE_ID), member(BOB_ID), {**member(BOT_ID, []), "user": BOT_USER}],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
        "afk_timeout": 300,
        "joined_at": "2024-01-01T00:00:00+00:00",
    }


@dataclass
class Msg:
    id: str
    channel_id: str
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    nonce: str | None = None
    reference: dict[str, Any] | None = None
    interaction_id: str | None = None  # an interaction's response or follow-up
    followup: bool = False
    loading: bool = False
    deleted: bool = False
    edits: int = 0
    created: float = 0.0  # the fake's clock
    files: list[dict[str, Any]] = field(default_factory=list)  # multipart attachments

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def title(self) -> str | None:
        return self.embeds[0].get("title") if self.embeds else None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "channel_id": self.channel_id,
            "guild_id": guild_of(self.channel_id),
            "author": BOT_USER,
            "content": self.content,
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": f"{self.id}{i}",
                    "filename": f["filename"],
                    "size": len(f["bytes"]),
                    "url": f"https://cdn.fake/{self.id}/{f['filename']}",
                    "proxy_url": f"https://cdn.fake/{self.id}/{f['filename']}",
                    "description": f.get("description"),
                }
                for i, f in enumerate(self.files)
            ],
            "embeds": self.embeds,
            "pinned": False,
            "type": 19 if self.reference else 0,
            "flags": self.flags | (128 if self.loading else 0),
            "components": self.components,
        }
        if self.nonce is not None:
            out["nonce"] = self.nonce
        if self.reference:
            out["message_reference"] = {"channel_id": self.channel_id, **self.reference}
        if self.followup or self.interaction_id:
            out["webhook_id"] = APP_ID
            out["application_id"] = APP_ID
        return out


def attachment(url: str, filename: str, size: int, content_type: str | None) -> dict[str, Any]:
    aid = snowflake()
    out: dict[str, Any] = {
        "id": aid,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type is not None:
        out["content_type"] = content_type
    return out
