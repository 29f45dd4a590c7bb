"""Quoting user text back: at most ``ECHO_LIMIT`` characters, with an ellipsis.

A reply that names what the user typed (an id, a target, a time, a URL) shows a clipped copy,
so a 5,000-character paste never comes back whole.
"""

from __future__ import annotations

ECHO_LIMIT = 100


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with "…" when longer."""
    flat = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
