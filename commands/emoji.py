"""Reaction emoji → the neutral names approvals understand (``APPROVE`` / ``REJECT`` /
``CHANGES``: ✏️ ``pencil2``, 📝 ``memo``).

One table for every adapter: Slack sends short names (``white_check_mark``, ``x``, possibly
``::skin-tone-3``), Discord sends the characters (``✅``, with or without a variation
selector), the console accepts either. Anything else comes back as its bare lower-case name.
"""

from __future__ import annotations

import re

from bot.chat import APPROVE, CHANGES, REJECT

APPROVE_NAMES = frozenset(
    {"white_check_mark", "heavy_check_mark", "ballot_box_with_check", "✅", "✔", "☑"}
)
REJECT_NAMES = frozenset(
    {"x", "heavy_multiplication_x", "negative_squared_cross_mark", "❌", "✖", "❎"}
)
CHANGES_NAMES = frozenset({"pencil2", "memo", "pencil", "✏", "📝"})
# What the bot puts on a card for each decision.
CHARACTER = {APPROVE: "✅", REJECT: "❌", CHANGES: "✏️"}

_SKIN_TONE = re.compile(r"::skin-tone-\d$")
_VARIATION_SELECTORS = re.compile("[\ufe0e\ufe0f]")


def normalise_emoji(raw: str) -> str:
    """``:white_check_mark:``, ``heavy_check_mark``, ``✅``, ``✔️`` → APPROVE; ``x``, ``❌`` →
    REJECT; anything else → its bare lower-case short name."""
    name = _VARIATION_SELECTORS.sub("", _SKIN_TONE.sub("", raw.strip())).strip().strip(":")
    name = name.lower()
    if name in APPROVE_NAMES:
        return APPROVE
    if name in REJECT_NAMES:
        return REJECT
    if name in CHANGES_NAMES:
        return CHANGES
    return name
