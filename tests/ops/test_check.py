"""``socialbot check`` as a subprocess against the sandbox and the fake Slack: one line per check,
a plain-words fix on each FAIL, exit 1 on any failure, never a secret in the output."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from tests.ops.harness import run_cli
from tests.secrets import KNOWN, OPS_SIGNING_SECRET, SLACK_BOT_TOKEN
from tests.slack.fake_slack import FakeSlack

KEY = "sk_test_ops_two"
WRONG = "sk_test_wrong"


@dataclass
class Services:
    sandbox: Sandbox
    fake: FakeSlack

    def env(self, **over: str) -> dict[str, str]:
        env = {
            "SOCIAL_API_URL": self.sandbox.url,
            "SOCIAL_API_KEY": KEY,
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": OPS_SIGNING_SECRET,
            "SLACK_API_URL": self.fake.url,
        }
        env.update(over)
        return env


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    fake = await FakeSlack().start()
    async with start_sandbox(SandboxOptions(keys=(KEY,), demo_key=False)) as sandbox:
        try:
            yield Services(sandbox, fake)
        finally:
            await fake.stop()


def check_lines(stdout: str) -> dict[str, tuple[bool, str]]:
    out: dict[str, tuple[bool, str]] = {}
    for line in stdout.splitlines():
        if line.startswith(("policy  ", "media   ", "report  ")):
            continue
        m = re.fullmatch(r"(ok  |FAIL)  ([^:]+): (.+)", line)
        assert m, f"not a check line: {line!r}"
        out[m.group(2)] = (m.group(1) == "ok  ", m.group(3))
    return out


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in (*KNOWN, KEY, WRONG):
            assert secret not in text, f"a secret ({secret[:6]}…) was printed"


async def test_all_good_exits_0_with_one_line_per_check(services: Services) -> None:
    rc, out, err = await run_cli(["check"], services.env(), name="socialbot check")
    assert rc == 0, out + err
    checks = check_lines(out)
    assert list(checks) == [
        "configuration",
        "Social API (default)",
        "Slack auth.test",
        "Slack mode",
    ]
    assert all(ok for ok, _ in checks.values()), out
    assert checks["Social API (default)"][1].startswith("8 connected account(s)")
    assert "4 passed, 0 failed" in err
    assert "report  none ([[reports]] in the config file posts a weekly report)" in out
    assert [c.method for c in services.fake.calls] == ["auth.test"]
    assert_no_secret(out, err)


async def test_wrong_key_and_token_fail_with_a_fix_and_exit_1(services: Services) -> None:
    env = services.env(SOCIAL_API_KEY=WRONG, SLACK_BOT_TOKEN="xoxb-revoked-0000")
    rc, out, err = await run_cli(["check"], env, name="socialbot check (wrong key)")
    assert rc == 1
    checks = check_lines(out)
    ok, detail = checks["Social API (default)"]
    assert not ok
    assert "SOCIAL_API_KEY was refused (401)" in detail and "copied whole" in detail
    ok, detail = checks["Slack auth.test"]
    assert not ok
    assert "invalid_auth" in detail and "reinstall the app" in detail
    assert "2 passed, 2 failed" in err
    assert_no_secret(out, err)
    assert "xoxb-revoked" not in out + err


async def test_unreachable_api_and_missing_chat_platform(services: Services) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    env = {"SOCIAL_API_URL": dead, "SOCIAL_API_KEY": KEY}
    rc, out, err = await run_cli(["check"], env, name="socialbot check (unreachable)")
    assert rc == 1
    checks = check_lines(out)
    ok, detail = checks["Social API (default)"]
    assert not ok and f"cannot reach {dead}" in detail and "SOCIAL_API_URL" in detail
    ok, detail = checks["chat platform"]
    assert not ok and "SLACK_BOT_TOKEN" in detail
    assert_no_secret(out, err)


POLICY_TOML = """
[workspaces.brand]
key_env = "BRAND_KEY"

[[channels]]
platform = "slack"
team = "T0123"
default_targets = ["instagram", "x"]
timezone = "Europe/Berlin"

[[channels]]
platform = "slack"
channel = "C0BRAND"
workspace = "brand"
[channels.approval]
approvers = ["U0ALICE", "S0SOCIALLEADS", "role:1234"]
quorum = 2
channel = "C0APPROVALS"
expires_after = "48h"

