"""The command layer end to end: dispatch → real SocialClient → the sandbox on 127.0.0.1:0.

``chat`` is a harness whose helpers read like the conversation::

    out = await chat.post('ig,x "We shipped 🚀"')
    assert chat.confirmation(out).title.startswith("Publishing now")

Channels: ``C_MAIN`` (workspace ``main``, Europe/Berlin, default targets ig + x, alias
``brand`` = ig + fb), ``C_OTHER`` (workspace ``other``: another key, so another sandbox
workspace), ``C_REVIEW`` (workspace ``main``, approval required). Media URLs are served by a
small aiohttp server on loopback (``chat.media_url("photo.jpg")``), so the settings allow
private media hosts explicitly (``MediaRules.local()``); tests/commands/test_media_fetch.py runs
the production rules.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from aiohttp import web

from bot import tracking
from bot.chat import (
    Attachment,
    Confirmation,
    Destination,
    ErrorReply,
    Invocation,
    ListReply,
    MessageRef,
    Outcome,
    Reply,
    StatusCard,
    User,
)
from bot.clock import FakeClock
from bot.config import (
    ApprovalPolicy,
    ChannelBinding,
    ChannelConfig,
    MediaRules,
    Settings,
    Workspace,
)
from bot.core import Clients, Core
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.slots import parse_slots
from bot.storage import Database
from commands import times
from commands.dispatch import dispatch

START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Monday 12:00 in Berlin
MAIN, OTHER, REVIEW = "C_MAIN", "C_OTHER", "C_REVIEW"
SLOTTED = "C_SLOTS"  # posting slots: mon-fri 09:00, mon-fri 13:30, sat 11:00 (Berlin)
BADKEY, READONLY = "C_BADKEY", "C_READONLY"
KEY_MAIN, KEY_OTHER = "sk_test_main", "sk_test_other"
KEY_READONLY = "sk_test_readonly"
ALICE = User("U_ALICE", "alice")
BOB = User("U_BOB", "bob")


@pytest.fixture(scope="session", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class Sent:
    dest: Destination
    reply: Reply
    key: str | None
    ref: MessageRef


@dataclass
class RecordingPort:
    """A ``ChatPort`` that records sends, updates and reactions; message ids count up."""

    platform: str = "slack"
    sent: list[Sent] = field(default_factory=list)
    updates: list[tuple[MessageRef, Reply]] = field(default_factory=list)
    reactions: list[tuple[MessageRef, tuple[str, ...]]] = field(default_factory=list)

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        ref = MessageRef(self.platform, dest.channel, str(len(self.sent) + 1))
        self.sent.append(Sent(dest, reply, key, ref))
        return ref

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        self.updates.append((ref, reply))

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        self.reactions.append((ref, tuple(emojis)))

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()


MEDIA: dict[str, tuple[str, bytes]] = {
    "photo.jpg": ("image/jpeg", b"\xff\xd8\xff" + b"j" * 2000),
    "photo2.jpg": ("image/jpeg", b"\xff\xd8\xff" + b"k" * 1000),
    "photo3.png": ("image/png", b"\x89PNG" + b"p" * 1000),
    "cover.jpg": ("image/jpeg", b"\xff\xd8\xff" + b"c" * 500),
    "clip.mp4": ("video/mp4", b"\x00\x00\x00\x18ftypmp4" + b"v" * 5000),
    "deck.pdf": ("application/pdf", b"%PDF-1.7" + b"d" * 3000),
    "page.html": ("text/html", b"<html></html>"),
}


@dataclass
class MediaServer:
    url: str
    hits: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # the Host header of each request

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


async def _start_media(stack: list[web.AppRunner]) -> MediaServer:
    server = MediaServer("")

    async def redirect(request: web.Request) -> web.StreamResponse:
        """``/r?to=<url>``: a redirect; ``/hop/<n>``: n more redirects, then photo.jpg."""
        server.hosts.append(request.headers.get("Host", ""))
        n = request.match_info.get("n")
        if n is None:
            server.hits.append("redirect")
            return web.Response(status=302, headers={"Location": request.query["to"]})
        server.hits.append(f"hop/{n}")
        to = f"/hop/{int(n) - 1}" if int(n) > 0 else "/m/photo.jpg"
        return web.Response(status=302, headers={"Location": to})

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        server.hits.append(name)
        server.hosts.append(request.headers.get("Host", ""))
        if name == "missing.jpg":
            return web.Response(status=404)
        if name == "huge.jpg":  # declares more than the image limit
            resp = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
            resp.content_length = 50 * 1024 * 1024
            await resp.prepare(request)
            return resp
        ctype, body = MEDIA[name]
        return web.Response(body=body, headers={"Content-Type": ctype})

    app = web.Application()
    app.router.add_get("/m/{name}", serve)
    app.router.add_get("/r", redirect)
    app.router.add_get("/hop/{n}", redirect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stack.append(runner)
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return server


def attachment(name: str) -> Attachment:
    ctype, body = MEDIA[name]

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 700):
            yield body[i : i + 700]

    return Attachment(name=name, content_type=ctype, size=len(body), open=chunks)


def bindings(approvers: tuple[str, ...] = ("U_BOB",)) -> tuple[ChannelBinding, ...]:
    main = ChannelConfig(
        workspace="main",
        default_targets=("ig", "x"),
        timezone="Europe/Berlin",
        aliases={"brand": ("ig", "fb")},
    )
    return (
        ChannelBinding("slack", None, MAIN, main),
        ChannelBinding("slack", None, OTHER, ChannelConfig(workspace="other", timezone="UTC")),
        ChannelBinding("slack", None, BADKEY, ChannelConfig(workspace="bad")),
        ChannelBinding(
            "slack",
            None,
            SLOTTED,
            ChannelConfig(
                workspace="main",
                default_targets=("x",),
                timezone="Europe/Berlin",
                slots=parse_slots(["mon-fri 09:00", "mon-fri 13:30", "sat 11:00"]),
            ),
        ),
        ChannelBinding("slack", None, READONLY, ChannelConfig(workspace="readonly")),
        ChannelBinding(
            "slack",
            None,
            REVIEW,
            ChannelConfig(
                workspace="main",
                timezone="Europe/Berlin",
                default_targets=("x",),
                approval=ApprovalPolicy(required=True, approvers=approvers, quorum=1),
            ),
        ),
    )


class Chat:
    """The conversation helpers."""

    def __init__(self, core: Core, port: RecordingPort, sandbox: Sandbox, media: MediaServer):
        self.core = core
        self.port = port
        self.sandbox = sandbox
        self.media = media
        self.clock: FakeClock = core.clock  # type: ignore[assignment]
        self._ids = itertools.count(1)

    def media_url(self, name: str) -> str:
        return f"{self.media.url}/m/{name}"

    def invocation(
        self,
        command: str,
        text: str = "",
        *,
        channel: str = MAIN,
        user: User = ALICE,
        options: Sequence[tuple[str, str]] = (),
        attachments: Sequence[Attachment] = (),
        delivery_id: str | None = None,
        user_tz: str | None = None,
        thread: str | None = "T1",
    ) -> Invocation:
        return Invocation(
            command=command,
            text=text,
            user=user,
            platform="slack",
            channel=channel,
            delivery_id=delivery_id or f"d{next(self._ids)}",
            team="T_TEAM",
            thread=thread,
            user_tz=user_tz,
            attachments=tuple(attachments),
            options=tuple(options),
        )

    async def run(self, command: str, text: str = "", **kw: Any) -> Outcome:
        return await dispatch(self.core, self.invocation(command, text, **kw))

    async def post(self, text: str = "", **kw: Any) -> Reply:
        return self.one(await self.run("post", text, **kw))

    async def schedule(self, text: str = "", **kw: Any) -> Reply:
        return self.one(await self.run("schedule", text, **kw))

    async def status(self, text: str = "", **kw: Any) -> Reply:
        return self.one(await self.run("status", text, **kw))

    async def social(self, text: str = "", **kw: Any) -> Reply:
        return self.one(await self.run("social", text, **kw))

    @staticmethod
    def one(out: Outcome) -> Reply:
        assert not out.duplicate
        assert len(out.replies) == 1, out.replies
        return out.replies[0]

    @staticmethod
    def ok(reply: Reply) -> Confirmation:
        assert isinstance(reply, Confirmation), reply
        return reply

    @staticmethod
    def error(reply: Reply) -> ErrorReply:
        assert isinstance(reply, ErrorReply), reply
        assert reply.reference is None, f"unexpected failure: {reply}"
        return reply

    @staticmethod
    def listing(reply: Reply) -> ListReply:
        assert isinstance(reply, ListReply), reply
        return reply

    @staticmethod
    def card(reply: Reply) -> StatusCard:
        assert isinstance(reply, StatusCard), reply
        return reply

    @staticmethod
    def field(reply: Confirmation, name: str) -> str:
        for f in reply.fields:
            if f.name == name:
                return f.value
        raise AssertionError(f"no field {name!r} in {reply.fields}")

    @staticmethod
    def text(reply: Reply) -> str:
        """Everything a user reads in the reply, one string (for `in` checks)."""
        parts: list[str] = [getattr(reply, "title", "")]
        for name in ("problems", "items", "history"):
            parts.extend(getattr(reply, name, ()) or ())
        for name in ("hint", "text", "footer", "caption"):
            v = getattr(reply, name, None)
            if v:
                parts.append(v)
        for f in getattr(reply, "fields", ()) or ():
            parts.append(f"{f.name}: {f.value}")
        return "\n".join(parts)

    def post_id(self, reply: Reply) -> str:
        return self.field(self.ok(reply), "Post")

    async def api_post(self, reply: Reply, workspace: str = "main") -> dict[str, Any]:
        """The post a confirmation names, as the sandbox's API returns it (JSON)."""
        client = self.core.clients.for_workspace(workspace)
        return (await client.get_post(self.post_id(reply))).extra

    async def last_tracked(self, channel: str) -> str:
        """The post id most recently asked for from ``channel`` (the tracked rows)."""

        def read(sdb: sqlite_utils.Database) -> str:
            return tracking.recent(sdb, "slack", channel, limit=1)[0].post_id

        return await self.core.db.run(read)

    def api_calls(self, method: str, prefix: str) -> list[str]:
        return [
            e.path
            for e in self.sandbox.state.log
            if e.method == method and e.path.startswith(prefix)
        ]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sandbox_accounts() -> list[dict[str, Any]] | None:
    """The connected accounts of every sandbox workspace (None: one per platform).
    Override with ``@pytest.mark.parametrize("sandbox_accounts", [...])``."""
    return None


