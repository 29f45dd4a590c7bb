"""Undo what chat clients do to typed text before it is parsed.

Smart quotes become ASCII quotes (“ ” „ « » → ", ‘ ’ → '), a dash that starts an option
(``—thread``, ``–to``) becomes ``--``, Slack link markup ``<https://x.co|x.co>`` becomes the URL,
user mentions become ``@name`` (or disappear when there is no name), channel mentions become
``#name``, and Slack's HTML escapes (&amp; &lt; &gt;) are undone.
"""

from __future__ import annotations

import re

_DOUBLE = dict.fromkeys("“”„‟«»〝〞＂″", '"')
_SINGLE = dict.fromkeys("‘’‚‛′", "'")
_TABLE = str.maketrans({**_DOUBLE, **_SINGLE, "\u00a0": " ", "\u2009": " ", "\u202f": " "})

# —to / –to / ——to at the start of a word: an option typed as --to
_OPTION_DASH = re.compile(r"(^|(?<=\s))[—–]+(?=[A-Za-z])")
# <https://example.com|label> / <https://example.com> / <mailto:a@b.c|a@b.c>
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|[^>]*)?>")
# <@U123|name> / <@U123> / <@!123> (Discord nickname) / <@&123> (Discord role)
_USER = re.compile(r"<@[!&]?([A-Za-z0-9]+)(?:\|([^>]+))?>")
# <#C123|general> / <#123>
_CHANNEL = re.compile(r"<#([A-Za-z0-9]+)(?:\|([^>]*))?>")
# <!here> <!channel> <!subteam^S123|@team> <!date^...|text>
_SPECIAL = re.compile(r"<!([^|>]+)(?:\|([^>]*))?>")
# Discord custom emoji <:name:123> / <a:name:123>
_EMOJI = re.compile(r"<a?:([A-Za-z0-9_]+):\d+>")


def _user(m: re.Match[str]) -> str:
    name = m.group(2)
    return "@" + name.lstrip("@") if name else ""


def _channel(m: re.Match[str]) -> str:
    name = m.group(2)
    return "#" + name.lstrip("#") if name else ""


def _special(m: re.Match[str]) -> str:
    label = m.group(2)
    if label:
        return label
    kind = m.group(1).split("^")[0]
    return "@" + kind if kind in ("here", "channel", "everyone") else ""


def normalize(text: str) -> str:
    """Chat text → plain ASCII-quoted text ready for the parser."""
    out = text.translate(_TABLE)
    out = _OPTION_DASH.sub("--", out)
    out = _SLACK_LINK.sub(lambda m: m.group(1), out)
    out = _USER.sub(_user, out)
    out = _CHANNEL.sub(_channel, out)
    out = _SPECIAL.sub(_special, out)
    out = _EMOJI.sub(lambda m: f":{m.group(1)}:", out)
    out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return out.strip()
