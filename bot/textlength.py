"""How long a caption is in a platform's own terms: the one place that says so.

``count(platform, text)`` is what approval cards show against each platform's limit. X counts
weighted characters (twitter-text v3: URLs 23, most emoji and CJK 2); until the project's X
counter lands this is ``len()`` for every platform — swap it in here and every card follows.
"""

from __future__ import annotations

from bot.api.models import Platform


def count(platform: Platform | str, text: str) -> int:
    """Characters of ``text`` as ``platform`` counts them."""
    return len(text)


def unit(platform: Platform | str) -> str:
    """What ``count`` counts, for a reader: "characters"."""
    return "characters"
