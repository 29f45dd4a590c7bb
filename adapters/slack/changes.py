"""Slack payloads of "Request changes": the reason form (a modal) and replies in a card's thread.

Request changes / Give the reason button  → ``reason_view`` (views.open; the card and post
                                             ride in ``private_metadata``)
the form submitted                        → ``reason_event``: ``ButtonEvent(CHANGES,
                                             reason=…)`` on the card
a message in a thread (``message`` event) → ``reply_event``: ``ReplyEvent`` (the reason of a
                                             ✏️, when its author asked for changes there)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.slack.translate import ACTION_CHANGES, PLATFORM, _digest, _s
from bot.chat import CHANGES, ButtonEvent, MessageRef, ReplyEvent, User

__all__ = ["ACTION_CHANGES", "reason_event", "reason_view", "reply_event"]
REASON_VIEW = "socialbot_changes"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
REASON_MAX = 1000


def reason_view(post_id: str, channel: str, ts: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": REASON_VIEW,
        "title": {"type": "plain_text", "text": "Request changes"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"post": post_id, "channel": channel, "ts": ts}),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": f"What should change in {post_id}?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_MAX,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "e.g. Shorten the first line and add the blog link",
                    },
                },
            }
        ],
    }


def pressed(body: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    """A Request changes / Give the reason press: (trigger id, post id, channel, message ts)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None
    container = body.get("container")
    if not isinstance(container, Mapping):
        return None
    trigger = _s(body, "trigger_id")
    post = _s(actions[0], "value")
    channel = _s(container, "channel_id")
    ts = _s(container, "message_ts")
    if not (trigger and post and channel and ts):
        return None
    return trigger, post, channel, ts


def reason_event(body: Mapping[str, Any]) -> ButtonEvent | None:
    view = body.get("view")
    user = body.get("user")
    if not isinstance(view, Mapping) or not isinstance(user, Mapping):
        return None
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
        value = view["state"]["values"][REASON_BLOCK][REASON_INPUT]["value"]
    except (KeyError, TypeError, ValueError):
        return None
    uid = _s(user, "id")
    if not uid or not isinstance(meta, dict):
        return None
    team_obj = body.get("team")
    team = _s(team_obj, "id") if isinstance(team_obj, Mapping) else None
    return ButtonEvent(
        decision=CHANGES,
        user=User(id=uid, name=_s(user, "username") or _s(user, "name")),
        message=MessageRef(PLATFORM, str(meta.get("channel", "")), str(meta.get("ts", ""))),
        delivery_id="slack:view:" + _digest(team, uid, view.get("id"), body.get("trigger_id")),
        team=team,
        value=str(meta.get("post", "")),
        reason=str(value or "").strip() or None,
    )


def reply_event(body: Mapping[str, Any]) -> ReplyEvent | None:
    """A person's message in a thread (not the thread's root, not a bot, not an edit)."""
    ev = body.get("event")
    if not isinstance(ev, Mapping) or ev.get("type") != "message":
        return None
    if ev.get("subtype") not in (None, "thread_broadcast") or ev.get("bot_id"):
        return None
    thread, ts = _s(ev, "thread_ts"), _s(ev, "ts")
    user, channel, text = _s(ev, "user"), _s(ev, "channel"), _s(ev, "text")
    if not (thread and ts and user and channel and text) or thread == ts:
        return None
    return ReplyEvent(
        user=User(id=user),
        message=MessageRef(PLATFORM, channel, thread),
        text=text,
        delivery_id=f"slack:ev:{_s(body, 'event_id') or _digest(channel, ts)}",
        team=_s(body, "team_id"),
    )
