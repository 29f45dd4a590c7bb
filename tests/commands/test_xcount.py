"""X counts weighted characters (twitter-text v3); every other platform counts code points.

Through the command layer and the sandbox: a 200-emoji caption is refused before any API call
with the count in X's terms; a caption whose long URLs X shortens to 23 goes out.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from bot.api.errors import ApiError
from bot.api.models import NewPost, Platform
from bot.textcount import count, describe
from tests.commands.conftest import Chat

LONG_URL = "https://example.com/launch/" + "a" * 150  # 177 code points, 23 on X


@pytest.mark.parametrize(
    ("text", "x", "others"),
    [
        ("hello", 5, 5),
        ("😀" * 200, 400, 200),
        ("漢字" * 10, 40, 20),
        (LONG_URL, 23, len(LONG_URL)),
        ("see " + LONG_URL + " now", 4 + 23 + 4, len(LONG_URL) + 8),
        ("👨‍👩‍👧‍👦", 2, 7),  # one emoji sequence counts once
        ("café — “ok”", 11, 11),  # Latin and general punctuation count 1
    ],
)
def test_count(text: str, x: int, others: int) -> None:
    assert count(Platform.X, text) == x
    assert count("twitter", text) == x
    assert count(Platform.INSTAGRAM, text) == others
    assert count(Platform.THREADS, text) == others


PIECES = [
    "a", "Z", " ", ".", "/", ":", "-", "é", "ß", "Ω", "ж", "\u1100", "\u1e00", "\r\n", "\n",
    "\r", "e\u0301", "©", "®", "™", "‼", "日本", "😀", "👍🏽", "👨‍👩‍👧", "1\ufe0f\u20e3", "#",
    "@acme", "example.com", "https://example.com/a?b=1", "http://x.co", "www.acme.io/x",
    "t.co", ".com", "😀https://example.com", "…", "—",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_the_fast_path_agrees_with_twitter_text(text: str) -> None:
    assert count(Platform.X, text) == parse_tweet(text).weightedLength


def test_describe() -> None:
    assert describe(Platform.X, 312) == "312 characters as X counts them"
    assert describe(Platform.THREADS, 2301) == "2,301 characters"


async def test_200_emoji_are_refused_in_x_terms_before_any_api_call(chat: Chat) -> None:
    e = chat.error(await chat.post('x "' + "🚀" * 200 + '"'))
    assert any(
        "X @acme_x: the caption is 400 characters as X counts them (limit 280)" in p
        for p in e.problems
    ), e.problems
    assert chat.api_calls("POST", "/v1/") == []


async def test_a_caption_with_long_urls_that_x_takes_goes_out(chat: Chat) -> None:
    caption = f"Launch notes {LONG_URL} and the docs {LONG_URL}/docs"
    assert len(caption) > 280 and count(Platform.X, caption) < 280
    reply = chat.ok(await chat.post(f'x "{caption}"'))
    assert (await chat.api_post(reply))["content"] == caption


async def test_a_thread_segment_is_counted_like_x(chat: Chat) -> None:
    e = chat.error(await chat.post('x thread:"' + "漢" * 150 + '" | "two"'))
    assert any(
        "thread segment 1 is 300 characters as X counts them (limit 280)" in p for p in e.problems
    ), e.problems


async def test_an_edit_is_counted_like_x(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Short" tomorrow 9am'))
    e = chat.error(await chat.social(f'edit {pid} caption:"{"🎉" * 141}"'))
    assert "the caption is 282 characters as X counts them (limit 280)" in e.problems[0]
    ok = chat.ok(await chat.social(f'edit {pid} caption:"{LONG_URL} {LONG_URL} {LONG_URL}"'))
    assert ok.title == f"Updated {pid}"


async def test_the_sandbox_counts_like_x(chat: Chat) -> None:
    client = chat.core.clients.for_workspace("main")
    x = next(a for a in await client.list_accounts() if a.platform is Platform.X)
    caption = " ".join([LONG_URL] * 5)  # 889 code points, 119 on X
    made = await client.create_post(
        NewPost(account_ids=(x.account_id,), content=caption, publish_now=True)
    )
    assert made.post.post_id
    with pytest.raises(ApiError) as raised:
        await client.create_post(
            NewPost(account_ids=(x.account_id,), content="😀" * 200, publish_now=True)
        )
    assert "280-character limit (400)" in str(raised.value)
