"""How long ``bot.textcount.count`` takes on X (twitter-text v3) against ``len()``.

    python -m bench textcount

Validation counts every X caption and thread segment once per request (and the sandbox once
more), on the event loop. Cases: a typical 280-character caption, one with URLs and emoji, a
Premium-length 25,000-character post. Prints the median of ``--repeat`` runs (default 21) in
milliseconds. Target: a 280-character caption well under 5 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from bot.api.models import Platform
from bot.textcount import count

CASES = {
    "280 plain": ("We shipped the new dashboard today. " * 8)[:280],
    "280 urls+emoji": ("Launch 🚀 https://example.com/launch/notes?utm=chat " * 6)[:280],
    "25000 plain": ("Long-form premium post with many words. " * 700)[:25_000],
}


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench textcount")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args(list(argv))
    count(Platform.X, "warm up the regular expressions https://example.com 🚀")
    print(f"{'case':<16} {'chars':>6} {'X weight':>8} {'X ms':>8} {'len() ms':>9}")
    for name, text in CASES.items():
        x_ms = _median_ms(lambda text=text: count(Platform.X, text), args.repeat)  # type: ignore[misc]
        len_ms = _median_ms(lambda text=text: count(Platform.INSTAGRAM, text), args.repeat)  # type: ignore[misc]
        print(f"{name:<16} {len(text):>6} {count(Platform.X, text):>8} {x_ms:>8.2f} {len_ms:>9.4f}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
