"""The session's secret scan (tests/conftest.py + tests/secrets.py) really finds secrets.

Each check logs into its own logger and file (``propagate=False``) and scans with its own
``SecretScanner``, so nothing here reaches the session log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tests import conftest
from tests.secrets import SLACK_SIGNING_SECRET, SecretScanner, session_scanner


def _log_to(path: Path, name: str) -> tuple[logging.Logger, logging.FileHandler]:
    logger = logging.getLogger(f"tests.ops.scan_selftest.{name}")
    logger.propagate = False  # never into the session log
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(conftest._TaggedFormatter("%(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return logger, handler


def test_a_logged_secret_is_found(tmp_path: Path) -> None:
    log_file = tmp_path / "log.txt"
    logger, handler = _log_to(log_file, "found")
    fake_key = "sk_" + "live_" + "SELFTEST0123456789"  # shape only, built at run time
    slack_token = "xox" + "b-1111-2222-selftest"
    try:
        logger.info("nothing secret here: post p_123 published")
        logger.warning("calling the API with %s", fake_key)
        try:
            raise RuntimeError(f"auth failed for {slack_token}")
        except RuntimeError:
            logger.exception("boom")
        logger.debug("signing with %s", SLACK_SIGNING_SECRET)
    finally:
        logger.removeHandler(handler)
        handler.close()
    hits = SecretScanner().scan(log_file)
    found = {h.secret for h in hits}
    assert found == {"sk_liv", "xoxb-1", SLACK_SIGNING_SECRET[:6]}, hits
    assert all(h.test != "-" for h in hits)  # tagged with the test that was running
    assert all(str(log_file) in h.source for h in hits)


def test_clean_logs_and_deliberate_tests_pass(tmp_path: Path) -> None:
    scanner = SecretScanner(deliberate=("tests/x.py::test_redaction",))
    clean = "[tests/a.py::t] INFO bot.runner socialbot is running\n[tests/a.py::t] INFO sk key"
    assert scanner.scan_text("clean", clean) == []
    deliberate = "[tests/x.py::test_redaction] ERROR kaboom sk_test_main\n  more sk_test_main"
    assert scanner.scan_text("deliberate", deliberate) == []
    after = deliberate + "\n[tests/x.py::test_other] ERROR sk_test_main"
    assert [h.source for h in scanner.scan_text("after", after)] == ["after:3"]


def test_captured_output_and_registered_values_are_scanned() -> None:
    scanner = SecretScanner()
    scanner.register("made-up-runtime-secret")
    scanner.add_text("child stderr", "line one\nusing made-up-runtime-secret now")
    [hit] = scanner.scan()
    assert hit.source == "child stderr:2" and hit.secret == "made-u"


def test_the_session_scan_is_installed() -> None:
    root = logging.getLogger()
    assert conftest._handler is not None and conftest._handler in root.handlers
    assert root.level == logging.DEBUG
    assert conftest._log_path is not None and conftest._log_path.exists()
    assert session_scanner() is session_scanner()
