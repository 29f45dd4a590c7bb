"""End to end: Slack (fake, over signed loopback HTTP) → real Bolt → the adapter → the real
``commands.dispatch`` and approval workflow → the real SocialClient → the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.app import SlackAdapter, build_slack_adapter
from adapters.slack.runner import start_http
from bot import tracking
from bot.chat import Announcement, Destination, TargetLine
from bot.clock import SystemClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.notifier.pacing import ChannelPacer
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.slots import parse_slots
from bot.storage import Database
from commands import times
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER, FakeSlack
from tests.slack.payloads import SECRET, SlackDriver, button_payload, reaction

REVIEW = "C_REVIEW"
SLOTTED = "C_SLOTS"  # posting slots every 6 hours (UTC), default target x
APPROVER, GROUP, GROUP_MEMBER, OUTSIDER, REQUESTER = "U5", "S0TEAM", "U8", "U7", "U1"


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class E2E:
    fake: FakeSlack
    sandbox: Sandbox
    adapter: SlackAdapter
    slack: SlackDriver
    core: Core

    async def settle(self) -> None:
        await self.adapter.idle()

    async def requests(self) -> list[tracking.TrackedPost]:
        def rows(sdb: Any) -> list[tracking.TrackedPost]:
            found = [
                tracking.get(sdb, r["post_id"]) for r in sdb.query("SELECT post_id FROM requests")
            ]
            return [t for t in found if t is not None]

        return await self.core.db.run(rows)

    def card_posts(self) -> list[dict[str, Any]]:
        return [
            p
            for p in self.fake.calls_to("chat.postMessage")
            if any(b.get("type") == "actions" for b in p.get("blocks") or ())
        ]

    def card_updates(self, ts: str) -> list[dict[str, Any]]:
        return [u for u in self.fake.calls_to("chat.update") if u["ts"] == ts]


@pytest.fixture
async def e2e(tmp_path: Path) -> AsyncIterator[E2E]:
    fake = await FakeSlack().start()
    fake.tz[REQUESTER] = "Europe/Berlin"
    fake.groups[GROUP] = [GROUP_MEMBER]
    async with start_sandbox(SandboxOptions(publish_delay=0.2)) as sandbox:
        review = ChannelConfig(
            timezone="Europe/Berlin",
            approval=ApprovalPolicy(required=True, approvers=(APPROVER, GROUP), quorum=1),
        )
        slotted = ChannelConfig(
            default_targets=("x",),
            slots=parse_slots(["daily 00:00", "daily 06:00", "daily 12:00", "daily 18:00"]),
        )
        settings = Settings(
            api_url=sandbox.url,
            workspaces={
                "default": Workspace("default", "SOCIAL_API_KEY", key=Secret(sandbox.demo_key))
            },
            bindings=(
                ChannelBinding("slack", None, REVIEW, review),
                ChannelBinding("slack", None, SLOTTED, slotted),
            ),
            slack_bot_token=Secret(BOT_TOKEN),
            slack_signing_secret=Secret(SECRET),
            slack_app_token=Secret(APP_TOKEN),
            slack_api_url=fake.url,
        )
        db = await Database.open(str(tmp_path / "bot.db"))
        clock = SystemClock()
        core = Core(settings=settings, db=db, clients=Clients(settings, clock), clock=clock)
        core.pacers["slack"] = ChannelPacer(clock, per_second=1000)
        adapter = build_slack_adapter(core, settings)  # the real command layer
        runner = await start_http(adapter.app, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        driver = SlackDriver(url, fake.response_url("e2e"))
        try:
            yield E2E(fake, sandbox, adapter, driver, core)
        finally:
            sandbox.faults.reset()
            await driver.aclose()
            await runner.cleanup()
            await adapter.aclose()
            await core.clients.aclose()
            await db.close()
            await fake.stop()


async def test_post_publishes_and_records_the_thread(e2e: E2E) -> None:
    r = await e2e.slack.command("/post", "x,fb “Hello &amp; welcome from Slack”")
    assert r.status_code == 200
    await e2e.settle()
    [working] = e2e.fake.calls_to("chat.postMessage")
    [upd] = e2e.fake.calls_to("chat.update")
    ts = next(ts for (ch, ts) in e2e.fake.messages if ch == "C1")
    assert upd["ts"] == ts and "C1" == upd["channel"]
    [req] = await e2e.requests()
    assert (req.platform, req.channel, req.thread, req.requester) == ("slack", "C1", ts, "U1")
    posts = e2e.sandbox.state  # the sandbox got exactly one post
    assert req.post_id and posts is not None
    assert e2e.fake.responses == []
    # an announcement for it threads under the same message
    ann = Announcement(
        title="Published", result="published", post_id=req.post_id,
        targets=(TargetLine("X", "@acme", "published", permalink="https://x.example/1"),),
    )  # fmt: skip
    await e2e.core.port("slack").send(Destination("slack", req.channel, thread=req.thread), ann)
    assert e2e.fake.calls_to("chat.postMessage")[-1]["thread_ts"] == ts
    assert working["channel"] == "C1"


async def test_user_error_from_the_real_parser_is_ephemeral(e2e: E2E) -> None:
    await e2e.slack.command("/post", "nosuchnetwork")
    await e2e.settle()
    [(_, body)] = e2e.fake.responses
    assert body["response_type"] == "ephemeral"
    assert await e2e.requests() == []
    assert e2e.fake.messages == {}  # the working message is gone


async def test_ack_does_not_wait_for_a_slow_social_api(e2e: E2E) -> None:
    e2e.sandbox.faults.slow_seconds = 3.5  # longer than Slack's 3 s deadline
    r = await e2e.slack.command("/post", "x “slow API”")
    assert r.status_code == 200 and r.text == ""
    # the HTTP answer arrived before the sandbox answered anything: no result yet
    assert e2e.fake.calls_to("chat.update") == [] and e2e.adapter.busy >= 1
    e2e.sandbox.faults.reset()
    await e2e.settle()
    assert "chat.update" in e2e.fake.methods() or e2e.fake.responses


async def _request_card_ts(e2e: E2E) -> str:
    """The ts of the last approval card posted."""
    card = e2e.card_posts()[-1]
    return next(
        ts
        for (ch, ts), m in e2e.fake.messages.items()
        if m is not None and ch == card["channel"] and m.get("blocks") == card["blocks"]
    )


async def _request_card(e2e: E2E, command: str = "/post", text: str = "x “Needs a look”") -> str:
    await e2e.slack.command(command, text, channel=REVIEW, user=REQUESTER)
    await e2e.settle()
    ts = await _request_card_ts(e2e)
    seeded = [c for c in e2e.fake.calls_to("reactions.add") if c["timestamp"] == ts]
    assert {c["name"] for c in seeded} == {"white_check_mark", "x"}
    return ts


async def test_reaction_approval_once_despite_retries_and_ignored_voters(e2e: E2E) -> None:
    ts = await _request_card(e2e)
    before = len(e2e.card_updates(ts))
    # the bot's own seeded ✅, the requester's ✅, an outsider's ✅: nothing happens
    await e2e.slack.event(reaction(BOT_USER, "white_check_mark", REVIEW, ts), "EvBot")
    await e2e.slack.event(reaction(REQUESTER, "white_check_mark", REVIEW, ts), "EvSelf")
    await e2e.slack.event(reaction(OUTSIDER, "white_check_mark", REVIEW, ts), "EvOut")
    await e2e.settle()
    assert len(e2e.card_updates(ts)) == before
    # ...but the requester and the outsider are told why, privately (ephemeral), once per card
    told = {e["user"]: e["text"] for e in e2e.fake.ephemeral}
    assert "can't approve or reject your own request" in told[REQUESTER]
    assert "not an approver for this request" in told[OUTSIDER]
    assert BOT_USER not in told
    await e2e.slack.event(reaction(OUTSIDER, "x", REVIEW, ts), "EvOut2")
    await e2e.settle()
    assert [e["user"] for e in e2e.fake.ephemeral].count(OUTSIDER) == 1
    # the same approval delivered 3 times (Slack retries): one approval
    ev = reaction(APPROVER, "heavy_check_mark", REVIEW, ts)
    for n in range(3):
        headers = (
            {"x-slack-retry-num": str(n), "x-slack-retry-reason": "http_timeout"} if n else None
        )
        assert (await e2e.slack.event(ev, "EvApprove", headers=headers)).status_code == 200
    await e2e.settle()
    finals = [u for u in e2e.card_updates(ts) if "Approved" in u["text"]]
    assert len(finals) >= 1
    [req] = await e2e.requests()
    assert req.status != "draft"

    def deliveries(sdb: Any) -> int:
        return int(
            sdb.execute("SELECT count(*) FROM deliveries WHERE id LIKE '%EvApprove'").fetchone()[0]
        )

    assert await e2e.core.db.run(deliveries) == 1


async def test_group_member_approves_with_the_button(e2e: E2E) -> None:
    ts = await _request_card(e2e)
    approve = button_payload("socialbot_approve", "c", user=GROUP_MEMBER, channel=REVIEW, ts=ts)
    assert (await e2e.slack.interact(approve)).status_code == 200
    await e2e.settle()
    assert "Approved" in e2e.card_updates(ts)[-1]["text"]
    assert [c["usergroup"] for c in e2e.fake.calls_to("usergroups.users.list")] == [GROUP]


async def test_approve_and_reject_at_once_one_final_state_loser_told(e2e: E2E) -> None:
    ts = await _request_card(e2e)
    approve = button_payload("socialbot_approve", "c", user=GROUP_MEMBER, channel=REVIEW, ts=ts)
    results = await asyncio.gather(
        e2e.slack.interact(approve),
        e2e.slack.event(reaction(APPROVER, "x", REVIEW, ts), "EvReject"),
    )
    assert [r.status_code for r in results] == [200, 200]
    await e2e.settle()
    finals = {u["text"].split(":")[0] for u in e2e.card_updates(ts)} & {"Approved", "Rejected"}
    assert len(finals) == 1  # exactly one final state
    told = [e for e in e2e.fake.ephemeral if e["user"] in (GROUP_MEMBER, APPROVER)]
    assert told, "the loser is told"


async def _until(pred: Any, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await pred():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_cancel_of_a_live_post_is_confirmed_with_the_button(e2e: E2E) -> None:
    await e2e.slack.command("/post", "x “Live on X”")
    await e2e.settle()
    [req] = await e2e.requests()
    client = e2e.core.clients.for_workspace("default")

    async def status() -> str:
        return str((await client.get_post(req.post_id)).status)

    async def live() -> bool:
        return await status() == "published"

    await _until(live)
    await e2e.slack.command("/social", f"cancel {req.post_id}")
    await e2e.settle()
    (_, ask) = e2e.fake.responses[-1]
    assert ask["response_type"] == "ephemeral" and "It is live" in ask["text"]
    [buttons] = [b for b in ask["blocks"] if b.get("type") == "actions"]
    [button] = buttons["elements"]
    assert button["text"]["text"] == "Confirm delete" and button["style"] == "danger"
    assert await status() == "published"  # nothing deleted yet
    press = button_payload(button["action_id"], button["value"], user="U1", channel="C1", ts="1.1")
    press["response_url"] = e2e.fake.response_url("press")
    assert (await e2e.slack.interact(press)).status_code == 200
    await e2e.settle()
    assert await status() == "canceled"
    done = e2e.fake.calls_to("chat.postMessage")[-1]
    assert f"Canceled {req.post_id}" in done["text"] and done["channel"] == "C1"
    # a forged button naming another command runs nothing
    forged = button_payload(
        "socialbot_run_0", '{"c": "post", "t": "x hi"}', user="U1", channel="C1", ts="1.1"
    )
    assert (await e2e.slack.interact(forged)).status_code == 200
    await e2e.settle()
    assert len(await e2e.requests()) == 1


async def test_compose_form_with_a_file_creates_the_post_with_media_over_http(e2e: E2E) -> None:
    """Issue 10: the bolt-python-shaped view_submission (``response_urls: []``) with a file in
    the file_input, signed to /slack/events, through the guard, Bolt, the real command layer
    and the sandbox: the post is created with the file as its media, announced once."""
    import hashlib

    from tests.corpus import load

    r = await e2e.slack.command("/post", "", channel="C1")
    assert r.status_code == 200
    await e2e.settle()
    [opened] = e2e.fake.calls_to("views.open")
    [updated] = e2e.fake.calls_to("views.update")  # the account picker, filled in
    view = updated["view"]
    target = view["blocks"][0]["element"]["options"][0]["value"]
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 800
    f = e2e.fake.add_file("F06TAC0KTD4", "launch.png", photo, "image/png")
    sample = next(
        s for s in load.slack_http() if s.name == "interactive_view_submission_file_input"
    )
    doc = dict(sample.doc)
    assert doc["response_urls"] == [] and doc["team"]["id"] == "T111"
    values = doc["view"]["state"]["values"]
    [file_json] = values["files"]["files"]["files"]
    values = {
        **values,
        "targets": {"targets": {"type": "multi_static_select", "selected_options": [
            {"text": {"type": "plain_text", "text": target}, "value": target}]}},
        "files": {"files": {"type": "file_input", "files": [{**file_json, **f}]}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C1"}},
    }  # fmt: skip
    doc["view"] = {
        **doc["view"],
        "id": updated["view_id"],
        "hash": "1596530361.3wRYuk3R",
        "callback_id": view["callback_id"],
        "private_metadata": opened["view"]["private_metadata"],
        "blocks": view["blocks"],
        "state": {"values": values},
    }
    r = await e2e.slack.interact(doc)
    assert r.status_code == 200 and r.text == ""  # accepted: the form closes
    await e2e.settle()
    [req] = await e2e.requests()
    [post] = [p for p in e2e.sandbox.state.posts(e2e.sandbox.demo_key) if p.post_id == req.post_id]
    [media_id] = post.spec.media_ids
    [media] = [m for m in e2e.sandbox.state.media(e2e.sandbox.demo_key) if m.media_id == media_id]
    assert (media.filename, media.size) == ("launch.png", len(photo))
    assert media.sha256 == hashlib.sha256(photo).hexdigest()
    assert e2e.fake.file_requests[-1]["Authorization"] == f"Bearer {BOT_TOKEN}"
    announced = [u for u in e2e.fake.calls_to("chat.update") if u["channel"] == "C1"]
    assert len(announced) == 1 and req.thread == announced[0]["ts"]


# ---------------------------------------------------------------- approvals stay whole


def _puts(e2e: E2E, post_id: str) -> list[str]:
    return [
        e.path
        for e in e2e.sandbox.state.log
        if e.method == "PUT" and e.path == f"/v1/posts/{post_id}" and e.status < 400
    ]


async def test_cancel_closes_the_waiting_card_at_once(e2e: E2E) -> None:
    ts = await _request_card(e2e)
    [req] = await e2e.requests()
    await e2e.slack.command("/social", f"cancel {req.post_id}", channel=REVIEW, user=REQUESTER)
    await e2e.settle()
    closed = e2e.card_updates(ts)[-1]
    assert closed["text"].startswith("Canceled:")
    assert not any(b.get("type") == "actions" for b in closed["blocks"])  # no buttons left
    await e2e.slack.event(reaction(APPROVER, "white_check_mark", REVIEW, ts), "EvLate")
    await e2e.settle()
    assert not any(u["text"].startswith("Approved") for u in e2e.card_updates(ts))
    assert _puts(e2e, req.post_id) == []  # the late ✅ activated nothing
    [req] = await e2e.requests()
    assert req.status == "canceled"


async def test_an_edit_after_approval_goes_back_for_approval_on_a_new_card(e2e: E2E) -> None:
    old = await _request_card(e2e, "/schedule", "x “Launch day” tomorrow 9am")
    [req] = await e2e.requests()
    pid = req.post_id
    button = button_payload("socialbot_approve", "c", user=GROUP_MEMBER, channel=REVIEW, ts=old)
    await e2e.slack.interact(button)
    await e2e.settle()
    client = e2e.core.clients.for_workspace("default")
    assert (await client.get_post(pid)).status == "scheduled"

    await e2e.slack.command(
        "/social", f"edit {pid} caption:“Launch day, changed”", channel=REVIEW, user=REQUESTER
    )
    await e2e.settle()
    post = await client.get_post(pid)
    assert post.status == "draft" and post.content == "Launch day, changed"
    new = await _request_card_ts(e2e)
    assert new != old
    assert "sent for approval again" in str(e2e.card_updates(old)[-1]["blocks"])
    # the old card's buttons and ✅ no longer count; the new card's do
    await e2e.slack.interact(button)
    await e2e.settle()
    assert (await client.get_post(pid)).status == "draft"
    fresh = button_payload("socialbot_approve", "c", user=GROUP_MEMBER, channel=REVIEW, ts=new)
    await e2e.slack.interact(fresh)
    await e2e.settle()
    assert e2e.card_updates(new)[-1]["text"].startswith("Approved")
    post = await client.get_post(pid)
    assert post.status == "scheduled" and post.content == "Launch day, changed"


async def test_x_counts_like_x_in_the_reply(e2e: E2E) -> None:
    await e2e.slack.command("/post", "x “" + "🚀" * 200 + "”")
    await e2e.settle()
    [(_, body)] = e2e.fake.responses
    assert body["response_type"] == "ephemeral"
    assert "400 characters as X counts them (limit 280)" in str(body)
    assert await e2e.requests() == []
