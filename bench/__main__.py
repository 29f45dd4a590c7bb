"""``python -m bench [NAME ...] [OPTIONS]``: run every benchmark module's ``main()`` (or the named
ones); options after the names go to each named module (``python -m bench capacity --platform
discord``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence

import bench


def available() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and not m.ispkg
    )


def run(argv: Sequence[str]) -> int:
    argv = list(argv)
    split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:split] or available(), argv[split:]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    status = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench.{name}", flush=True)
        rc = module.main(options)
        status = status or int(rc or 0)
    return status


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
