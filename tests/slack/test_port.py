"""The ChatPort on Slack: threaded announcements, cards updated in place, seeded reactions,
user groups, pacing and 429s, and Web API errors in words."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from adapters.slack.app import SlackAdapter
from adapters.slack.errors import SlackPortError
from bot.chat import (
    Announcement,
    ApprovalCard,
    Destination,
    Field,
    MessageRef,
    TargetLine,
    User,
)
from bot.clock import FakeClock
from bot.notifier.pacing import ChannelPacer
from tests.slack.fake_slack import FakeSlack


def card(state: str = "pending", approvals: tuple[str, ...] = ()) -> ApprovalCard:
    return ApprovalCard(
        card_id="card-1", state=state, requester=User("U1"), title="Launch",
        previews=(Field("Instagram", "Hello ✨"),), targets=("Instagram @acme",),
        when="now", needed=2, approvals=approvals,
    )  # fmt: skip


async def test_announcement_threads_under_the_request(
    adapter: SlackAdapter, fake: FakeSlack
) -> None:
    ann = Announcement(
        title="Published",
        result="partial",
        post_id="post_1",
        targets=(
            TargetLine(
                "Instagram", "@acme", "published", permalink="https://instagram.example/p/1"
            ),
            TargetLine("X", "@acme", "failed", error="duplicate content"),
        ),
        mentions=("U1",),
    )
    ref = await adapter.port.send(
        Destination("slack", "C1", thread="1700000000.000001"), ann, key="k1"
    )
    [pm] = fake.calls_to("chat.postMessage")
    assert pm["thread_ts"] == "1700000000.000001" and pm["channel"] == "C1"
    assert ref == MessageRef("slack", "C1", next(ts for (_, ts) in fake.messages))
    blocks = str(pm["blocks"])
    assert "<https://instagram.example/p/1|View post>" in blocks and "duplicate content" in blocks
    assert "<@U1>" in pm["text"]


async def test_card_seeded_updated_in_place_with_buttons_until_decided(
    adapter: SlackAdapter, fake: FakeSlack
) -> None:
    port = adapter.port
    ref = await port.send(Destination("slack", "C2"), card())
    fake.fail("reactions.add", "already_reacted")
    await port.add_reactions(ref, ["white_check_mark", "x"])
    assert [c["name"] for c in fake.calls_to("reactions.add")] == ["white_check_mark", "x"]
    first = fake.calls_to("chat.postMessage")[0]["blocks"]
    actions = next(b for b in first if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "socialbot_approve",
        "socialbot_reject",
        "socialbot_changes",
    ]
    await port.update(ref, card("pending", ("U5",)))
    await port.update(ref, card("approved", ("U5", "U6")))
    updates = fake.calls_to("chat.update")
    assert [u["ts"] for u in updates] == [ref.message_id] * 2
    assert "1/2" in updates[0]["text"] and not any(
        b["type"] == "actions" for b in updates[1]["blocks"]
    )


async def test_group_members_cached(adapter: SlackAdapter, fake: FakeSlack) -> None:
    fake.groups["S1"] = ["U5", "U6"]
    assert await adapter.port.group_members("S1") == frozenset({"U5", "U6"})
    assert await adapter.port.group_members("S1") == frozenset({"U5", "U6"})
    assert len(fake.calls_to("usergroups.users.list")) == 1


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("channel_not_found", "invite me"),
        ("not_in_channel", "/invite @socialbot"),
        ("missing_scope", "missing a Slack permission"),
        ("token_revoked", "no longer valid"),
        ("invalid_auth", "no longer valid"),
    ],
)
async def test_api_errors_in_words(
    adapter: SlackAdapter, fake: FakeSlack, error: str, words: str
) -> None:
    fake.fail(
        "chat.postMessage",
        error,
        extra={"needed": "chat:write"} if error == "missing_scope" else {},
    )
    with pytest.raises(SlackPortError) as e:
        await adapter.port.send(Destination("slack", "C3"), card())
    assert e.value.code == error and words in str(e.value)


async def test_ephemeral_falls_back_to_dm(adapter: SlackAdapter, fake: FakeSlack) -> None:
    fake.fail("chat.postEphemeral", "channel_not_found")
    await adapter.port.send(Destination("slack", "C3", ephemeral_to="U1"), card())
    [pm] = fake.calls_to("chat.postMessage")
    assert pm["channel"] == "U1"


async def test_429_is_retried_after_retry_after(adapter: SlackAdapter, fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "0"})
    ref = await adapter.port.send(Destination("slack", "C4"), card())
    assert len(fake.calls_to("chat.postMessage")) == 2 and ref.message_id


async def test_sends_to_one_channel_are_paced(adapter: SlackAdapter, fake: FakeSlack) -> None:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    adapter.port.pacer = ChannelPacer(clock)  # 1 message/s per channel
    anns = [Announcement(title=f"n{i}", result="published", post_id=f"p{i}") for i in range(5)]
    start = clock.monotonic()
    await asyncio.gather(*(adapter.port.send(Destination("slack", "C5"), a) for a in anns))
    assert clock.monotonic() - start == pytest.approx(4.0)  # 5 messages: 4 s on the clock
    assert len(clock.slept) == 4
    await adapter.port.send(Destination("slack", "C6"), anns[0])
    assert len(clock.slept) == 4  # C6 never waits for C5
    assert len(fake.calls_to("chat.postMessage")) == 6
