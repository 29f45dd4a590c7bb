"""Polling one workspace (one API key) for the results of the posts the notifier follows.

Cost grows with change, not with history:

* Only posts that are *due or in flight* are looked at: ``requests`` rows in ``scheduled`` /
  ``publishing`` whose ``scheduled_at`` has come (a post for next week costs nothing until
  then), and whose ``notifier_posts.next_check_at`` (if any) has come. Drafts and terminal
  posts are never polled.
* Two or fewer due posts: one ``get_status`` each (it carries the per-target results, so a
  change needs no second request). More: ONE ``list_posts``, then a ``get_status`` only for a
  post whose status turned terminal (for permalinks and errors). A workspace that follows
  external posts lists every tick anyway (that is how new posts are found).
* Per-platform schedules: one summary when the post is terminal. While the post is in flight
  between its first and last target time (``scheduled_at`` … ``last_due_at``) it is looked at
  once at its first time, then deferred to ``last_due_at``: no polling in between.
* At most ``budget`` requests per tick per workspace; what is left over (e.g. details of a
  burst of results) is picked up on the next tick — the status is only recorded once its
  announcement is, so nothing is lost.
* API faults (5xx, timeouts, 429): the tick stops for this workspace and it backs off
  (``Retry-After`` for 429; otherwise 1, 2, 4 … ticks, at most 5 minutes). Everything
  already recorded stays; everything not yet recorded is seen again later.

A status change and the announcement it causes are written in one transaction
(compare-and-set on ``requests.status``, then ``outbox.enqueue``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from bot import groups, tracking
from bot.api.errors import ApiError, NotFound, RateLimited
from bot.api.models import TERMINAL_STATUSES, Post, PostStatus, StatusInfo, Target
from bot.chat import Destination
from bot.config import ConfigError
from bot.notifier import outbox, render
from bot.storage import Database
from bot.tracking import TrackedPost

log = logging.getLogger(__name__)

FOLLOWED = ("scheduled", "publishing")  # requests.status values the notifier polls
STATUS_MAX = 2  # up to this many due posts: one get_status each; more: one list_posts
MAX_BACKOFF = 300.0
NOT_FOUND_STRIKES = 2  # consecutive 404s before a post is announced as gone
_TERMINAL = frozenset(s.value for s in TERMINAL_STATUSES)


class PollClient(Protocol):
    """What the notifier needs from ``SocialClient``."""

    async def list_posts(self) -> list[Post]: ...

    async def get_status(self, post_id: str) -> StatusInfo: ...


def _s(v: PostStatus | str) -> str:
    return v.value if isinstance(v, PostStatus) else str(v)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


@dataclass
class PollStats:
    ticks: int = 0
    requests: int = 0
    list_requests: int = 0
    status_requests: int = 0
    announced: int = 0  # announcements enqueued
    errors: int = 0
    rate_limited: int = 0
    skipped_backoff: int = 0


@dataclass
class _Update:
    post_id: str
    old: str
    new: str
    scheduled_at: datetime | None
    last_due_at: datetime | None
    next_check_at: datetime | None
    not_found: int = 0


@dataclass
class WorkspacePoller:
    workspace: str
    db: Database
    client: Callable[[], PollClient]
    interval: float
    budget: int  # requests per tick
    announce_to: Destination | None = None  # external posts (follow_external)
    stats: PollStats = field(default_factory=PollStats)
    backoff_until: datetime | None = None
    failures: int = 0
    _spent: int = 0
    _sighted: set[str] = field(default_factory=set)  # new external posts seen once

    # ------------------------------------------------------------ the tick

    async def poll(self, now: datetime) -> None:
        if self.backoff_until is not None and now < self.backoff_until:
            self.stats.skipped_backoff += 1
            return
        due = await self.db.run(lambda sdb: load_due(sdb, self.workspace, now))
        if not due and self.announce_to is None:
            return
        self.stats.ticks += 1
        self._spent = 0
        updates: list[_Update] = []
        try:
            if self.announce_to is not None or len(due) > STATUS_MAX:
                await self._by_list(due, now, updates)
            else:
                for tp in due:
                    if not self._has_budget():
                        break
                    await self._by_status(tp, now, updates)
        except RateLimited as e:
            self._fault(now, e, max(e.retry_after, self.interval))
            self.stats.rate_limited += 1
        except ApiError as e:
            self._fault(now, e, None)
        except ConfigError as e:  # e.g. the workspace's API key is not set
            self.failures += 1
            self.backoff_until = now + timedelta(seconds=MAX_BACKOFF)
            log.warning("notifier: workspace %s not polled: %s", self.workspace, e)
        else:
            self.failures = 0
            self.backoff_until = None
        finally:
            if updates:
                await self.db.transaction(lambda sdb: apply_updates(sdb, updates, now))

    def _fault(self, now: datetime, e: ApiError, at_least: float | None) -> None:
        self.failures += 1
        self.stats.errors += 1
        delay = min(self.interval * 2 ** (self.failures - 1), MAX_BACKOFF)
        if at_least is not None:
            delay = max(delay, at_least)
        self.backoff_until = now + timedelta(seconds=delay)
        log.warning(
            "notifier: workspace %s poll failed (%s); next try in %.0fs",
            self.workspace,
            type(e).__name__,
            delay,
        )

    def _has_budget(self) -> bool:
        return self._spent < self.budget

    async def _list(self) -> list[Post]:
        client = self.client()
        self._spent += 1
        self.stats.requests += 1
        self.stats.list_requests += 1
        return await client.list_posts()

    async def _status(self, post_id: str) -> StatusInfo:
        client = self.client()
        self._spent += 1
        self.stats.requests += 1
        self.stats.status_requests += 1
        return await client.get_status(post_id)

    # ------------------------------------------------------------ strategies

    async def _by_status(self, tp: TrackedPost, now: datetime, updates: list[_Update]) -> None:
        try:
            info = await self._status(tp.post_id)
        except NotFound:
            await self._not_found(tp, now, updates)
            return
        await self._observe(tp, info.status, info.scheduled_at, info.targets, now, updates)

    async def _by_list(
        self, due: Sequence[TrackedPost], now: datetime, updates: list[_Update]
    ) -> None:
        posts = await self._list()
        by_id = {p.post_id: p for p in posts}
        if self.announce_to is not None:
            await self._discover(posts, now)
        for tp in due:
            p = by_id.get(tp.post_id)
            status = _s(p.status) if p is not None else None
            if p is not None and status not in _TERMINAL:
                await self._observe(tp, p.status, p.scheduled_at, None, now, updates)
            elif self._has_budget():
                # Terminal (needs its per-target results) or missing from the list.
                await self._by_status(tp, now, updates)

    # ------------------------------------------------------------ outcomes

    async def _observe(
        self,
        tp: TrackedPost,
        status_v: PostStatus | str,
        api_scheduled: datetime | None,
        targets: Sequence[Target] | None,
        now: datetime,
        updates: list[_Update],
    ) -> None:
        status = _s(status_v)
        if status in _TERMINAL:
            assert targets is not None
            later = [
                t.scheduled_at
                for t in targets
                if _s(t.status) in FOLLOWED and t.scheduled_at is not None and t.scheduled_at > now
            ]
            if later:  # a target still waits for its own time: announce when all have landed
                last = max(later)
                updates.append(_Update(tp.post_id, tp.status, tp.status, None, last, last))
                return
            await self._finish(tp, status, targets, now)
            return
        scheduled_at, last_due = tp.scheduled_at, tp.last_due_at
        next_check: datetime | None = None
        if status == "scheduled" and api_scheduled is not None and api_scheduled > now:
            # Rescheduled elsewhere (or the next per-platform time): sleep until then.
            if tp.scheduled_at is None or api_scheduled > tp.scheduled_at:
                scheduled_at = api_scheduled
                last_due = max(api_scheduled, tp.last_due_at or api_scheduled)
        if tp.last_due_at is not None and tp.last_due_at > now and status in FOLLOWED:
            next_check = tp.last_due_at  # per-platform schedule: one summary at the end
        if status != tp.status or scheduled_at != tp.scheduled_at or next_check is not None:
            updates.append(
                _Update(tp.post_id, tp.status, status, scheduled_at, last_due, next_check)
            )

    async def _finish(
        self,
        tp: TrackedPost,
        status: str,
        targets: Sequence[Target],
        now: datetime,
        *,
        gone: bool = False,
    ) -> None:
        ann = render.announcement(tp, status, targets, gone=gone)
        dest = Destination(tp.platform, tp.channel, tp.thread, team=tp.team)
        payload = render.to_json(ann)

        def write(sdb: sqlite_utils.Database) -> bool:
            cur = sdb.execute(
                "UPDATE requests SET status = ? WHERE post_id = ? AND status = ?",
                [status, tp.post_id, tp.status],
            )
            if cur.rowcount != 1:
                return False  # changed meanwhile (e.g. canceled by a command): not ours
            sdb.execute("DELETE FROM notifier_posts WHERE post_id = ?", [tp.post_id])
            grouped = groups.settle(sdb, tp.post_id, status, targets)
            if grouped is not None:  # one of several posts of one request: one summary
                return self._summary(sdb, grouped, tp, now)
            return outbox.enqueue(
                sdb,
                key=outbox.announcement_key(tp.post_id, status),
                workspace=self.workspace,
                post_id=tp.post_id,
                result=status,
                dest=dest,
                payload=payload,
                now=now,
            )

        if await self.db.transaction(write):
            self.stats.announced += 1

    def _summary(
        self, sdb: sqlite_utils.Database, g: groups.Settled, tp: TrackedPost, now: datetime
    ) -> bool:
        """The request's one announcement, once its last post has landed (``bot.groups``)."""
        if not g.complete:
            return False
        primary = tracking.get(sdb, g.primary_id) or tp
        ann = render.announcement(primary, g.status, g.targets)
        return outbox.enqueue(
            sdb,
            key=outbox.announcement_key(primary.post_id, g.status),
            workspace=self.workspace,
            post_id=primary.post_id,
            result=g.status,
            dest=Destination(primary.platform, primary.channel, primary.thread, team=primary.team),
            payload=render.to_json(ann),
            now=now,
        )

    async def _not_found(self, tp: TrackedPost, now: datetime, updates: list[_Update]) -> None:
        strikes = await self.db.run(lambda sdb: _not_found_count(sdb, tp.post_id)) + 1
        if strikes >= NOT_FOUND_STRIKES:
            await self._finish(tp, "canceled", (), now, gone=True)
        else:
            nxt = now + timedelta(seconds=self.interval)
            updates.append(_Update(tp.post_id, tp.status, tp.status, None, None, nxt, strikes))

    # ------------------------------------------------------------ external posts

    async def _discover(self, posts: Sequence[Post], now: datetime) -> None:
        """Posts created outside the bot. The first list of a workspace is its baseline (never
        announced); later, a new post is adopted on its second sighting (a tick later), so a
        post the bot itself just created is recorded by the command layer first."""
        dest = self.announce_to
        assert dest is not None
        ws = self.workspace
        known, baseline = await self.db.run(lambda sdb: _known(sdb, ws))
        new = [p for p in posts if p.post_id not in known and _s(p.status) != "draft"]
        if baseline is None:
            await self.db.transaction(lambda sdb: _baseline(sdb, ws, dest, new, now))
            return
        sighted, self._sighted = self._sighted, {p.post_id for p in new}
        for p in new:
            if p.post_id not in sighted:
                continue
            tp = _external(ws, dest, p, now)
            if _s(p.status) not in _TERMINAL:
                await self.db.transaction(_recorder(tp))
                continue
            if not self._has_budget():
                continue
            try:
                info = await self._status(p.post_id)
            except NotFound:
                continue
            status = _s(info.status)
            pending = dataclasses.replace(tp, status="publishing")
            await self.db.transaction(_recorder(pending))
            if status in _TERMINAL:
                await self._finish(pending, status, info.targets, now)


