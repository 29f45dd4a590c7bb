"""``[media]`` / ``SOCIALBOT_ALLOW_PRIVATE_MEDIA``: private media hosts only when said so."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.demo import demo_settings
from bot.config import ConfigError, MediaRules, load_settings


def _toml(tmp_path: Path, text: str) -> dict[str, str]:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return {"SOCIALBOT_CONFIG": str(p)}


def test_off_by_default_even_with_the_api_on_loopback() -> None:
    s = load_settings({"SOCIAL_API_URL": "http://127.0.0.1:8080"})
    assert s.media == MediaRules(allow_private=False, ports=frozenset({80, 443}))


@pytest.mark.parametrize(("flag", "allowed"), [("1", True), ("true", True), ("0", False)])
def test_the_environment_switch(flag: str, allowed: bool) -> None:
    assert load_settings({"SOCIALBOT_ALLOW_PRIVATE_MEDIA": flag}).media.allow_private is allowed


def test_the_toml_table_and_the_environment_overriding_it(tmp_path: Path) -> None:
    env = _toml(tmp_path, "[media]\nallow_private = true\nports = [80, 443, 8080]\n")
    s = load_settings(env)
    assert s.media == MediaRules(allow_private=True, ports=frozenset({80, 443, 8080}))
    assert load_settings({**env, "SOCIALBOT_ALLOW_PRIVATE_MEDIA": "0"}).media.allow_private is False
    any_port = _toml(tmp_path, '[media]\nports = "any"\n')
    assert load_settings(any_port).media.ports is None


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ('[media]\nallow_private = "false"\n', {}, "media.allow_private: expected true or false"),
        ("[media]\nports = [80, 70000]\n", {}, "media.ports: expected a list of port numbers"),
        ("[media]\nallow_privat = true\n", {}, "media.allow_privat: unknown key"),
        ("", {"SOCIALBOT_ALLOW_PRIVATE_MEDIA": "maybe"}, "SOCIALBOT_ALLOW_PRIVATE_MEDIA: expected"),
    ],
)
def test_mistakes_stop_start_up(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_settings({**_toml(tmp_path, text), **env})


def test_the_demo_turns_it_on_for_itself(tmp_path: Path) -> None:
    s = demo_settings("http://127.0.0.1:1", str(tmp_path / "d.db"), 1.0)
    assert s.media.allow_private and s.media.ports is None


def test_check_says_which_links_will_be_fetched(tmp_path: Path) -> None:
    from bot.checkwords import media_line

    assert media_line(load_settings({})) == (
        "media   links: http(s) · public hosts only (every name resolved and checked) · "
        "ports 80, 443 · at most 5 redirects, each checked"
    )
    local = load_settings(
        {"SOCIALBOT_ALLOW_PRIVATE_MEDIA": "1", **_toml(tmp_path, '[media]\nports = "any"\n')}
    )
    assert "private hosts ALLOWED (only for a local sandbox) · any port" in media_line(local)
