"""Signed Slack requests, as Slack sends them (form-encoded commands, JSON events,
form ``payload=`` interactivity), and a driver that posts them to the bot over loopback HTTP."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.slack.fake_slack import BOT_USER, TEAM

SECRET = "test-signing-secret"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_ids = itertools.count(1)


def sign(secret: str, body: str, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": str(ts), "x-slack-signature": "v0=" + sig}


def slash(command: str, text: str, response_url: str, *, channel: str = "C1", user: str = "U1",
          trigger_id: str | None = None, team: str = TEAM) -> str:  # fmt: skip
    return urlencode(
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "t",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "alice",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": trigger_id or f"trig.{next(_ids)}",
        }
    )


def slash_payload(command: str, text: str, response_url: str, **kw: Any) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(slash(command, text, response_url, **kw)))


def event(ev: dict[str, Any], event_id: str, team: str = TEAM) -> str:
    return json.dumps(event_payload(ev, event_id, team))


def event_payload(ev: dict[str, Any], event_id: str, team: str = TEAM) -> dict[str, Any]:
    return {
        "token": "legacy", "team_id": team, "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id, "event_time": 1700000000, "event": ev,
        "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}],
    }  # fmt: skip


def reaction(
    user: str, name: str, channel: str, ts: str, *, removed: bool = False
) -> dict[str, Any]:
    return {
        "type": "reaction_removed" if removed else "reaction_added", "user": user,
        "reaction": name, "item": {"type": "message", "channel": channel, "ts": ts},
        "item_user": BOT_USER, "event_ts": f"{time.time():.6f}",
    }  # fmt: skip


def button_payload(
    action_id: str, value: str, *, user: str, channel: str, ts: str, team: str = TEAM
) -> dict[str, Any]:
    return {
        "type": "block_actions", "team": {"id": team, "domain": "t"},
        "user": {"id": user, "username": user.lower(), "team_id": team}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": f"trig.{next(_ids)}",
        "channel": {"id": channel, "name": "general"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "response_url": "http://127.0.0.1:9/unused",
        "actions": [{"action_id": action_id, "block_id": "socialbot_card_actions",
                     "type": "button", "value": value, "action_ts": f"{time.time():.6f}"}],
    }  # fmt: skip


def view_payload(view: dict[str, Any], values: dict[str, Any], *, user: str = "U1",
                 view_id: str = "V0001") -> dict[str, Any]:  # fmt: skip
    return {
        "type": "view_submission", "team": {"id": TEAM, "domain": "t"},
        "user": {"id": user, "username": "alice", "team_id": TEAM}, "api_app_id": "A1",
        "token": "legacy", "trigger_id": f"trig.{next(_ids)}",
        "view": {**view, "id": view_id, "hash": "h1", "state": {"values": values}},
    }  # fmt: skip


def form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


class SlackDriver:
    """Posts signed requests to the bot's /slack/events, like Slack does."""

    def __init__(self, url: str, response_url: str, secret: str = SECRET) -> None:
        self.url = url
        self.response_url = response_url
        self.secret = secret
        self.http = httpx.AsyncClient(timeout=10)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, body: str, ctype: str, *, secret: str | None = None, ts: int | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
        h = {"content-type": ctype, **sign(secret or self.secret, body, ts), **(headers or {})}
        return await self.http.post(self.url, content=body, headers=h)

    async def command(self, command: str, text: str = "", **kw: Any) -> httpx.Response:
        return await self.send(slash(command, text, self.response_url, **kw), FORM)

    async def event(
        self, ev: dict[str, Any], event_id: str, *, team: str = TEAM, **kw: Any
    ) -> httpx.Response:
        return await self.send(event(ev, event_id, team), JSON, **kw)

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.send(form(payload), FORM)
