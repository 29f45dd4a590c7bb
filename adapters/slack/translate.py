"""Slack payloads → neutral command-layer values. Pure functions, one place.

Raw payload shapes (``SlashCommand``, ``ReactionPayload``…) stay in this module; what leaves it
is ``bot.chat`` values: ``Invocation``, ``ReactionEvent``, ``ButtonEvent``. Nothing here
decides anything the command layer decides (defaults, validation of values, permissions).

Delivery ids (what ``dispatch`` de-duplicates on; Slack retries carry the same id):

    events (reaction_added/removed)   slack:ev:<event_id>
    slash commands (no id from Slack) slack:cmd:<sha256(team, user, channel, trigger_id)>
    buttons                           slack:act:<sha256(team, user, channel, message ts, action_ts)>
    modal submissions                 slack:view:<sha256(team, user, view id, trigger_id)>
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.chat import (
    APPROVE,
    CHANGES,
    REJECT,
    SPLIT,
    ButtonEvent,
    Invocation,
    MessageRef,
    ReactionAction,
    ReactionEvent,
    User,
)
from commands.emoji import normalise_emoji as _normalise

PLATFORM = "slack"

# Slash command → command-layer command name.
COMMANDS: Mapping[str, str] = {
    "/post": "post",
    "/schedule": "schedule",
    "/status": "status",
    "/social": "social",
}

# Stable action ids of the approval card buttons.
ACTION_APPROVE = "socialbot_approve"
ACTION_REJECT = "socialbot_reject"
ACTION_DECISIONS: Mapping[str, str] = {ACTION_APPROVE: APPROVE, ACTION_REJECT: REJECT}
# A button a reply offers (``bot.chat.Button``): its action id names the decision.
ACTION_SPLIT = "socialbot_split"  # "Post as a thread of 3"
ACTION_CHANGES = "socialbot_changes"  # Request changes / Give the reason (opens the form)
_ACTION_IDS: Mapping[str, str] = {SPLIT: ACTION_SPLIT, CHANGES: ACTION_CHANGES}


def action_id(decision: str) -> str:
    return _ACTION_IDS.get(decision, f"socialbot_{decision}")


# A button that runs a command as the presser (Confirm delete, Retry failed): action_id
# "socialbot_run_<n>", value JSON {"c": command, "t": text}. Only these commands may be run.
ACTION_RUN = "socialbot_run"
RUN_COMMANDS = frozenset({"social"})


def normalise_emoji(name: str) -> str:
    """``:white_check_mark:``, ``heavy_check_mark``, ``✅`` → APPROVE; ``x``, ``❌`` → REJECT."""
    return _normalise(name)


def _digest(*parts: object) -> str:
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _s(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return v if isinstance(v, str) and v else None


@dataclass(frozen=True)
class SlashCommand:
    """The fields of a slash-command payload the adapter uses."""

    command: str  # command-layer name: post / schedule / status / social
    slash: str  # as Slack sent it: "/post"
    text: str  # as Slack sent it (markup is undone by commands.normalize)
    user_id: str
    user_name: str | None
    channel: str
    team: str | None
    trigger_id: str | None
    delivery_id: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> SlashCommand:
        slash = str(body.get("command", ""))
        team = _s(body, "team_id")
        user = str(body.get("user_id", ""))
        channel = str(body.get("channel_id", ""))
        trigger = _s(body, "trigger_id")
        return cls(
            command=COMMANDS.get(slash, slash.lstrip("/")),
            slash=slash,
            text=str(body.get("text") or ""),
            user_id=user,
            user_name=_s(body, "user_name"),
            channel=channel,
            team=team,
            trigger_id=trigger,
            delivery_id=f"slack:cmd:{_digest(team, user, channel, trigger, slash, body.get('text'))}",
        )

    def invocation(self, *, thread: str | None, user_tz: str | None) -> Invocation:
        return Invocation(
            command=self.command,
            text=self.text,
            user=User(id=self.user_id, name=self.user_name),
            platform=PLATFORM,
            channel=self.channel,
            delivery_id=self.delivery_id,
            team=self.team,
            thread=thread,
            user_tz=user_tz,
        )


def reaction_event(body: Mapping[str, Any]) -> ReactionEvent | None:
    """``reaction_added`` / ``reaction_removed`` on a message → ``ReactionEvent`` (else None)."""
    event = body.get("event")
    if not isinstance(event, Mapping):
        return None
    item = event.get("item")
    if not isinstance(item, Mapping) or item.get("type") != "message":
        return None
    kind = event.get("type")
    if kind == "reaction_added":
        action = ReactionAction.ADDED
    elif kind == "reaction_removed":
        action = ReactionAction.REMOVED
    else:
        return None
    channel, ts, user = _s(item, "channel"), _s(item, "ts"), _s(event, "user")
    event_id = _s(body, "event_id")
    if not (channel and ts and user):
        return None
    return ReactionEvent(
        action=action,
        emoji=normalise_emoji(str(event.get("reaction", ""))),
        user=User(id=user),
        message=MessageRef(platform=PLATFORM, channel=channel, message_id=ts),
        delivery_id=(
            f"slack:ev:{event_id}"
            if event_id
            else f"slack:ev:{_digest(kind, user, channel, ts, event.get('event_ts'))}"
        ),
        team=_s(body, "team_id"),
    )


def button_event(body: Mapping[str, Any]) -> ButtonEvent | None:
    """Approve / Reject pressed on an approval card (``block_actions``) → ``ButtonEvent``."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None
    action = actions[0]
    decision = ACTION_DECISIONS.get(str(action.get("action_id", "")))
    container = body.get("container")
    user = body.get("user")
    if decision is None or not isinstance(container, Mapping) or not isinstance(user, Mapping):
        return None
    channel = _s(container, "channel_id")
    ts = _s(container, "message_ts")
    uid = _s(user, "id")
    if not (channel and ts and uid):
        return None
    team_obj = body.get("team")
    team = _s(team_obj, "id") if isinstance(team_obj, Mapping) else None
    return ButtonEvent(
        decision=decision,
        user=User(id=uid, name=_s(user, "username") or _s(user, "name")),
        message=MessageRef(platform=PLATFORM, channel=channel, message_id=ts),
        delivery_id=f"slack:act:{_digest(team, uid, channel, ts, action.get('action_ts'))}",
        team=team,
    )


