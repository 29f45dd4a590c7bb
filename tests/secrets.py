"""The secrets the tests use, and the scanner that fails the run if any of them is logged.

``tests/conftest.py`` installs a root logging handler at DEBUG for the whole session that
writes every record (formatted, with its traceback) to a file, tagged with the test that was
running; at the end of the session ``SecretScanner.scan`` looks for every secret below — exact
values and token shapes — and a hit fails the run. Output the tests capture from subprocesses
(the runner tests' stderr) is added with ``session_scanner().add_text(source, text)``.

Tests that put a secret into a log record *on purpose* (the redaction tests themselves) are
listed in ``DELIBERATE``: their lines are not scanned. Keep that list short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Exact values: every bot token, app token, signing secret and API key the tests configure.
SLACK_BOT_TOKEN = "xoxb-test-token"
SLACK_APP_TOKEN = "xapp-test-token"
SLACK_SIGNING_SECRET = "test-signing-secret"
DISCORD_BOT_TOKEN = "fake-bot-token"
SOCIAL_API_KEYS = (
    "sk_test_sandbox",  # the sandbox's demo key: public, but a key all the same
    "sk_test_main",
    "sk_test_other",
    "sk_test_readonly",
    "sk_test_wrong",
    "sk_test_brand",
    "sk_test_discord",
    "sk_test_notifier",
    "sk_test_notifier_e2e",
    "sk_test_integration_key_42",
    "sk_test_integration_readonly",
    "sk_test_UNIT_k3y_5ecret_zz9",
    "sk_test_ops_one",
    "sk_test_ops_two",
)
OPS_SIGNING_SECRET = "ops-signing-secret-7f3a9c"

KNOWN: tuple[str, ...] = (
    SLACK_BOT_TOKEN,
    SLACK_APP_TOKEN,
    SLACK_SIGNING_SECRET,
    DISCORD_BOT_TOKEN,
    OPS_SIGNING_SECRET,
    *SOCIAL_API_KEYS,
)

# Shapes: anything that looks like a Slack token or a Social API key, whoever made it up.
PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"xox[abposre]-[A-Za-z0-9][A-Za-z0-9-]*"),
    re.compile(r"xapp-[A-Za-z0-9][A-Za-z0-9-]*"),
    re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9][A-Za-z0-9_]*"),
)

# Tests that put a secret into a log record on purpose: they raise an exception carrying one to
# prove the user's reply never shows it (the production handler's RedactingFilter redacts the
# log line; this scan reads the raw records, before any filter).
DELIBERATE: tuple[str, ...] = (
    "tests/commands/test_dispatch.py::test_unexpected_error_apologises_with_a_reference",
    "tests/discord/test_commands.py::test_unexpected_failure_gives_apology_with_reference",
)


@dataclass(frozen=True)
class Hit:
    source: str  # the file and line, or the name of the captured output
    test: str  # the test that was running ("-" outside any test)
    secret: str  # redacted: its first 6 characters

    def __str__(self) -> str:
        return f"{self.source} (during {self.test}): a secret starting {self.secret!r}"


@dataclass
class SecretScanner:
    """Collects text (a log file, captured output) and finds secrets in it."""

    secrets: set[str] = field(default_factory=lambda: set(KNOWN))
    deliberate: tuple[str, ...] = DELIBERATE
    texts: list[tuple[str, str]] = field(default_factory=list)  # (source, text)

    def register(self, *values: str) -> None:
        """More secrets (a value a test made up at run time)."""
        self.secrets.update(v for v in values if v and len(v) >= 6)

    def add_text(self, source: str, text: str) -> None:
        self.texts.append((source, text))

    def _found(self, line: str) -> Iterable[str]:
        for s in self.secrets:
            if s in line:
                yield s
        for p in PATTERNS:
            for m in p.finditer(line):
                yield m.group(0)

    def _allowed(self, test: str) -> bool:
        return any(test == d or test.startswith(d + "::") or test.startswith(d + "[")
                   for d in self.deliberate)  # fmt: skip

    def scan_text(self, source: str, text: str, test: str = "-") -> list[Hit]:
        hits: list[Hit] = []
        current = test
        for n, line in enumerate(text.splitlines(), 1):
            m = _TAG.match(line)
            if m:  # a record line of the session log: "[nodeid] ..."
                current = m.group(1)
            if self._allowed(current):
                continue
            for found in sorted({f[:6] for f in self._found(line)}):
                hits.append(Hit(f"{source}:{n}", current, found))
        return hits

    def scan(self, log_file: Path | None = None) -> list[Hit]:
        hits: list[Hit] = []
        if log_file is not None and log_file.exists():
            hits += self.scan_text(str(log_file), log_file.read_text("utf-8", "replace"))
        for source, text in self.texts:
            hits += self.scan_text(source, text)
        return hits


_TAG = re.compile(r"^\[([^\]]+)\] ")

_session: SecretScanner | None = None


def session_scanner() -> SecretScanner:
    """The scanner of this test session (``tests/conftest.py`` scans it at the end)."""
    global _session
    if _session is None:
        _session = SecretScanner()
    return _session
