"""How long a text is, as each platform counts it: the one function every length check uses
(the command layer's validation, edits, the sandbox; later thread splitting and card previews).

X counts weighted characters (twitter-text v3, as ``twitter-text-parser`` implements it and the
official conformance suite checks): every URL counts 23 whatever its length; code points in the
Latin / general punctuation ranges count 1 and the rest (most CJK, emoji) 2; an emoji sequence
(👨‍👩‍👧‍👦, 👍🏽) counts as one emoji; the text is NFC-normalised first. The other platforms count
Unicode code points, which is what ``len()`` gives in Python.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from twitter_text import extract_urls, parse_tweet
from twitter_text.config import config as twitter_config

from bot.api.models import Platform

# twitter-text's own v3 configuration (its ``max_weighted_tweet_length`` only decides
# ``valid``, which we don't use: the limit is the account's, from ``bot.platforms``).
_X_V3: dict[str, Any] = twitter_config["version3"]
_URL_WEIGHT = int(_X_V3["transformed_url_length"])


def weighted(platform: Platform | str) -> bool:
    """Whether ``platform`` counts weighted characters rather than code points."""
    return str(platform) == Platform.X.value


def count(platform: Platform | str, text: str) -> int:
    """The length of ``text`` as ``platform`` counts it against its limit."""
    if weighted(platform):
        return x_weight(text)
    return len(text)


# twitter-text's emoji pass costs ~4 µs a character (a 25,000-character Premium post: ~100 ms
# on the event loop). Below U+2000 only © and ® can start an emoji (keycaps need U+20E3), so a
# text without them and without any code point from U+2000 up is counted here, exactly as
# ``parse_tweet`` would (tests/commands/test_xcount.py checks the two agree on random texts).
_MAY_HOLD_EMOJI = re.compile("[©®\u2000-\U0010ffff]")
_WEIGHT_TWO = re.compile("[\u1100-\u1fff]")  # below U+2000, outside twitter-text's 0–4351
_LINE_END = re.compile("\r\n|\r|\n")


def x_weight(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text v3)."""
    norm = _LINE_END.sub("\n", unicodedata.normalize("NFC", text))
    if _MAY_HOLD_EMOJI.search(norm):
        return int(parse_tweet(text, _X_V3).weightedLength)
    total = len(norm) + len(_WEIGHT_TWO.findall(norm))
    for url in extract_urls(norm):
        total += _URL_WEIGHT - len(url) - len(_WEIGHT_TWO.findall(url))
    return total


def describe(platform: Platform | str, n: int) -> str:
    """``n`` in the platform's own terms: "312 characters as X counts them" / "2,301 characters"."""
    unit = "character" if n == 1 else "characters"
    if weighted(platform):
        return f"{n:,} {unit} as X counts them"
    return f"{n:,} {unit}"