[[reports]]
channel = "slack:C0BRAND"
when = "monday 09:00"
"""


async def test_check_prints_the_effective_policy_of_each_binding(
    services: Services, tmp_path: Path
) -> None:
    config = tmp_path / "socialbot.toml"
    config.write_text(POLICY_TOML, encoding="utf-8")
    env = services.env(SOCIALBOT_CONFIG=str(config), BRAND_KEY=KEY)
    rc, out, err = await run_cli(["check"], env, name="socialbot check (policies)")
    assert rc == 0, out + err
    policies = [line for line in out.splitlines() if line.startswith("policy  ")]
    assert policies == [
        "policy  slack team T0123 (every channel) → workspace default · default targets: "
        "instagram, x · time zone Europe/Berlin · approval: not required",
        "policy  slack channel C0BRAND → workspace brand · default targets: none (named in each "
        "command) · approval: U0ALICE, group S0SOCIALLEADS, role 1234; quorum 2; self-approval "
        "not allowed; cards in C0APPROVALS; expires after 48h",
        "policy  any other channel → workspace default · default targets: none (named in each "
        "command) · approval: not required",
    ]
    # the report takes the bound channel's workspace and has no zone of its own → UTC
    assert [line for line in out.splitlines() if line.startswith("report  ")] == [
        "report  slack:C0BRAND every monday 09:00 UTC → workspace brand"
    ]
    assert check_lines(out)["Social API (brand)"][0]
    assert_no_secret(out, err)


async def test_check_reports_config_problems_and_exits_2(
    services: Services, tmp_path: Path
) -> None:
    config = tmp_path / "socialbot.toml"
    config.write_text(
        "[[channels]]\nplatform = 'slack'\nchannel = 'C1'\n[channels.approval]\n"
        "approvers = ['U1']\nallow_self = 'false'\nquorom = 2\n",
        encoding="utf-8",
    )
    rc, out, err = await run_cli(
        ["check"], services.env(SOCIALBOT_CONFIG=str(config)), name="socialbot check (bad)"
    )
    assert rc == 2
    assert out == ""
    assert err.splitlines() == [
        f"socialbot: configuration error: {config}:6: channels[0].approval.allow_self: "
        'expected true or false (no quotes), got the string "false"',
        f"socialbot: configuration error: {config}:7: channels[0].approval.quorom: "
        "unknown key — did you mean `quorum`?",
    ]


async def test_distributed_mode_reports_installations_and_the_key(
    services: Services, tmp_path: Path
) -> None:
    from cryptography.fernet import Fernet

    from bot import installations
    from bot.clock import SystemClock
    from bot.storage import Database

    key = Fernet.generate_key().decode()
    db_path = str(tmp_path / "dist.db")
    db = await Database.open(db_path)
    records = await installations.open_records(db, key, SystemClock(), "111.222")
    for team, user in (("T1", "U1"), ("T2", "U1"), ("T2", "U2")):  # T2: installed twice
        await records.save({"team_id": team, "user_id": user, "bot_token": "xoxb-" + team})
    org = {"enterprise_id": "E1", "team_id": None, "is_enterprise_install": True}
    await records.save({**org, "user_id": "W1", "bot_token": "xoxb-E1"})
    from bot.connections import Connections
    from bot.secret import Secret
    from bot.vault import Vault

    conns = await Connections.open(db, Vault.from_text(key), SystemClock(), services.sandbox.url)
    await conns.connect("slack", "T1", Secret(KEY), "UADMIN")
    await conns.aclose()
    await db.close()
    config = tmp_path / "bound.toml"
    config.write_text(
        '[workspaces.default]\nkey_env = "SOCIAL_API_KEY"\n\n'
        '[[channels]]\nplatform = "slack"\nteam = "T1"\nworkspace = "default"\n',
        encoding="utf-8",
    )
    env = services.env(
        SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="client-secret-zz",
        SOCIALBOT_ENCRYPTION_KEY=key, SOCIALBOT_DB=db_path, SOCIALBOT_CONFIG=str(config),
    )  # fmt: skip
    rc, out, err = await run_cli(["check"], env, name="socialbot check (distributed)")
    checks = check_lines(out)
    assert rc == 0, out + err
    ok, detail = checks["Slack mode"]
    assert ok and detail.startswith("distributed (OAuth)") and "/slack/oauth_redirect" in detail
    assert checks["Slack installations"] == (
        True,
        "2 installed team(s) and 1 org-wide install(s) (every workspace of an Enterprise Grid "
        "org); the encryption key opens them",
    )
    assert checks["chat connections"] == (
        True,
        "1 team(s)/guild(s) connected with /social connect; the TOML binding wins over the "
        "chat-made one for: slack T1",
    )
    other = Fernet.generate_key().decode()
    rc, out, err = await run_cli(
        ["check"], {**env, "SOCIALBOT_ENCRYPTION_KEY": other}, name="socialbot check (wrong key)"
    )
    ok, detail = check_lines(out)["Slack installations"]
    assert rc == 1 and not ok and "does not open" in detail
    assert_no_secret(out, err)
    assert key not in out + err and other not in out + err and "client-secret-zz" not in out