@pytest.fixture
async def chat(
    tmp_path: Path, clock: FakeClock, sandbox_accounts: list[dict[str, Any]] | None
) -> AsyncIterator[Chat]:
    runners: list[web.AppRunner] = []
    media = await _start_media(runners)
    options = SandboxOptions(
        keys=(KEY_MAIN, KEY_OTHER, f"{KEY_READONLY}:accounts:read,posts:read"),
        clock=clock,
        publish_delay=2.0,
        demo_key=False,
        accounts=sandbox_accounts,
    )
    async with start_sandbox(options, port=0) as sb:
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={
                "main": Workspace("main", "KEY_MAIN", key=Secret(KEY_MAIN)),
                "other": Workspace("other", "KEY_OTHER", key=Secret(KEY_OTHER)),
                "bad": Workspace("bad", "KEY_BAD", key=Secret("sk_test_wrong")),
                "readonly": Workspace("readonly", "KEY_RO", key=Secret(KEY_READONLY)),
            },
            bindings=bindings(),
            media=MediaRules.local(),  # the media server below is on loopback
        )
        db = await Database.open(settings.db_path)
        clients = Clients(settings, clock)
        port = RecordingPort()
        core = Core(settings, db, clients, clock, ports={"slack": port})
        try:
            yield Chat(core, port, sb, media)
        finally:
            await clients.aclose()
            await db.close()
            for r in runners:
                await r.cleanup()
