"""Shared harness of tests/ops: ``two`` — a Core on two workspaces (two sandbox keys), with
the same channel id in two Slack teams bound to different workspaces and an approval channel."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.api.models import Post
from bot.chat import Confirmation, Invocation, Reply, User
from bot.clock import SystemClock
from bot.config import ApprovalPolicy, ChannelBinding, ChannelConfig, Settings, Workspace
from bot.core import Clients, Core
from bot.sandbox import SandboxOptions, start_sandbox
from bot.secret import Secret
from bot.storage import Database
from commands import times
from commands.dispatch import dispatch
from tests.ops.harness import NullPort

KEY_A, KEY_B = "sk_test_ops_one", "sk_test_ops_two"
TEAM_A, TEAM_B = "T_A", "T_B"
SHARED = "C_SAME"  # the same channel id in both teams
REVIEW_A, PLAIN_B = "C_REVIEW_A", "C_B"
ALICE, BOB = User("U_ALICE", "alice"), User("U_BOB", "bob")


@pytest.fixture(scope="session")
def _warm_dateparser() -> None:
    times.warm()


@dataclass
class Two:
    core: Core
    ids: itertools.count[int]

    async def run(
        self,
        command: str,
        text: str = "",
        *,
        team: str | None,
        channel: str,
        user: User = ALICE,
        options: Sequence[tuple[str, str]] = (),
    ) -> Reply:
        out = await dispatch(
            self.core,
            Invocation(
                command=command,
                text=text,
                user=user,
                platform="slack",
                channel=channel,
                delivery_id=f"iso{next(self.ids)}",
                team=team,
                thread=None,
                options=tuple(options),
            ),
        )
        assert len(out.replies) == 1, out
        return out.replies[0]

    async def post_id(self, reply: Reply) -> str:
        assert isinstance(reply, Confirmation), reply
        return next(f.value for f in reply.fields if f.name == "Post")

    async def api_post(self, workspace: str, pid: str) -> Post:
        return await self.core.clients.for_workspace(workspace).get_post(pid)


@pytest.fixture
async def two(tmp_path: Path, _warm_dateparser: None) -> AsyncIterator[Two]:
    options = SandboxOptions(keys=(KEY_A, KEY_B), demo_key=False)
    async with start_sandbox(options) as sb:
        settings = Settings(
            api_url=sb.url,
            db_path=str(tmp_path / "bot.db"),
            workspaces={
                "a": Workspace("a", "KEY_A", key=Secret(KEY_A)),
                "b": Workspace("b", "KEY_B", key=Secret(KEY_B)),
            },
            bindings=(
                ChannelBinding("slack", TEAM_A, SHARED, ChannelConfig(workspace="a")),
                ChannelBinding("slack", TEAM_B, SHARED, ChannelConfig(workspace="b")),
                ChannelBinding("slack", None, PLAIN_B, ChannelConfig(workspace="b")),
                ChannelBinding(
                    "slack",
                    None,
                    REVIEW_A,
                    ChannelConfig(
                        workspace="a",
                        approval=ApprovalPolicy(
                            required=True,
                            approvers=(BOB.id,),
                            quorum=1,
                            expires_after=timedelta(hours=48),
                        ),
                    ),
                ),
            ),
        )
        clock = SystemClock()
        db = await Database.open(settings.db_path)
        clients = Clients(settings, clock)
        core = Core(settings, db, clients, clock, ports={"slack": NullPort()})
        try:
            yield Two(core, itertools.count(1))
        finally:
            await clients.aclose()
            await db.close()
