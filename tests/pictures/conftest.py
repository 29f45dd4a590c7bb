"""Pictures end to end: the fake Slack (with the upload flow) / the fake Discord → the real
adapters → the real ``commands.dispatch`` → the real SocialClient → the sandbox; pictures drawn
by the real render worker (a separate process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.slack.app import SlackAdapter, build_slack_adapter
from adapters.slack.runner import start_http
from bot.api.client import SocialClient
from bot.clock import SystemClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.notifier.pacing import ChannelPacer
from bot.pictures.worker import Renderer
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands import times
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.payloads import SECRET, SlackDriver

REVIEW = "C_REVIEW"
APPROVER, REQUESTER = "U5", "U1"


@pytest.fixture(scope="module", autouse=True)
def _warm_dateparser() -> None:
    times.warm()


@pytest.fixture(scope="session")
def renderer() -> Iterator[Renderer]:
    """One render worker process for the session (starting one costs ~1 s)."""
    r = Renderer()
    yield r
    r.close()


@dataclass
class SlackE2E:
    fake: FakeSlack
    sandbox: Sandbox
    adapter: SlackAdapter
    slack: SlackDriver
    core: Core

    async def settle(self) -> None:
        await self.adapter.idle()

    @property
    def client(self) -> SocialClient:
        return self.core.clients.for_workspace("default")


@pytest.fixture
async def slack_e2e(tmp_path: Path, renderer: Renderer) -> AsyncIterator[SlackE2E]:
    fake = await FakeSlack().start()
    fake.tz[REQUESTER] = "Europe/Berlin"
    async with start_sandbox(SandboxOptions(publish_delay=0.1)) as sandbox:
        review = ChannelConfig(
            timezone="Europe/Berlin",
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
        )
        db = await Database.open(str(tmp_path / "bot.db"))
        clock = SystemClock()
        core = Core(settings=settings, db=db, clients=Clients(settings, clock), clock=clock)
        core.pictures = renderer
        core.pacers["slack"] = ChannelPacer(clock, per_second=1000)
        adapter = build_slack_adapter(core, settings)
        runner = await start_http(adapter.app, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        driver = SlackDriver(url, fake.response_url("pics"))
        try:
            yield SlackE2E(fake, sandbox, adapter, driver, core)
        finally:
            await driver.aclose()
            await runner.cleanup()
            await adapter.aclose()
            await core.clients.aclose()
            await db.close()
            await fake.stop()


@pytest.fixture
def e2e_empty(slack_e2e: SlackE2E) -> SlackE2E:
    """The same harness (a fresh sandbox: no posts yet)."""
    return slack_e2e
