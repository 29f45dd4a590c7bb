"""The compose modal: opened at once, filled in when the accounts arrive, inline errors,
submission with files streamed from Slack with the bot token."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from adapters.slack import modal
from bot.chat import Confirmation, ErrorReply, Invocation, Outcome
from tests.slack.conftest import Served
from tests.slack.fake_slack import BOT_TOKEN, wait_for
from tests.slack.payloads import view_payload


async def open_form(s: Served, command: str = "/post") -> tuple[str, dict[str, Any]]:
    r = await s.slack.command(command, "", channel="C7")
    assert r.status_code == 200
    await s.adapter.idle()
    [opened] = s.fake.calls_to("views.open")
    assert opened["trigger_id"].startswith("trig.")
    vid = next(iter(s.fake.views))
    return vid, s.fake.views[vid]


def values(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"channel": {"channel": {"selected_conversation": "C7"}}}
    for block, v in kw.items():
        out[block] = {block: v}
    return out


async def test_empty_post_opens_the_form_first_then_fills_accounts_and_tz(served: Served) -> None:
    s = served
    s.fake.gates["users.info"] = asyncio.Event()
    r = await s.slack.command("/post", "", channel="C7")
    assert r.status_code == 200
    await wait_for(lambda: s.fake.calls_to("views.open"), what="views.open")
    # views.open went out before the slow look-ups finished (trigger_id lives 3 s)
    first = s.fake.calls_to("views.open")[0]["view"]
    assert first["blocks"][0]["block_id"] == "targets_loading"
    assert s.fake.methods().index("views.open") < len(s.fake.calls)
    s.fake.gates["users.info"].set()
    await s.adapter.idle()
    [upd] = s.fake.calls_to("views.update")
    view = upd["view"]
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids[0] == "targets" and "files" in ids and "channel" in ids and "draft" not in ids
    opts = view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in opts] == ["ig", "x"]
    tz = next(b for b in view["blocks"] if b.get("block_id") == "tz")
    assert tz["element"]["initial_value"] == "Europe/Berlin"
    ch = next(b for b in view["blocks"] if b.get("block_id") == "channel")
    assert ch["element"]["initial_conversation"] == "C7"
    assert s.commands.invocations == []
    # the second form opens complete at once (choices and tz cached)
    await s.slack.command("/schedule", "", channel="C7")
    await s.adapter.idle()
    second = s.fake.calls_to("views.open")[1]["view"]
    assert second["blocks"][0]["block_id"] == "targets"
    assert any(b.get("block_id") == "draft" for b in second["blocks"])
    assert len(s.fake.calls_to("views.update")) == 1


async def test_submit_builds_options_and_streams_files(served: Served) -> None:
    s = served
    _, view = await open_form(s, "/schedule")
    content = bytes(range(256)) * 800  # 200 KB
    f = s.fake.add_file("F1", "launch.png", content, "image/png")
    got: list[bytes] = []

    async def script_async(inv: Invocation) -> None:
        async for chunk in inv.attachments[0].open():
            got.append(chunk)

    s.commands.script = lambda inv: Outcome((Confirmation(title="Scheduled"),))
    vals = values(
        targets={"selected_options": [{"value": "ig"}, {"value": "x"}]},
        caption={"value": "Hello world"},
        captions={"value": "instagram: Casual ✨"},
        files={"files": [f]},
        type={"selected_option": {"value": "image"}},
        date={"selected_date": "2026-12-01"},
        time={"selected_time": "09:30"},
        tz={"value": "Europe/Berlin"},
        draft={"selected_options": [{"value": "true"}]},
    )
    r = await s.slack.interact(view_payload(view, vals))
    assert r.status_code == 200 and r.text == ""  # closes the modal
    await s.adapter.idle()
    [inv] = s.commands.invocations
    assert inv.command == "schedule" and inv.channel == "C7" and inv.text == ""
    assert dict(inv.options) == {
        "targets": "ig, x",
        "caption": "Hello world",
        "captions": "instagram: Casual ✨",
        "type": "image",
        "when": "2026-12-01 09:30 Europe/Berlin",
        "draft": "true",
    }
    assert inv.user_tz == "Europe/Berlin" and inv.delivery_id.startswith("slack:view:")
    assert inv.thread is not None and ("C7", inv.thread) in s.fake.messages
    [att] = inv.attachments
    assert (att.name, att.content_type, att.size) == ("launch.png", "image/png", len(content))
    assert "url" not in repr(att) and "/files/" not in repr(att)
    await script_async(inv)
    assert b"".join(got) == content and len(got) > 1  # streamed in chunks
    assert s.fake.file_requests[-1]["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert "Scheduled" in s.fake.calls_to("chat.update")[0]["text"]


@pytest.mark.parametrize(
    ("vals", "block", "words"),
    [
        (values(date={"selected_date": "2026-12-01"}), "time", "time"),
        (values(time={"selected_time": "09:00"}), "date", "date"),
        (values(tz={"value": "Mars/Olympus"}), "tz", "time zone"),
        (values(captions={"value": "not a platform line"}), "captions", "platform: text"),
    ],
)
async def test_problems_visible_without_io_are_inline(
    served: Served, vals: dict[str, Any], block: str, words: str
) -> None:
    s = served
    _, view = await open_form(s)
    r = await s.slack.interact(view_payload(view, vals))
    body = r.json()
    assert body["response_action"] == "errors"
    assert block in body["errors"] and words in body["errors"][block].lower()
    await s.adapter.idle()
    assert s.commands.invocations == [] and s.fake.calls_to("chat.postMessage") == []


async def test_bad_file_type_and_size_inline_and_url_never_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    s = served
    _, view = await open_form(s)
    zip_ = s.fake.add_file("F2", "stuff.zip", b"PK..", "application/zip")
    big = {**s.fake.add_file("F3", "huge.mp4", b"0", "video/mp4"), "size": 3 * 1024**3}
    caplog.set_level(logging.DEBUG)
    r = await s.slack.interact(view_payload(view, values(files={"files": [zip_, big]})))
    err = r.json()["errors"]["files"]
    assert "application/zip" in err and "huge.mp4” is 3072.0 MB" in err and "1024 MB" in err
    assert "/files/" not in caplog.text


async def test_dispatch_field_errors_map_to_blocks() -> None:
    view = modal.compose_view(
        modal.ComposeContext("post", "C1", "T1"), choices=[], tz=None, choices_failed=True
    )
    errs = modal.block_errors(
        [("targets", "unknown target 'zz'"), ("media", "too many"), ("privacy", "bad")], view
    )
    assert errs == {"targets": "unknown target 'zz'", "files": "too many", "caption": "bad"}


async def test_late_error_goes_to_the_user_ephemerally_in_the_chosen_channel(
    served: Served,
) -> None:
    s = served
    _, view = await open_form(s)
    s.commands.script = lambda inv: Outcome(
        (ErrorReply(title="Unknown target", field_errors=(("targets", "no account 'zz'"),)),)
    )
    await s.slack.interact(view_payload(view, values(caption={"value": "hi"})))
    await s.adapter.idle()
    [eph] = s.fake.ephemeral
    assert eph["channel"] == "C7" and eph["user"] == "U1" and "no account" in str(eph["blocks"])
    assert s.fake.messages == {}  # working message removed


async def test_accounts_unavailable_falls_back_to_typed_targets(served: Served) -> None:
    s = served

    async def broken(*a: object) -> list[object]:
        raise RuntimeError("api down")

    s.commands.target_choices = broken  # type: ignore[assignment,method-assign]
    _, _view = await open_form(s)
    [upd] = s.fake.calls_to("views.update")
    targets = upd["view"]["blocks"][0]
    assert (
        targets["element"]["type"] == "plain_text_input"
        and "couldn't list" in targets["hint"]["text"]
    )
    r = await s.slack.interact(
        view_payload(upd["view"], values(targets={"value": "ig, @acme"}, caption={"value": "x"}))
    )
    assert r.status_code == 200
    await s.adapter.idle()
    assert dict(s.commands.invocations[0].options)["targets"] == "ig, @acme"