# ---------------------------------------------------------------- queries


def _recorder(tp: TrackedPost) -> Callable[[sqlite_utils.Database], None]:
    return lambda sdb: tracking.record(sdb, tp)


def load_due(sdb: sqlite_utils.Database, workspace: str, now: datetime) -> list[TrackedPost]:
    """Followed posts whose time has come. A deferral (``next_check_at``) also ends when the
    row's ``last_due_at`` has come, so a post rescheduled earlier by a command is not missed."""
    marks = ",".join("?" * len(FOLLOWED))
    rows = sdb.query(
        f"""SELECT r.* FROM requests r LEFT JOIN notifier_posts s ON s.post_id = r.post_id
            WHERE r.workspace = ? AND r.status IN ({marks})
              AND (r.scheduled_at IS NULL OR julianday(r.scheduled_at) <= julianday(?))
              AND (s.next_check_at IS NULL OR julianday(s.next_check_at) <= julianday(?)
                   OR julianday(r.last_due_at) <= julianday(?))
            ORDER BY r.scheduled_at, r.post_id""",
        [workspace, *FOLLOWED, now.isoformat(), now.isoformat(), now.isoformat()],
    )
    return [tracking._row(r) for r in rows]


def apply_updates(sdb: sqlite_utils.Database, updates: Sequence[_Update], now: datetime) -> None:
    for u in updates:
        if u.new != u.old or u.scheduled_at is not None or u.last_due_at is not None:
            sdb.execute(
                "UPDATE requests SET status = ?, scheduled_at = COALESCE(?, scheduled_at), "
                "last_due_at = COALESCE(?, last_due_at) WHERE post_id = ? AND status = ?",
                [u.new, _iso(u.scheduled_at), _iso(u.last_due_at), u.post_id, u.old],
            )
        sdb.execute(
            """INSERT INTO notifier_posts (post_id, next_check_at, checks, last_checked_at)
               VALUES (?,?,?,?) ON CONFLICT(post_id) DO UPDATE SET
               next_check_at = excluded.next_check_at, checks = excluded.checks,
               last_checked_at = excluded.last_checked_at""",
            [u.post_id, _iso(u.next_check_at), u.not_found, now.isoformat()],
        )


