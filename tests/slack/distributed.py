"""The distributed (OAuth) bot under test, shared by the many-teams and Enterprise Grid tests:
its settings (teams bound to keys A and B, one review channel), the running bot over HTTP with
the fake Slack and a sandbox (``serving``), and ``Teams``, what a test drives it with (install
through the real "Add to Slack" flow, drivers, settling, the tracked requests)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.fernet import Fernet

from adapters.slack.app import SlackAdapter, build_slack_adapter
from adapters.slack.runner import start_http
from bot import installations, tracking
from bot.clock import SystemClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings
from bot.config import Workspace as Ws
from bot.connections import Connections
from bot.core import Clients, Core
from bot.installations import InstallationRecords
from bot.notifier.pacing import ChannelPacer
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from bot.vault import Vault
from tests.slack.fake_slack import CLIENT_ID, CLIENT_SECRET, FakeSlack
from tests.slack.payloads import SECRET, SlackDriver

TA, TB, TC, TD = "TAAA", "TBBB", "TCCC", "TDDD"  # TC: no binding; TD: rotating tokens
CA, CB, CA_REVIEW, CD = "CAAA", "CBBB", "CAREVIEW", "CDDD"
KEY_A, KEY_B, KEY_C = "sk_test_team_a", "sk_test_team_b", "sk_test_brand"
APPROVER = "UA_APPROVER"
ENC_KEY = Fernet.generate_key().decode()


def db_bytes(path: str) -> bytes:
    """The database file and its WAL, as stored on disk."""
    return b"".join(p.read_bytes() for p in Path(path).parent.glob("bot.db*"))


def settings_for(
    sandbox_url: str, fake: FakeSlack, db_path: str, key: str = ENC_KEY,
    *, a: str = TA, b: str = TB, a_review: str = CA_REVIEW, b_too: str = TD,
    approver: str = APPROVER,
) -> Settings:  # fmt: skip
    """Team ``a`` on key A (its channel ``a_review`` needs one approval), teams ``b`` and
    ``b_too`` on key B; every other team unbound (the default workspace's key is never
    theirs)."""
    review = ChannelConfig(
        workspace="a",
        approval=ApprovalPolicy(required=True, approvers=(approver,), quorum=1),
    )
    return Settings(
        api_url=sandbox_url,
        db_path=db_path,
        workspaces={
            # the default workspace has a key: an unbound team must still never get it
            "default": Ws("default", "SOCIAL_API_KEY", key=Secret("sk_test_sandbox")),
            "a": Ws("a", "KEY_A", key=Secret(KEY_A)),
            "b": Ws("b", "KEY_B", key=Secret(KEY_B)),
        },
        bindings=(
            ChannelBinding("slack", a, None, ChannelConfig(workspace="a")),
            ChannelBinding("slack", b, None, ChannelConfig(workspace="b")),
            ChannelBinding("slack", a, a_review, review),
            ChannelBinding("slack", b_too, None, ChannelConfig(workspace="b")),
        ),
        slack_signing_secret=Secret(SECRET),
        slack_api_url=fake.url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=Secret(CLIENT_SECRET),
        encryption_key=Secret(key),
    )


@dataclass
class Teams:
    fake: FakeSlack
    sandbox: Sandbox
    adapter: SlackAdapter
    core: Core
    records: InstallationRecords
    base: str  # the bot's HTTP root
    http: httpx.AsyncClient

    def driver(self, tag: str) -> SlackDriver:
        return SlackDriver(f"{self.base}/slack/events", self.fake.response_url(tag))

    async def install(self, team: str) -> httpx.Response:
        """An admin of ``team`` clicks "Add to Slack" and comes back through the redirect."""
        return await self.install_with(self.fake.install_code(team))

    async def install_with(self, code: str) -> httpx.Response:
        """ "Add to Slack" on the install page, Slack's authorize (which hands out ``code``),
        back through the redirect with the page's state and cookie."""
        page = await self.http.get(f"{self.base}/slack/install")
        assert page.status_code == 200
        url = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
        assert url is not None
        query = parse_qs(urlsplit(url.group(1).replace("&amp;", "&")).query)
        cookie = page.headers["set-cookie"].split(";")[0]
        return await self.http.get(
            f"{self.base}/slack/oauth_redirect",
            params={"code": code, "state": query["state"][0]},
            headers={"cookie": cookie},
        )

    async def settle(self) -> None:
        await self.adapter.idle()

    async def requests(self) -> list[tracking.TrackedPost]:
        def rows(sdb: Any) -> list[tracking.TrackedPost]:
            found = [
                tracking.get(sdb, r["post_id"]) for r in sdb.query("SELECT post_id FROM requests")
            ]
            return [t for t in found if t is not None]

        return await self.core.db.run(rows)


@asynccontextmanager
async def serving(
    fake: FakeSlack, tmp: Path, settings: Callable[[str, str], Settings]
) -> AsyncIterator[Teams]:
    """The distributed bot over HTTP against ``fake`` and a sandbox with keys A, B and C
    (``settings(sandbox_url, db_path)``), its database in ``tmp``; nothing installed yet."""
    options = SandboxOptions(publish_delay=0.2, keys=(KEY_A, KEY_B, KEY_C))
    async with start_sandbox(options) as sandbox:
        db_path = str(tmp / "bot.db")
        cfg = settings(sandbox.url, db_path)
        db = await Database.open(db_path)
        clock = SystemClock()
        core = Core(settings=cfg, db=db, clients=Clients(cfg, clock), clock=clock)
        core.pacers["slack"] = ChannelPacer(clock, per_second=1000)
        records = await installations.open_records(db, ENC_KEY, clock, CLIENT_ID)
        vault = Vault.from_text(ENC_KEY)
        core.use_connections(await Connections.open(db, vault, clock, sandbox.url))
        adapter = build_slack_adapter(core, cfg, records=records)
        runner = await start_http(adapter.app, "127.0.0.1", 0)
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        http = httpx.AsyncClient(timeout=10)
        try:
            yield Teams(fake, sandbox, adapter, core, records, base, http)
        finally:
            await http.aclose()
            await runner.cleanup()
            await adapter.aclose()
            await core.clients.aclose()
            await db.close()
