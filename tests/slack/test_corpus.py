"""Real Slack payload shapes (``tests/corpus/slack``, sources in its README) through the real
path: signed over loopback HTTP into the guard and Bolt, and as Socket Mode envelopes. Every
documented form is acked (200, or Bolt's answer for its type), never refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.chat import APPROVE, REJECT, ButtonEvent, ReactionEvent
from tests.corpus import load
from tests.slack.conftest import Served
from tests.slack.fake_slack import wait_for

SLACK = load.slack_http()
SOCKET = [s for s in load.samples("slack") if s.kind == "socket"]


def _by_name(name: str) -> load.Sample:
    return next(s for s in load.samples("slack") if s.name == name)


def test_the_corpus_covers_every_kind_the_issue_names() -> None:
    names = {s.name for s in load.samples("slack")}
    for needed in (
        "command_slash",
        "interactive_block_actions_message",
        "interactive_block_actions_modal",
        "interactive_view_submission",
        "interactive_view_submission_file_input",
        "interactive_view_submission_response_urls",
        "interactive_view_closed",
        "event_reaction_added",
        "event_reaction_removed",
        "event_url_verification",
        "event_app_uninstalled",
        "event_tokens_revoked",
        "interactive_view_submission_org_install",
    ):
        assert needed in names
    assert SOCKET, "Socket Mode envelopes"
    assert _by_name("interactive_view_submission").doc["response_urls"] == []
    assert _by_name("interactive_view_submission_org_install").doc["team"] is None


async def _post(s: Served, sample: load.Sample) -> Any:
    doc = load.redirect(sample.doc, s.fake.response_url("corpus"))
    ctype, body = load.encode(sample.kind, doc)
    return await s.slack.send(body, ctype)


@pytest.mark.parametrize("sample", SLACK, ids=lambda s: s.name)
async def test_each_documented_payload_is_acked_over_http(
    served: Served, sample: load.Sample, caplog: pytest.LogCaptureFixture
) -> None:
    s = served
    caplog.set_level(logging.WARNING, logger="adapters.slack.guard")
    r = await _post(s, sample)
    await s.adapter.idle()
    assert r.status_code == 200, (r.status_code, r.text)
    assert "unexpected shape" not in caplog.text and "could not be read" not in caplog.text
    if sample.name == "event_url_verification":
        assert r.json() == {"challenge": sample.doc["challenge"]}
    elif sample.doc.get("type") == "view_submission":
        # Bolt's answer to a submission: empty (closes the form) or inline errors
        assert r.text == "" or r.json()["response_action"] == "errors"
    else:
        assert r.text == ""


async def test_what_each_payload_becomes(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    s = served
    for name in (
        "command_slash",
        "command_slash_org_install",
        "interactive_block_actions_message",
        "interactive_block_actions_org_install",
        "interactive_block_actions_modal",
        "event_reaction_added",
        "event_reaction_removed",
        "event_reaction_added_org_install",
        "interactive_view_submission_file_input",
    ):
        assert (await _post(s, _by_name(name))).status_code == 200
    await s.adapter.idle()
    assert [i.command for i in s.commands.invocations] == ["status", "social", "post"]
    compose = s.commands.invocations[2]
    assert compose.channel == "C111" and dict(compose.options)["caption"] == "Launch day"
    [att] = compose.attachments
    assert (att.name, att.content_type, att.size) == ("launch.png", "image/png", 204800)
    buttons = [e for e in s.commands.events if isinstance(e, ButtonEvent)]
    reactions = [e for e in s.commands.events if isinstance(e, ReactionEvent)]
    # the modal-container action has no card message: acked and ignored
    assert [(b.decision, b.team) for b in buttons] == [(APPROVE, "T111"), (REJECT, None)]
    assert [r.message.channel for r in reactions] == ["C111", "C123ABC456", "C111"]
    # a form that is not ours (no metadata) asks for the channel instead of failing
    r = await _post(s, _by_name("interactive_view_submission"))
    assert r.json() == {
        "response_action": "errors",
        "errors": {"channel": "Pick the channel to report in."},
    }
    caplog.set_level(logging.ERROR, logger="adapters.slack.app")
    await _post(s, _by_name("event_tokens_revoked"))
    await s.adapter.idle()
    assert "tokens_revoked" in caplog.text and "SLACK_BOT_TOKEN" in caplog.text


async def test_every_sample_as_a_socket_mode_envelope_is_acked(served: Served) -> None:
    from adapters.slack.runner import start_socket_mode
    from tests.slack.fake_slack import APP_TOKEN

    s = served
    envelopes = [
        load.envelope(sample)
        for sample in SOCKET + [x for x in SLACK if x.name != "event_url_verification"]
    ]
    ids = [e["envelope_id"] for e in envelopes]
    assert len(set(ids)) == len(ids)
    handler = await start_socket_mode(s.adapter.app, APP_TOKEN)
    try:
        for env in envelopes:
            await s.fake.outbox.put(load.redirect(env, s.fake.response_url("corpus")))
        await wait_for(lambda: len(s.fake.acks) >= len(envelopes), what="every envelope acked")
        await s.adapter.idle()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert sorted(a["envelope_id"] for a in s.fake.acks) == sorted(ids)
    by_id = {a["envelope_id"]: a for a in s.fake.acks}
    errors = by_id["env-interactive_view_submission"]["payload"]
    assert errors["response_action"] == "errors"