def _not_found_count(sdb: sqlite_utils.Database, post_id: str) -> int:
    row = sdb.execute("SELECT checks FROM notifier_posts WHERE post_id = ?", [post_id]).fetchone()
    return int(row[0]) if row else 0


def _known(sdb: sqlite_utils.Database, ws: str) -> tuple[set[str], str | None]:
    ids = {r[0] for r in sdb.execute("SELECT post_id FROM requests WHERE workspace = ?", [ws])}
    ids |= {
        r[0] for r in sdb.execute("SELECT post_id FROM notifier_external WHERE workspace = ?", [ws])
    }
    row = sdb.execute(
        "SELECT baseline_at FROM notifier_workspaces WHERE workspace = ?", [ws]
    ).fetchone()
    return ids, (str(row[0]) if row and row[0] else None)


def _external(ws: str, dest: Destination, p: Post, now: datetime) -> TrackedPost:
    return TrackedPost(
        post_id=p.post_id,
        workspace=ws,
        platform=dest.platform,
        channel=dest.channel,
        thread=None,
        requester="",
        requester_name=None,
        created_at=now,
        scheduled_at=p.scheduled_at,
        last_due_at=p.scheduled_at,
        status=_s(p.status),
        summary=(p.content or "")[:200] or None,
        team=dest.team,
        external=True,
    )


def _baseline(
    sdb: sqlite_utils.Database, ws: str, dest: Destination, new: Sequence[Post], now: datetime
) -> None:
    rows: list[Any] = []
    for p in new:
        if _s(p.status) in FOLLOWED:
            tracking.record(sdb, _external(ws, dest, p, now))
        else:
            rows.append([ws, p.post_id])
    sdb.conn.executemany(
        "INSERT INTO notifier_external (workspace, post_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        rows,
    )
    sdb.execute(
        "INSERT INTO notifier_workspaces (workspace, baseline_at) VALUES (?, ?) "
        "ON CONFLICT(workspace) DO UPDATE SET baseline_at = excluded.baseline_at",
        [ws, now.isoformat()],
    )
