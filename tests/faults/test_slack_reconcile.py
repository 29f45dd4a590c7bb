"""Exactly-once announcements on Slack: the key rides in message metadata and a possibly-sent
batch is looked for (``SlackPort.find_sent``) before it is sent again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import Directory
from adapters.slack.port import METADATA_EVENT, SlackPort
from bot.chat import Announcement, Destination, MessageRef, Reply
from bot.clock import FakeClock
from bot.notifier.pacing import ChannelPacer
from tests.notifier.conftest import Crash, Env, env, settings  # noqa: F401 (fixtures)
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    f = await FakeSlack().start()
    try:
        yield f
    finally:
        await f.stop()


def make_port(fake: FakeSlack, clock: FakeClock) -> SlackPort:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=f"{fake.url}/api/")
    return SlackPort(client, ChannelPacer(clock, per_second=1000.0), Directory(client, clock))


def ann(title: str) -> Announcement:
    return Announcement(title=title, result="published", post_id="p1")


async def test_send_with_key_carries_metadata_and_find_sent_finds_it(fake: FakeSlack) -> None:
    port = make_port(fake, FakeClock())
    root = await port.send(Destination("slack", "C1"), ann("root"))
    dest = Destination("slack", "C1", thread=root.message_id)
    ref = await port.send(dest, ann("in thread"), key="nabc")
    [m] = fake.with_key_prefix("nabc")
    assert m.metadata == {"event_type": METADATA_EVENT, "event_payload": {"key": "nabc"}}
    assert m.thread_ts == root.message_id
    assert await port.find_sent(dest, "nabc") == ref
    assert await port.find_sent(dest, "nother") is None
    # channel-level (no thread): conversations.history
    top = await port.send(Destination("slack", "C1"), ann("digest"), key="ndigest")
    assert await port.find_sent(Destination("slack", "C1"), "ndigest") == top
    assert await port.find_sent(Destination("slack", "C2"), "ndigest") is None
    assert "conversations.replies" in fake.methods() and "conversations.history" in fake.methods()


async def test_find_sent_on_a_deleted_thread_is_none(fake: FakeSlack) -> None:
    port = make_port(fake, FakeClock())
    assert await port.find_sent(Destination("slack", "C1", thread="1.000001"), "nx") is None


class CrashAfterSend:
    """The Slack port, with the process dying right after Slack accepted the message."""

    def __init__(self, port: SlackPort) -> None:
        self.port = port
        self.platform = "slack"
        self.crash = 1

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        ref = await self.port.send(dest, reply, key=key)
        if self.crash:
            self.crash -= 1
            raise Crash("killed between the send and mark_sent")
        return ref

    async def find_sent(self, dest: Destination, key: str) -> MessageRef | None:
        return await self.port.find_sent(dest, key)


async def test_crash_between_send_and_mark_sends_once_on_slack(
    env: Env,  # noqa: F811
    fake: FakeSlack,
) -> None:
    port = make_port(fake, env.clock)
    root = await port.send(Destination("slack", "C1"), ann("⏳ working"))
    env.core.ports["slack"] = CrashAfterSend(port)  # type: ignore[assignment]
    n = env.notifier()
    await env.track("p1", at=env.now, thread=root.message_id)
    env.api.settle("p1", "published")
    await n.poll_once(env.now)
    with pytest.raises(Crash):
        await n.flush_outbox(env.now)
    assert len(fake.with_key_prefix("n")) == 1  # it went out; the mark did not happen

    await env.reopen()
    env.core.ports["slack"] = port
    n2 = env.notifier()
    for _ in range(3):
        await n2.tick(env.now)
        env.clock.advance(30)
    # Found by its key in the thread, marked sent: people see it once.
    assert len(fake.with_key_prefix("n")) == 1
    rows = await env.core.db.run(
        lambda sdb: list(sdb.query("SELECT sent_at, message_id FROM notifier_outbox"))
    )
    assert [r["message_id"] for r in rows] == [fake.with_key_prefix("n")[0].ts]
    assert all(r["sent_at"] for r in rows)


async def test_ambiguous_send_error_is_reconciled_not_resent(env: Env, fake: FakeSlack) -> None:  # noqa: F811
    port = make_port(fake, env.clock)
    root = await port.send(Destination("slack", "C1"), ann("⏳ working"))
    env.core.ports["slack"] = port
    fake.ambiguous_rate = 1.0  # posted, then HTTP 500
    n = env.notifier()
    await env.track("p1", at=env.now, thread=root.message_id)
    env.api.settle("p1", "published")
    await n.tick(env.now)
    assert fake.ambiguous == 1 and len(fake.with_key_prefix("n")) == 1
    fake.ambiguous_rate = 0.0
    for _ in range(3):
        env.clock.advance(60)
        await n.tick(env.now)
    assert len(fake.with_key_prefix("n")) == 1
    rows = await env.core.db.run(lambda sdb: list(sdb.query("SELECT sent_at FROM notifier_outbox")))
    assert all(r["sent_at"] for r in rows)
