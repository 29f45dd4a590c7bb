"""Approvals stay whole through the command layer (``C_REVIEW`` needs one ✅ from Bob):
per-platform times survive approval and edits; an approved, still scheduled post that is edited
goes back for approval on a new card; ``/social cancel`` closes a waiting card at once."""

from __future__ import annotations

import itertools

from bot.chat import (
    APPROVE,
    ApprovalCard,
    ErrorReply,
    MessageRef,
    Outcome,
    ReactionAction,
    ReactionEvent,
    User,
)
from commands.dispatch import dispatch_reaction
from tests.commands.conftest import BOB, REVIEW, Chat

CROSS = 'x,ig "Cross-post" at:"2026-07-01 09:00" x@"2026-07-01 12:00" media:{url}'


def cards(chat: Chat) -> list[tuple[MessageRef, ApprovalCard]]:
    return [(s.ref, s.reply) for s in chat.port.sent if isinstance(s.reply, ApprovalCard)]


def card_now(chat: Chat, ref: MessageRef) -> ApprovalCard:
    for r, reply in reversed(chat.port.updates):
        if r == ref:
            assert isinstance(reply, ApprovalCard)
            return reply
    return next(c for r, c in cards(chat) if r == ref)


_deliveries = itertools.count(1)


async def react(chat: Chat, ref: MessageRef, user: User = BOB) -> Outcome:
    event = ReactionEvent(ReactionAction.ADDED, APPROVE, user, ref, f"R{next(_deliveries)}")
    return await dispatch_reaction(chat.core, event)


async def ask(chat: Chat, text: str) -> tuple[str, MessageRef]:
    reply = chat.ok(await chat.schedule(text, channel=REVIEW))
    assert reply.title.startswith("Sent for approval"), reply
    ref, card = cards(chat)[-1]
    return card.card_id, ref


async def test_per_platform_times_survive_the_approval(chat: Chat) -> None:
    pid, ref = await ask(chat, CROSS.format(url=chat.media_url("photo.jpg")))
    draft = await chat.core.clients.for_workspace("main").get_post(pid)
    assert draft.status == "draft"
    await react(chat, ref)
    assert card_now(chat, ref).state == "approved"
    api = (await chat.core.clients.for_workspace("main").get_post(pid)).extra
    assert api["status"] == "scheduled"
    assert api["scheduledAt"].startswith("2026-07-01T07:00:00")  # 09:00 Berlin
    assert api["platformSchedules"]["twitter"].startswith("2026-07-01T10:00:00")  # 12:00 Berlin


async def test_per_platform_times_survive_an_edit_while_waiting(chat: Chat) -> None:
    pid, ref = await ask(chat, CROSS.format(url=chat.media_url("photo.jpg")))
    r = chat.ok(
        await chat.social(f'edit {pid} when:"2026-07-02 09:00" caption:"Better"', channel=REVIEW)
    )
    assert r.text and "approvals reset" in r.text
    preview = dict((f.name, f.value) for f in card_now(chat, ref).previews)
    x_line = next(v for k, v in preview.items() if k.startswith("X"))
    assert "Wed 01 Jul 10:00 UTC" in x_line  # X keeps its own time on the card
    await react(chat, ref)
    api = (await chat.core.clients.for_workspace("main").get_post(pid)).extra
    assert api["scheduledAt"].startswith("2026-07-02T07:00:00")
    assert api["platformSchedules"]["twitter"].startswith("2026-07-01T10:00:00")
    assert api["content"] == "Better"


async def test_a_per_platform_time_can_be_edited_while_waiting(chat: Chat) -> None:
    pid, ref = await ask(chat, CROSS.format(url=chat.media_url("photo.jpg")))
    chat.ok(await chat.social(f'edit {pid} x@"2026-07-03 08:00"', channel=REVIEW))
    await react(chat, ref)
    api = (await chat.core.clients.for_workspace("main").get_post(pid)).extra
    assert api["scheduledAt"].startswith("2026-07-01T07:00:00")
    assert api["platformSchedules"]["twitter"].startswith("2026-07-03T06:00:00")


