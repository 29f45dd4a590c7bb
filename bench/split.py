"""How long ``bot.split.split_text`` takes to cut a long caption into an X thread.

    python -m bench split

The split runs on the event loop when a too-long caption is offered as a thread (and again when
it is accepted), counting as X counts (twitter-text v3) for every candidate cut it tries. Cases:
612 characters (the issue's example, 3 parts), 2,000 characters with URLs and emoji, and a
25,000-character Premium-length text cut to 280 (≈100 parts). Prints the median of ``--repeat``
runs in milliseconds. Target: the 612-character case well under 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from bot.api.models import Platform
from bot.split import split_text
from bot.textcount import count

SENTENCE = "We shipped the new editor today, and it is faster than ever. "
CASES = {
    "612 sentences": (SENTENCE * 11)[:612],
    "2000 urls+emoji": (
        "Launch 🚀 notes at https://example.com/launch/notes?utm=chat #ship. " * 40
    )[:2000],
    "25000 words": ("Long-form premium post with many words and a point. " * 500)[:25_000],
}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench split")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(list(argv))

    def x(text: str) -> int:
        return count(Platform.X, text)

    x("warm up https://example.com 🚀")
    print(f"{'case':<16} {'chars':>6} {'parts':>5} {'X ms':>9} {'len() ms':>9}")
    for name, text in CASES.items():
        runs_x, runs_len = [], []
        parts: list[str] = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            parts = split_text(text, 280, x)
            runs_x.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            split_text(text, 500, len)
            runs_len.append((time.perf_counter() - t) * 1000)
        print(
            f"{name:<16} {len(text):>6} {len(parts):>5} {statistics.median(runs_x):>9.1f} "
            f"{statistics.median(runs_len):>9.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main([]))
