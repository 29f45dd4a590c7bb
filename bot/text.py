"""Quoting user text back: at most ``ECHO_LIMIT`` characters, with an ellipsis.

A reply that names what the user typed (an id, a target, a time, a URL) shows a clipped copy,
so a 5,000-character paste never comes back whole.
"""

from __future__ import annotations

import re

ECHO_LIMIT = 100


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with "…" when longer."""
    flat = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_QUOTED = re.compile(r"“([^”]*)”|\"([^\"]*)\"")
_LONG_WORD = re.compile(r"[^\s“”\"]{" + str(ECHO_LIMIT + 1) + ",}")


def clip_echoes(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` with every quoted passage (“…” or "…") and every unbroken run longer than
    ``limit`` cut to ``limit`` characters: what a message quotes back of the user's input."""

    def quoted(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return f"“{clip(m.group(1), limit)}”"
        return f'"{clip(m.group(2), limit)}"'

    text = _QUOTED.sub(quoted, text)
    return _LONG_WORD.sub(lambda m: clip(m.group(0), limit), text)