async def test_editing_an_approved_scheduled_post_sends_it_back_for_approval(chat: Chat) -> None:
    pid, old = await ask(chat, CROSS.format(url=chat.media_url("photo.jpg")))
    await react(chat, old)
    client = chat.core.clients.for_workspace("main")
    assert (await client.get_post(pid)).status == "scheduled"

    r = chat.ok(await chat.social(f'edit {pid} caption:"Sneaky change"', channel=REVIEW))
    assert r.text and "goes back for approval" in r.text
    post = await client.get_post(pid)
    assert post.status == "draft" and post.content == "Sneaky change"  # can't go out unapproved
    (first, _), (new, fresh) = cards(chat)
    assert first == old
    assert new != old and fresh.state == "pending" and fresh.approvals == ()
    assert fresh.caption == "Sneaky change"  # the card shows the edited caption
    was = card_now(chat, old)
    assert was.note and "sent for approval again" in was.note and not was.buttons

    assert (await react(chat, old)).replies == ()  # ✅ on the old card no longer counts
    assert (await client.get_post(pid)).status == "draft"
    await react(chat, new)
    assert card_now(chat, new).state == "approved"
    api = (await client.get_post(pid)).extra
    assert api["status"] == "scheduled" and api["content"] == "Sneaky change"
    assert api["platformSchedules"]["twitter"].startswith("2026-07-01T10:00:00")
    history = chat.card(await chat.status(pid, channel=REVIEW)).history
    assert any("sent the edited post for approval again" in h for h in history)


async def test_an_approved_post_in_a_channel_without_approval_edits_as_usual(
    chat: Chat,
) -> None:
    pid, ref = await ask(chat, 'x "Launch" at:"2026-07-01 09:00"')
    await react(chat, ref)
    # Approval switched off for the channel since (config reloaded): the edit is a plain edit.
    binding = chat.core.settings.channel_config("slack", "T_TEAM", REVIEW)
    object.__setattr__(binding.approval, "required", False)
    chat.ok(await chat.social(f'edit {pid} caption:"Fine"', channel=REVIEW))
    post = await chat.core.clients.for_workspace("main").get_post(pid)
    assert post.status == "scheduled" and post.content == "Fine"
    assert len(cards(chat)) == 1


async def test_cancel_closes_a_waiting_card_at_once(chat: Chat) -> None:
    pid, ref = await ask(chat, 'x "Maybe" at:"2026-07-01 09:00"')
    r = chat.ok(await chat.social(f"cancel {pid}", channel=REVIEW))
    assert r.text and "approval request is closed" in r.text
    card = card_now(chat, ref)
    assert card.state == "canceled" and not card.buttons
    assert card.note and "/social cancel" in card.note
    out = await react(chat, ref)
    (told,) = out.replies
    assert isinstance(told, ErrorReply) and "already canceled" in told.title
    client = chat.core.clients.for_workspace("main")
    assert (await client.get_post(pid)).status == "canceled"
    assert chat.api_calls("PUT", f"/v1/posts/{pid}") == []  # the ✅ activated nothing
    history = chat.card(await chat.status(pid, channel=REVIEW)).history
    assert any("canceled with /social cancel" in h for h in history)


async def test_cancel_of_an_approved_scheduled_post_closes_its_card(chat: Chat) -> None:
    pid, ref = await ask(chat, 'x "Later" at:"2026-07-01 09:00"')
    await react(chat, ref)
    chat.ok(await chat.social(f"cancel {pid}", channel=REVIEW))
    assert card_now(chat, ref).state == "canceled"


async def test_a_plain_edit_keeps_and_changes_per_platform_times(chat: Chat) -> None:
    url = chat.media_url("photo.jpg")
    r = chat.ok(await chat.schedule(CROSS.format(url=url)))  # C_MAIN: no approval
    pid = chat.post_id(r)
    chat.ok(await chat.social(f'edit {pid} when:"2026-07-02 09:00"'))
    api = await chat.api_post(r)
    assert api["scheduledAt"].startswith("2026-07-02T07:00:00")
    assert api["platformSchedules"]["twitter"].startswith("2026-07-01T10:00:00")
    chat.ok(await chat.social(f'edit {pid} x@"2026-07-03 08:00"'))
    api = await chat.api_post(r)
    assert api["platformSchedules"]["twitter"].startswith("2026-07-03T06:00:00")
    e = chat.error(await chat.social(f'edit {pid} li@"2026-07-03 08:00"'))
    assert "There is a LinkedIn time but the post has no LinkedIn target." in e.problems
