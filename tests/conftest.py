"""Shared fixtures. Area fixtures live in tests/<area>/conftest.py.

Session-wide secret scan (see ``tests/secrets.py``): every log record of the run goes, at
DEBUG, to one file, each tagged with the running test; at the end the file and any captured
subprocess output are scanned for the tests' secrets, and a hit fails the run.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

from tests.secrets import session_scanner

_current_test = "-"


class _TaggedFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"[{_current_test}] " + super().format(record)


_handler: logging.FileHandler | None = None
_log_path: Path | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _handler, _log_path
    fd, name = tempfile.mkstemp(prefix="socialbot-test-log-", suffix=".txt")
    os.close(fd)
    _log_path = Path(name)
    _handler = logging.FileHandler(_log_path, encoding="utf-8", delay=False)
    _handler.setLevel(logging.DEBUG)
    _handler.setFormatter(_TaggedFormatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    global _current_test
    _current_test = item.nodeid
    root = logging.getLogger()
    if _handler is not None and _handler not in root.handlers:  # setup_logging() clears them
        root.addHandler(_handler)
    root.setLevel(logging.DEBUG)
    try:
        return (yield)
    finally:
        _current_test = "-"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _handler is None or _log_path is None:
        return
    logging.getLogger().removeHandler(_handler)
    _handler.close()
    hits = session_scanner().scan(_log_path)
    if hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        lines = "\n".join(f"  {h}" for h in hits[:50])
        more = f"\n  … and {len(hits) - 50} more" if len(hits) > 50 else ""
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        msg = f"SECRET SCAN: {len(hits)} secret(s) in the logs of this run (kept {_log_path}):"
        if reporter is not None:
            reporter.write_line(f"\n{msg}\n{lines}{more}", red=True, bold=True)
        else:
            print(f"{msg}\n{lines}{more}")
    else:
        _log_path.unlink(missing_ok=True)
