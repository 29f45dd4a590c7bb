"""The thread splitter (``bot.split``): examples, then properties over generated captions.

Properties, for any text and limit (code points, and X's weighted count):
- every part fits the limit, numbering included; parts are numbered 1/n … n/n;
- the parts without their numbering, re-joined with the white space at the cuts, are the
  original text (stripped) — nothing lost, added or reordered;
- no cut falls inside a URL, @mention, #hashtag, $cashtag or a grapheme cluster;
- no part is empty or only a number.
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from bot.split import PROTECTED, SplitError, split_text, strip_numbering


def x_count(text: str) -> int:
    return int(parse_tweet(text).weightedLength)


def spans(body: str, parts: list[str]) -> list[tuple[int, int]]:
    """Where each part (numbering removed) sits in ``body``; asserts the re-join property."""
    n = len(parts)
    out = []
    pos = 0
    for i, part in enumerate(parts, start=1):
        suffix = f" {i}/{n}" if n > 1 else ""
        assert part.endswith(suffix), (part, suffix)
        text = part[: len(part) - len(suffix)]
        # the next part starts after the white space at the cut (none inside a long word)
        at = pos
        while not body.startswith(text, at) and at < len(body) and body[at].isspace():
            at += 1
        assert body.startswith(text, at), (body[pos : pos + 40], text[:40])
        pos = at
        out.append((pos, pos + len(text)))
        pos += len(text)
    assert body[pos:].strip() == "", "text left over after the last part"
    return out


def check(text: str, limit: int, count: object = len) -> list[str]:
    counter = count if callable(count) else len
    try:
        parts = split_text(text, limit, counter)
    except SplitError:
        # only when a token that cannot be cut (widened to whole grapheme clusters) does not fit
        body = text.strip()
        bounds = sorted({0} | {m.end() for m in regex.finditer(r"\X", body)})
        longest = 0
        for m in PROTECTED.finditer(body):
            start = max(b for b in bounds if b <= m.start())
            end = min(b for b in bounds if b >= m.end())
            longest = max(longest, counter(body[start:end]))
        # …or one grapheme cluster (a letter with many combining marks)
        longest = max([longest, *(counter(g) for g in regex.findall(r"\X", body))])
        assert longest + len(" 99/99") > limit
        event("parts: none (a token longer than a part)")
        return []
    body = text.strip()
    if not body:
        assert parts == []
        return parts
    for p in parts:
        assert counter(p) <= limit, (counter(p), limit, p)
        assert strip_numbering(p).strip() != "", "a part with only a number"
    event(f"parts: {'1' if len(parts) == 1 else '2-3' if len(parts) <= 3 else '4+'}")
    located = spans(body, parts)
    cuts = {e for _, e in located[:-1]} | {s for s, _ in located[1:]}
    clusters = {0} | {m.end() for m in regex.finditer(r"\X", body)}
    assert cuts <= clusters, "a cut inside a grapheme cluster"
    for m in PROTECTED.finditer(body):
        assert any(s <= m.start() and m.end() <= e for s, e in located), f"{m.group()} was cut"
    return parts


WORDS = st.sampled_from(
    [
        "the", "launch", "is", "today", "shipping", "Grüße", "naïve", "café", "日本語の",
        "テキスト", "👩‍👩‍👧", "👍🏽", "🇩🇪", "e\u0301", "x\u200dy", "@acme_x", "#launch2026",
        "$ACME", "https://example.com/a/very/long/path?with=query&and=more", "example.org/x",
        "www.acme.io", "word.", "end!", "really?", "“quoted.”", "(aside)", "—", "1/3",
        "supercalifragilisticexpialidocious" * 3, "#" + "longtag" * 15,
        "https://example.com/" + "segment/" * 12, "@" + "n" * 90,
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", " \n\n ", "\t"])


@st.composite
def captions(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=10, max_size=120))
    seps = draw(st.lists(SEPARATORS, min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


# Limits are drawn relative to the text's length so that most examples need several parts.
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=400, deadline=None, suppress_health_check=SLOW)
@given(captions(), st.integers(min_value=1, max_value=12))
def test_properties_code_points(text: str, pieces: int) -> None:
    check(text, max(80, len(text) // pieces + 10))


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(captions(), st.integers(min_value=1, max_value=8))
def test_properties_x_weighted(text: str, pieces: int) -> None:
    check(text, max(100, x_count(text) // pieces + 10), x_count)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(st.text(min_size=20, max_size=700), st.integers(min_value=2, max_value=10))
def test_properties_any_unicode(text: str, pieces: int) -> None:
    check(text, max(12, len(text) // pieces + 4))


def test_fits_whole_is_one_unnumbered_part() -> None:
    assert split_text("  short one \n", 280) == ["short one"]
    assert split_text("   ", 280) == []


def test_paragraphs_first_then_sentences_then_words() -> None:
    para1 = "First paragraph. " * 5  # 85
    para2 = "Second paragraph has more. " * 5  # 135
    parts = split_text(para1.strip() + "\n\n" + para2.strip(), 200)
    assert parts[0] == para1.strip() + " 1/2"
    assert parts[1].startswith("Second paragraph")
    sentences = "One sentence here, and it goes on. " * 12
    parts = split_text(sentences, 120)
    assert all(strip_numbering(p).endswith(".") for p in parts)
    words = " ".join(["word"] * 100)
    parts = split_text(words, 50)
    assert all(len(p) <= 50 for p in parts) and parts[-1].endswith(f"/{len(parts)}")


def test_the_numbering_counts_inside_the_limit() -> None:
    text = " ".join(["abcd"] * 56)  # 279 characters
    parts = split_text(text, 100)
    assert [p[-4:] for p in parts] == [" 1/3", " 2/3", " 3/3"]
    assert all(len(p) <= 100 for p in parts)


def test_urls_count_23_on_x_and_are_never_cut() -> None:
    url = "https://example.com/" + "p" * 200
    text = ("Read this " + url + " now. ") * 4
    parts = split_text(text, 280, x_count)
    assert all(x_count(p) <= 280 for p in parts)
    assert sum(p.count(url) for p in parts) == 4


def test_a_token_longer_than_a_part_is_an_error() -> None:
    with pytest.raises(SplitError, match="cannot be cut"):
        split_text("see #" + "a" * 300 + " here", 100)


def test_a_long_word_is_cut_between_graphemes() -> None:
    text = "👩‍👩‍👧" * 60
    parts = split_text(text, 50)
    assert "".join(strip_numbering(p) for p in parts) == text
