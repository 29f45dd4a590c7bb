"""The fake Slack of every test, bench and the fault suite: 127.0.0.1:0 (aiohttp), the Web
API under /api/{method}, files under /files/…, response_url sinks under /respond/…, and a
Socket Mode websocket at /link.

It records every call (``calls``), keeps every message the bot posted in order (``posted``,
with thread, metadata, edits and deletions; ``messages`` is the live ones by (channel, ts))
so ``chat.update`` / ``chat.delete`` act on them and ``conversations.replies`` /
``conversations.history`` (with metadata) let the bot's ``find_sent`` reconcile, and fails on
demand: ``fail(method, error)`` for the next calls, ``gates`` to hold a method's calls, and
``ambiguous_rate`` — that share of ``chat.postMessage`` calls carrying a de-duplication key
(metadata) post the message and then answer HTTP 500 (the bot cannot tell it went out).

File uploads follow Slack's current flow (``files_upload_v2``): files.getUploadURLExternal
hands out an upload URL under /upload/{file_id}, the bytes are POSTed there (recorded in
``uploads``; ``refuse_uploads`` answers 500 instead), and files.completeUploadExternal shares
them into a channel/thread (``shared``). Only completed uploads count as shared. Blocks are
checked as Slack would (``block_problems``): refused ones answer ``invalid_blocks``.

Many teams: ``BOT_TOKEN`` is team ``TEAM``'s token (single-team mode). ``install_code(team)``
hands out an OAuth code; ``oauth.v2.access`` (client ``CLIENT_ID``/``CLIENT_SECRET``) trades it
for a token of that team (with a refresh token when ``rotation`` is on; ``grant_type=
refresh_token`` trades that for a new pair). Every call is made as the team its token belongs
to (``Call.team``); a call naming a channel of another team (``channel_teams``) is refused
(``channel_not_found``, as Slack does) and noted in ``cross_team``. ``revoke(team)`` makes the
team's tokens ``invalid_auth``.

Enterprise Grid: ``org_install_code(enterprise, teams)`` hands out a code for an org-wide
install; ``oauth.v2.access`` answers it as Slack documents (``is_enterprise_install: true``,
``enterprise: {id, name}``, ``team: null``) with one token for the whole enterprise. Calls with it
are made as the enterprise (``Call.team`` is its id) and may name a channel of any of its
workspaces, never of a team outside it; the methods Slack documents as needing ``team_id`` with
an org token (``ORG_TEAM_ID_METHODS``) answer ``missing_argument`` without one, and
``team_access_not_granted`` for a team outside the enterprise.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import WSMsgType, web

from tests.slack.fake_slack_data import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    TEAM,
    Call,
    Failure,
    FakeTeam,
    Message,
    block_problems,
)
from tests.slack.fake_slack_teams import CLIENT_ID, CLIENT_SECRET, FakeTeams

__all__ = [
    "APP_TOKEN", "BOT_ID", "BOT_TOKEN", "BOT_USER", "CLIENT_ID", "CLIENT_SECRET", "TEAM",
    "Call", "FakeSlack", "FakeTeam", "Message", "block_problems", "wait_for",
]  # fmt: skip


class FakeSlack(FakeTeams):
    def __init__(self, *, seed: int = 0, ambiguous_rate: float = 0.0) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # response_url posts (tag, body)
        self.posted: list[Message] = []  # every message, in order (deleted ones flagged)
        self._by_ts: dict[tuple[str, str], Message] = {}
        self.ambiguous_rate = ambiguous_rate  # keyed chat.postMessage: post, then answer 500
        self.ambiguous = 0
        self._rng = random.Random(seed)
        self.reactions: list[dict[str, Any]] = []  # reactions.add calls
        self.ephemeral: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.tz: dict[str, str] = {}
        self.admins: set[str] = set()  # users.info says is_admin
        self.groups: dict[str, list[str]] = {}
        self.files: dict[str, bytes] = {}
        self.file_requests: list[Mapping[str, str]] = []
        self.upload_tickets: dict[str, dict[str, Any]] = {}  # file id → getUploadURLExternal
        self.uploads: dict[str, bytes] = {}  # file id → the bytes POSTed to its upload URL
        self.shared: list[dict[str, Any]] = []  # completed: id, filename, alt_txt, bytes, …
        self.refuse_uploads = 0  # this many upload POSTs are answered 500
        self._fids = itertools.count(1)
        self.acks: list[dict[str, Any]] = []  # Socket Mode acks
        self.on_ack: Callable[[dict[str, Any]], None] | None = None  # called as each arrives
        self.outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.failures: dict[str, list[Failure]] = {}
        self.gates: dict[str, asyncio.Event] = {}  # method → hold calls until set
        self.invalid_blocks: list[tuple[str, list[str]]] = []  # (method, problems) refused
        self.unreachable_images: set[str] = set()  # image URLs Slack "cannot download"
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._ws: list[web.WebSocketResponse] = []
        self._init_teams()

    # ------------------------------------------------------------ set-up

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files/{fid}/{name}", self._file)
        app.router.add_post("/upload/{fid}", self._upload)
        app.router.add_post("/respond/{tail:.*}", self._respond)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        await self.outbox.put(None)
        for ws in self._ws:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, tag: str) -> str:
        return f"{self.url}/respond/{tag}"

    def add_file(self, fid: str, name: str, content: bytes, mimetype: str) -> dict[str, Any]:
        self.files[fid] = content
        return {
            "id": fid,
            "name": name,
            "mimetype": mimetype,
            "size": len(content),
            "url_private_download": f"{self.url}/files/{fid}/{name}",
            "url_private": f"{self.url}/files/{fid}/{name}",
        }

    def calls_by(self, team: str) -> list[Call]:
        return [c for c in self.calls if c.team == team]

    def fail(self, method: str, error: str, times: int = 1, **kw: Any) -> None:
        self.failures.setdefault(method, []).append(Failure(error, times, **kw))

    # ------------------------------------------------------------ queries

    @property
    def messages(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The live messages: (channel, ts) → what the bot sent (updates applied)."""
        return {(m.channel, m.ts): m.params for m in self.posted if not m.deleted}

    def live(self) -> list[Message]:
        return [m for m in self.posted if not m.deleted]

    def with_key_prefix(self, prefix: str) -> list[Message]:
        return [m for m in self.live() if (m.key or "").startswith(prefix)]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    # ------------------------------------------------------------ handlers

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for k in ("blocks", "view", "metadata"):
            if isinstance(params.get(k), str):
                params[k] = json.loads(params[k])
        auth = request.headers.get("Authorization", "")
        bearer = auth[7:] if auth.startswith("Bearer ") else ""
        team = self.tokens.get(bearer)
        self.calls.append(Call(method, params, dict(request.headers), team))
        gate = self.gates.get(method)
        if gate is not None:
            await gate.wait()
        if method == "oauth.v2.access":
            return web.json_response(self._oauth(auth, params))
        if method == "apps.connections.open":
            if bearer != APP_TOKEN:
                return web.json_response({"ok": False, "error": "not_authed"})
        elif team is None:
            return web.json_response(
                {"ok": False, "error": "invalid_auth" if bearer else "not_authed"}
            )
        else:
            refused = self._out_of_reach(method, params, team)
            if refused is not None:
                return web.json_response({"ok": False, "error": refused})
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            problems = block_problems(params.get("blocks") or [], self.unreachable_images)
            if problems:
                self.invalid_blocks.append((method, problems))
                return web.json_response(
                    {"ok": False, "error": "invalid_blocks", "errors": problems}
                )
        queue = self.failures.get(method)
        if queue:
            f = queue[0]
            f.times -= 1
            if f.times <= 0:
                queue.pop(0)
            return web.json_response(
                {"ok": False, "error": f.error, **f.extra}, status=f.status, headers=f.headers
            )
        answer = self._answer(method, params, team)
        if method == "chat.postMessage" and answer.get("ok") and team and team not in self.orgs:
            self.channel_teams.setdefault(str(params["channel"]), team)
        if (
            method == "chat.postMessage"
            and isinstance(params.get("metadata"), dict)
            and self.ambiguous_rate
            and self._rng.random() < self.ambiguous_rate
        ):
            self.ambiguous += 1
            return web.json_response({"ok": False, "error": "fatal_error"}, status=500)
        return web.json_response(answer)

    def _answer(self, method: str, p: dict[str, Any], team: str | None = None) -> dict[str, Any]:
        if method == "auth.test":
            return self._auth_test(team)
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            m = Message(
                channel=str(p["channel"]),
                ts=ts,
                thread_ts=str(p["thread_ts"]) if p.get("thread_ts") else None,
                params=dict(p),
            )
            self.posted.append(m)
            self._by_ts[(m.channel, ts)] = m
            return {"ok": True, "channel": m.channel, "ts": ts, "message": m.as_api()}
        if method in ("chat.update", "chat.delete"):
            found = self._by_ts.get((str(p["channel"]), str(p["ts"])))
            if found is None or found.deleted:
                return {"ok": False, "error": "message_not_found"}
            if method == "chat.delete":
                found.deleted = True
            else:
                found.params = {**found.params, **p}
                found.updates += 1
            return {"ok": True, "channel": found.channel, "ts": found.ts}
        if method == "chat.postEphemeral":
            self.ephemeral.append(dict(p))
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "reactions.add":
            self.reactions.append(dict(p))
            return {"ok": True}
        if method == "users.info":
            tz = self.tz.get(p.get("user", ""))
            admin = p.get("user") in self.admins
            return {
                "ok": True,
                "user": {"id": p.get("user"), "name": "someone", "tz": tz, "is_admin": admin},
            }
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.groups.get(p.get("usergroup", ""), [])}
        if method in ("views.open", "views.update"):
            vid = p.get("view_id") or f"V{next(self._views):04d}"
            if method == "views.update" and vid not in self.views:
                return {"ok": False, "error": "not_found"}
            view = p["view"] if isinstance(p["view"], dict) else json.loads(p["view"])
            self.views[vid] = view
            return {"ok": True, "view": {**view, "id": vid, "hash": f"h{next(self._views)}"}}
        if method == "conversations.replies":
            root = (str(p["channel"]), str(p["ts"]))
            if root not in self._by_ts:
                return {"ok": False, "error": "thread_not_found"}
            msgs = [self._by_ts[root]] + [
                m for m in self.live() if m.channel == root[0] and m.thread_ts == root[1]
            ]
            return {"ok": True, "messages": [m.as_api() for m in msgs], "has_more": False}
        if method == "conversations.history":
            channel = str(p["channel"])
            msgs = [m for m in reversed(self.live()) if m.channel == channel and not m.thread_ts]
            limit = int(p.get("limit") or 100)
            return {"ok": True, "messages": [m.as_api() for m in msgs[:limit]], "has_more": False}
        if method == "files.getUploadURLExternal":
            if not p.get("filename") or not str(p.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            fid = f"F{next(self._fids):05d}"
            self.upload_tickets[fid] = dict(p)
            return {"ok": True, "upload_url": f"{self.url}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            return self._complete_upload(p)
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        return {"ok": False, "error": "unknown_method"}

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        out = []
        for f in files:
            fid = f.get("id", "")
            ticket = self.upload_tickets.get(fid)
            if ticket is None or fid not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            out.append({"id": fid, "title": f.get("title"), "name": ticket["filename"]})
        for f, o in zip(files, out, strict=True):
            ticket = self.upload_tickets[o["id"]]
            self.shared.append(
                {
                    "id": o["id"],
                    "filename": ticket["filename"],
                    "alt_txt": ticket.get("alt_txt"),
                    "title": f.get("title"),
                    "channel": p.get("channel_id"),
                    "thread_ts": p.get("thread_ts"),
                    "initial_comment": p.get("initial_comment"),
                    "bytes": self.uploads[o["id"]],
                }
            )
        return {"ok": True, "files": out}

    async def _upload(self, request: web.Request) -> web.Response:
        fid = request.match_info["fid"]
        if fid not in self.upload_tickets:
            return web.Response(status=404, text="unknown upload")
        if self.refuse_uploads > 0:
            self.refuse_uploads -= 1
            return web.Response(status=500, text="upload failed")
        data = await request.read()
        if len(data) != int(self.upload_tickets[fid]["length"]):
            return web.Response(status=400, text="length mismatch")
        self.uploads[fid] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.file_requests.append(dict(request.headers))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return web.Response(status=403, text="no")
        data = self.files.get(request.match_info["fid"])
        if data is None:
            return web.Response(status=404)
        resp = web.StreamResponse()
        resp.content_type = "application/octet-stream"
        await resp.prepare(request)
        for i in range(0, len(data), 16384):
            await resp.write(data[i : i + 16384])
        await resp.write_eof()
        return resp

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["tail"], await request.json()))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws.append(ws)
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}
        )

        async def reader() -> None:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    ack = json.loads(msg.data)
                    if self.on_ack is not None:
                        self.on_ack(ack)
                    self.acks.append(ack)

        task = asyncio.ensure_future(reader())
        try:
            while True:
                env = await self.outbox.get()
                if env is None:
                    break
                await ws.send_json(env)
        finally:
            task.cancel()
            await ws.close()
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        await self.outbox.put(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "accepts_response_payload": kind != "events_api",
                "payload": payload,
            }
        )


async def wait_for(
    pred: Callable[[], object], deadline: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``pred`` until it is truthy (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not pred():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
