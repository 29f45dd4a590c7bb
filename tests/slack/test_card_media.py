"""Approval cards show the media (issue 14), through the real stack: fake Slack over signed
loopback HTTP → Bolt → the adapter → the real dispatch and approval workflow → the sandbox.

Media links are ``http://cdn.example.com/m/<name>``: the fake network resolves that public
name to a public address and the dialer sends it to a media server on loopback, so the
production media rules run in full. The fake Slack checks every message's blocks with
slack_sdk's Block Kit models and answers ``invalid_blocks`` as Slack would (asserted empty).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.app import SlackAdapter, build_slack_adapter
from adapters.slack.render import render_approval
from adapters.slack.runner import start_http
from bot.chat import ApprovalCard, Field, MediaPreview, User
from bot.clock import SystemClock
from bot.config import (
    ApprovalPolicy,
    ChannelBinding,
    ChannelConfig,
    MediaRules,
    Settings,
    Workspace,
)
from bot.core import Clients, Core
from bot.notifier.pacing import ChannelPacer
from bot.sandbox import SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands import times
from tests.fakenet import MediaSite
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack, block_problems
from tests.slack.payloads import SECRET, SlackDriver, view_payload

REVIEW = "C_REVIEW"
APPROVER, REQUESTER = "U5", "U1"


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class World:
    fake: FakeSlack
    adapter: SlackAdapter
    slack: SlackDriver
    core: Core
    media: MediaSite

    async def ask(self, text: str) -> dict[str, Any]:
        """``/post <text>`` in the review channel; the approval card it posted."""
        await self.slack.command("/post", text, channel=REVIEW, user=REQUESTER)
        await self.adapter.idle()
        return self.card()

    def card(self) -> dict[str, Any]:
        assert self.fake.invalid_blocks == []
        cards = [
            p
            for p in self.fake.calls_to("chat.postMessage")
            if any(b.get("type") == "actions" for b in p.get("blocks") or ())
        ]
        assert cards, self.fake.responses or self.fake.calls_to("chat.update")
        return cards[-1]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    fake = await FakeSlack().start()
    media = await MediaSite().start()
    async with start_sandbox(SandboxOptions(publish_delay=0.2)) as sandbox:
        review = ChannelConfig(
            timezone="UTC",
            approval=ApprovalPolicy(required=True, approvers=(APPROVER,), quorum=1),
        )
        settings = Settings(
            api_url=sandbox.url,
            workspaces={
                "default": Workspace("default", "SOCIAL_API_KEY", key=Secret(sandbox.demo_key))
            },
            bindings=(ChannelBinding("slack", None, REVIEW, review),),
            slack_bot_token=Secret(BOT_TOKEN),
            slack_signing_secret=Secret(SECRET),
            slack_app_token=Secret(APP_TOKEN),
            slack_api_url=fake.url,
            media=MediaRules(),  # production rules: public hosts, ports 80/443
        )
        db = await Database.open(str(tmp_path / "bot.db"))
        clock = SystemClock()
        core = Core(settings=settings, db=db, clients=Clients(settings, clock), clock=clock)
        core.network = media.network()
        core.pacers["slack"] = ChannelPacer(clock, per_second=1000)
        adapter = build_slack_adapter(core, settings)
        runner = await start_http(adapter.app, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        driver = SlackDriver(url, fake.response_url("media"))
        try:
            yield World(fake, adapter, driver, core, media)
        finally:
            await driver.aclose()
            await runner.cleanup()
            await adapter.aclose()
            await core.clients.aclose()
            await db.close()
            await media.stop()
            await fake.stop()


def images(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in card["blocks"] if b["type"] == "image"]


def text_of(card: dict[str, Any]) -> str:
    return str(card["blocks"])


async def test_two_images_by_url_are_image_blocks_of_exactly_those_urls(world: World) -> None:
    one, two = world.media.url("img1.jpg"), world.media.url("two.png")
    card = await world.ask(f"ig,fb “Launch day” media:{one} media:{two}")
    assert [b["image_url"] for b in images(card)] == [one, two]
    assert [b["alt_text"] for b in images(card)] == [
        "img1.jpg — for Instagram, Facebook",
        "two.png — for Instagram, Facebook",
    ]
    assert [b["title"]["text"] for b in images(card)] == ["img1.jpg", "two.png"]
    assert block_problems(card["blocks"]) == []
    assert "> Launch day" in text_of(card)  # the caption, once
    assert "10/2,200 characters" in text_of(card) and "10/63,206 characters" in text_of(card)


async def test_a_file_uploaded_in_the_compose_form_is_shown_by_its_slack_file_id(
    world: World,
) -> None:
    await world.slack.command("/post", "", channel=REVIEW, user=REQUESTER)
    await world.adapter.idle()
    view = list(world.fake.views.values())[-1]
    f = world.fake.add_file("F0LAUNCH", "launch.png", b"\x89PNG" + b"l" * 600, "image/png")
    values = {
        "channel": {"channel": {"selected_conversation": REVIEW}},
        "targets": {"targets": {"selected_options": [{"value": "ig"}]}},
        "caption": {"caption": {"value": "From the form"}},
        "files": {"files": {"files": [f]}},
    }
    r = await world.slack.interact(view_payload(view, values, user=REQUESTER))
    assert r.status_code == 200
    await world.adapter.idle()
    [block] = images(world.card())
    assert block["slack_file"] == {"id": "F0LAUNCH"} and "image_url" not in block
    assert block["alt_text"] == "launch.png — for Instagram"
    assert "files.slack.com" not in text_of(world.card()) and "/files/" not in text_of(world.card())


async def test_a_video_is_a_link_not_an_image(world: World) -> None:
    clip = world.media.url("clip.mp4")
    card = await world.ask(f"fb “Watch” media:{clip}")
    assert images(card) == []
    assert f"<{clip}|clip.mp4>" in text_of(card) and ":movie_camera:" in text_of(card)


async def test_six_images_show_four_and_the_rest_by_name(world: World) -> None:
    urls = [world.media.url(f"img{i}.jpg") for i in range(1, 7)]
    card = await world.ask("ig,fb “Gallery” " + " ".join(f"media:{u}" for u in urls))
    assert [b["image_url"] for b in images(card)] == urls[:4]
    assert "+2 more:* img5.jpg, img6.jpg" in text_of(card)


async def test_an_edit_updates_the_card_in_place_with_the_same_preview(world: World) -> None:
    one = world.media.url("img1.jpg")
    card = await world.ask(f"ig,fb “First” media:{one}")
    post_id = next(b["elements"][0]["value"] for b in card["blocks"] if b["type"] == "actions")
    two, three = world.media.url("img2.jpg"), world.media.url("img3.jpg")
    await world.slack.command(
        "/social", f"edit {post_id} caption:“Second take” media:{two} media:{three}",
        channel=REVIEW, user=REQUESTER,
    )  # fmt: skip
    await world.adapter.idle()
    assert world.fake.invalid_blocks == []
    updated = [u for u in world.fake.calls_to("chat.update") if u["ts"] and u.get("blocks")]
    last = next(u for u in reversed(updated) if any(b["type"] == "actions" for b in u["blocks"]))
    assert [b["image_url"] for b in images(last)] == [two, three]
    assert "> Second take" in text_of(last) and "11/2,200 characters" in text_of(last)
    assert "Approvals:* 0/1" in text_of(last)


async def test_private_links_never_reach_a_card(world: World) -> None:
    """With private hosts allowed (a local sandbox), a loopback link is fetched but the card
    names it without the link."""
    from dataclasses import replace

    world.core.settings = replace(world.core.settings, media=MediaRules.local())
    local = f"http://127.0.0.1:{world.media.port}/m/img1.jpg"
    card = await world.ask(f"ig “Local” media:{local}")
    assert images(card) == [] and "127.0.0.1" not in text_of(card)
    assert "*img1.jpg*" in text_of(card)


async def test_an_image_slack_cannot_download_falls_back_to_a_link(world: World) -> None:
    one = world.media.url("img1.jpg")
    world.fake.unreachable_images.add(one)
    await world.slack.command("/post", f"ig “Oops” media:{one}", channel=REVIEW, user=REQUESTER)
    await world.adapter.idle()
    refused = world.fake.invalid_blocks
    assert refused and "downloading image failed" in refused[0][1][0]
    world.fake.invalid_blocks.clear()
    card = world.card()
    assert images(card) == [] and f"<{one}|img1.jpg>" in text_of(card)


def biggest_card() -> ApprovalCard:
    """Every platform with a long own caption, the longest caption, 35 media of every kind."""
    kinds = [("image", "image/jpeg"), ("video", "video/mp4"), ("document", "application/pdf")]
    media = tuple(
        MediaPreview(
            f"{'n' * 150}{i}.bin", kinds[i % 3][0], i * 10_000, kinds[i % 3][1],
            url=f"https://cdn.example.com/{'p' * 1500}/{i}", slack_file=f"F{i}" if i % 2 else None,
        )
        for i in range(35)
    )  # fmt: skip
    return ApprovalCard(
        card_id="pst_big", state="pending", requester=User("U1", "alice"), title="t" * 400,
        previews=tuple(Field(f"Platform {i} " + "h" * 300, "✏️ " + "c" * 2500) for i in range(8)),
        targets=tuple(f"Platform {i}" for i in range(8)), when="now", needed=3, approvals=(),
        caption="<b>&" * 1500, media=media, platforms=tuple("P" * 300 for _ in range(8)),
        note="n" * 3000,
    )  # fmt: skip


def test_the_largest_card_keeps_block_kit_limits() -> None:
    msg = render_approval(biggest_card())
    assert block_problems(msg.blocks) == []
    assert sum(b["type"] == "image" for b in msg.blocks) == 4
    assert msg.blocks[-1]["type"] == "actions"  # the buttons survive
    plain = render_approval(biggest_card(), images=False)
    assert block_problems(plain.blocks) == [] and not any(
        b["type"] == "image" for b in plain.blocks
    )
