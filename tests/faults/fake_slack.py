"""A fake Slack Web API for the fault-injection suite (aiohttp on 127.0.0.1:0).

Unlike ``tests/slack/fake_slack.py`` it keeps messages with their thread and metadata and
answers ``conversations.replies`` / ``conversations.history`` (``include_all_metadata``), so the
bot's ``find_sent`` reconciliation can be exercised. ``ambiguous_rate`` makes a fraction of
``chat.postMessage`` calls that carry a de-duplication key (metadata) post the message and
then answer HTTP 500 (the bot cannot tell
whether it went out). Every message the bot ever posted is kept in ``posted`` (deleted ones are
flagged), in order.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_TOKEN = "xoxb-faults-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T111"


@dataclass
class Message:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: Any
    metadata: dict[str, Any] | None
    deleted: bool = False
    updates: int = 0

    @property
    def key(self) -> str | None:
        m = self.metadata or {}
        payload = m.get("event_payload") if isinstance(m, dict) else None
        return str(payload.get("key")) if isinstance(payload, dict) and "key" in payload else None

    def body(self) -> str:
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)

    def as_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@dataclass
class FakeSlack:
    seed: int = 0
    ambiguous_rate: float = 0.0  # chat.postMessage: post, then answer 500
    posted: list[Message] = field(default_factory=list)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    reactions: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    ambiguous: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._rng = random.Random(self.seed)
        self._by_ts: dict[tuple[str, str], Message] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{tail:.*}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def response_url(self, tag: str) -> str:
        return f"{self.url}/respond/{tag}"

    # ------------------------------------------------------------ queries

    def live(self) -> list[Message]:
        return [m for m in self.posted if not m.deleted]

    def with_key_prefix(self, prefix: str) -> list[Message]:
        return [m for m in self.live() if (m.key or "").startswith(prefix)]

    # ------------------------------------------------------------ handlers

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append({"_tag": request.match_info["tail"], **(await request.json())})
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for k in ("blocks", "metadata"):
            if isinstance(params.get(k), str):
                params[k] = json.loads(params[k])
        self.calls.append(method)
        if request.headers.get("Authorization", "") != f"Bearer {BOT_TOKEN}":
            return web.json_response({"ok": False, "error": "not_authed"})
        answer = self._answer(method, params)
        if (
            method == "chat.postMessage"
            and isinstance(params.get("metadata"), dict)
            and self.ambiguous_rate
            and self._rng.random() < self.ambiguous_rate
        ):
            self.ambiguous += 1
            return web.json_response({"ok": False, "error": "fatal_error"}, status=500)
        return web.json_response(answer)

    def _answer(self, method: str, p: Mapping[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True, "url": "https://fake.slack/", "team": "Fake", "user": "socialbot",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID,
            }  # fmt: skip
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            meta = p.get("metadata")
            m = Message(
                channel=str(p["channel"]),
                ts=ts,
                thread_ts=str(p["thread_ts"]) if p.get("thread_ts") else None,
                text=str(p.get("text") or ""),
                blocks=p.get("blocks"),
                metadata=meta if isinstance(meta, dict) else None,
            )
            self.posted.append(m)
            self._by_ts[(m.channel, ts)] = m
            return {"ok": True, "channel": m.channel, "ts": ts, "message": m.as_api()}
        if method == "chat.update":
            m = self._by_ts.get((str(p["channel"]), str(p["ts"])))
            if m is None or m.deleted:
                return {"ok": False, "error": "message_not_found"}
            m.text = str(p.get("text") or m.text)
            m.blocks = p.get("blocks", m.blocks)
            m.updates += 1
            return {"ok": True, "channel": m.channel, "ts": m.ts}
        if method == "chat.delete":
            m = self._by_ts.get((str(p["channel"]), str(p["ts"])))
            if m is None or m.deleted:
                return {"ok": False, "error": "message_not_found"}
            m.deleted = True
            return {"ok": True, "channel": m.channel, "ts": m.ts}
        if method == "chat.postEphemeral":
            self.ephemeral.append(dict(p))
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "reactions.add":
            self.reactions.append(dict(p))
            return {"ok": True}
        if method == "users.info":
            return {"ok": True, "user": {"id": p.get("user"), "name": "someone", "tz": "UTC"}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": []}
        if method == "conversations.replies":
            root = (str(p["channel"]), str(p["ts"]))
            if root not in self._by_ts:
                return {"ok": False, "error": "thread_not_found"}
            msgs = [self._by_ts[root]] + [
                m
                for m in self.posted
                if m.channel == root[0] and m.thread_ts == root[1] and not m.deleted
            ]
            return {"ok": True, "messages": [m.as_api() for m in msgs], "has_more": False}
        if method == "conversations.history":
            channel = str(p["channel"])
            msgs = [m for m in reversed(self.posted) if m.channel == channel and not m.deleted]
            msgs = [m for m in msgs if m.thread_ts is None]
            limit = int(p.get("limit") or 100)
            return {"ok": True, "messages": [m.as_api() for m in msgs[:limit]], "has_more": False}
        return {"ok": False, "error": "unknown_method"}
