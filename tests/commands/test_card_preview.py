"""What the approval card says about the post itself (issue 14): the caption once, per platform
its own caption where it differs, the length in that platform's terms against its limit, the
article card as it will appear, the media — and the same after an edit."""

from __future__ import annotations

from bot.chat import ApprovalCard
from tests.commands.conftest import REVIEW, Chat


def last_card(chat: Chat) -> ApprovalCard:
    for _ref, reply in reversed(chat.port.updates):
        if isinstance(reply, ApprovalCard):
            return reply
    cards = [s.reply for s in chat.port.sent if isinstance(s.reply, ApprovalCard)]
    assert cards
    return cards[-1]


def lines(card: ApprovalCard) -> dict[str, list[str]]:
    return {f.name: f.value.splitlines() for f in card.previews}


async def test_own_captions_and_counts_in_each_platforms_terms(chat: Chat) -> None:
    long_url = "https://example.com/a/very/long/path/indeed"
    chat.ok(await chat.post(f'x,fb "Launch day 🚀" x:"Short 🚀 {long_url}"', channel=REVIEW))
    card = last_card(chat)
    assert card.caption == "Launch day 🚀" and card.platforms == ("X", "Facebook")
    by = lines(card)
    x = next(v for k, v in by.items() if k.startswith("X ("))
    fb = next(v for k, v in by.items() if k.startswith("Facebook ("))
    assert x[0] == f"✏️ Short 🚀 {long_url}"
    assert x[1] == "🔤 32/280 characters as X counts them"  # the URL 23, the emoji 2
    assert fb[0] == "🔤 12/63,206 characters"  # its caption is the card's: not repeated


async def test_an_article_shows_its_link_card(chat: Chat) -> None:
    chat.ok(
        await chat.post(
            'li,fb "Our write-up" article:https://blog.example.com/post '
            'title:"How we shipped it" description:"A short snippet"',
            channel=REVIEW,
        )
    )
    for value in lines(last_card(chat)).values():
        assert "📰 “How we shipped it” — A short snippet · blog.example.com" in value


async def test_an_edit_shows_the_new_preview_in_place(chat: Chat) -> None:
    chat.ok(await chat.schedule('x,fb "First" tomorrow 9am', channel=REVIEW))
    card = last_card(chat)
    sent = len(chat.port.sent)
    chat.ok(
        await chat.social(f'edit {card.card_id} caption:"Second" fb:"FB only ✨"', channel=REVIEW)
    )
    edited = last_card(chat)
    new_cards = [s for s in chat.port.sent[sent:] if isinstance(s.reply, ApprovalCard)]
    assert new_cards == []  # updated in place
    assert edited.card_id == card.card_id and edited.approvals == ()
    assert edited.caption == "Second"
    fb = next(v for k, v in lines(edited).items() if k.startswith("Facebook ("))
    assert fb[:2] == ["✏️ FB only ✨", "🔤 9/63,206 characters"]
