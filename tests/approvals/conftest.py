"""A recording chat port, and a bot harness whose helpers read like the conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import approvals
from bot.api.models import Account, NewPost
from bot.chat import (
    APPROVE,
    REJECT,
    ApprovalCard,
    ButtonEvent,
    Destination,
    MessageRef,
    Outcome,
    ReactionAction,
    ReactionEvent,
    Reply,
    User,
)
from bot.clock import FakeClock
from bot.config import ApprovalPolicy, Settings, Workspace
from bot.core import Clients, Core
from bot.secret import Secret
from bot.storage import Database
from tests.approvals.social import SocialFixture, start_social

CHANNEL = "C_LAUNCH"
APPROVALS = "C_APPROVALS"


@dataclass
class Sent:
    dest: Destination
    reply: Reply
    key: str | None
    ref: MessageRef


@dataclass
class RecordingPort:
    """A ChatPort that remembers everything; message ids are 1, 2, 3… per port."""

    platform: str = "slack"
    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    updates: list[tuple[MessageRef, Reply]] = field(default_factory=list)
    reactions: list[tuple[MessageRef, tuple[str, ...]]] = field(default_factory=list)
    fail_sends_to: set[str] = field(default_factory=set)

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        if dest.channel in self.fail_sends_to:
            raise RuntimeError(f"channel_not_found: {dest.channel}")
        await asyncio.sleep(0)
        ref = MessageRef(self.platform, dest.channel, str(len(self.sent) + 1))
        self.sent.append(Sent(dest, reply, key, ref))
        return ref

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        await asyncio.sleep(0)
        self.updates.append((ref, reply))

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        self.reactions.append((ref, tuple(emojis)))

    async def group_members(self, group_id: str) -> frozenset[str]:
        return self.groups.get(group_id, frozenset())

    # -- reading the conversation
    def cards(self) -> list[Sent]:
        return [s for s in self.sent if isinstance(s.reply, ApprovalCard)]

    def card_now(self, ref: MessageRef) -> ApprovalCard:
        """The card as it reads now (its last update, else as sent)."""
        for r, reply in reversed(self.updates):
            if r == ref:
                assert isinstance(reply, ApprovalCard)
                return reply
        for s in self.sent:
            if s.ref == ref:
                assert isinstance(s.reply, ApprovalCard)
                return s.reply
        raise AssertionError(f"no card {ref}")

    def to_origin(self) -> list[str]:
        """Titles of what was posted to the requester's channel/thread (cards excluded)."""
        return [
            getattr(s.reply, "title", "")
            for s in self.sent
            if not isinstance(s.reply, ApprovalCard) and s.dest.channel == CHANNEL
        ]


ALICE = User("U_ALICE", "alice")
BOB = User("U_BOB", "bob")
CAROL = User("U_CAROL", "carol")
DAVE = User("U_DAVE", "dave")  # not an approver
BOT = User("U_BOT", "socialbot", is_bot=True)


class Harness:
    def __init__(self, core: Core, port: RecordingPort, social: SocialFixture) -> None:
        self.core = core
        self.port = port
        self.social = social
        self.clock: FakeClock = core.clock  # type: ignore[assignment]
        self._n = 0

    async def accounts(self) -> list[Account]:
        return await self.social.client.list_accounts()

    async def request(
        self,
        *,
        requester: User = ALICE,
        caption: str = "We shipped 🚀",
        at: datetime | None = None,
        platforms: tuple[str, ...] = ("twitter", "facebook"),
    ) -> approvals.PostRequest:
        accs = tuple(a for a in await self.accounts() if str(a.platform) in platforms)
        post = NewPost(
            account_ids=tuple(a.account_id for a in accs),
            content=caption,
            scheduled_at=at,
            publish_now=at is None,
        )
        self._n += 1
        return approvals.PostRequest(
            workspace="default",
            post=post,
            targets=accs,
            when="now" if at is None else at.isoformat(),
            summary=caption,
            media=(),
            origin=Destination("slack", CHANNEL, thread="T100"),
            requester=requester,
            delivery_id=f"d{self._n}",
        )

    async def ask(
        self,
        policy: ApprovalPolicy,
        *,
        requester: User = ALICE,
        caption: str = "We shipped 🚀",
        at: datetime | None = None,
        platforms: tuple[str, ...] = ("twitter", "facebook"),
    ) -> tuple[tuple[Reply, ...], MessageRef]:
        req = await self.request(requester=requester, caption=caption, at=at, platforms=platforms)
        replies = await approvals.submit(self.core, req, policy)
        cards = self.port.cards()
        return replies, cards[-1].ref

    async def react(
        self,
        ref: MessageRef,
        user: User,
        emoji: str = APPROVE,
        action: ReactionAction = ReactionAction.ADDED,
    ) -> Outcome:
        self._n += 1
        ev = ReactionEvent(action, emoji, user, ref, delivery_id=f"r{self._n}")
        return await approvals.on_reaction(self.core, ev)

    async def press(self, ref: MessageRef, user: User, decision: str = APPROVE) -> Outcome:
        self._n += 1
        return await approvals.on_button(
            self.core, ButtonEvent(decision, user, ref, delivery_id=f"b{self._n}")
        )

    async def reject(self, ref: MessageRef, user: User) -> Outcome:
        return await self.react(ref, user, REJECT)

    def card(self, ref: MessageRef) -> ApprovalCard:
        return self.port.card_now(ref)


async def make_core(
    db_path: Path, social: SocialFixture, port: RecordingPort, clock: FakeClock
) -> Core:
    settings = Settings(
        api_url=social.url,
        db_path=str(db_path),
        workspaces={"default": Workspace("default", "SOCIAL_API_KEY", key=Secret(social.key))},
    )
    db = await Database.open(str(db_path))
    clients = Clients(settings, clock, overrides={"default": social.client})
    return Core(settings, db, clients, clock, ports={"slack": port})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def social(clock: FakeClock) -> AsyncIterator[SocialFixture]:
    async with start_social(clock) as s:
        yield s


@pytest.fixture
def port() -> RecordingPort:
    return RecordingPort()


@pytest.fixture
async def bot(
    tmp_path: Path, social: SocialFixture, port: RecordingPort, clock: FakeClock
) -> AsyncIterator[Harness]:
    core = await make_core(tmp_path / "bot.db", social, port, clock)
    try:
        yield Harness(core, port, social)
    finally:
        await core.db.close()


def policy(
    *approvers: str, quorum: int = 1, allow_self: bool = False, channel: str | None = None,
    expires_after: timedelta | None = None,
) -> ApprovalPolicy:  # fmt: skip
    return ApprovalPolicy(
        required=True,
        approvers=approvers or (ALICE.id, BOB.id, CAROL.id),
        quorum=quorum,
        allow_self=allow_self,
        channel=channel,
        expires_after=expires_after,
    )
