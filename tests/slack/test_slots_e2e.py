"""Posting slots through the real Slack stack: two ``/schedule … next`` at the same instant get
two different slots (compare-and-set in the database), each confirmation naming its slot."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.slots import occurrences, parse_slots
from commands.slotting import LEAD
from tests.slack.test_e2e import E2E, SLOTTED, e2e  # noqa: F401  (the fixture)

SLOTS = parse_slots(["daily 00:00", "daily 06:00", "daily 12:00", "daily 18:00"])


async def test_two_concurrent_next_slot_requests_get_one_slot_each(e2e: E2E) -> None:  # noqa: F811
    now = e2e.core.clock.now()
    first, second = occurrences(SLOTS, ZoneInfo("UTC"), now + LEAD, now + timedelta(days=1))[:2]
    results = await asyncio.gather(
        e2e.slack.command("/schedule", "x “Race A” next", channel=SLOTTED, user="U1"),
        e2e.slack.command("/schedule", "x “Race B” next", channel=SLOTTED, user="U2"),
    )
    assert [r.status_code for r in results] == [200, 200]
    await e2e.settle()
    # both confirmed in place of their working messages, each naming its slot
    texts = [_text(u) for u in e2e.fake.calls_to("chat.update")]
    confirmations = [t for t in texts if "next free:" in t]
    assert len(confirmations) == 2, texts
    taken_by = [t for t in confirmations if "is taken by" in t]
    assert len(taken_by) == 1  # the one that lost the race says who has the first slot
    # the API got two posts, one at each of the two next slots
    rows = await e2e.requests()
    assert len(rows) == 2
    client = e2e.core.clients.for_workspace("default")
    posts = [await client.get_post(r.post_id) for r in rows]
    when = sorted(p.scheduled_at for p in posts if p.scheduled_at is not None)
    assert when == [first, second]

    def claims(sdb: Any) -> list[tuple[str, str]]:
        return [(r["slot_at"], r["post_id"]) for r in sdb.query("SELECT * FROM slot_claims")]

    held = await e2e.core.db.run(claims)
    assert sorted(datetime.fromisoformat(t) for t, _ in held) == [first, second]
    assert {p for _, p in held} == {r.post_id for r in rows}


def _text(call: dict[str, Any]) -> str:
    return str(call.get("text", "")) + str(call.get("blocks", ""))
