"""The sandbox's state: keys, one workspace per key, the request log, runtime knobs.

Tests inspect it through ``Sandbox.state`` (see ``server.start_sandbox``): ``posts(key)``,
``post(key, id)``, ``media(key)``, ``create_calls(key)``, ``log``, and they may change
``fail_platforms`` / ``publish_delay`` / ``rate_limit`` at run time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.api.models import Platform
from bot.clock import Clock, SystemClock
from bot.sandbox.accounts import SandboxAccount, build_accounts
from bot.sandbox.lifecycle import settle
from bot.sandbox.options import SandboxOptions, build_keys, parse_platforms
from bot.sandbox.persistence import Store
from bot.sandbox.records import MediaRecord, PostRecord


def key_id(key: str) -> str:
    """A stable, non-secret name for a key (keys are never logged or stored in clear)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass
class Workspace:
    ws_id: str
    accounts: dict[str, SandboxAccount]
    posts: dict[str, PostRecord] = field(default_factory=dict)
    media: dict[str, MediaRecord] = field(default_factory=dict)
    native_deleted: set[str] = field(default_factory=set)  # "accountId/platformPostId"
    create_calls: int = 0


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str  # without the query string (presigned signatures stay out of the log)
    status: int  # 0 when the connection was dropped
    at: datetime  # sandbox clock
    monotonic: float  # sandbox clock
    key_id: str | None


class SandboxState:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.clock: Clock = options.clock or SystemClock()
        self.keys = build_keys(options)
        self.tz = ZoneInfo(options.timezone)
        self.fail_platforms: frozenset[Platform] = parse_platforms(options.fail_platforms)
        self.publish_delay = float(options.publish_delay)
        self.rate_limit = int(options.rate_limit)
        self.accounts = build_accounts(options.accounts)
        self.log: list[LogEntry] = []
        self.store = Store(options.db_path) if options.db_path else None
        self.signing_secret = self._secret()
        self._workspaces: dict[str, Workspace] = {}  # by ws_id
        for key in self.keys:
            self._load(self.ws_id(key))

    # -- keys and workspaces -------------------------------------------------------------
    @staticmethod
    def ws_id(key: str) -> str:
        return "ws_" + key_id(key)

    def workspace(self, key: str) -> Workspace:
        return self._load(self.ws_id(key))

    def workspace_by_id(self, ws_id: str) -> Workspace | None:
        return self._workspaces.get(ws_id)

    def _load(self, ws_id: str) -> Workspace:
        ws = self._workspaces.get(ws_id)
        if ws is not None:
            return ws
        ws = Workspace(ws_id=ws_id, accounts=dict(self.accounts))
        if self.store is not None:
            for blob in self.store.load(ws_id, "post"):
                p = PostRecord.from_blob(blob)
                ws.posts[p.post_id] = p
            for blob in self.store.load(ws_id, "media"):
                m = MediaRecord.from_blob(blob)
                ws.media[m.media_id] = m
            ws.native_deleted = {str(b) for b in self.store.load(ws_id, "native_deleted")}
        self._workspaces[ws_id] = ws
        return ws

    def _secret(self) -> bytes:
        if self.store is None:
            return secrets.token_bytes(32)
        stored = self.store.get_meta("signing_secret")
        if stored is None:
            stored = secrets.token_hex(32)
            self.store.set_meta("signing_secret", stored)
        return bytes.fromhex(stored)

    # -- lifecycle ------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def settle(self, ws: Workspace) -> None:
        now = self.now()
        for post in ws.posts.values():
            if settle(post, now, self.publish_delay, self.fail_platforms, ws.accounts):
                self.save_post(ws, post)

    # -- persistence ----------------------------------------------------------------------
    def save_post(self, ws: Workspace, post: PostRecord) -> None:
        if self.store is not None:
            self.store.put(ws.ws_id, "post", post.post_id, post.to_blob())

    def save_media(self, ws: Workspace, media: MediaRecord) -> None:
        if self.store is not None:
            self.store.put(ws.ws_id, "media", media.media_id, media.to_blob())

    def forget_media(self, ws: Workspace, media_id: str) -> None:
        if self.store is not None:
            self.store.delete(ws.ws_id, "media", media_id)

    def save_native_deleted(self, ws: Workspace, ref: str) -> None:
        if self.store is not None:
            self.store.put(ws.ws_id, "native_deleted", ref, ref)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- inspection for tests -------------------------------------------------------------
    def posts(self, key: str) -> list[PostRecord]:
        ws = self.workspace(key)
        self.settle(ws)
        return list(ws.posts.values())

    def post(self, key: str, post_id: str) -> PostRecord | None:
        ws = self.workspace(key)
        self.settle(ws)
        return ws.posts.get(post_id)

    def media(self, key: str) -> list[MediaRecord]:
        return list(self.workspace(key).media.values())

    def create_calls(self, key: str) -> int:
        """How many ``POST /v1/posts`` calls created a post for this key."""
        return self.workspace(key).create_calls

    def max_requests_in_window(self, window: float = 60.0, key: str | None = None) -> int:
        """The most requests the log shows in any ``window`` seconds (sandbox clock)."""
        kid = key_id(key) if key is not None else None
        times = sorted(e.monotonic for e in self.log if kid is None or e.key_id == kid)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best
