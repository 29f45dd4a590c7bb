"""Keep the garbage collector's full passes short once the bot has started.

By the end of start-up the process holds a few hundred thousand long-lived objects (the
modules of slack-bolt, slack-sdk, discord.py, aiohttp, dateparser's language data, pydantic's
schema). CPython's oldest generation is collected now and then as the bot allocates, and each
such pass walks all of them: 55–65 ms during which no ack is answered (measured with
``gc.callbacks`` under ``bench slack_ack``; it was the whole of the bot's p99 over a bare Bolt
app). ``settle()`` collects once and moves what is left into the permanent generation
(``gc.freeze``), which later passes skip; objects made after it are collected as usual.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once, when start-up is done (the runner does)."""
    gc.collect()
    gc.freeze()
