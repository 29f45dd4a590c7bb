"""The fake Slack's records and checks: a Web API call, a team, a message the bot posted, a
failure to answer with, and Block Kit as Slack would refuse it (``block_problems``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T111"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: Mapping[str, str]
    team: str | None = None  # the team whose token made it


@dataclass
class FakeTeam:
    id: str
    name: str
    enterprise: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    thread_ts: str | None
    params: dict[str, Any]  # what the bot sent, with its updates applied
    deleted: bool = False
    updates: int = 0

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> Any:
        return self.params.get("blocks")

    @property
    def metadata(self) -> dict[str, Any] | None:
        meta = self.params.get("metadata")
        return meta if isinstance(meta, dict) else None

    @property
    def key(self) -> str | None:
        """The de-duplication key the bot put in the message metadata, if any."""
        payload = (self.metadata or {}).get("event_payload")
        return str(payload.get("key")) if isinstance(payload, dict) and "key" in payload else None

    def body(self) -> str:
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)

    def as_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@dataclass
class Failure:
    error: str
    times: int = 1
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def block_problems(
    blocks: list[dict[str, Any]], unreachable: AbstractSet[str] = frozenset()
) -> list[str]:
    """What Slack would refuse in a message's blocks, checked with slack_sdk's Block Kit models
    (every block parsed, validated with its nested objects), plus the 50-block limit and image
    URLs Slack cannot download."""
    out: list[str] = []
    if len(blocks) > 50:
        out.append(f"{len(blocks)} blocks; the limit is 50")
    for i, raw in enumerate(blocks):
        block = Block.parse(raw)
        if block is None:
            out.append(f"blocks[{i}]: unknown block {raw.get('type')!r}")
            continue
        try:
            block.validate_json()
            block.to_dict()  # validates nested elements and text objects too
        except SlackObjectFormationError as e:
            out.append(f"blocks[{i}]: {e}")
        if raw.get("type") == "image" and ("image_url" in raw) == ("slack_file" in raw):
            out.append(f"blocks[{i}]: an image needs exactly one of image_url, slack_file")
        if raw.get("type") == "image" and raw.get("image_url") in unreachable:
            out.append(f"blocks[{i}]: downloading image failed")
    return out
