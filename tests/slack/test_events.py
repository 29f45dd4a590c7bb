"""Reactions and buttons on approval cards, signatures, Events API retries, the bot's own
events, and Socket Mode."""

from __future__ import annotations

import json
import sqlite3
import time

from adapters.slack.runner import start_socket_mode
from adapters.slack.translate import ACTION_APPROVE, ACTION_REJECT, normalise_emoji
from bot.chat import (
    APPROVE,
    REJECT,
    ButtonEvent,
    ErrorReply,
    Outcome,
    ReactionAction,
    ReactionEvent,
)
from tests.slack.conftest import Served
from tests.slack.fake_slack import APP_TOKEN, BOT_USER, wait_for
from tests.slack.payloads import (
    FORM,
    JSON,
    button_payload,
    event,
    event_payload,
    reaction,
    slash,
    slash_payload,
)


def test_emoji_names_normalise() -> None:
    for name in ("white_check_mark", ":white_check_mark:", "heavy_check_mark", "✅",
                 "white_check_mark::skin-tone-3"):  # fmt: skip
        assert normalise_emoji(name) == APPROVE
    for name in ("x", ":x:", "❌"):
        assert normalise_emoji(name) == REJECT
    assert normalise_emoji("tada") == "tada"


async def test_reaction_becomes_event_with_event_id_and_retries_are_one_delivery(
    served: Served,
) -> None:
    s = served
    ev = reaction("U2", "heavy_check_mark", "C9", "1700000000.000042")
    first = await s.slack.event(ev, "Ev123")
    retries = [
        await s.slack.event(ev, "Ev123", headers={"x-slack-retry-num": str(n),
                                                  "x-slack-retry-reason": "http_timeout"})
        for n in (1, 2)
    ]  # fmt: skip
    assert first.status_code == 200 and all(r.status_code == 200 for r in retries)
    await s.adapter.idle()
    assert len(s.commands.events) == 3
    e = s.commands.events[0]
    assert isinstance(e, ReactionEvent)
    assert (e.action, e.emoji, e.user.id, e.team) == (ReactionAction.ADDED, APPROVE, "U2", "T111")
    assert (e.message.channel, e.message.message_id) == ("C9", "1700000000.000042")
    assert {x.delivery_id for x in s.commands.events} == {"slack:ev:Ev123"}


async def test_reaction_removed_and_other_items(served: Served) -> None:
    s = served
    await s.slack.event(reaction("U2", "x", "C9", "1.1", removed=True), "Ev2")
    file_reaction = {**reaction("U2", "x", "C9", "1.1"), "item": {"type": "file", "file": "F1"}}
    await s.slack.event(file_reaction, "Ev3")
    await s.adapter.idle()
    [e] = s.commands.events
    assert isinstance(e, ReactionEvent) and e.action is ReactionAction.REMOVED and e.emoji == REJECT


async def test_the_bots_own_reactions_are_ignored(served: Served) -> None:
    s = served
    await s.slack.event(reaction(BOT_USER, "white_check_mark", "C9", "1.1"), "Ev4")
    await s.slack.event(reaction("U2", "white_check_mark", "C9", "1.1"), "Ev5")
    await s.adapter.idle()
    assert [e.user.id for e in s.commands.events] == ["U2"]


async def test_buttons_and_outcome_replies(served: Served) -> None:
    s = served
    s.commands.card_script = lambda e: Outcome(
        (ErrorReply(title="You can't approve your own request"),)
    )
    for action in (ACTION_APPROVE, ACTION_REJECT):
        r = await s.slack.interact(
            button_payload(action, "card-1", user="U3", channel="C9", ts="1700000000.000007")
        )
        assert r.status_code == 200
    await s.adapter.idle()
    decisions = [e.decision for e in s.commands.events if isinstance(e, ButtonEvent)]
    assert decisions == [APPROVE, REJECT]
    b = s.commands.events[0]
    assert b.message.message_id == "1700000000.000007" and b.delivery_id.startswith("slack:act:")
    assert b.delivery_id != s.commands.events[1].delivery_id
    eph = s.fake.ephemeral
    assert len(eph) == 2 and eph[0]["user"] == "U3" and eph[0]["channel"] == "C9"
    assert "own request" in eph[0]["text"]


