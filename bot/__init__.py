"""socialbot core: configuration, the Social API client, storage, approvals, notifier, sandbox."""

import sys

__version__ = "0.1.0"

# sqlite-utils imports numpy when it is installed (to map numpy column types). The bot never
# hands it numpy values, and numpy is in the environment only for the picture worker
# (matplotlib), which runs in a process of its own — so the bot process would carry ~20 MiB of
# RSS for nothing (measured: 101 → 81 MiB at idle; bench capacity). sqlite-utils is imported
# here once with numpy hidden, and numpy stays importable for anyone who asks for it later.
if "sqlite_utils" not in sys.modules and "numpy" not in sys.modules:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # import numpy → ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]
