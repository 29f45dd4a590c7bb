"""Retention: old rows go, in bounded batches; what is still needed stays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlite_utils

from bot import approvals, journal, tracking
from bot.chat import Destination
from bot.clock import FakeClock
from bot.config import Retention
from bot.notifier import outbox
from bot.notifier.schema import NOTIFIER_MIGRATIONS
from bot.retention import prune
from bot.storage import Database
from bot.tracking import TrackedPost

DAY = timedelta(days=1)


async def _db(tmp_path: Path) -> Database:
    db = await Database.open(str(tmp_path / "bot.db"))
    await journal.migrate(db)
    await approvals.migrate(db)
    await db.migrate("notifier", NOTIFIER_MIGRATIONS)
    return db


def _ids(sdb: sqlite_utils.Database, sql: str) -> set[str]:
    return {str(r[0]) for r in sdb.execute(sql).fetchall()}


def _post(pid: str, status: str, created: object, workspace: str = "default") -> TrackedPost:
    return TrackedPost(
        post_id=pid, workspace=workspace, platform="slack", channel="C1", thread=None,
        requester="U1", requester_name=None, created_at=created, scheduled_at=None,  # type: ignore[arg-type]
        last_due_at=None, status=status, summary=None,
    )  # fmt: skip


def _card(sdb: sqlite_utils.Database, pid: str, state: str, at: str) -> None:
    cur = sdb.execute(
        """INSERT INTO approval_cards (post_id, workspace, state, origin_platform, origin_channel,
               requester_id, approvers, quorum, allow_self, card_platform, card_channel,
               intended, preview, created_at, updated_at)
           VALUES (?, 'default', ?, 'slack', 'C1', 'U1', '[]', 1, 0, 'slack', 'C9', '{}', '{}',
               ?, ?)""",
        [pid, state, at, at],
    )
    card = cur.lastrowid
    sdb.execute(
        "INSERT INTO approval_events (card_id, post_id, at, action, post_version) "
        "VALUES (?, ?, ?, 'submitted', 1)",
        [card, pid, at],
    )
    sdb.execute(
        "INSERT INTO approval_votes (card_id, user_id, post_version, at) VALUES (?, 'U2', 1, ?)",
        [card, at],
    )


async def test_old_rows_go_and_what_is_needed_stays(tmp_path: Path) -> None:
    clock = FakeClock()
    now = clock.now()
    db = await _db(tmp_path)
    old = {k: (now - d * DAY).isoformat() for k, d in {"15": 15, "31": 31, "181": 181}.items()}
    fresh = (now - DAY).isoformat()

    def seed(sdb: sqlite_utils.Database) -> None:
        for pid, at in (("d_old", old["15"]), ("d_new", fresh)):
            sdb.execute("INSERT INTO deliveries (id, seen_at) VALUES (?, ?)", [pid, at])
        for jid, state, at in (
            ("j_done_old", "done", old["15"]),
            ("j_pending_old", "pending", old["15"]),  # still to be resumed: never deleted
            ("j_done_new", "done", fresh),
        ):
            sdb.execute(
                "INSERT INTO command_journal (id, platform, kind, payload, state, owner, "
                "created_at, updated_at) VALUES (?, 'slack', 'command', '{}', ?, 'o', ?, ?)",
                [jid, state, at, at],
            )
        dest = Destination("slack", "C1")
        for key, at, fate in (
            ("o_sent_old", old["31"], "sent"),
            ("o_abandoned_old", old["31"], "abandoned"),
            ("o_pending_old", old["31"], None),  # not sent yet: kept
            ("o_sent_new", fresh, "sent"),
        ):
            outbox.enqueue(sdb, key=key, workspace="default", post_id=key, result="published",
                           dest=dest, payload="{}", now=now - 40 * DAY)  # fmt: skip
            if fate == "sent":
                sdb.execute("UPDATE notifier_outbox SET sent_at = ? WHERE key = ?", [at, key])
            elif fate == "abandoned":
                sdb.execute("UPDATE notifier_outbox SET abandoned_at = ? WHERE key = ?", [at, key])
        for tp in (
            _post("p_done_old", "published", now - 181 * DAY),
            _post("p_ext_old", "failed", now - 181 * DAY, workspace="brand"),
            _post("p_scheduled_old", "scheduled", now - 181 * DAY),  # still followed
            _post("p_done_new", "published", now - DAY),
        ):
            tracking.record(sdb, tp)
        _card(sdb, "c_final_old", "rejected", old["181"])
        _card(sdb, "c_pending_old", "pending", old["181"])
        _card(sdb, "c_final_new", "approved", fresh)

    await db.transaction(seed)
    counts = await prune(db, now, Retention(), following=["brand"])
    assert counts == {
        "deliveries": 1,
        "journal": 1,
        "sent_outbox": 2,
        "tracked_posts": 2,
        "approval_history": 2,  # the decided card and its event (its votes go with it)
    }

    def left(sdb: sqlite_utils.Database) -> dict[str, set[str]]:
        return {
            "deliveries": _ids(sdb, "SELECT id FROM deliveries"),
            "journal": _ids(sdb, "SELECT id FROM command_journal"),
            "outbox": _ids(sdb, "SELECT key FROM notifier_outbox"),
            "posts": _ids(sdb, "SELECT post_id FROM requests"),
            "external": _ids(sdb, "SELECT post_id FROM notifier_external"),
            "cards": _ids(sdb, "SELECT post_id FROM approval_cards"),
            "events": _ids(sdb, "SELECT post_id FROM approval_events"),
            "votes": _ids(sdb, "SELECT card_id FROM approval_votes"),
        }

    state = await db.run(left)
    assert state["deliveries"] == {"d_new"}
    assert state["journal"] == {"j_pending_old", "j_done_new"}
    assert state["outbox"] == {"o_pending_old", "o_sent_new"}
    assert state["posts"] == {"p_scheduled_old", "p_done_new"}
    assert state["external"] == {"p_ext_old"}  # never announced as new if listed again
    assert state["cards"] == {"c_pending_old", "c_final_new"}
    assert state["events"] == {"c_pending_old", "c_final_new"}
    assert len(state["votes"]) == 2
    assert all(n == 0 for n in (await prune(db, now, Retention())).values())
    await db.close()


async def test_deletes_in_bounded_batches_and_continues_next_run(tmp_path: Path) -> None:
    clock = FakeClock()
    now = clock.now()
    db = await _db(tmp_path)
    statements: list[str] = []

    def seed(sdb: sqlite_utils.Database) -> None:
        sdb.conn.executemany(
            "INSERT INTO deliveries (id, seen_at) VALUES (?, ?)",
            [(f"d{i}", (now - 20 * DAY).isoformat()) for i in range(25)],
        )
        sdb.conn.set_trace_callback(
            lambda sql: statements.append(sql) if sql.startswith("DELETE FROM deliveries") else None
        )

    await db.transaction(seed)
    policy = Retention(batch_size=10)
    first = await prune(db, now, policy, max_batches=2)
    assert first["deliveries"] == 20 and len(statements) == 2  # two batches of at most 10
    second = await prune(db, now, policy, max_batches=2)
    assert second["deliveries"] == 5
    assert (
        await db.run(lambda sdb: sdb.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]) == 0
    )
    await db.close()


async def test_zero_days_keeps_for_ever(tmp_path: Path) -> None:
    now = FakeClock().now()
    db = await _db(tmp_path)
    await db.transaction(
        lambda sdb: sdb.execute(
            "INSERT INTO deliveries (id, seen_at) VALUES ('d', ?)", [(now - 900 * DAY).isoformat()]
        )
    )
    counts = await prune(db, now, Retention(deliveries=None))
    assert "deliveries" not in counts
    assert (
        await db.run(lambda sdb: sdb.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]) == 1
    )
    await db.close()