def _obj(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def command_button(body: Mapping[str, Any]) -> SlashCommand | None:
    """A command button (``ACTION_RUN``) pressed → the command it runs, as the presser."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None
    action = actions[0]
    if not str(action.get("action_id", "")).startswith(ACTION_RUN):
        return None
    try:
        value = json.loads(str(action.get("value") or ""))
    except ValueError:
        return None
    if not isinstance(value, Mapping) or value.get("c") not in RUN_COMMANDS:
        return None
    user, container, chan, team_obj = (
        _obj(body, k) for k in ("user", "container", "channel", "team")
    )
    uid = _s(user, "id")
    channel = _s(container, "channel_id") or _s(chan, "id")
    if not (uid and channel):
        return None
    team = _s(team_obj, "id")
    command, text = str(value["c"]), str(value.get("t") or "")
    return SlashCommand(
        command=command,
        slash=f"/{command}",
        text=text,
        user_id=uid,
        user_name=_s(user, "username") or _s(user, "name"),
        channel=channel,
        team=team,
        trigger_id=None,
        delivery_id=f"slack:run:{_digest(team, uid, channel, action.get('action_ts'), text)}",
    )


def view_delivery_id(body: Mapping[str, Any]) -> str:
    view = body.get("view") if isinstance(body.get("view"), Mapping) else {}
    user = body.get("user") if isinstance(body.get("user"), Mapping) else {}
    team = body.get("team") if isinstance(body.get("team"), Mapping) else {}
    assert isinstance(view, Mapping) and isinstance(user, Mapping) and isinstance(team, Mapping)
    return "slack:view:" + _digest(
        team.get("id"), user.get("id"), view.get("id"), body.get("trigger_id")
    )


def offer_event(body: Mapping[str, Any]) -> ButtonEvent | None:
    """An error reply's offer pressed (e.g. "Post as a thread of 3"; ``block_actions``, often
    on an ephemeral message) → ``ButtonEvent`` with the offer's ``value``."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None
    action = actions[0]
    action_id = str(action.get("action_id", ""))
    if action_id != ACTION_SPLIT:
        return None
    user = body.get("user")
    container = body.get("container") if isinstance(body.get("container"), Mapping) else {}
    channel_obj = body.get("channel") if isinstance(body.get("channel"), Mapping) else {}
    assert isinstance(container, Mapping) and isinstance(channel_obj, Mapping)
    channel = _s(container, "channel_id") or _s(channel_obj, "id")
    value = action.get("value")
    if not isinstance(user, Mapping) or not channel or not isinstance(value, str) or not value:
        return None
    uid = _s(user, "id")
    if not uid:
        return None
    team_obj = body.get("team")
    team = _s(team_obj, "id") if isinstance(team_obj, Mapping) else None
    return ButtonEvent(
        decision=SPLIT,
        user=User(id=uid, name=_s(user, "username") or _s(user, "name")),
        message=MessageRef(PLATFORM, channel, _s(container, "message_ts") or ""),
        delivery_id=f"slack:act:{_digest(team, uid, channel, value, action.get('action_ts'))}",
        team=team,
        value=value,
    )