async def test_bad_stale_and_missing_signatures_get_401_and_change_nothing(served: Served) -> None:
    s = served
    body = slash("/post", "ig hi", s.slack.response_url)
    bad = await s.slack.send(body, FORM, secret="wrong")
    stale = await s.slack.send(body, FORM, ts=int(time.time()) - 301)
    missing = await s.slack.http.post(s.slack.url, content=body, headers={"content-type": FORM})
    ev = event(reaction("U2", "white_check_mark", "C9", "1.1"), "Ev9")
    tampered_headers = {"content-type": JSON, **_sig_of(s, ev)}
    tampered = await s.slack.http.post(
        s.slack.url, content=ev.replace("U2", "U6"), headers=tampered_headers
    )
    assert [r.status_code for r in (bad, stale, missing, tampered)] == [401, 401, 401, 401]
    await s.adapter.idle()
    assert s.commands.invocations == [] and s.commands.events == []
    assert [m for m in s.fake.methods() if m != "auth.test"] == []
    assert await _deliveries(s) == 0


def _sig_of(s: Served, body: str) -> dict[str, str]:
    from tests.slack.payloads import sign

    return sign(s.slack.secret, body)


async def _deliveries(s: Served) -> int:
    def count(sdb: object) -> int:
        return int(sdb.execute("SELECT count(*) FROM deliveries").fetchone()[0])  # type: ignore[attr-defined]

    return await s.adapter.core.db.run(count)


async def test_url_verification(served: Served) -> None:
    s = served
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "t"})
    r = await s.slack.send(body, JSON)
    assert r.json() == {"challenge": "abc"}


async def test_socket_mode_commands_events_and_buttons(served: Served) -> None:
    s = served
    handler = await start_socket_mode(s.adapter.app, APP_TOKEN)
    try:
        await s.fake.send_envelope(
            "slash_commands", slash_payload("/status", "p1", s.slack.response_url), "e1"
        )
        await s.fake.send_envelope(
            "events_api", event_payload(reaction("U2", "x", "C9", "1.5"), "EvS1"), "e2"
        )
        # Socket Mode redelivers without retry headers: same event_id
        await s.fake.send_envelope(
            "events_api", event_payload(reaction("U2", "x", "C9", "1.5"), "EvS1"), "e3"
        )
        await s.fake.send_envelope(
            "interactive",
            button_payload(ACTION_APPROVE, "c1", user="U4", channel="C9", ts="1.5"),
            "e4",
        )
        await wait_for(lambda: len(s.fake.acks) == 4, what="4 envelope acks")
        await wait_for(lambda: len(s.commands.events) == 3 and s.commands.invocations)
        await s.adapter.idle()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert {a["envelope_id"] for a in s.fake.acks} == {"e1", "e2", "e3", "e4"}
    assert s.commands.invocations[0].command == "status"
    assert [e.delivery_id for e in s.commands.events].count("slack:ev:EvS1") == 2
    opened = [c for c in s.fake.calls if c.method == "apps.connections.open"]
    assert opened and opened[0].headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_socket_mode_records_each_request_before_acking_it(served: Served) -> None:
    s = served
    at_ack: dict[str, set[str]] = {}

    def journaled(ack: dict[str, object]) -> None:
        # What is on disk at the moment the ack reaches Slack (another connection reads it).
        ids: set[str] = set()
        with sqlite3.connect(s.adapter.core.db.path) as c:
            try:
                ids = {str(r[0]) for r in c.execute("SELECT id FROM command_journal")}
            except sqlite3.OperationalError:  # no journal table yet: nothing recorded
                pass
        at_ack[str(ack["envelope_id"])] = ids

    s.fake.on_ack = journaled
    handler = await start_socket_mode(s.adapter.app, APP_TOKEN)
    try:
        await s.fake.send_envelope(
            "slash_commands", slash_payload("/status", "p1", s.slack.response_url), "e1"
        )
        await s.fake.send_envelope(
            "events_api", event_payload(reaction("U2", "x", "C9", "1.5"), "EvR1"), "e2"
        )
        await s.fake.send_envelope(
            "interactive",
            button_payload(ACTION_APPROVE, "c1", user="U4", channel="C9", ts="1.5"),
            "e3",
        )
        await wait_for(lambda: len(at_ack) == 3, what="3 envelope acks")
        await wait_for(lambda: len(s.commands.events) == 2 and s.commands.invocations)
        await s.adapter.idle()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    command = s.commands.invocations[0].delivery_id
    reaction_id, button_id = (e.delivery_id for e in s.commands.events)
    assert command in at_ack["e1"]
    assert reaction_id in at_ack["e2"]
    assert button_id in at_ack["e3"]
