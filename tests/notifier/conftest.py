"""Fakes for the notifier tests: a recording chat port, an in-memory Social API, a core."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from bot import tracking
from bot.api.errors import ApiError, NotFound
from bot.api.models import Post, PostStatus, StatusInfo, Target
from bot.chat import Announcement, Destination, MessageRef, Reply
from bot.clock import FakeClock
from bot.config import Settings, Workspace
from bot.core import Clients, Core
from bot.notifier import Notifier
from bot.storage import Database
from bot.tracking import TrackedPost


class Crash(BaseException):
    """Simulates the process dying at this point (not caught by ``except Exception``)."""


@dataclass
class Sent:
    dest: Destination
    reply: Reply
    key: str | None
    at: float  # clock.monotonic() at send time

    @property
    def announcement(self) -> Announcement:
        assert isinstance(self.reply, Announcement)
        return self.reply


class RecordingPort:
    """A chat port that records what it is asked to send.

    ``dedupe_nonce`` behaves like Discord's ``enforce_nonce``: a second send with the same key
    returns the first message instead of posting again. ``crash_after_send`` records the
    message and then "kills the process"; ``fail_next`` raises an ordinary error.
    """

    def __init__(self, platform: str, clock: FakeClock, *, dedupe_nonce: bool = False) -> None:
        self.platform = platform
        self.clock = clock
        self.dedupe_nonce = dedupe_nonce
        self.calls: list[Sent] = []  # every send call
        self.visible: list[Sent] = []  # what people see in the channel
        self.crash_after_send = 0
        self.fail_next = 0
        self._ids = itertools.count(1)
        self._by_key: dict[str, MessageRef] = {}
        self.sent_event = asyncio.Event()  # set on every visible message

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("chat platform unavailable")
        s = Sent(dest, reply, key, self.clock.monotonic())
        self.calls.append(s)
        if self.dedupe_nonce and key is not None and key in self._by_key:
            ref = self._by_key[key]
        else:
            self.visible.append(s)
            self.sent_event.set()
            ref = MessageRef(self.platform, dest.channel, str(next(self._ids)))
            if key is not None:
                self._by_key[key] = ref
        if self.crash_after_send:
            self.crash_after_send -= 1
            raise Crash("killed after the send")
        return ref

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        raise NotImplementedError

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        raise NotImplementedError

    async def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    def titles(self) -> list[str]:
        return [s.announcement.title for s in self.visible]

    def times_announced(self, post_id: str) -> int:
        """How many visible messages announce this post (digest entries included)."""
        quote = f"“caption of {post_id}”"
        n = 0
        for s in self.visible:
            a = s.announcement
            if a.post_id == post_id:
                n += 1
            n += sum(1 for line in a.lines if quote in line)
        return n


@dataclass
class FakePost:
    post_id: str
    status: str
    scheduled_at: datetime | None
    targets: list[Target] = field(default_factory=list)
    content: str | None = None


class FakeApi:
    """An in-memory Social API for one workspace; counts requests; injects faults."""

    def __init__(self) -> None:
        self.posts: dict[str, FakePost] = {}
        self.calls: list[tuple[str, str | None]] = []
        self.faults: list[ApiError] = []  # raised by the next calls, in order

    def add(
        self, post_id: str, status: str, scheduled_at: datetime | None, **kw: object
    ) -> FakePost:
        p = FakePost(post_id, status, scheduled_at, **kw)  # type: ignore[arg-type]
        self.posts[post_id] = p
        return p

    def settle(self, post_id: str, status: str, targets: Sequence[Target] | None = None) -> None:
        p = self.posts[post_id]
        p.status = status
        if targets is not None:
            p.targets = list(targets)
        else:
            p.targets = [published_target(post_id)] if status == "published" else p.targets

    def count(self, kind: str | None = None) -> int:
        return sum(1 for k, _ in self.calls if kind is None or k == kind)

    def _fault(self) -> None:
        if self.faults:
            raise self.faults.pop(0)


def published_target(post_id: str, platform: str = "instagram") -> Target:
    return Target(
        account_id=f"acc_{platform}",
        platform=platform,
        status=PostStatus.PUBLISHED,
        platform_post_id=f"pp_{post_id}",
        permalink=f"https://{platform}.example/p/{post_id}",
    )


def failed_target(platform: str, error: str) -> Target:
    return Target(account_id=f"acc_{platform}", platform=platform, status="failed", error=error)


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api

    async def list_posts(self) -> list[Post]:
        self.api.calls.append(("list", None))
        self.api._fault()
        return [
            Post(post_id=p.post_id, status=p.status, scheduled_at=p.scheduled_at, content=p.content)
            for p in self.api.posts.values()
        ]

    async def get_status(self, post_id: str) -> StatusInfo:
        self.api.calls.append(("status", post_id))
        self.api._fault()
        p = self.api.posts.get(post_id)
        if p is None:
            raise NotFound(404, "not_found", "post not found")
        return StatusInfo(
            post_id=p.post_id,
            status=p.status,
            ready=p.status == "published",
            scheduled_at=p.scheduled_at,
            targets=tuple(p.targets),
        )


@dataclass
class Env:
    core: Core
    clock: FakeClock
    slack: RecordingPort
    discord: RecordingPort
    apis: dict[str, FakeApi]
    path: Path
    notifiers: list[Notifier] = field(default_factory=list)

    @property
    def api(self) -> FakeApi:
        return self.apis["default"]

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def notifier(self, **kw: object) -> Notifier:
        n = Notifier(self.core, client_factory=lambda ws: FakeClient(self.apis[ws]), **kw)  # type: ignore[arg-type]
        self.notifiers.append(n)
        return n

    async def track(
        self,
        post_id: str,
        *,
        status: str = "scheduled",
        at: datetime | None = None,
        last: datetime | None = None,
        platform: str = "slack",
        channel: str = "C1",
        thread: str | None = "T1",
        workspace: str = "default",
        requester: str = "U1",
        api_status: str | None = None,
    ) -> TrackedPost:
        """A request the bot made (row in ``requests``) and the API's post for it."""
        tp = TrackedPost(
            post_id=post_id,
            workspace=workspace,
            platform=platform,
            channel=channel,
            thread=thread,
            requester=requester,
            requester_name=None,
            created_at=self.now,
            scheduled_at=at,
            last_due_at=last or at,
            status=status,
            summary=f"caption of {post_id}",
        )
        await self.core.db.transaction(lambda sdb: tracking.record(sdb, tp))
        self.apis[workspace].add(post_id, api_status or status, at)
        return tp

    async def track_many(self, ids: Sequence[str], **kw: object) -> None:
        rows = []
        for pid in ids:
            tp = TrackedPost(
                post_id=pid,
                workspace=str(kw.get("workspace", "default")),
                platform=str(kw.get("platform", "slack")),
                channel=str(kw.get("channel", "C1")),
                thread=kw.get("thread", "T1"),  # type: ignore[arg-type]
                requester="U1",
                requester_name=None,
                created_at=self.now,
                scheduled_at=kw.get("at"),  # type: ignore[arg-type]
                last_due_at=kw.get("at"),  # type: ignore[arg-type]
                status=str(kw.get("status", "scheduled")),
                summary=f"caption of {pid}",
            )
            rows.append(tp)
            self.apis[tp.workspace].add(pid, tp.status, tp.scheduled_at)

        def write(sdb: sqlite_utils.Database) -> None:
            for tp in rows:
                tracking.record(sdb, tp)

        await self.core.db.transaction(write)

    async def status_of(self, post_id: str) -> str:
        tp = await self.core.db.run(lambda sdb: tracking.get(sdb, post_id))
        assert tp is not None
        return tp.status

    async def reopen(self) -> Core:
        """A new process on the same database file (the old connection is dropped)."""
        await self.core.db.close()
        db = await Database.open(str(self.path))
        self.core = replace(self.core, db=db, pacers={})
        return self.core


def make_settings(**workspaces: Workspace) -> Settings:
    ws = workspaces or {"default": Workspace("default", "SOCIAL_API_KEY")}
    return Settings(workspaces=ws, poll_interval=30.0)


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
async def env(tmp_path: Path, settings: Settings) -> AsyncIterator[Env]:
    clock = FakeClock()
    path = tmp_path / "bot.db"
    db = await Database.open(str(path))
    slack = RecordingPort("slack", clock)
    discord = RecordingPort("discord", clock, dedupe_nonce=True)
    core = Core(
        settings=settings,
        db=db,
        clients=Clients(settings, clock),
        clock=clock,
        ports={"slack": slack, "discord": discord},
    )
    e = Env(core, clock, slack, discord, {name: FakeApi() for name in settings.workspaces}, path)
    yield e
    for n in e.notifiers:
        if n.scheduler is not None:
            await n.stop(grace=1.0)
    await e.core.db.close()


Tick = Callable[[], object]


def later(clock: FakeClock, seconds: float) -> datetime:
    return clock.now() + timedelta(seconds=seconds)
