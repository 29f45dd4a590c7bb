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
