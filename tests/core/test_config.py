import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_need_nothing() -> None:
    s = load_settings({})
    assert s.api_url == "https://social-api.instantdm.com"
    assert s.db_path == "socialbot.db"
    assert s.workspaces["default"].key is None
    assert s.channel_config("slack", "T1", "C1").workspace == "default"


def test_key_is_secret_and_not_in_repr() -> None:
    s = load_settings({"SOCIAL_API_KEY": "sk_live_supersecret", "SLACK_BOT_TOKEN": "xoxb-abc-def"})
    assert s.workspaces["default"].key is not None
    assert s.workspaces["default"].key.reveal() == "sk_live_supersecret"
    assert "supersecret" not in repr(s) and "xoxb" not in repr(s)
    assert "supersecret" not in f"{s.workspaces['default'].key}"
    assert set(s.secrets()) == {"sk_live_supersecret", "xoxb-abc-def"}


def _toml(tmp_path: Path, text: str) -> dict[str, str]:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return {"SOCIALBOT_CONFIG": str(p)}


def test_bindings_most_specific_wins(tmp_path: Path) -> None:
    env = _toml(
        tmp_path,
        """
[workspaces.brand]
key_env = "BRAND_KEY"

[[channels]]
platform = "slack"
team = "T1"
default_targets = ["ig"]

[[channels]]
platform = "slack"
channel = "C2"
workspace = "brand"
timezone = "Europe/Berlin"
aliases = { launch = ["ig", "x"] }
[channels.approval]
approvers = ["U1", "S0GROUP", "role:42"]
quorum = 2
expires_after = "48h"
""",
    )
    env["BRAND_KEY"] = "sk_test_brand"
    s = load_settings(env)
    team_wide = s.channel_config("slack", "T1", "C9")
    assert team_wide.workspace == "default" and team_wide.default_targets == ("ig",)
    c2 = s.channel_config("slack", "T1", "C2")
    assert c2.workspace == "brand" and c2.timezone == "Europe/Berlin"
    assert c2.aliases == {"launch": ("ig", "x")}
    assert c2.approval.required and c2.approval.quorum == 2
    assert c2.approval.user_ids == frozenset({"U1", "S0GROUP"})
    assert c2.approval.group_ids == frozenset({"S0GROUP"})
    assert c2.approval.role_ids == frozenset({"42"})
    assert (
        c2.approval.expires_after is not None
        and c2.approval.expires_after.total_seconds() == 48 * 3600
    )
    assert s.channel_config("discord", None, "C2").workspace == "default"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[[channels]]\nplatform = 'irc'\n", "channels[0].platform"),
        ("[[channels]]\nplatform = 'slack'\nworkspace = 'nope'\n", "channels[0].workspace"),
        ("[[channels]]\nplatform = 'slack'\ntimezone = 'Mars/Base'\n", "channels[0].timezone"),
        (
            "[[channels]]\nplatform = 'slack'\n[channels.approval]\napprovers = ['U1']\nquorum = 0\n",
            "channels[0].approval.quorum",
        ),
        ("[[channels]]\nplatform = 'slack'\n[channels.approval]\nrequired = true\n", "approvers"),
        ("this is = = not toml", "SOCIALBOT_CONFIG"),
    ],
)
def test_malformed_config_names_the_setting(tmp_path: Path, text: str, names: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(_toml(tmp_path, text))
    assert names in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_env_values() -> None:
    with pytest.raises(ConfigError, match="SOCIAL_API_URL"):
        load_settings({"SOCIAL_API_URL": "not a url"})
    with pytest.raises(ConfigError, match="DISCORD_GUILD_IDS"):
        load_settings({"DISCORD_GUILD_IDS": "12,abc"})
    with pytest.raises(ConfigError, match="SOCIALBOT_CONFIG"):
        load_settings({"SOCIALBOT_CONFIG": "/nonexistent/file.toml"})


def test_cli_exits_2_with_one_line_and_no_secret(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SOCIAL_API_URL": "nope",
        "SLACK_BOT_TOKEN": "xoxb-should-not-print",
    }
    r = subprocess.run(
        [sys.executable, "-m", "bot", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert "SOCIAL_API_URL" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "xoxb" not in r.stderr + r.stdout


# ---------------------------------------------------------------- the schema (issue 12 §1)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_settings(_toml(tmp_path, text))
    return list(e.value.problems)


def test_misspelt_channels_table_is_refused_not_ignored(tmp_path: Path) -> None:
    [line] = _problems(tmp_path, "\n[[channel]]\nplatform = 'slack'\nchannel = 'C1'\n")
    assert line.endswith(":2: channel: unknown table — did you mean `channels`?"), line


def test_misspelt_quorum_is_refused_with_its_line(tmp_path: Path) -> None:
    text = """[[channels]]
platform = "slack"
channel = "C1"
[channels.approval]
approvers = ["U1", "U2"]
quorom = 2
"""
    [line] = _problems(tmp_path, text)
    assert ":6: channels[0].approval.quorom: unknown key — did you mean `quorum`?" in line


def test_a_quoted_false_is_not_true(tmp_path: Path) -> None:
    text = """[[channels]]
platform = "slack"
channel = "C1"
[channels.approval]
approvers = ["U1"]
allow_self = "false"
"""
    [line] = _problems(tmp_path, text)
    assert (
        ':6: channels[0].approval.allow_self: expected true or false (no quotes), got the string "false"'
        in line
    )


def test_every_problem_is_listed_in_file_order(tmp_path: Path) -> None:
    text = """[workspaces.brand]
key_env = "BRAND_KEY"

[notifer]
interval = 30

[[channels]]
platform = "slack"
channel = "C0BRAND"
workspace = "brnad"
[channels.approval]
approvers = ["U1", "U2"]
quorum = 3

[[channels]]
platform = "slack"

[[channels]]
platform = "slack"
channel = "C0BRAND"

[notifier]
interval = -5

[retention]
journal_days = -1
"""
    lines = _problems(tmp_path, text)
    expected = [
        ":4: notifer: unknown table — did you mean `notifier`?",
        ":10: channels[0].workspace: unknown workspace 'brnad' — did you mean `brand`?",
        ":13: channels[0].approval.quorum: quorum 3 can never be reached: only 2 approver(s)",
        ":15: channels[1]: names no channel and no team",
        ":18: channels[2]: binds the same scope (slack channel C0BRAND) as channels[0]",
        ":23: notifier.interval: out of range: must be > 0, got -5",
        ":26: retention.journal_days: out of range: must be ≥ 0, got -1",
    ]
    assert len(lines) == len(expected), lines
    for line, want in zip(lines, expected, strict=True):
        assert want in line, (line, want)


def test_quorum_counts_only_when_every_approver_is_a_user(tmp_path: Path) -> None:
    # a role or a user group may hold any number of people: quorum 3 can be reached
    s = load_settings(
        _toml(
            tmp_path,
            "[[channels]]\nplatform = 'discord'\nchannel = 1\n[channels.approval]\n"
            "approvers = ['role:42', 7]\nquorum = 3\n",
        )
    )
    assert s.bindings[0].config.approval.quorum == 3
    assert s.bindings[0].config.approval.approvers == ("role:42", "7")


def test_sections_have_documented_defaults_and_are_read(tmp_path: Path) -> None:
    s = load_settings({})
    assert s.retention.deliveries is not None and s.retention.deliveries.days == 14
    assert s.retention.sent_outbox is not None and s.retention.sent_outbox.days == 30
    assert s.retention.approval_history is not None and s.retention.approval_history.days == 180
    assert s.announce_attempts == 8 and s.readiness.api_failures == 3
    s = load_settings(
        _toml(
            tmp_path,
            "[retention]\njournal_days = 0\nbatch_size = 50\n[readiness]\napi_window = '2m'\n"
            "[notifier]\nannounce_attempts = 3\n",
        )
    )
    assert s.retention.journal is None and s.retention.batch_size == 50
    assert s.readiness.api_window.total_seconds() == 120 and s.announce_attempts == 3


def test_env_ports_are_checked() -> None:
    s = load_settings({"SOCIALBOT_HEALTH_PORT": "8080", "SOCIALBOT_METRICS_PORT": "9090"})
    assert (s.health_port, s.metrics_port) == (8080, 9090)
    with pytest.raises(ConfigError) as e:
        load_settings({"SOCIALBOT_METRICS_PORT": "nine", "SOCIAL_API_URL": "nope"})
    assert [p.split(":")[0] for p in e.value.problems] == [
        "SOCIAL_API_URL",
        "SOCIALBOT_METRICS_PORT",
    ]


def test_start_up_exits_2_listing_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("[[channel]]\nplatform = 'slack'\n[notifier]\nintervall = 3\n")
    env = {"PATH": "/usr/bin:/bin", "SOCIALBOT_CONFIG": str(p), "SLACK_BOT_TOKEN": "xoxb-x-y"}
    r = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"socialbot: configuration error: {p}:1: channel: unknown table — did you mean `channels`?",
        f"socialbot: configuration error: {p}:4: notifier.intervall: unknown key — did you mean `interval`?",
    ]


def test_line_finder_follows_arrays_of_tables_dotted_keys_and_multiline_values() -> None:
    from bot.tomllines import TomlLines, dotted

    text = """# comment
[workspaces."my brand"]
key_env = "K"

[[channels]]
platform = "slack"
approvers = [
  "U1 = not a key",
  "U2",
]
approval.quorom = 2

[[channels]]
[channels.approval]
quorum = 1
"""
    lines = TomlLines(text)
    assert lines.find(("workspaces", "my brand", "key_env")) == 3
    assert lines.find(("channels", 0, "approval", "quorom")) == 11
    assert lines.find(("channels", 0, "approvers", 1)) == 7
    assert lines.find(("channels", 1, "approval", "quorum")) == 15
    assert lines.find(("channels", 1, "approval", "missing")) == 14
    assert lines.find(("nowhere",)) is None
    assert dotted(("workspaces", "my brand", "key_env")) == 'workspaces."my brand".key_env'
