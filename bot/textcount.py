"""How long a text is, as each platform counts it: the one function every length check uses
(the command layer's validation, edits, the sandbox; later thread splitting and card previews).

X counts weighted characters (twitter-text v3, as ``twitter-text-parser`` implements it and the
official conformance suite checks): every URL counts 23 whatever its length; code points in the
Latin / general punctuation ranges count 1 and the rest (most CJK, emoji) 2; an emoji sequence
(👨‍👩‍👧‍👦, 👍🏽) counts as one emoji; the text is NFC-normalised first. The other platforms count
Unicode code points, which is what ``len()`` gives in Python.
"""

from __future__ import annotations

from typing import Any

from twitter_text import parse_tweet
from twitter_text.config import config as twitter_config

from bot.api.models import Platform

# twitter-text's own v3 configuration (its ``max_weighted_tweet_length`` only decides
# ``valid``, which we don't use: the limit is the account's, from ``bot.platforms``).
_X_V3: dict[str, Any] = twitter_config["version3"]


def weighted(platform: Platform | str) -> bool:
    """Whether ``platform`` counts weighted characters rather than code points."""
    return str(platform) == Platform.X.value


def count(platform: Platform | str, text: str) -> int:
    """The length of ``text`` as ``platform`` counts it against its limit."""
    if weighted(platform):
        return int(parse_tweet(text, _X_V3).weightedLength)
    return len(text)


def describe(platform: Platform | str, n: int) -> str:
    """``n`` in the platform's own terms: "312 characters as X counts them" / "2,301 characters"."""
    unit = "character" if n == 1 else "characters"
    if weighted(platform):
        return f"{n:,} {unit} as X counts them"
    return f"{n:,} {unit}"
