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

Parts: ids, payloads and ``Msg`` in ``fake_data.py``; injected events (slash, press, react…)
in ``fake_events.py``. Gateway (``fake_gateway.py``): sessions that RESUME with missed events replayed,
op 7 Reconnect, op 9 Invalid Session and close codes that force a new IDENTIFY.

Time: nonces de-duplicate only within ``NONCE_WINDOW`` seconds of the fake's clock, as Discord's
do for "a few minutes"; ``advance(seconds)`` moves that clock. GET /channels/{id}/messages
lists a channel's visible messages newest first (``limit``, ``before``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.discord.fake_data import (
    ALICE_ID,
    ALL_PERMISSIONS,
    APP_ID,
    APPROVAL_CHANNEL_ID,
    APPROVER_ROLE_ID,
    BOB_ID,
    BOT_ID,
    BOT_USER,
    CAROL_ID,
    CHANNEL2_ID,
    CHANNEL_ID,
    GUILD2_ID,
    GUILD_ID,
    NONCE_WINDOW,
    REVIEW_CHANNEL_ID,
    USERS,
    Msg,
    attachment,
    error,
    guild2_payload,
    guild_payload,
    human,
    jresp,
    snowflake,
)
from tests.discord.fake_events import EventsMixin
from tests.discord.fake_gateway import GatewayMixin

__all__ = [
    "ALICE_ID",
    "ALL_PERMISSIONS",
    "APPROVAL_CHANNEL_ID",
    "APPROVER_ROLE_ID",
    "APP_ID",
    "BOB_ID",
    "BOT_ID",
    "CAROL_ID",
    "CHANNEL2_ID",
    "CHANNEL_ID",
    "GUILD2_ID",
    "GUILD_ID",
    "NONCE_WINDOW",
    "REVIEW_CHANNEL_ID",
    "FakeDiscord",
    "Msg",
    "attachment",
    "wait_until",
]


class FakeDiscord(GatewayMixin, EventsMixin):
    def __init__(self) -> None:
        self.rest_calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.messages: dict[str, Msg] = {}
        self.reactions: list[tuple[str, str, str]] = []
        self.callbacks: dict[str, list[dict[str, Any]]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.cdn: dict[str, bytes] = {}
        self.cdn_bytes_served = 0
        self.refuse_files = 0  # this many messages with attachments are refused (413)
        self.dm_channels: dict[str, str] = {}  # user id → DM channel id
        self.no_dms: set[str] = set()  # users who do not accept DMs from the bot
        # What IDENTIFY is answered with (default: READY for BOT_USER, then guild_payload())
        self.ready_payload: dict[str, Any] | None = None
        self.guild_create_payload: dict[str, Any] | None = None
        self.second_guild = False
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

    @staticmethod
    def signature(url: str) -> str:
        """The ``hm`` part of a signed CDN URL (what must never be stored or shown)."""
        return url.split("hm=", 1)[1].split("&", 1)[0]

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

    def add_cdn_file(self, name: str, data: bytes, *, expires: float | None = None) -> str:
        """A signed attachment URL as Discord gives them: ``?ex=<hex unix time>&is=<hex>&hm=
        <signature>&``; ``expires`` (unix time) defaults to a day from now (real time)."""
        key = snowflake()
        self.cdn[f"{key}/{name}"] = data
        ex = int(expires if expires is not None else time.time() + 86400)
        hm = hashlib.sha256(f"{key}/{name}/{ex}".encode()).hexdigest()
        return f"{self.api_url}/cdn/{key}/{name}?ex={ex:x}&is={ex - 86400:x}&hm={hm}&"

    # ------------------------------------------------------------------ REST

    async def rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.content_type.startswith("multipart/") and self.refuse_files > 0:
            self.refuse_files -= 1
            await request.read()
            self.rest_calls.append((request.method, "/" + request.match_info["path"], {}, None))
            return error(413, 40005, "Request entity too large")
        if request.content_type.startswith("multipart/"):
            # a message with attachments: payload_json + files[n] parts (bytes recorded)
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            meta = {str(a.get("id")): a for a in body.get("attachments") or []}
            files = []
            for name, part in form.items():
                if name.startswith("files[") and isinstance(part, web.FileField):
                    index = name[len("files[") : -1]
                    files.append(
                        {
                            "filename": part.filename,
                            "bytes": part.file.read(),
                            "content_type": part.content_type,
                            "description": meta.get(index, {}).get("description"),
                        }
                    )
            body["__files__"] = files
        elif request.can_read_body:
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
        if m == "POST" and path == "/users/@me/channels":  # open a DM channel
            user = str(body.get("recipient_id"))
            if user in self.no_dms:
                return error(403, 50007, "Cannot send messages to this user")
            dm = self.dm_channels.setdefault(user, snowflake())
            return jresp({"id": dm, "type": 1, "recipients": [USERS.get(user, human(user, "x"))]})
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
            files=list(body.get("__files__") or []),
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
        if "__files__" in body:
            msg.files = list(body["__files__"])
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
            found = self.messages.get(mid or "")
            if found is None or found.deleted:
                return error(404, 10008, "Unknown Message")
            msg = found
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
            found = self.messages.get(parts[3])
            if found is None or found.deleted or found.channel_id != cid:
                return error(404, 10008, "Unknown Message")
            msg = found
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
            if m == "DELETE" and len(parts) == 4:
                msg.deleted = True
                return web.Response(status=204)
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
            "guilds": [{"id": GUILD_ID, "unavailable": True}]
            + ([{"id": GUILD2_ID, "unavailable": True}] if self.second_guild else []),
            "application": {"id": APP_ID, "flags": 0},
            "shard": [0, 1],
        }
        events = [
            ("READY", self.ready_payload or ready),
            ("GUILD_CREATE", self.guild_create_payload or guild_payload()),
        ]
        if self.second_guild:
            events.append(("GUILD_CREATE", guild2_payload()))
        return events

    def iter_messages(self) -> Iterator[Msg]:
        return iter(self.messages.values())


async def wait_until(pred: Any, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not pred():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
