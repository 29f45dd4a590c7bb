"""Issue 13 item 3: an outside service that cannot be reached at start-up ends ``socialbot run``
with one line naming the service, the URL and what to check — exit 1, no traceback — and
the Bolt "`token` will be unused" warning is gone. Loopback only: a closed port (connection
refused) and a plain-HTTP server spoken to over https (a TLS failure)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def plain_http() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "SOCIAL_", "SOCIALBOT_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--port", "0"],
        env={
            **base,
            "PYTHONPATH": str(ROOT),
            "SOCIAL_API_KEY": "sk_test_unused",
            "SOCIALBOT_DB": str(tmp_path / "bot.db"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_slack_refused_is_one_line_and_exit_1(tmp_path: Path) -> None:
    port = closed_port()
    p = run(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=f"http://127.0.0.1:{port}",
    )
    assert p.returncode == 1, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"socialbot: could not start: Slack at http://127.0.0.1:{port}/api/ — "
        "the connection was refused; check SLACK_API_URL"
    ), p.stderr
    assert "Traceback" not in p.stderr
    assert "will be unused" not in p.stderr
    assert "Unclosed" not in p.stderr


def test_slack_tls_failure_is_named(tmp_path: Path, plain_http: int) -> None:
    p = run(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=f"https://127.0.0.1:{plain_http}",
    )
    assert p.returncode == 1, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert "Slack at https://127.0.0.1:" in last and "the TLS handshake failed" in last, last
    assert "Traceback" not in p.stderr


def test_discord_refused_is_one_line_and_exit_1(tmp_path: Path) -> None:
    port = closed_port()
    p = run(
        tmp_path,
        DISCORD_BOT_TOKEN="test-token",
        DISCORD_API_URL=f"http://127.0.0.1:{port}",
        DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}",
    )
    assert p.returncode == 1, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"socialbot: could not start: Discord at http://127.0.0.1:{port} — "
        "the connection was refused; check DISCORD_API_URL"
    ), p.stderr
    assert "Traceback" not in p.stderr and "Unclosed" not in p.stderr


def test_dns_failures_are_named_without_a_lookup() -> None:
    """A DNS failure is not provoked here (no lookups leave the machine): the words for the
    exception chain aiohttp raises are checked directly."""
    from bot.startup import StartupError, describe, outside

    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as e:
            raise ConnectionError("Cannot connect to host slack.example:443") from e
    except ConnectionError as err:
        assert describe(err) == "the name does not resolve (DNS)"
    with pytest.raises(StartupError) as info:
        with outside("Slack", "https://slack.com/api/", "SLACK_API_URL"):
            raise TimeoutError
    assert info.value.line() == (
        "socialbot: could not start: Slack at https://slack.com/api/ — it did not answer in "
        "time; check SLACK_API_URL"
    )
