"""The payload corpus (``tests/corpus/{slack,discord}/*.json``, sources in README.md), loaded.

A Slack sample's file name says how Slack delivers it: ``command_*`` form fields,
``interactive_*`` a form ``payload=<json>``, ``event_*`` a JSON body, ``socket_*`` a Socket Mode
envelope. Discord samples are ``interaction_*`` (INTERACTION_CREATE data) and ``gateway_*``
(``{"t": event name, "d": data}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
RESPONSE_URL_HOSTS = ("https://hooks.slack.com/", "http://localhost:8888/")


@dataclass(frozen=True)
class Sample:
    name: str  # file name without .json
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.name.split("_", 1)[0]


def samples(platform: str) -> list[Sample]:
    return [
        Sample(p.stem, json.loads(p.read_text(encoding="utf-8")))
        for p in sorted((ROOT / platform).glob("*.json"))
    ]


def slack_http() -> list[Sample]:
    """The Slack samples that arrive over HTTP (all but the Socket Mode envelopes)."""
    return [s for s in samples("slack") if s.kind != "socket"]


def encode(kind: str, doc: dict[str, Any]) -> tuple[str, str]:
    """(content type, body) as Slack posts a ``kind`` payload."""
    if kind == "command":
        flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in doc.items()}
        return FORM, urlencode(flat)
    if kind == "interactive":
        return FORM, urlencode({"payload": json.dumps(doc)})
    return JSON, json.dumps(doc)


ENVELOPE_TYPES = {"command": "slash_commands", "interactive": "interactive", "event": "events_api"}


def envelope(sample: Sample) -> dict[str, Any]:
    """``sample`` as a Socket Mode envelope (a ``socket_*`` sample already is one)."""
    if sample.kind == "socket":
        return sample.doc
    kind = ENVELOPE_TYPES[sample.kind]
    return {
        "envelope_id": f"env-{sample.name}",
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "payload": sample.doc,
    }


def redirect(doc: Any, sink: str) -> Any:
    """``doc`` with every response URL (``hooks.slack.com``, bolt's ``localhost:8888``) turned
    into one under ``sink`` (the fake's response_url sink), path kept."""
    if isinstance(doc, dict):
        return {k: redirect(v, sink) for k, v in doc.items()}
    if isinstance(doc, list):
        return [redirect(v, sink) for v in doc]
    if isinstance(doc, str):
        for host in RESPONSE_URL_HOSTS:
            if doc.startswith(host):
                return sink.rstrip("/") + "/" + doc[len(host) :]
    return doc


def substitute(doc: Any, ids: dict[str, str]) -> Any:
    """``doc`` with every string equal to a key of ``ids`` replaced (documented ids → the
    fake's ids)."""
    if isinstance(doc, dict):
        return {k: substitute(v, ids) for k, v in doc.items()}
    if isinstance(doc, list):
        return [substitute(v, ids) for v in doc]
    if isinstance(doc, str):
        return ids.get(doc, doc)
    return doc
