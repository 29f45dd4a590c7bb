"""Slash commands over loopback HTTP with signed requests, against the fake Slack."""

from __future__ import annotations

import asyncio

from bot.chat import (
    Confirmation,
    ErrorReply,
    Invocation,
    ListReply,
    Outcome,
    StatusCard,
)
from tests.slack.conftest import Served
from tests.slack.fake_slack import wait_for


async def test_post_acks_then_confirms_in_channel_under_its_own_thread(served: Served) -> None:
    s = served
    r = await s.slack.command("/post", "Hello &amp; welcome ig x")
    assert r.status_code == 200 and r.text == ""
    await s.adapter.idle()
    [inv] = s.commands.invocations
    assert inv.command == "post" and inv.platform == "slack"
    assert inv.text == "Hello &amp; welcome ig x"  # raw; commands.normalize undoes Slack markup
    assert inv.user.id == "U1" and inv.channel == "C1" and inv.team == "T111"
    assert inv.user_tz == "Europe/Berlin"  # users.info
    assert inv.delivery_id.startswith("slack:cmd:")
    # the working message was posted first; its ts is the request's thread …
    [working] = s.fake.calls_to("chat.postMessage")
    assert inv.thread is not None and (("C1", inv.thread) in s.fake.messages)
    assert "asked" in working["text"] or "Working" in working["text"]
    # … and the confirmation replaced it in place
    [upd] = s.fake.calls_to("chat.update")
    assert upd["ts"] == inv.thread and "Done" in upd["text"]
    assert s.fake.responses == []  # nothing ephemeral


async def test_ack_before_any_slack_or_dispatch_round_trip(served: Served) -> None:
    """The HTTP answer arrives while dispatch is still held: nothing waits for the work."""
    s = served
    s.commands.gate = asyncio.Event()
    s.fake.gates["users.info"] = asyncio.Event()  # even Slack look-ups come after the ack
    r = await s.slack.command("/post", "slow one")
    assert r.status_code == 200
    assert s.commands.finished == 0 and s.adapter.busy == 1
    s.fake.gates["users.info"].set()
    await wait_for(lambda: s.commands.invocations, what="dispatch called")
    assert s.commands.finished == 0
    s.commands.gate.set()
    await s.adapter.idle()
    assert s.fake.calls_to("chat.update")


async def test_user_error_is_ephemeral_and_working_message_removed(served: Served) -> None:
    s = served
    s.commands.script = lambda inv: Outcome(
        (
            ErrorReply(
                title="I couldn't read that command",
                problems=("no caption",),
                hint="/post ig Hello",
            ),
        )
    )
    await s.slack.command("/post", "ig")
    await s.adapter.idle()
    [(_tag, body)] = s.fake.responses
    assert body["response_type"] == "ephemeral"
    assert "couldn't read" in body["text"]
    assert s.fake.calls_to("chat.delete")  # the working message is gone
    assert s.fake.messages == {}


async def test_status_public_card_and_social_help_ephemeral(served: Served) -> None:
    s = served

    def script(inv: Invocation) -> Outcome:
        if inv.command == "status":
            return Outcome((StatusCard(post_id="p1", status="published", title="Launch"),))
        return Outcome((ListReply(title="Help", items=("/post …", "/schedule …")),))

    s.commands.script = script
    await s.slack.command("/status", "p1")
    await s.slack.command("/social", "help")
    await s.adapter.idle()
    assert [i.thread for i in s.commands.invocations] == [None, None]  # no working message
    [pm] = s.fake.calls_to("chat.postMessage")
    assert "Launch" in pm["text"] and pm["channel"] == "C1" and "thread_ts" not in pm
    [(_, help_body)] = s.fake.responses
    assert help_body["response_type"] == "ephemeral" and "Help" in help_body["text"]


async def test_extra_public_replies_thread_under_the_request(served: Served) -> None:
    s = served
    s.commands.script = lambda inv: Outcome(
        (Confirmation(title="Scheduled"), Confirmation(title="Note: X is over 280", tone="warning"))  # type: ignore[arg-type]
    )
    await s.slack.command("/schedule", "ig x tomorrow 9am Hi")
    await s.adapter.idle()
    [inv] = s.commands.invocations
    posts = s.fake.calls_to("chat.postMessage")
    assert len(posts) == 2 and posts[1]["thread_ts"] == inv.thread


async def test_not_in_channel_is_explained_via_response_url(served: Served) -> None:
    s = served
    s.fake.fail("chat.postMessage", "not_in_channel")
    await s.slack.command("/post", "ig Hello", channel="C_PRIVATE")
    await s.adapter.idle()
    assert s.commands.invocations == []  # no request without its thread root
    [(_, body)] = s.fake.responses
    assert "invite me" in body["text"] and "<#C_PRIVATE>" in body["text"]


async def test_dispatch_bug_becomes_an_apology_with_reference(served: Served) -> None:
    s = served

    def boom(inv: Invocation) -> Outcome:
        raise RuntimeError("kaput")

    s.commands.script = boom
    await s.slack.command("/status", "")
    await s.adapter.idle()
    [(_, body)] = s.fake.responses
    assert "Sorry" in body["text"]
    assert "Reference" in str(body["blocks"])
    # the app still works afterwards
    s.commands.script = lambda inv: Outcome((Confirmation(title="fine"),))
    await s.slack.command("/status", "")
    await s.adapter.idle()
    assert s.fake.calls_to("chat.postMessage")


async def test_duplicate_delivery_leaves_nothing_behind(served: Served) -> None:
    s = served
    for _ in range(2):
        await s.slack.command("/post", "ig Hello", trigger_id="same.trigger")
    await s.adapter.idle()
    ids = {i.delivery_id for i in s.commands.invocations}
    assert len(s.commands.invocations) == 2 and len(ids) == 1
    assert len(s.fake.calls_to("chat.update")) == 1
    assert len(s.fake.messages) == 1  # the duplicate's working message was deleted
