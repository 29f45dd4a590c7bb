"""Request changes through the real Slack stack: ✏️ on the card then a reply in its thread, and
the Request changes button → the reason form (views.open) → submitted."""

from __future__ import annotations

import time
from typing import Any

from tests.slack.payloads import button_payload, reaction, view_payload
from tests.slack.test_e2e import APPROVER, E2E, REQUESTER, REVIEW, _request_card, e2e

__all__ = ["e2e"]  # the fixture


def thread_reply(user: str, channel: str, thread: str, text: str) -> dict[str, Any]:
    return {
        "type": "message", "channel": channel, "user": user, "text": text,
        "ts": f"{time.time():.6f}", "thread_ts": thread, "channel_type": "channel",
    }  # fmt: skip


def posted_in_thread(e2e: E2E, channel: str, ts: str) -> list[dict[str, Any]]:
    return [
        p
        for p in e2e.fake.calls_to("chat.postMessage")
        if p["channel"] == channel and p.get("thread_ts") == ts
    ]


async def test_pencil_then_a_reply_in_the_cards_thread(e2e: E2E) -> None:
    ts = await _request_card(e2e)
    await e2e.slack.event(reaction(APPROVER, "pencil2", REVIEW, ts), "EvPencil")
    await e2e.settle()
    [asked] = posted_in_thread(e2e, REVIEW, ts)
    assert f"<@{APPROVER}>, what should change in" in asked["text"]
    assert "socialbot_changes" in str(asked["blocks"])  # "Give the reason" opens the form
    assert "waiting for the reason" in str(e2e.card_updates(ts)[-1]["blocks"])

    reply = thread_reply(APPROVER, REVIEW, ts, "Please add the launch link")
    assert (await e2e.slack.event(reply, "EvReply")).status_code == 200
    await e2e.settle()
    card = str(e2e.card_updates(ts)[-1]["blocks"])
    assert f"Changes requested by <@{APPROVER}>: Please add the launch link" in card
    # the requester is mentioned in the request's thread, with the reason and how to edit
    [req] = await e2e.requests()
    [told] = [
        p for p in posted_in_thread(e2e, req.channel, req.thread or "") if "changes" in p["text"]
    ]
    assert f"<@{REQUESTER}>" in told["text"] and "Please add the launch link" in str(told)
    assert f"/social edit {req.post_id}" in str(told["blocks"])
    assert req.status == "draft"  # the request stays open


async def test_the_button_opens_the_form_and_the_reason_lands_on_the_card(e2e: E2E) -> None:
    ts = await _request_card(e2e)
    [req] = await e2e.requests()
    press = button_payload("socialbot_changes", req.post_id, user=APPROVER, channel=REVIEW, ts=ts)
    assert (await e2e.slack.interact(press)).status_code == 200
    await e2e.settle()
    [opened] = e2e.fake.calls_to("views.open")
    view = opened["view"]
    assert view["callback_id"] == "socialbot_changes" and req.post_id in str(view["blocks"])
    values = {"reason": {"reason_input": {"type": "plain_text_input", "value": "Shorter, please"}}}
    submitted = view_payload(view, values, user=APPROVER)
    assert (await e2e.slack.interact(submitted)).status_code == 200
    await e2e.settle()
    card = str(e2e.card_updates(ts)[-1]["blocks"])
    assert f"Changes requested by <@{APPROVER}>: Shorter, please" in card
    assert "Request changes" in card  # still waiting: the buttons stay
    told = [
        p for p in posted_in_thread(e2e, req.channel, req.thread or "") if "changes" in p["text"]
    ]
    assert len(told) == 1
