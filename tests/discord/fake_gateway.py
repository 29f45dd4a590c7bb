"""The fake Discord's gateway: sessions, sequence numbers, RESUME and invalidated sessions.

Like Discord's, a session outlives its websocket: every dispatch gets the session's next
sequence number and is kept, so a client that RESUMEs (op 6) with the last sequence it saw
gets what it missed replayed, then RESUMED. A session can be ended, after which the events
dispatched to it are lost and the client must IDENTIFY anew (op 2 → READY on a new session).

Disruptions on demand (the fault suite's gateway faults):
    ask_reconnect()          op 7 Reconnect: the client drops the socket and resumes
    close_resumable(4000)    the server closes with a code that allows RESUME
    invalidate()             op 9 Invalid Session, d=false: the client must IDENTIFY
    close_non_resumable()    the server ends the session and closes with 4009 (session timed
                             out); the client's RESUME is answered op 9 d=false → IDENTIFY

``live`` is set while a connected session has had its READY or RESUMED (events sent then
arrive at once); ``dispatch`` returns whether the event went out on a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Session:
    id: str
    seq: int = 0
    frames: list[tuple[int, str]] = field(default_factory=list)  # every dispatch, in order
    valid: bool = True
    ws: web.WebSocketResponse | None = None


class GatewayMixin:
    """Mixed into ``FakeDiscord``; it supplies ``ready_events`` (READY + GUILD_CREATE)."""

    def _init_gateway(self) -> None:
        self._ws: web.WebSocketResponse | None = None
        self.session: Session | None = None
        self.sessions: dict[str, Session] = {}
        self.live = asyncio.Event()
        self.identify: dict[str, Any] | None = None
        self.connections = 0
        self.identifies = 0
        self.resumes = 0
        self.replayed = 0  # events sent again on a RESUME
        self.disruptions: dict[str, int] = {}

    def ready_events(self, session_id: str) -> list[tuple[str, dict[str, Any]]]:
        raise NotImplementedError

    # ------------------------------------------------------------------ sending

    async def dispatch(self, event: str, data: dict[str, Any]) -> bool:
        """Give the event the current session's next sequence number; send it if live."""
        s = self.session
        if s is None or not s.valid:
            return False
        s.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": s.seq, "d": data})
        s.frames.append((s.seq, frame))
        ws = s.ws
        if ws is None or ws.closed or not self.live.is_set() or ws is not self._ws:
            return False  # kept for a RESUME
        try:
            await ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def _op(self, ws: web.WebSocketResponse, op: int, d: Any) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps({"op": op, "d": d, "s": None, "t": None}))

    # ------------------------------------------------------------------ the socket

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.live.clear()
        self.connections += 1
        await self._op(ws, 10, {"heartbeat_interval": 45000})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload["op"]
                if op == 1:
                    await self._op(ws, 11, None)
                elif op == 2:
                    await self._identify(ws, payload["d"])
                elif op == 6:
                    await self._resume(ws, payload["d"])
        finally:
            if self._ws is ws:
                self._ws = None
                self.live.clear()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        self.identify = d
        self.identifies += 1
        s = Session(id=f"sess-{self.connections}-{self.identifies}", ws=ws)
        self.sessions[s.id] = s
        self.session = s
        self.live.set()
        for event, data in self.ready_events(s.id):
            await self.dispatch(event, data)

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        s = self.sessions.get(str(d.get("session_id")))
        if s is None or not s.valid:
            await self._op(ws, 9, False)  # the client closes and IDENTIFYs
            return
        self.session, s.ws = s, ws
        last = int(d.get("seq") or 0)
        i = 0
        while i < len(s.frames):  # what it missed, in order (new dispatches join the list)
            seq, frame = s.frames[i]
            i += 1
            if seq > last:
                self.replayed += 1
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_str(frame)
        self.resumes += 1
        self.live.set()
        await self.dispatch("RESUMED", {})

    # ------------------------------------------------------------------ disruptions

    def _count(self, kind: str) -> None:
        self.disruptions[kind] = self.disruptions.get(kind, 0) + 1

    async def ask_reconnect(self) -> None:
        """Op 7 RECONNECT: the client drops the socket and resumes on a new one."""
        assert self._ws is not None
        self._count("op7-reconnect")
        self.live.clear()  # from here on events wait in the session for the RESUME
        await self._op(self._ws, 7, None)

    async def close_resumable(self, code: int = 4000) -> None:
        """Close the socket with a code that lets the client RESUME (4000 unknown error)."""
        assert self._ws is not None
        self._count(f"close-{code}")
        ws = self._ws
        self.live.clear()
        await ws.close(code=code)

    async def invalidate(self) -> None:
        """Op 9 Invalid Session (d=false): the session ends; the client must IDENTIFY."""
        assert self._ws is not None and self.session is not None
        self._count("op9-invalid-session")
        self.session.valid = False
        self.live.clear()
        await self._op(self._ws, 9, False)

    async def close_non_resumable(self, code: int = 4009) -> None:
        """End the session and close with ``code`` (4009 session timed out): the client's
        RESUME is refused (op 9) and it IDENTIFYs."""
        assert self._ws is not None and self.session is not None
        self._count(f"close-{code}")
        self.session.valid = False
        ws = self._ws
        self.live.clear()
        await ws.close(code=code)
