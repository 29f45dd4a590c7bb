"""A caption too long for X: the offer, ``split`` (typed or by the button), and the request
that becomes two API posts (a thread on X, the whole caption on Facebook) tracked as one."""

from __future__ import annotations

from typing import Any

from bot.chat import SPLIT, ApprovalCard, ButtonEvent, ErrorReply, MessageRef
from bot.notifier import Notifier
from bot.textcount import count
from commands.dispatch import dispatch_button
from tests.commands.conftest import ALICE, BOB, MAIN, REVIEW, Chat

SENTENCE = "We shipped the new editor today, and it is faster than ever. "  # 61 characters


def caption(n: int) -> str:
    """A caption of exactly ``n`` characters, in sentences."""
    text = (SENTENCE * (n // len(SENTENCE) + 1))[:n]
    return text[:-1] + "." if text.endswith(" ") else text


def offer(reply: object) -> ErrorReply:
    assert isinstance(reply, ErrorReply), reply
    return reply


async def press(chat: Chat, token: str, user: Any = ALICE, n: int = 1) -> Any:
    event = ButtonEvent(
        decision=SPLIT,
        user=user,
        message=MessageRef("slack", MAIN, "eph"),
        delivery_id=f"press{n}-{user.id}",
        value=token,
        thread="T9",
    )
    return await dispatch_button(chat.core, event)


async def test_too_long_for_x_offers_a_thread_with_a_preview_and_a_button(chat: Chat) -> None:
    text = caption(612)
    e = offer(await chat.post(f'x "{text}"'))
    assert e.title == "This is 612 characters for X (limit 280). Post it as a thread of 3?"
    assert e.problems[0].startswith("X @acme_x: the caption is 612 characters as X counts them")
    assert [line.split(":")[0] for line in e.problems[1:]] == ["X 1/3", "X 2/3", "X 3/3"]
    assert "`split`" in (e.hint or "")
    [button] = e.buttons
    assert button.label == "Post as a thread of 3" and button.decision == SPLIT and button.value
    assert chat.api_calls("POST", "/v1/posts") == []  # nothing was posted


async def test_more_than_25_parts_is_no_offer_but_the_plain_length_error(chat: Chat) -> None:
    text = caption(280 * 25 + 500)  # a thread of 25 X posts cannot hold it
    e = offer(await chat.post(f'x "{text}"'))
    assert e.buttons == () or not e.buttons
    assert "thread of" not in e.title
    assert any("as X counts them (limit 280)" in p for p in e.problems), e.problems
    assert chat.api_calls("POST", "/v1/posts") == []


async def test_x_counts_weighted_in_the_offer(chat: Chat) -> None:
    text = "日本語のテキスト。" * 20  # 180 code points, 360 as X counts them
    e = offer(await chat.post(f'x "{text}"'))
    assert e.title.startswith("This is 360 characters for X (limit 280)")


async def test_split_typed_posts_a_numbered_thread(chat: Chat) -> None:
    text = caption(612)
    r = chat.ok(await chat.post(f'x "{text}" split'))
    api = await chat.api_post(r)
    segments = [s["text"] for s in api["thread"]]
    assert len(segments) == 3 and [s[-4:] for s in segments] == [" 1/3", " 2/3", " 3/3"]
    assert all(count("twitter", s) <= 280 for s in segments)
    assert " ".join(s[:-4] for s in segments) == text  # cut at sentence ends, nothing lost
    # also accepted up front
    chat.ok(await chat.post(f'split x "{text}"'))


async def test_media_stay_on_the_first_part(chat: Chat) -> None:
    url = chat.media_url("photo.jpg")
    r = chat.ok(await chat.post(f'x "{caption(400)}" media:{url} split'))
    api = await chat.api_post(r)
    media = [s.get("mediaIds") or [] for s in api["thread"]]
    assert len(media[0]) == 1 and all(m == [] for m in media[1:])


async def test_the_button_runs_it_once_and_only_for_the_requester(chat: Chat) -> None:
    e = offer(await chat.post(f'x "{caption(612)}"'))
    token = e.buttons[0].value
    other = chat.one(await press(chat, token, BOB))
    assert isinstance(other, ErrorReply) and other.title.startswith("Only the person")
    r = chat.ok(chat.one(await press(chat, token)))
    assert r.title.startswith("Publishing now to X")
    assert len((await chat.api_post(r))["thread"]) == 3
    again = chat.one(await press(chat, token, n=2))
    assert isinstance(again, ErrorReply) and again.title == "That offer is no longer open"
    assert len(chat.api_calls("POST", "/v1/posts")) == 1
    # the request is tracked under the thread the button's answer went to
    row = await chat.last_tracked(MAIN)
    assert row == chat.post_id(r)


async def test_x_and_facebook_two_posts_one_request(chat: Chat) -> None:
    text = caption(612)
    e = offer(await chat.post(f'x,fb "{text}"'))
    assert "Facebook: the whole caption, as one post." in e.problems
    r = chat.ok(await chat.post(f'x,fb "{text}" split'))
    assert r.title == "Publishing now to X @acme_x, Facebook acme"
    posts = chat.field(r, "Posts")
    assert "Facebook: the caption" in posts and "X: thread of 3" in posts
    client = chat.core.clients.for_workspace("main")
    created = await client.list_posts()
    assert len(created) == 2
    by_type = {str(p.post_type): p for p in created}
    assert [str(p) for p in by_type["thread"].platforms] == ["twitter"]
    assert [str(p) for p in by_type["text"].platforms] == ["facebook"]
    primary = chat.post_id(r)
    assert by_type["text"].post_id == primary and by_type["text"].content == text
    # one /status for the whole request
    card = chat.card(await chat.status(primary))
    assert {t.platform for t in card.targets} == {"X", "Facebook"}
    assert any(f.name == "Posts" for f in card.fields)
    # one summary announcement once both have landed, with every link
    notifier = Notifier(chat.core)
    for _ in range(4):
        chat.clock.advance(30)
        await notifier.tick(chat.clock.now())
    announced = [s.reply for s in chat.port.sent if getattr(s.reply, "post_id", None)]
    assert len(announced) == 1
    [ann] = announced
    assert ann.post_id == primary and ann.result == "published"  # type: ignore[union-attr]
    assert {t.platform for t in ann.targets} == {"X", "Facebook"}  # type: ignore[union-attr]
    assert all(t.permalink for t in ann.targets)  # type: ignore[union-attr]


async def test_other_problems_are_listed_with_a_hint_to_split(chat: Chat) -> None:
    e = chat.error(await chat.post(f'x,ig "{caption(612)}"'))  # Instagram needs media
    assert "Instagram" in chat.text(e) and "612" in chat.text(e)
    assert "`split`" in (e.hint or "") and e.buttons == ()


async def test_under_approval_the_card_shows_the_parts(chat: Chat) -> None:
    text = caption(612)
    chat.ok(chat.one(await chat.run("post", f'x "{text}" split', channel=REVIEW)))
    [card] = [s.reply for s in chat.port.sent if isinstance(s.reply, ApprovalCard)]
    parts = (card.caption or "").split("\n— ")
    assert [p[-4:] for p in parts] == [" 1/3", " 2/3", " 3/3"]
    [(name, value)] = [(f.name, f.value) for f in card.previews]
    assert name.startswith("X") and "thread of 3" in value  # each part counted against 280


async def test_under_approval_a_mixed_request_is_refused_with_a_way_out(chat: Chat) -> None:
    e = chat.error(chat.one(await chat.run("post", f'x,fb "{caption(612)}" split', channel=REVIEW)))
    assert e.title.startswith("A thread for some targets and one post for the others")
    assert chat.api_calls("POST", "/v1/posts") == []


async def test_a_split_request_is_one_line_in_the_list_and_cancels_whole(chat: Chat) -> None:
    r = chat.ok(await chat.schedule(f'x,fb "{caption(612)}" tomorrow 9am split'))
    primary = chat.post_id(r)
    listing = chat.listing(await chat.status(""))
    assert len(listing.items) == 1 and listing.items[0].startswith(primary)
    done = chat.ok(await chat.social(f"cancel {primary}"))
    assert done.title == f"Canceled {primary} (2 posts)"
    client = chat.core.clients.for_workspace("main")
    assert {str(p.status) for p in await client.list_posts()} <= {"canceled"}


async def test_threads_over_500_is_offered_too(chat: Chat) -> None:
    e = offer(await chat.post(f'threads "{caption(612)}"'))
    assert e.title == "This is 612 characters for Threads (limit 500). Post it as a thread of 2?"
    r = chat.ok(await chat.post(f'threads "{caption(612)}" split'))
    segments = [s["text"] for s in (await chat.api_post(r))["thread"]]
    assert len(segments) == 2 and all(len(s) <= 500 for s in segments)


async def test_x_and_threads_each_get_their_own_thread(chat: Chat) -> None:
    e = offer(await chat.post(f'x,threads "{caption(612)}"'))
    assert e.title == (
        "This is 612 characters for X (limit 280) and 612 for Threads (limit 500). "
        "Post it as threads (X: 3 parts, Threads: 2 parts)?"
    )
    r = chat.ok(await chat.post(f'x,threads "{caption(612)}" split'))
    posts = chat.field(r, "Posts")
    assert "X: thread of 3" in posts and "Threads: thread of 2" in posts
