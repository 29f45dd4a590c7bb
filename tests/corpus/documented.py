"""Where Slack's payloads may differ from the corpus samples, as documented: the fields that may
be absent (``remove``) or ``null`` (``null``), per payload type. A corpus sample changed only in
these ways is still a documented form: the bot must accept it (never a 400).

Paths are key tuples from the payload root (``"*"`` for any list index). Sources:
- bolt-js ``src/types``: ``BlockAction`` (``team … | null``; ``channel?``, ``message?``,
  ``view?``, ``state?``, ``enterprise?``, ``is_enterprise_install?``; ``user.name?``,
  ``user.team_id?``; ``team.enterprise_id?``/``enterprise_name?``), ``ViewSubmitAction`` /
  ``ViewClosedAction`` (``team … | null``; ``response_urls?``; ``is_enterprise_install?``,
  ``enterprise?``), ``ViewOutput`` (``previous_view_id``, ``root_view_id``, ``app_id`` ``| null``;
  ``close``/``submit`` ``| null``; ``external_id?``), ``SlashCommand`` (``enterprise_id?``,
  ``enterprise_name?``, ``is_enterprise_install?``, ``api_app_id``).
- Slack docs, view interaction payloads: ``team`` "Null if the app is org-installed".
- bolt-python ``tests/slack_bolt/request/test_internals.py``: ``"enterprise": None`` ("This may be
  null in Socket Mode"); ``tests/scenario_tests/test_events_org_apps.py``:
  ``authorizations[0].team_id`` ``None`` for org-wide installs; ``test_events.py``: events with
  no ``authorizations`` and no ``is_ext_shared_channel``; Slack's Events API docs: ``authed_users``
  deprecated, ``enterprise_id`` only on Enterprise organizations; *reaction_added/removed event*:
  no ``item_user`` when the item was not authored by a user (incoming webhooks).
"""

from __future__ import annotations

from typing import Any

Path = tuple[str, ...]
REMOVE, NULL = "remove", "null"

_INTERACTION: dict[Path, frozenset[str]] = {
    ("team",): frozenset({NULL}),
    ("team", "enterprise_id"): frozenset({REMOVE}),
    ("team", "enterprise_name"): frozenset({REMOVE}),
    ("enterprise",): frozenset({REMOVE, NULL}),
    ("is_enterprise_install",): frozenset({REMOVE}),
    ("user", "team_id"): frozenset({REMOVE}),
    ("user", "name"): frozenset({REMOVE}),
}
_VIEW: dict[Path, frozenset[str]] = {
    ("response_urls",): frozenset({REMOVE}),
    ("view", "previous_view_id"): frozenset({NULL}),
    ("view", "root_view_id"): frozenset({NULL}),
    ("view", "app_id"): frozenset({NULL}),
    ("view", "close"): frozenset({NULL}),
    ("view", "submit"): frozenset({NULL}),
    ("view", "external_id"): frozenset({REMOVE}),
}

DOCUMENTED: dict[str, dict[Path, frozenset[str]]] = {
    "block_actions": {
        **_INTERACTION,
        ("channel",): frozenset({REMOVE}),
        ("message",): frozenset({REMOVE}),
        ("view",): frozenset({REMOVE}),
        ("state",): frozenset({REMOVE}),
        **{k: v for k, v in _VIEW.items() if k[0] == "view"},
    },
    "view_submission": {**_INTERACTION, **_VIEW},
    "view_closed": {**_INTERACTION, **_VIEW},
    "event_callback": {
        ("authorizations",): frozenset({REMOVE}),
        ("authorizations", "*", "team_id"): frozenset({NULL}),
        ("authorizations", "*", "enterprise_id"): frozenset({NULL}),
        ("authed_users",): frozenset({REMOVE}),
        ("enterprise_id",): frozenset({REMOVE}),
        ("is_ext_shared_channel",): frozenset({REMOVE}),
        ("event_context",): frozenset({REMOVE}),
        ("event", "item_user"): frozenset({REMOVE}),
    },
    "command": {
        ("enterprise_id",): frozenset({REMOVE}),
        ("enterprise_name",): frozenset({REMOVE}),
        ("is_enterprise_install",): frozenset({REMOVE}),
        ("api_app_id",): frozenset({REMOVE}),
    },
}


def payload_type(kind: str, doc: dict[str, Any]) -> str:
    """The key into ``DOCUMENTED`` for a sample of file kind ``kind``."""
    return "command" if kind == "command" else str(doc.get("type"))


def is_documented(ptype: str, path: Path, op: str) -> bool:
    pattern = tuple("*" if p.isdigit() else p for p in path)
    return op in DOCUMENTED.get(ptype, {}).get(pattern, frozenset())
