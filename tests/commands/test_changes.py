"""Request changes (``C_REVIEW`` needs one ✅ from Bob): ✏️ then a reply in the card's thread,
the Request changes button with a reason, ``/social changes <id> reason…``; the edit that
follows resets the approvals and mentions whoever asked."""

from __future__ import annotations

import itertools

from bot import metrics
from bot.chat import (
    APPROVE,
    CHANGES,
    ApprovalCard,
    ButtonEvent,
    Confirmation,
    MessageRef,
    Outcome,
    ReactionAction,
    ReactionEvent,
    ReplyEvent,
    User,
)
from commands.dispatch import dispatch_button, dispatch_reaction, dispatch_reply
from tests.commands.conftest import ALICE, BOB, REVIEW, Chat

_ids = itertools.count(1)


def cards(chat: Chat) -> list[tuple[MessageRef, ApprovalCard]]:
    return [(s.ref, s.reply) for s in chat.port.sent if isinstance(s.reply, ApprovalCard)]


def card_now(chat: Chat, ref: MessageRef) -> ApprovalCard:
    for r, reply in reversed(chat.port.updates):
        if r == ref:
            assert isinstance(reply, ApprovalCard)
            return reply
    return next(c for r, c in cards(chat) if r == ref)


def sent_in(chat: Chat, channel: str, thread: str | None) -> list[Confirmation]:
    return [
        s.reply
        for s in chat.port.sent
        if isinstance(s.reply, Confirmation)
        and s.dest.channel == channel
        and s.dest.thread == thread
    ]


async def ask(chat: Chat) -> tuple[str, MessageRef]:
    chat.ok(await chat.post('x "Launch day 🚀"', channel=REVIEW))
    ref, card = cards(chat)[-1]
    return card.card_id, ref


async def react(chat: Chat, ref: MessageRef, emoji: str, user: User = BOB) -> Outcome:
    event = ReactionEvent(ReactionAction.ADDED, emoji, user, ref, f"R{next(_ids)}")
    return await dispatch_reaction(chat.core, event)


def changes_count() -> float:
    return (
        metrics.REGISTRY.get_sample_value(
            "socialbot_approvals_total", {"decision": "changes_requested"}
        )
        or 0.0
    )


async def test_pencil_asks_for_the_reason_and_a_thread_reply_gives_it(chat: Chat) -> None:
    pid, ref = await ask(chat)
    before = changes_count()
    assert (await react(chat, ref, CHANGES)).replies == ()  # a reaction has no one to answer
    # asked in the card's thread, with a button that opens a form
    [asked] = sent_in(chat, ref.channel, ref.message_id)
    assert asked.title == f"<@{BOB.id}>, what should change in {pid}?"
    assert "/social changes" in (asked.text or "") and asked.buttons[0].decision == CHANGES
    assert "waiting for the reason" in (card_now(chat, ref).note or "")
    assert card_now(chat, ref).state == "pending" and changes_count() == before + 1
    # someone else chatting in the thread is not a reason
    other = ReplyEvent(ALICE, ref, "sounds good", f"M{next(_ids)}")
    assert (await dispatch_reply(chat.core, other)).replies == ()
    # Bob's reply is
    reply = ReplyEvent(BOB, ref, "Please add the link to the blog post", f"M{next(_ids)}")
    await dispatch_reply(chat.core, reply)
    note = card_now(chat, ref).note or ""
    assert note == f"✏️ Changes requested by <@{BOB.id}>: Please add the link to the blog post"
    [told] = sent_in(chat, "C_REVIEW", "T1")[-1:]
    assert told.title == f"<@{ALICE.id}>: <@{BOB.id}> asked for changes to {pid}"
    assert "Please add the link" in (told.text or "") and f"/social edit {pid}" in (told.text or "")
    # in the approval history shown by /status
    card = chat.card(await chat.status(pid, channel=REVIEW))
    assert any("requested changes" in h for h in card.history)
    assert any("said what to change: “Please add the link to the blog post”" in h
               for h in card.history)  # fmt: skip
    assert changes_count() == before + 1  # one request, its reason later


async def test_the_button_with_a_reason_and_the_edit_that_follows(chat: Chat) -> None:
    pid, ref = await ask(chat)
    event = ButtonEvent(CHANGES, BOB, ref, f"B{next(_ids)}", reason="Shorter, please")
    out = await dispatch_button(chat.core, event)
    assert chat.ok(chat.one(out)).title.startswith("Changes requested")
    assert card_now(chat, ref).note == f"✏️ Changes requested by <@{BOB.id}>: Shorter, please"
    # the requester edits: the card waits again with the new text, Bob is mentioned
    chat.ok(await chat.social(f'edit {pid} caption:"Launch 🚀"', channel=REVIEW))
    now = card_now(chat, ref)
    assert now.state == "pending" and now.note is None and now.approvals == ()
    assert now.caption == "Launch 🚀"
    [again] = [c for c in sent_in(chat, ref.channel, ref.message_id) if "edited" in c.title]
    assert again.title.startswith(f"<@{BOB.id}>: <@{ALICE.id}> edited {pid}")
    # and Bob can approve it now
    await react(chat, ref, APPROVE)
    assert card_now(chat, ref).state == "approved"


async def test_typed_changes_with_a_reason(chat: Chat) -> None:
    pid, ref = await ask(chat)
    r = chat.ok(await chat.social(f"changes {pid} Use the new logo", channel=REVIEW, user=BOB))
    assert r.title.startswith("Changes requested")
    assert "Use the new logo" in (card_now(chat, ref).note or "")


async def test_typed_without_reason_or_by_a_non_approver(chat: Chat) -> None:
    pid, ref = await ask(chat)
    e = chat.error(await chat.social(f"changes {pid}", channel=REVIEW, user=BOB))
    assert e.title == "What should change?" and f"/social changes {pid}" in (e.hint or "")
    e = chat.error(await chat.social(f"changes {pid} nope", channel=REVIEW))  # Alice asked
    assert "own request" in e.title
    await react(chat, ref, CHANGES, ALICE)  # (told once why not, like ✅)
    assert card_now(chat, ref).note is None
    e = chat.error(await chat.social("changes", channel=REVIEW, user=BOB))
    assert e.title == "Which post needs changes?"


async def test_after_a_decision_changes_are_refused(chat: Chat) -> None:
    pid, ref = await ask(chat)
    await react(chat, ref, APPROVE)
    e = chat.error(await chat.social(f"changes {pid} too late", channel=REVIEW, user=BOB))
    assert e.title.startswith("This request was already approved")
