"""A fake Discord (REST v10 + gateway + CDN) on 127.0.0.1:0, driving the real discord.py.

Point discord.py at it through the adapter's own settings (DISCORD_API_URL / _GATEWAY_URL):
``fake.api_url`` and ``fake.gateway_url``.

What it keeps:
    messages            every message by id (channel posts, interaction responses, follow-ups),
                        with edits applied (PATCH) and ``deleted`` marks
    reactions           (message_id, emoji, user_id) added with PUT …/reactions/{emoji}/@me
    callbacks           interaction callbacks by interaction id (types 4, 5, 6, 7, 8)
    rest_calls          (method, path, query, json body) of every REST call
    commands            the last bulk-overwritten command list per scope ("global" / guild id)

Failures on demand:
    expire(interaction_id)   callbacks/follow-ups of that interaction → 404 code 10062/10015
    forbid(channel_id, what) "send" / "react" / "edit" in that channel → 403 code 50013
    hold_keyed_sends()       a channel message sent with a nonce is created, then its answer is
                             held until ``release()`` (the sender may die meanwhile)
    ambiguous_rate           that share of channel messages sent with a nonce are created, then
                             answered 500 (discord.py retries with the same nonce)
    ack_window               seconds within which an interaction must be answered (Discord: 3);
                             a later callback gets 404 code 10062, as do its follow-ups

Gateway (``tests/discord/fake_gateway.py``): sessions that RESUME with missed events replayed,
op 7 Reconnect, op 9 Invalid Session and close codes that force a new IDENTIFY.

Time: nonces de-duplicate only within ``NONCE_WINDOW`` seconds of the fake's clock, as Discord's
do for "a few minutes"; ``advance(seconds)`` moves that clock. GET /channels/{id}/messages
lists a channel's visible messages newest first (``limit``, ``before``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.discord.fake_gateway import GatewayMixin

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


def _channel(cid: str, name: str) -> dict[str, Any]:
    return {
        "id": cid,
        "type": 0,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "guild_id": GUILD_ID,
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
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
            "guild_id": GUILD_ID,
            "author": BOT_USER,
            "content": self.content,
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
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


class FakeDiscord(GatewayMixin):
    def __init__(self) -> None:
        self.rest_calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.messages: dict[str, Msg] = {}
        self.reactions: list[tuple[str, str, str]] = []
        self.callbacks: dict[str, list[dict[str, Any]]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.cdn: dict[str, bytes] = {}
        self.cdn_bytes_served = 0
        self._expired: set[str] = set()
        self._forbidden: set[tuple[str, str]] = set()
        self._originals: dict[str, str] = {}  # interaction token → message id
        self._token_iid: dict[str, str] = {}
        self._token_channel: dict[str, str] = {}
        self._init_gateway()
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.offset = 0.0  # added to the real monotonic clock (``advance``)
        self._hold: asyncio.Event | None = None
        self.held: list[Msg] = []  # keyed sends created and held unanswered
        self.ack_window: float | None = None  # seconds to answer an interaction (Discord: 3)
        self._born: dict[str, float] = {}  # interaction id → when dispatched (monotonic)
        self.late_acks = 0
        self.ambiguous_rate = 0.0  # keyed channel sends: created, then answered 500
        self.ambiguous = 0
        self._rng = random.Random(0)

    # ------------------------------------------------------------------ set-up

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway)
        app.router.add_get("/cdn/{key}/{name}", self.serve_cdn)
        app.router.add_route("*", "/api/v10/{path:.*}", self.rest)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    # ------------------------------------------------------------------ on demand

    def expire(self, interaction_id: str) -> None:
        self._expired.add(interaction_id)

    def forbid(self, channel_id: str, what: str) -> None:
        self._forbidden.add((channel_id, what))

    def now(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def hold_keyed_sends(self) -> None:
        self._hold = asyncio.Event()

    def release(self) -> None:
        if self._hold is not None:
            self._hold.set()
        self._hold = None

    def keyed(self, nonce: str, channel_id: str | None = None) -> list[Msg]:
        """Visible channel messages whose footer carries the marker of ``nonce``."""
        return [
            m
            for m in self.messages.values()
            if not m.deleted
            and (channel_id is None or m.channel_id == channel_id)
            and any(nonce in str((e.get("footer") or {}).get("text", "")) for e in m.embeds)
        ]

    def calls(self, method: str, prefix: str) -> list[tuple[str, str, dict[str, str], Any]]:
        return [c for c in self.rest_calls if c[0] == method and c[1].startswith(prefix)]

    def channel_messages(self, channel_id: str = CHANNEL_ID) -> list[Msg]:
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and m.interaction_id is None and not m.deleted
        ]

    def interaction_messages(self, interaction_id: str) -> list[Msg]:
        return [m for m in self.messages.values() if m.interaction_id == interaction_id]

    def add_cdn_file(self, name: str, data: bytes) -> str:
        key = snowflake()
        self.cdn[f"{key}/{name}"] = data
        return f"{self.api_url}/cdn/{key}/{name}?ex=signed&hm=secret"

    # ------------------------------------------------------------------ REST

    async def rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        self.rest_calls.append((request.method, path, dict(request.query), body))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        m = request.method
        if parts[0] not in ("interactions", "webhooks") and not request.headers.get(
            "Authorization", ""
        ).startswith("Bot "):
            return error(401, 0, "401: Unauthorized")

        if m == "GET" and path == "/users/@me":
            return jresp(BOT_USER)
        if m == "GET" and path == "/oauth2/applications/@me":
            return jresp(
                {
                    "id": APP_ID,
                    "name": "socialbot",
                    "icon": None,
                    "description": "",
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": USERS[ALICE_ID],
                    "verify_key": "00",
                    "flags": 0,
                    "team": None,
                    "summary": "",
                    "bot": BOT_USER,
                }
            )
        if parts[0] == "applications" and parts[-1] == "commands" and m == "PUT":
            scope = parts[3] if len(parts) == 5 and parts[2] == "guilds" else "global"
            self.commands[scope] = body
            return jresp(
                [{**c, "id": snowflake(), "application_id": APP_ID, "version": "1"} for c in body]
            )
        if parts[0] == "interactions" and parts[-1] == "callback" and m == "POST":
            return self._callback(parts[1], parts[2], body)
        if parts[0] == "webhooks":
            return self._webhook(m, parts, body)
        if parts[0] == "channels":
            if m == "GET" and len(parts) == 3 and parts[2] == "messages":
                return self._history(parts[1], request.query)
            if m == "POST" and len(parts) == 3 and parts[2] == "messages":
                resp = self._channel_call(m, parts, body)
                keyed = isinstance(body, dict) and bool(body.get("nonce"))
                if self._hold is not None and keyed:
                    self.held.append(self.messages[json.loads(resp.body)["id"]])  # type: ignore[arg-type]
                    await self._hold.wait()
                if keyed and resp.status == 200 and self._rng.random() < self.ambiguous_rate:
                    self.ambiguous += 1  # created; the sender cannot tell
                    return error(500, 0, "500: Internal Server Error")
                return resp
            return self._channel_call(m, parts, body)
        return error(404, 0, f"fake: unhandled {m} {path}")

    def _history(self, cid: str, query: Any) -> web.Response:
        limit = min(int(query.get("limit", 50)), 100)
        before = int(query["before"]) if query.get("before") else None
        msgs = sorted(
            (
                m
                for m in self.messages.values()
                if m.channel_id == cid
                and not m.deleted
                and not m.ephemeral
                and (before is None or int(m.id) < before)
            ),
            key=lambda m: int(m.id),
            reverse=True,
        )
        return jresp([m.payload() for m in msgs[:limit]])

    def _new(self, channel_id: str, body: dict[str, Any] | None, **kw: Any) -> Msg:
        body = body or {}
        msg = Msg(
            id=snowflake(),
            channel_id=channel_id,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            flags=int(body.get("flags") or 0),
            created=self.now(),
            **kw,
        )
        self.messages[msg.id] = msg
        return msg

    def _edit(self, msg: Msg, body: dict[str, Any]) -> None:
        if "content" in body:
            msg.content = body["content"] or ""
        if "embeds" in body:
            msg.embeds = body["embeds"] or []
        if "components" in body:
            msg.components = body["components"] or []
        msg.loading = False
        msg.edits += 1

    def _callback(self, iid: str, token: str, body: dict[str, Any]) -> web.Response:
        born = self._born.get(iid)
        if (
            self.ack_window is not None
            and born is not None
            and iid not in self.callbacks
            and time.monotonic() - born > self.ack_window
        ):
            self.late_acks += 1
            self._expired.add(iid)
        if iid in self._expired:
            return error(404, 10062, "Unknown interaction")
        if iid in self.callbacks and body.get("type") != 8:
            return error(400, 40060, "Interaction has already been acknowledged.")
        self.callbacks.setdefault(iid, []).append(body)
        self._token_iid[token] = iid
        rtype = body["type"]
        data = body.get("data") or {}
        msg: Msg | None = None
        if rtype in (4, 5):
            cid = self._token_channel.get(token, CHANNEL_ID)
            msg = self._new(cid, data, interaction_id=iid, loading=rtype == 5)
            self._originals[token] = msg.id
        out: dict[str, Any] = {
            "interaction": {
                "id": iid,
                "type": 2,
                "response_message_id": msg.id if msg else None,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
            }
        }
        if msg is not None:
            out["resource"] = {"type": rtype, "message": msg.payload()}
        return jresp(out)

    def _webhook(self, m: str, parts: list[str], body: Any) -> web.Response:
        token = parts[2]
        iid = self._token_iid.get(token, "")
        if iid in self._expired:
            return error(404, 10015, "Unknown Webhook")
        if m == "POST" and len(parts) == 3:
            cid = self._token_channel.get(token, CHANNEL_ID)
            msg = self._new(cid, body, interaction_id=iid, followup=True)
            return jresp(msg.payload())
        if len(parts) == 5 and parts[3] == "messages":
            mid = self._originals.get(token) if parts[4] == "@original" else parts[4]
            msg = self.messages.get(mid or "")
            if msg is None or msg.deleted:
                return error(404, 10008, "Unknown Message")
            if m == "PATCH":
                self._edit(msg, body)
                return jresp(msg.payload())
            if m == "DELETE":
                msg.deleted = True
                return web.Response(status=204)
            if m == "GET":
                return jresp(msg.payload())
        return error(404, 0, "fake: unhandled webhook call")

    def _channel_call(self, m: str, parts: list[str], body: Any) -> web.Response:
        cid = parts[1]
        # POST /channels/{cid}/messages
        if m == "POST" and len(parts) == 3 and parts[2] == "messages":
            if (cid, "send") in self._forbidden:
                return error(403, 50013, "Missing Permissions")
            nonce = body.get("nonce")
            if nonce and body.get("enforce_nonce"):
                for old in self.messages.values():
                    recent = self.now() - old.created < NONCE_WINDOW
                    if old.nonce == nonce and old.channel_id == cid and recent:
                        return jresp(old.payload())  # Discord: same nonce → the same message
            ref = body.get("message_reference")
            if ref:
                ref = {k: str(v) if k.endswith("_id") else v for k, v in ref.items()}
            msg = self._new(cid, body, nonce=nonce, reference=ref)
            return jresp(msg.payload())
        if len(parts) >= 4 and parts[2] == "messages":
            msg = self.messages.get(parts[3])
            if msg is None or msg.deleted or msg.channel_id != cid:
                return error(404, 10008, "Unknown Message")
            # PUT /channels/{cid}/messages/{mid}/reactions/{emoji}/@me
            if m == "PUT" and len(parts) == 7 and parts[4] == "reactions":
                if (cid, "react") in self._forbidden:
                    return error(403, 50013, "Missing Permissions")
                self.reactions.append((msg.id, parts[5], BOT_ID))
                return web.Response(status=204)
            if m == "PATCH" and len(parts) == 4:
                if (cid, "edit") in self._forbidden:
                    return error(403, 50013, "Missing Permissions")
                self._edit(msg, body)
                return jresp(msg.payload())
            if m == "GET" and len(parts) == 4:
                return jresp(msg.payload())
        return error(404, 0, "fake: unhandled channel call")

    # ------------------------------------------------------------------ CDN

    async def serve_cdn(self, request: web.Request) -> web.StreamResponse:
        data = self.cdn.get(f"{request.match_info['key']}/{request.match_info['name']}")
        if data is None:
            return web.Response(status=404)
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.content_length = len(data)
        await resp.prepare(request)
        for i in range(0, len(data), 16384):
            await resp.write(data[i : i + 16384])
            self.cdn_bytes_served += len(data[i : i + 16384])
        await resp.write_eof()
        return resp

    # ------------------------------------------------------------------ gateway

    def ready_events(self, session_id: str) -> list[tuple[str, dict[str, Any]]]:
        ready = {
            "v": 10,
            "user": BOT_USER,
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "application": {"id": APP_ID, "flags": 0},
            "shard": [0, 1],
        }
        return [("READY", ready), ("GUILD_CREATE", guild_payload())]

    # ------------------------------------------------------------------ events to inject

    def _interaction_base(self, itype: int, user_id: str, channel_id: str) -> dict[str, Any]:
        iid = snowflake()
        self._born[iid] = time.monotonic()
        self._token_channel[f"itoken-{iid}"] = channel_id
        self._token_iid[f"itoken-{iid}"] = iid
        return {
            "id": iid,
            "application_id": APP_ID,
            "type": itype,
            "token": f"itoken-{iid}",
            "version": 1,
            "guild_id": GUILD_ID,
            "channel_id": channel_id,
            "channel": {
                "id": channel_id,
                "type": 0,
                "name": "general",
                "guild_id": GUILD_ID,
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            "member": {**member(user_id), "permissions": ALL_PERMISSIONS},
            "app_permissions": ALL_PERMISSIONS,
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10485760,
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0,
        }

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        sub: str | None = None,
        user_id: str = ALICE_ID,
        channel_id: str = CHANNEL_ID,
        attachments: dict[str, dict[str, Any]] | None = None,
    ) -> str:
        """A slash command; ``attachments`` maps option name → attachment payload."""
        spec = self._spec(name, sub)
        opts: list[dict[str, Any]] = []
        for oname, value in (options or {}).items():
            otype = spec.get(oname, 3)
            opts.append({"name": oname, "type": otype, "value": value})
        resolved: dict[str, Any] = {}
        for oname, a in (attachments or {}).items():
            opts.append({"name": oname, "type": 11, "value": a["id"]})
            resolved.setdefault("attachments", {})[a["id"]] = a
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = self._interaction_base(2, user_id, channel_id)
        data["data"] = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        if resolved:
            data["data"]["resolved"] = resolved
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def autocomplete(
        self,
        name: str,
        focused: str,
        typed: str,
        others: dict[str, Any] | None = None,
        *,
        sub: str | None = None,
    ) -> str:
        opts: list[dict[str, Any]] = [
            {"name": k, "type": 3, "value": v} for k, v in (others or {}).items()
        ]
        opts.append({"name": focused, "type": 3, "value": typed, "focused": True})
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = self._interaction_base(4, ALICE_ID, CHANNEL_ID)
        data["data"] = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def press(self, message_id: str, custom_id: str, *, user_id: str = BOB_ID) -> str:
        msg = self.messages[message_id]
        data = self._interaction_base(3, user_id, msg.channel_id)
        data["message"] = msg.payload()
        data["data"] = {"custom_id": custom_id, "component_type": 2}
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def react(
        self,
        message_id: str,
        emoji: str = "✅",
        *,
        user_id: str = BOB_ID,
        channel_id: str | None = None,
        remove: bool = False,
        roles: list[str] | None = None,
    ) -> None:
        msg = self.messages.get(message_id)
        cid = channel_id or (msg.channel_id if msg else CHANNEL_ID)
        data: dict[str, Any] = {
            "user_id": user_id,
            "channel_id": cid,
            "message_id": message_id,
            "guild_id": GUILD_ID,
            "emoji": {"id": None, "name": emoji},
            "type": 0,
            "burst": False,
            "burst_colors": [],
        }
        if not remove:
            data["member"] = (
                member(user_id, roles)
                if user_id != BOT_ID
                else {**member(BOT_ID, []), "user": BOT_USER}
            )
            data["message_author_id"] = BOT_ID
        await self.dispatch("MESSAGE_REACTION_REMOVE" if remove else "MESSAGE_REACTION_ADD", data)

    async def raw(self, event: str, data: dict[str, Any]) -> None:
        await self.dispatch(event, data)

    def _spec(self, name: str, sub: str | None) -> dict[str, int]:
        """Option types from the last synced commands (so booleans go as booleans)."""
        for cmds in self.commands.values():
            for c in cmds:
                if c["name"] != name:
                    continue
                opts = c.get("options", [])
                if sub is not None:
                    opts = next((o.get("options", []) for o in opts if o["name"] == sub), [])
                return {o["name"]: o["type"] for o in opts}
        return {}

    def iter_messages(self) -> Iterator[Msg]:
        return iter(self.messages.values())


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


async def wait_until(pred: Any, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not pred():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
