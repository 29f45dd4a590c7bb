"""manifest.yml lists what the adapter listens to and the scopes its calls need."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack.translate import COMMANDS

MANIFEST = (Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8")


def test_commands_scopes_and_events_listed() -> None:
    commands = re.findall(r"^\s+- command: (/\w+)$", MANIFEST, re.M)
    assert sorted(commands) == sorted(COMMANDS)
    scopes = set(re.findall(r"^\s+- ([a-z]+:[a-z]+|commands)\b", MANIFEST, re.M))
    # chat.* / reactions.* / files / users.info / usergroups.users.list / commands
    assert {"commands", "chat:write", "reactions:read", "reactions:write", "files:read",
            "files:write", "users:read", "usergroups:read"} <= scopes  # fmt: skip
    events = re.findall(r"^\s+- (reaction_\w+)$", MANIFEST, re.M)
    assert events == ["reaction_added", "reaction_removed"]
    # the reason for ✏️ given as a reply in the card's thread
    assert {"channels:history", "groups:history"} <= scopes
    assert re.findall(r"^\s+- (message\.\w+)", MANIFEST, re.M) == [
        "message.channels",
        "message.groups",
    ]
    assert re.search(r"interactivity:\n\s+is_enabled: true", MANIFEST)
    assert re.search(r"socket_mode_enabled: (true|false)", MANIFEST)
    assert all(
        u.endswith("/slack/events") for u in re.findall(r"(?:url|request_url): (\S+)", MANIFEST)
    )
