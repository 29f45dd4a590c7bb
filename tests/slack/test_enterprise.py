"""Enterprise Grid: one org-wide install ("Add to Slack" by an org admin) serves every workspace
of the enterprise with one token. Installed through the real OAuth flow (Bolt's
``/slack/install`` → the fake's authorize → ``/slack/oauth_redirect``) over loopback HTTP; the
requests are the org-install shapes of ``tests/corpus/slack`` (a slash command with
``is_enterprise_install=true``, ``team: null`` block actions and view submissions, an event whose
``authorizations[0]`` names the enterprise and no team), signed, into the real Bolt app.

The fake Slack accepts the org's token in every workspace of the enterprise and refuses it
(``cross_team``) for a team outside it; with an org token, ``usergroups.users.list`` needs the
workspace's ``team_id`` (``missing_argument`` without it), as Slack documents.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.slack.runner import start_socket_mode
from bot.chat import Announcement, Destination, MessageRef, TargetLine
from bot.config import Settings
from bot.sandbox import Sandbox
from commands import times
from tests.corpus import load
from tests.slack.distributed import KEY_A, KEY_B, KEY_C, Teams, db_bytes, serving, settings_for
from tests.slack.fake_slack import APP_TOKEN, BOT_USER, FakeSlack, FakeTeam, wait_for
from tests.slack.payloads import SlackDriver

E, E_OTHER = "EACME", "EOTHER"
TE1, TE2, TE3 = "TENG", "TSALES", "TOPS"  # workspaces of the org; TE3 bound by /social connect
TX = "TOUTSIDE"  # a standalone team, not installed
C1, C1_REVIEW, C2, C3, CX = "CENG", "CENGREVIEW", "CSALES", "COPS", "COUTSIDE"
APPROVER = "WAPPROVER"  # Grid user ids start with W
_ids = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Teams]:
    fake = await FakeSlack().start()
    fake.teams[TX] = FakeTeam(TX, "Outside")
    fake.channel_teams.update({C1: TE1, C1_REVIEW: TE1, C2: TE2, C3: TE3, CX: TX})

    def settings(url: str, db: str) -> Settings:
        return settings_for(
            url, fake, db, a=TE1, b=TE2, a_review=C1_REVIEW, b_too=TX, approver=APPROVER
        )

    try:
        async with serving(fake, tmp_path, settings) as t:
            r = await t.install_with(fake.org_install_code(E, (TE1, TE2, TE3), "Acme Org"))
            assert r.status_code == 200 and "<b>Acme Org</b>" in r.text, r.text
            yield t
    finally:
        await fake.stop()


# ---------------------------------------------------------------- payloads (corpus shapes)


def _doc(name: str, ids: dict[str, str]) -> dict[str, Any]:
    sample = next(s for s in load.samples("slack") if s.name == name)
    doc: dict[str, Any] = load.substitute(sample.doc, ids)
    return doc


def org_command_doc(
    command: str, text: str, response_url: str, *, team: str, channel: str,
    user: str = "W111", enterprise: str = E,
) -> dict[str, Any]:  # fmt: skip
    """``command_slash_org_install``: a workspace of an org-installed enterprise."""
    doc = _doc("command_slash_org_install", {"T111": team, "E111": enterprise, "W111": user})
    doc |= {
        "command": command, "text": text, "channel_id": channel,
        "response_url": response_url, "trigger_id": f"trig.org.{next(_ids)}",
    }  # fmt: skip
    return doc


async def org_command(
    driver: SlackDriver, command: str, text: str, *, team: str, channel: str,
    user: str = "W111", enterprise: str = E,
) -> httpx.Response:  # fmt: skip
    """An org-install slash command, signed, over HTTP."""
    doc = org_command_doc(
        command, text, driver.response_url, team=team, channel=channel, user=user,
        enterprise=enterprise,
    )  # fmt: skip
    return await driver.send(*reversed(load.encode("command", doc)))


async def org_button(
    driver: SlackDriver, action_id: str, *, channel: str, ts: str, user: str
) -> httpx.Response:
    """``interactive_block_actions_org_install``: ``team: null``, the enterprise only."""
    doc = _doc("interactive_block_actions_org_install", {"E111": E, "111.222": ts, "W111": user})
    doc["channel"]["id"] = doc["container"]["channel_id"] = channel
    doc["actions"][0] |= {"action_id": action_id, "action_ts": f"1700000100.{next(_ids):06d}"}
    doc["response_url"] = driver.response_url
    return await driver.send(*reversed(load.encode("interactive", doc)))


async def org_view(driver: SlackDriver, opened: dict[str, Any], values: dict[str, Any],
                   *, user: str) -> httpx.Response:  # fmt: skip
    """``interactive_view_submission_org_install`` around a view the bot opened."""
    doc = _doc("interactive_view_submission_org_install", {"E111": E, "W111": user})
    doc["view"] |= {
        "callback_id": opened["callback_id"], "blocks": opened["blocks"],
        "private_metadata": opened.get("private_metadata", ""), "state": {"values": values},
    }  # fmt: skip
    return await driver.send(*reversed(load.encode("interactive", doc)))


def org_event(event: dict[str, Any], *, team: str | None) -> dict[str, Any]:
    """An Events API body for an org-wide install: ``authorizations[0]`` names the enterprise,
    no team, ``is_enterprise_install: true`` (``event_reaction_added_org_install``)."""
    doc = _doc("event_reaction_added_org_install", {"E111": E, "W222": BOT_USER})
    doc |= {"team_id": team, "event": event, "event_id": f"EvOrg{next(_ids)}"}
    return doc


def _org_calls(t: Teams, since: int = 0) -> list[Any]:
    return [c for c in t.fake.calls[since:] if c.method != "oauth.v2.access"]


def _card(t: Teams) -> tuple[str, str]:
    return next(
        (ch, ts)
        for (ch, ts), m in t.fake.messages.items()
        if ch == C1_REVIEW and any(b.get("type") == "actions" for b in m.get("blocks") or ())
    )


def _posts(sandbox: Sandbox, key: str) -> list[Any]:
    return list(sandbox.state.workspace(key).posts.values())


# ---------------------------------------------------------------- the install


async def test_an_org_wide_install_is_stored_once_for_the_enterprise(org: Teams) -> None:
    [token] = org.fake.token_of(E)
    [access] = org.fake.calls_to("oauth.v2.access")
    assert access.get("code", "").startswith(f"code-{E}-")
    found = await org.records.find(E, None, is_enterprise_install=True)
    assert found is not None and found["bot_token"] == token
    assert found["is_enterprise_install"] is True and found["team_id"] is None
    assert found["enterprise_id"] == E and found["enterprise_name"] == "Acme Org"
    # any workspace of the org finds the same installation; a team outside does not
    for team in (TE1, TE2):
        again = await org.records.find(E, team, is_enterprise_install=True)
        assert again is not None and again["bot_token"] == token
    assert await org.records.find(None, TX) is None
    assert await org.records.count() == 1
    assert token.encode() not in db_bytes(org.core.settings.db_path)


# ---------------------------------------------------------------- requests


async def test_two_workspaces_of_the_org_post_with_the_orgs_token(org: Teams) -> None:
    [token] = org.fake.token_of(E)
    before = len(org.fake.calls)
    one, two = org.driver("one"), org.driver("two")
    try:
        r1 = await org_command(one, "/post", "x “From engineering”", team=TE1, channel=C1)
        r2 = await org_command(two, "/post", "x “From sales”", team=TE2, channel=C2)
        assert r1.status_code == 200 and r2.status_code == 200
        await org.settle()
        await org_command(one, "/status", "", team=TE1, channel=C1)
        await org_command(two, "/status", "", team=TE2, channel=C2)
        await org.settle()
    finally:
        await one.aclose()
        await two.aclose()
    [pa] = _posts(org.sandbox, KEY_A)
    [pb] = _posts(org.sandbox, KEY_B)
    assert "engineering" in str(pa.spec) and "sales" in str(pb.spec)
    calls = _org_calls(org, before)
    assert calls and org.fake.cross_team == []
    assert all(c.headers.get("Authorization") == f"Bearer {token}" for c in calls)
    assert {c.params.get("channel") for c in calls if c.method == "chat.postMessage"} == {C1, C2}
    told = {tag for tag, _ in org.fake.responses}
    assert {"one", "two"} <= told
    # one cache entry (and one auth.test) serves every workspace of the org
    tokens = org.adapter.tokens
    assert tokens is not None and len(tokens) == 1
    assert len(org.fake.calls_to("auth.test")) == 2  # the install's, then the first request's
    assert await org.records.enterprise_of_team(TE1) == (E, True)


async def test_approval_card_and_announcement_in_an_org_workspace(org: Teams) -> None:
    [token] = org.fake.token_of(E)
    one = org.driver("one")
    try:
        await org_command(one, "/post", "x “Needs a look”", team=TE1, channel=C1_REVIEW)
        await org.settle()
        card = _card(org)
        r = await org_button(one, "socialbot_approve", channel=card[0], ts=card[1], user=APPROVER)
        assert r.status_code == 200
        await org.settle()
    finally:
        await one.aclose()
    updates = [u for u in org.fake.calls_to("chat.update") if u["ts"] == card[1]]
    assert updates and updates[-1]["text"].startswith("Approved")
    # the button named no workspace (Bolt's team id is the enterprise's): nothing learned
    # from it, the card's channel still belongs to TE1, the org's workspaces are TE1 only
    assert await org.records.team_of_channel(C1_REVIEW) == TE1
    assert await org.records.teams_of_enterprise(E) == [TE1]
    [req] = await org.requests()
    # Later, outside any request (as after a restart: nothing remembered in memory), the
    # notifier announces for the workspace and the card is updated by its channel alone.
    tokens = org.adapter.tokens
    assert tokens is not None
    tokens.invalidate(E, None)
    org.records._teams.clear()
    org.records._channels.clear()
    before = len(org.fake.calls)
    ann = Announcement(
        title="Published", result="published", post_id=req.post_id,
        targets=(TargetLine("X", "@acme", "published", permalink="https://x.example/1"),),
    )  # fmt: skip
    port = org.core.port("slack")
    await port.send(Destination("slack", C1_REVIEW, thread=req.thread, team=TE1), ann)
    await port.update(MessageRef("slack", card[0], card[1]), ann)
    later = _org_calls(org, before)
    assert [c.method for c in later if c.method != "auth.test"] == [
        "chat.postMessage",
        "chat.update",
    ]
    assert all(c.headers.get("Authorization") == f"Bearer {token}" for c in later)
    assert org.fake.cross_team == [] and _posts(org.sandbox, KEY_B) == []
    assert await org.records.enterprise_of_team(TE1) == (E, True)  # a post never unlearns it


async def test_an_event_naming_only_the_enterprise_is_authorized(org: Teams) -> None:
    one = org.driver("one")
    try:
        await org_command(one, "/post", "x “Reject me”", team=TE1, channel=C1_REVIEW)
        await org.settle()
        (ch, ts) = _card(org)
        ev = {
            "type": "reaction_added", "user": APPROVER, "reaction": "x",
            "item": {"type": "message", "channel": ch, "ts": ts}, "item_user": BOT_USER,
            "event_ts": "1700000200.000100",
        }  # fmt: skip
        body = org_event(ev, team=TE1)
        assert body["authorizations"][0]["team_id"] is None
        r = await one.send(*reversed(load.encode("event", body)))
        assert r.status_code == 200
        await org.settle()
    finally:
        await one.aclose()
    updates = [u for u in org.fake.calls_to("chat.update") if u["ts"] == ts]
    assert updates and updates[-1]["text"].startswith("Rejected")
    [draft] = _posts(org.sandbox, KEY_A)
    assert draft.canceled_at is not None and org.fake.cross_team == []


async def test_a_group_member_connects_a_key_from_an_org_workspace(org: Teams) -> None:
    org.core.settings = replace(org.core.settings, slack_connect_groups=("S0CONNECT",))
    org.fake.groups["S0CONNECT"] = ["WGROUPED"]
    three = org.driver("three")
    try:
        await org_command(three, "/social", "connect", team=TE3, channel=C3, user="WGROUPED")
        await org.settle()
        # usergroups.users.list with the org's token names the workspace (Slack requires it)
        [lookup] = org.fake.calls_to("usergroups.users.list")
        assert lookup.get("team_id") == TE3
        [opened] = org.fake.calls_to("views.open")
        values = {"socialbot_key": {"key": {"type": "plain_text_input", "value": KEY_C}}}
        r = await org_view(three, opened["view"], values, user="WGROUPED")
        assert r.status_code == 200
        await org.settle()
        await org_command(three, "/post", "x “Through the org key”", team=TE3, channel=C3)
        await org.settle()
    finally:
        await three.aclose()
    told = [str(e) for e in org.fake.ephemeral if e.get("channel") == C3]
    told += [str(b) for tag, b in org.fake.responses if tag == "three"]
    assert any("Connected the Social API key" in t for t in told), told
    assert org.core.connections is not None
    assert org.core.connections.workspace_for("slack", TE3) is not None
    [p] = _posts(org.sandbox, KEY_C)
    assert "org key" in str(p.spec)
    assert org.fake.cross_team == []


async def test_a_team_outside_the_enterprise_is_refused_without_a_web_api_call(
    org: Teams,
) -> None:
    before = len(org.fake.calls)
    out = org.driver("out")
    try:
        # a standalone team that never installed, and an enterprise with no org install
        r = await out.command("/post", "x “Outside”", channel=CX, team=TX)
        assert r.status_code == 200
        r = await org_command(out, "/post", "x “Other org”", team=TX, channel=CX,
                              enterprise=E_OTHER)  # fmt: skip
        assert r.status_code == 200
        await org.settle()
    finally:
        await out.aclose()
    assert org.fake.calls[before:] == []
    assert _posts(org.sandbox, KEY_B) == []
    # the core asked to send there: refused before it reaches Slack
    with pytest.raises(Exception, match="install"):
        await org.core.port("slack").send(
            Destination("slack", CX, team=TX),
            Announcement(title="x", result="published", post_id=None),
        )
    assert org.fake.calls[before:] == []
    # and Slack itself refuses the org's token outside the enterprise
    [token] = org.fake.token_of(E)
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{org.fake.api_url}chat.postMessage",
            json={"channel": CX, "text": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.json() == {"ok": False, "error": "channel_not_found"}
    assert org.fake.cross_team == [("chat.postMessage", E, TX)]


async def test_uninstalling_the_org_deletes_it_and_its_workspaces_get_nothing_done(
    org: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    one, two = org.driver("one"), org.driver("two")
    tokens = org.adapter.tokens
    assert tokens is not None
    try:
        await org_command(one, "/status", "", team=TE1, channel=C1)
        await org_command(two, "/status", "", team=TE2, channel=C2)
        await org.settle()
        assert len(tokens) == 1
        caplog.set_level(logging.INFO, logger="adapters.slack.oauth")
        gone = org_event({"type": "app_uninstalled"}, team=None)
        r = await one.send(*reversed(load.encode("event", gone)))
        assert r.status_code == 200
        await org.settle()
        assert await org.records.find(E, None, is_enterprise_install=True) is None
        assert await org.records.count() == 0 and len(tokens) == 0
        # every workspace of the org is forgotten, not only one
        for team in (TE1, TE2):
            assert await org.records.enterprise_of_team(team) == (None, False)
            assert await org.records.team_of_channel({TE1: C1, TE2: C2}[team]) is None
        before = len(org.fake.calls)
        await org_command(one, "/post", "x “After uninstall”", team=TE1, channel=C1)
        await org_command(two, "/post", "x “After uninstall”", team=TE2, channel=C2)
        await org.settle()
    finally:
        await one.aclose()
        await two.aclose()
    assert org.fake.calls[before:] == []
    assert _posts(org.sandbox, KEY_A) == [] and _posts(org.sandbox, KEY_B) == []
    with pytest.raises(Exception, match="install"):
        await org.core.port("slack").send(
            Destination("slack", C1, team=TE1),
            Announcement(title="x", result="published", post_id=None),
        )
    assert org.fake.calls[before:] == []
    lines = [r.getMessage() for r in caplog.records if "app_uninstalled" in r.getMessage()]
    assert lines and f"enterprise {E}" in lines[-1] and "1 installation(s) deleted" in lines[-1]


async def test_an_org_token_that_rotates_is_refreshed_once_for_all_workspaces(
    org: Teams,
) -> None:
    org.fake.rotation = True
    org.fake.expires_in = 60  # inside Bolt's refresh window: the next request refreshes
    code = org.fake.org_install_code(E_OTHER, ("TFIRST", "TSECOND"), "Other Org")
    assert (await org.install_with(code)).status_code == 200
    [first] = org.fake.token_of(E_OTHER)
    stored = await org.records.find(E_OTHER, None, is_enterprise_install=True)
    assert stored is not None and stored["bot_refresh_token"].startswith("xoxe-1-")
    before = len(org.fake.calls)
    one, two = org.driver("r1"), org.driver("r2")
    try:
        await org_command(one, "/status", "", team="TFIRST", channel="CFIRST",
                          enterprise=E_OTHER)  # fmt: skip
        await org_command(two, "/status", "", team="TSECOND", channel="CSECOND",
                          enterprise=E_OTHER)  # fmt: skip
        await org.settle()
    finally:
        await one.aclose()
        await two.aclose()
    [now] = org.fake.token_of(E_OTHER)
    assert now != first
    refreshes = [c for c in org.fake.calls_to("oauth.v2.access") if c.get("grant_type")]
    assert len(refreshes) == 1  # one org, one token: refreshed once for both workspaces
    again = await org.records.find(E_OTHER, None, is_enterprise_install=True)
    assert again is not None and again["bot_token"] == now and again["is_enterprise_install"]
    assert await org.records.count() == 2  # the two orgs; the refresh replaced, not added
    mine = [c for c in _org_calls(org, before) if c.team == E_OTHER]
    assert mine and all(c.headers["Authorization"] == f"Bearer {now}" for c in mine)
    assert now.encode() not in db_bytes(org.core.settings.db_path)


async def test_a_workspace_removed_from_the_org_app_is_forgotten_and_the_rest_keep_working(
    org: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    """``team_access_revoked``: an org admin took the app out of one workspace; the org-wide
    install stays for the others."""
    [token] = org.fake.token_of(E)
    one, two = org.driver("one"), org.driver("two")
    try:
        await org_command(one, "/status", "", team=TE1, channel=C1)
        await org_command(two, "/status", "", team=TE2, channel=C2)
        await org.settle()
        caplog.set_level(logging.INFO, logger="adapters.slack.oauth")
        revoked = org_event({"type": "team_access_revoked", "team_ids": [TE1]}, team=None)
        assert (await one.send(*reversed(load.encode("event", revoked)))).status_code == 200
        await org.settle()
        assert await org.records.enterprise_of_team(TE1) == (None, False)
        assert await org.records.team_of_channel(C1) is None
        assert await org.records.find(E, None, is_enterprise_install=True) is not None
        assert await org.records.enterprise_of_team(TE2) == (E, True)
        # the core can no longer send for the removed workspace by its channel …
        before = len(org.fake.calls)
        with pytest.raises(Exception, match="install"):
            await org.core.port("slack").update(
                MessageRef("slack", C1, "1700000000.000100"),
                Announcement(title="x", result="published", post_id=None),
            )
        assert org.fake.calls[before:] == []
        # … and the other workspace goes on with the org's token
        await org_command(two, "/post", "x “Still here”", team=TE2, channel=C2)
        await org.settle()
    finally:
        await one.aclose()
        await two.aclose()
    [pb] = _posts(org.sandbox, KEY_B)
    assert "Still here" in str(pb.spec)
    calls = _org_calls(org, before)
    assert calls and all(c.headers.get("Authorization") == f"Bearer {token}" for c in calls)
    lines = [r.getMessage() for r in caplog.records if "team_access_revoked" in r.getMessage()]
    assert lines and f"workspaces {TE1}" in lines[-1] and "0 installation(s) deleted" in lines[-1]


async def test_socket_mode_serves_the_orgs_workspaces_with_the_orgs_token(org: Teams) -> None:
    """Socket Mode with OAuth (the app-level token plus the org-wide installation): the same
    org-install command shapes, as ``slash_commands`` envelopes."""
    [token] = org.fake.token_of(E)
    before = len(org.fake.calls)
    handler = await start_socket_mode(org.adapter.app, APP_TOKEN)
    fake = org.fake
    try:
        sent = ((TE1, C1, E), (TE2, C2, E), (TX, CX, E_OTHER))  # the last: not installed
        for n, (team, channel, enterprise) in enumerate(sent):
            doc = org_command_doc(
                "/post", f"x “Socket {team}”", fake.response_url(f"s{n}"), team=team,
                channel=channel, enterprise=enterprise,
            )  # fmt: skip
            await fake.send_envelope("slash_commands", doc, f"envorg{n}")
        await wait_for(lambda: len(fake.acks) == 3, what="3 envelope acks")
        await org.settle()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert ["Socket" in str(p.spec) for p in _posts(org.sandbox, KEY_A)] == [True]
    assert ["Socket" in str(p.spec) for p in _posts(org.sandbox, KEY_B)] == [True]
    calls = [c for c in _org_calls(org, before) if c.method != "apps.connections.open"]
    assert calls and all(c.headers.get("Authorization") == f"Bearer {token}" for c in calls)
    assert not any(c.params.get("channel") == CX for c in calls)
    assert fake.cross_team == []
