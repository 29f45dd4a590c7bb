"""The thread offer through the real Slack stack: a too-long caption's ephemeral reply carries
a "Post as a thread of 3" button; pressing it posts the thread, answered in the channel."""

from __future__ import annotations

from typing import Any

from tests.slack.fake_slack import wait_for
from tests.slack.payloads import button_payload
from tests.slack.test_e2e import E2E, e2e  # noqa: F401  (the fixture)

SENTENCE = "We shipped the new editor today, and it is faster than ever. "


def long_caption() -> str:
    text = (SENTENCE * 11)[:612]
    assert len(text) == 612 and not text.endswith(" ")
    return text


def _button(body: dict[str, Any]) -> dict[str, Any]:
    [actions] = [b for b in body.get("blocks", []) if b.get("type") == "actions"]
    [button] = actions["elements"]
    return dict(button)


async def test_offer_button_posts_the_thread(e2e: E2E) -> None:  # noqa: F811
    await e2e.slack.command("/post", f"x “{long_caption()}”")
    await e2e.settle()
    [(_, body)] = e2e.fake.responses
    assert body["response_type"] == "ephemeral"
    assert "This is 612 characters for X (limit 280). Post it as a thread of 3?" in body["text"]
    shown = str(body["blocks"])
    assert "X 1/3:" in shown and "X 3/3:" in shown  # the preview of each part
    button = _button(body)
    assert button["action_id"] == "socialbot_split"
    assert button["text"]["text"] == "Post as a thread of 3"
    assert await e2e.requests() == []  # nothing was posted

    press = button_payload("socialbot_split", button["value"], user="U1", channel="C1", ts="1.1")
    press["container"]["is_ephemeral"] = True
    press["response_url"] = e2e.fake.response_url("offer")
    assert (await e2e.slack.interact(press)).status_code == 200
    await e2e.settle()
    [req] = await e2e.requests()
    client = e2e.core.clients.for_workspace("default")
    post = await client.get_post(req.post_id)
    assert str(post.post_type) == "thread" and len(post.extra["thread"]) == 3
    # answered like a command: a working message in the channel, replaced by the confirmation,
    # and that message is the request's thread (announcements go there)
    # (the first working message, of the /post that got the offer, was deleted)
    _first, working = e2e.fake.calls_to("chat.postMessage")
    assert e2e.fake.calls_to("chat.delete")
    [upd] = [u for u in e2e.fake.calls_to("chat.update") if u["channel"] == "C1"]
    assert "Publishing now" in upd["text"] and req.thread == upd["ts"]
    assert "as a thread" in str(working["blocks"])
    # the offer itself was removed
    await wait_for(lambda: any(b.get("delete_original") for _, b in e2e.fake.responses),
                   what="offer removed")  # fmt: skip

    # pressing it again: nothing new, and the presser is told why
    again = button_payload("socialbot_split", button["value"], user="U1", channel="C1", ts="1.1")
    again["response_url"] = e2e.fake.response_url("offer2")
    await e2e.slack.interact(again)
    await e2e.settle()
    assert len(await e2e.requests()) == 1
    assert any(
        "no longer open" in b.get("text", "") for t, b in e2e.fake.responses if t == "offer2"
    )


async def test_split_typed_up_front_needs_no_offer(e2e: E2E) -> None:  # noqa: F811
    await e2e.slack.command("/post", f"x,fb “{long_caption()}” split")
    await e2e.settle()
    assert e2e.fake.responses == []
    rows = await e2e.requests()
    assert len(rows) == 2  # a thread on X, the caption on Facebook: one request
    [upd] = e2e.fake.calls_to("chat.update")
    assert "X: thread of 3" in str(upd["blocks"]) and "Facebook: the caption" in str(upd["blocks"])
