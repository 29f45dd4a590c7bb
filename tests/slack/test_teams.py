"""Many teams, one bot: two Slack teams installed through the real OAuth flow (Bolt's
``/slack/install`` and ``/slack/oauth_redirect`` over loopback HTTP) against the fake Slack,
each bound to its own Social API key on the sandbox. Everything runs through the real Bolt
app, the real command layer and the real SocialClient.

The fake Slack refuses (and notes in ``cross_team``) any call naming a channel of another team
than the token's, so "each team uses only its own token" is checked by Slack itself, call by
call, as well as by the assertions.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from adapters.slack.oauth import BOT_SCOPES
from adapters.slack.runner import start_socket_mode
from bot import installations
from bot.chat import Announcement, Destination, MessageRef, TargetLine
from bot.clock import SystemClock
from bot.config import ConfigError
from bot.sandbox import Sandbox
from commands import times
from tests.slack.distributed import (
    APPROVER,
    CA,
    CA_REVIEW,
    CB,
    CD,
    ENC_KEY,
    KEY_A,
    KEY_B,
    KEY_C,
    TA,
    TB,
    TC,
    TD,
    Teams,
    db_bytes,
    serving,
    settings_for,
)
from tests.slack.fake_slack import APP_TOKEN, CLIENT_ID, FakeSlack, wait_for
from tests.slack.payloads import (
    SlackDriver,
    button_payload,
    form,
    slash_payload,
    view_payload,
)

MANIFEST = (Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@pytest.fixture
async def teams(tmp_path: Path) -> AsyncIterator[Teams]:
    fake = await FakeSlack().start()
    fake.channel_teams.update({CA: TA, CA_REVIEW: TA, CB: TB, CD: TD})
    try:
        async with serving(fake, tmp_path, lambda url, db: settings_for(url, fake, db)) as t:
            for team in (TA, TB):
                r = await t.install(team)
                assert r.status_code == 200 and "socialbot is now installed" in r.text
            yield t
    finally:
        await fake.stop()


def _posts(sandbox: Sandbox, key: str) -> list[Any]:
    return list(sandbox.state.workspace(key).posts.values())


# ---------------------------------------------------------------- the OAuth flow


async def test_the_install_page_asks_for_the_manifests_bot_scopes(teams: Teams) -> None:
    page = await teams.http.get(f"{teams.base}/slack/install")
    assert "Add to Slack" in page.text
    href = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
    assert href is not None
    query = parse_qs(urlsplit(href.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    listed = re.findall(r"^\s+- ([a-z:.]+)\s", MANIFEST, flags=re.M)
    assert set(BOT_SCOPES) <= set(listed)
    assert len(query["state"][0]) >= 20


async def test_a_state_works_once_and_a_forged_one_never(teams: Teams) -> None:
    page = await teams.http.get(f"{teams.base}/slack/install")
    href = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
    assert href is not None
    state = parse_qs(urlsplit(href.group(1).replace("&amp;", "&")).query)["state"][0]
    cookie = page.headers["set-cookie"].split(";")[0]
    redirect = f"{teams.base}/slack/oauth_redirect"
    forged = await teams.http.get(
        redirect,
        params={"code": teams.fake.install_code(TC), "state": "forged"},
        headers={"cookie": "slack-app-oauth-state=forged"},
    )
    assert forged.status_code == 401 and "expired or was already used" in forged.text
    ok = await teams.http.get(
        redirect,
        params={"code": teams.fake.install_code(TC), "state": state},
        headers={"cookie": cookie},
    )
    assert ok.status_code == 200 and "installed in <b>Team TCCC</b>" in ok.text
    again = await teams.http.get(
        redirect,
        params={"code": teams.fake.install_code(TC), "state": state},
        headers={"cookie": cookie},
    )
    assert again.status_code == 401 and "socialbot was not installed" in again.text
    denied = await teams.http.get(redirect, params={"error": "access_denied"})
    assert "cancelled in Slack" in denied.text
    assert await teams.records.count() == 3


async def test_tokens_are_stored_encrypted(teams: Teams) -> None:
    tokens = [t for team in (TA, TB) for t in teams.fake.token_of(team)]
    assert len(tokens) == 2
    raw = db_bytes(teams.core.settings.db_path)
    for tok in tokens:
        assert tok.encode() not in raw
    found = await teams.records.find(None, TA)
    assert found is not None and found["bot_token"] in tokens


async def test_a_wrong_key_stops_start_up_with_one_line(teams: Teams) -> None:
    other = Fernet.generate_key().decode()
    with pytest.raises(ConfigError) as e:
        await installations.open_records(teams.core.db, other, SystemClock(), CLIENT_ID)
    assert "\n" not in str(e.value) and other not in str(e.value)
    with pytest.raises(ConfigError):
        await installations.open_records(teams.core.db, "", SystemClock(), CLIENT_ID)
    with pytest.raises(ConfigError):
        await installations.open_records(teams.core.db, "not-a-key", SystemClock(), CLIENT_ID)


async def test_key_rotation_reencrypts_and_the_old_key_can_go(teams: Teams) -> None:
    new = Fernet.generate_key().decode()
    clock = SystemClock()
    rotated = await installations.open_records(teams.core.db, f"{new},{ENC_KEY}", clock, CLIENT_ID)
    assert await rotated.check_all() == (2, 2)
    alone = await installations.open_records(teams.core.db, new, clock, CLIENT_ID)
    assert (await alone.find(None, TB) or {}).get("team_id") == TB
    with pytest.raises(ConfigError):  # the old key alone no longer opens them
        await installations.open_records(teams.core.db, ENC_KEY, clock, CLIENT_ID)


# ---------------------------------------------------------------- isolation


async def test_each_team_posts_with_its_own_token_and_key(teams: Teams) -> None:
    a, b = teams.driver("a"), teams.driver("b")
    try:
        assert (await a.command("/post", "x “From team A”", channel=CA, team=TA)).status_code == 200
        assert (await b.command("/post", "x “From team B”", channel=CB, team=TB)).status_code == 200
        await teams.settle()
    finally:
        await a.aclose()
        await b.aclose()
    assert teams.fake.cross_team == []
    [pa] = _posts(teams.sandbox, KEY_A)
    [pb] = _posts(teams.sandbox, KEY_B)
    assert "team A" in str(pa.spec) and "team B" in str(pb.spec)
    assert _posts(teams.sandbox, "sk_test_sandbox") == []
    for team, channel in ((TA, CA), (TB, CB)):
        posted = [c for c in teams.fake.calls if c.method == "chat.postMessage"]
        mine = [c for c in posted if c.params["channel"] == channel]
        assert mine and all(c.team == team for c in mine)
    [token_a] = teams.fake.token_of(TA)
    assert all(
        c.headers.get("Authorization") == f"Bearer {token_a}" for c in teams.fake.calls_by(TA)
    )


async def test_status_of_team_as_post_asked_in_team_b_is_not_found(teams: Teams) -> None:
    a, b = teams.driver("a"), teams.driver("b")
    try:
        await a.command("/post", "x “Only for A”", channel=CA, team=TA)
        await teams.settle()
        [req] = await teams.requests()
        await a.command("/status", req.post_id, channel=CA, team=TA)
        await b.command("/status", req.post_id, channel=CB, team=TB)
        await teams.settle()
    finally:
        await a.aclose()
        await b.aclose()
    seen_a = [m for (ch, _), m in teams.fake.messages.items() if ch == CA]
    assert any(req.post_id in str(m) for m in seen_a)
    to_b = [body for tag, body in teams.fake.responses if tag == "b"]
    assert to_b and "not found" in str(to_b[-1]).lower()
    assert not any(req.post_id in str(m) for (ch, _), m in teams.fake.messages.items() if ch == CB)
    assert teams.fake.cross_team == []


async def test_approval_and_announcement_stay_in_their_team(teams: Teams) -> None:
    a = teams.driver("a")
    try:
        await a.command("/post", "x “Needs a look”", channel=CA_REVIEW, team=TA)
        await teams.settle()
        card = next(
            (ch, ts)
            for (ch, ts), m in teams.fake.messages.items()
            if ch == CA_REVIEW and any(b.get("type") == "actions" for b in m.get("blocks") or ())
        )
        button = button_payload(
            "socialbot_approve", "c", user=APPROVER, channel=card[0], ts=card[1], team=TA
        )
        assert (await a.interact(button)).status_code == 200
        await teams.settle()
    finally:
        await a.aclose()
    updates = [u for u in teams.fake.calls_to("chat.update") if u["ts"] == card[1]]
    assert updates and updates[-1]["text"].startswith("Approved")
    [req] = await teams.requests()
    # an announcement the notifier would send: with its team, and with the channel alone
    ann = Announcement(
        title="Published", result="published", post_id=req.post_id,
        targets=(TargetLine("X", "@acme", "published", permalink="https://x.example/1"),),
    )  # fmt: skip
    port = teams.core.port("slack")
    await port.send(Destination("slack", CA_REVIEW, thread=req.thread, team=TA), ann)
    await port.update(_ref(card), ann)  # the card, by channel alone
    assert teams.fake.cross_team == []
    assert {c.team for c in teams.fake.calls if c.params.get("channel") == CA_REVIEW} == {TA}
    assert _posts(teams.sandbox, KEY_B) == []


def _ref(card: tuple[str, str]) -> MessageRef:
    return MessageRef("slack", card[0], card[1])


async def test_an_unbound_team_is_told_how_to_connect(teams: Teams) -> None:
    r = await teams.install(TC)
    assert r.status_code == 200
    c = teams.driver("c")
    try:
        await c.command("/post", "x “Anything”", channel="CCCC", team=TC)
        await teams.settle()
    finally:
        await c.aclose()
    [(_, body)] = [(t, b) for t, b in teams.fake.responses if t == "c"]
    assert "not connected" in str(body) and TC in str(body)
    assert _posts(teams.sandbox, "sk_test_sandbox") == []


async def test_uninstall_deletes_the_installation_and_refuses_later_requests(
    teams: Teams,
) -> None:
    b = teams.driver("b")
    try:
        ev = {"type": "app_uninstalled", "event_ts": "1700000000.1"}
        assert (await b.event(ev, "EvGone", team=TB)).status_code == 200
        await teams.settle()
        assert await teams.records.find(None, TB) is None
        assert await teams.records.find(None, TA) is not None
        before = len(teams.fake.calls)
        r = await b.command("/post", "x “After uninstall”", channel=CB, team=TB)
        assert r.status_code == 200
        never = teams.driver("never")
        await never.command("/post", "x “Never installed”", channel="CZZZ", team="TZZZ")
        await never.aclose()
        await teams.settle()
    finally:
        await b.aclose()
    assert teams.fake.calls[before:] == []  # no Web API call at all, with any token
    assert _posts(teams.sandbox, KEY_B) == []
    # a call the core makes for the gone team is refused before it reaches Slack
    with pytest.raises(Exception, match="install"):
        await teams.core.port("slack").send(
            Destination("slack", CB, team=TB),
            Announcement(title="x", result="published", post_id=None),
        )
    assert teams.fake.calls[before:] == []


# ---------------------------------------------------------------- token rotation, Socket Mode


async def test_rotating_tokens_are_refreshed_and_stored_encrypted(teams: Teams) -> None:
    teams.fake.rotation = True
    teams.fake.expires_in = 60  # inside Bolt's refresh window: the next request refreshes
    assert (await teams.install(TD)).status_code == 200
    [first] = teams.fake.token_of(TD)
    stored = await teams.records.find(None, TD)
    assert stored is not None and stored["bot_refresh_token"].startswith("xoxe-1-")
    before = len(teams.fake.calls)
    d = teams.driver("d")
    try:
        await d.command("/post", "x “Rotated”", channel=CD, team=TD)
        await teams.settle()
    finally:
        await d.aclose()
    [now] = teams.fake.token_of(TD)
    assert now != first  # refreshed through oauth.v2.access (grant_type=refresh_token)
    refreshes = [c for c in teams.fake.calls_to("oauth.v2.access") if c.get("grant_type")]
    assert len(refreshes) == 1  # once: the refreshed token is good for hours
    again = await teams.records.find(None, TD)
    assert again is not None and again["bot_token"] == now
    assert again["bot_refresh_token"] != stored["bot_refresh_token"]
    raw = db_bytes(teams.core.settings.db_path)
    assert now.encode() not in raw and again["bot_refresh_token"].encode() not in raw
    mine = [c for c in teams.fake.calls[before:] if c.team == TD]
    assert mine and all(c.headers["Authorization"] == f"Bearer {now}" for c in mine)
    assert len(_posts(teams.sandbox, KEY_B)) == 1 and teams.fake.cross_team == []


async def test_socket_mode_serves_each_team_with_its_own_token(teams: Teams) -> None:
    handler = await start_socket_mode(teams.adapter.app, APP_TOKEN)
    fake = teams.fake
    try:
        for n, (team, channel) in enumerate(((TA, CA), (TB, CB), ("TZZZ", "CZZZ"))):
            payload = slash_payload(
                "/post", f"x “Socket {team}”", fake.response_url(f"s{n}"), channel=channel,
                team=team,
            )  # fmt: skip
            await fake.send_envelope("slash_commands", payload, f"env{n}")
        await wait_for(lambda: len(fake.acks) == 3, what="3 envelope acks")
        await teams.settle()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert ["Socket" in str(p.spec) for p in _posts(teams.sandbox, KEY_A)] == [True]
    assert ["Socket" in str(p.spec) for p in _posts(teams.sandbox, KEY_B)] == [True]
    assert not any(c.params.get("channel") == "CZZZ" for c in fake.calls)
    assert fake.cross_team == [] and {c.team for c in fake.calls if c.team} <= {TA, TB}


async def test_the_token_cache_is_bounded_and_dropped_on_uninstall(teams: Teams) -> None:
    tokens = teams.adapter.tokens
    assert tokens is not None
    a, b = teams.driver("a"), teams.driver("b")
    try:
        tokens.max_entries = 1
        await a.command("/status", "", channel=CA, team=TA)
        await b.command("/status", "", channel=CB, team=TB)
        await teams.settle()
        assert len(tokens) == 1
        tokens.max_entries = 1000
        for _ in range(3):
            await a.command("/status", "", channel=CA, team=TA)
            await b.command("/status", "", channel=CB, team=TB)
        await teams.settle()
        assert len(tokens) == 2
        auth_tests = len(teams.fake.calls_to("auth.test"))
        hits = tokens.hits
        await a.command("/status", "", channel=CA, team=TA)
        await teams.settle()
        assert tokens.hits > hits and len(teams.fake.calls_to("auth.test")) == auth_tests
        await b.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, "EvRev", team=TB)
        await teams.settle()
    finally:
        await a.aclose()
        await b.aclose()
    assert len(tokens) == 1 and await teams.records.find(None, TB) is None


# ---------------------------------------------------------------- /social connect


async def _connect(teams: Teams, driver: SlackDriver, team: str, channel: str, key: str) -> None:
    await driver.command("/social", "connect", channel=channel, team=team, user="UADMIN")
    await teams.settle()
    opened = teams.fake.calls_to("views.open")[-1]
    view = opened["view"]
    values = {"socialbot_key": {"key": {"type": "plain_text_input", "value": key}}}
    payload = view_payload(view, values, user="UADMIN")
    payload["team"] = {"id": team, "domain": "t"}
    payload["user"]["team_id"] = team
    r = await driver.send(form(payload), "application/x-www-form-urlencoded")
    assert r.status_code == 200
    await teams.settle()


async def test_an_admin_connects_a_key_from_chat_and_the_team_uses_it(teams: Teams) -> None:
    teams.fake.admins.add("UADMIN")
    assert (await teams.install(TC)).status_code == 200
    c = teams.driver("c")
    try:
        await c.command("/social", "connect", channel="CCCC", team=TC, user="U_NOT_ADMIN")
        await teams.settle()
        assert teams.fake.calls_to("views.open") == []  # not an admin: no form
        await c.command("/social", f"connect {KEY_C}", channel="CCCC", team=TC, user="UADMIN")
        await teams.settle()
        assert teams.fake.calls_to("views.open") == []  # a key typed inline: refused, unused
        # a member of the configured connect group may open the form too
        teams.core.settings = replace(teams.core.settings, slack_connect_groups=("S0CONNECT",))
        teams.fake.groups["S0CONNECT"] = ["UGROUPED"]
        await c.command("/social", "connect", channel="CCCC", team=TC, user="UGROUPED")
        await teams.settle()
        assert len(teams.fake.calls_to("views.open")) == 1
        await _connect(teams, c, TC, "CCCC", KEY_C)
        await c.command("/post", "x “Through the chat key”", channel="CCCC", team=TC)
        await teams.settle()
    finally:
        await c.aclose()
    told = [str(b) for t, b in teams.fake.responses if t == "c"]
    told += [str(e) for e in teams.fake.ephemeral if e.get("channel") == "CCCC"]
    assert any("Only workspace admins" in t for t in told)
    assert any("Don't type a key" in t for t in told)
    connected = [t for t in told if "Connected the Social API key" in t]
    assert connected and "…rand" in connected[0] and "connected account(s)" in connected[0]
    assert all(KEY_C not in t for t in told)  # never echoed
    [p] = _posts(teams.sandbox, KEY_C)
    assert "chat key" in str(p.spec)
    assert KEY_C.encode() not in db_bytes(teams.core.settings.db_path)
    assert not any(KEY_C in json.dumps(c.params) for c in teams.fake.calls)


async def test_disconnect_and_toml_bindings_win(teams: Teams) -> None:
    teams.fake.admins.add("UADMIN")
    a = teams.driver("a")
    try:
        await _connect(teams, a, TA, CA, KEY_C)  # team A is bound in the TOML file
        await a.command("/post", "x “Still the TOML key”", channel=CA, team=TA)
        await teams.settle()
        await a.command("/social", "disconnect", channel=CA, team=TA, user="UADMIN")
        await teams.settle()
    finally:
        await a.aclose()
    told = " ".join(str(e) for e in teams.fake.ephemeral if e.get("channel") == CA)
    told += " ".join(str(b) for t, b in teams.fake.responses if t == "a")
    assert "configuration file binds this workspace too, and it wins" in told
    assert "Disconnected the Social API key …rand" in told
    assert len(_posts(teams.sandbox, KEY_A)) == 1 and _posts(teams.sandbox, KEY_C) == []
    assert teams.core.connections is not None and len(teams.core.connections) == 0
