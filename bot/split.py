"""A caption too long for one post → the parts of a numbered reply chain. A pure function.

    split_text(text, limit, count)  → ["First part … 1/3", "Second … 2/3", "Last 3/3"]

Where it cuts, best first: a paragraph break (a blank line); the end of a sentence (``.`` ``!``
``?`` ``…`` — with closing quotes or brackets — followed by white space) or a line break; any
other white space; and only when one word alone is longer than a part, between two grapheme
clusters inside it. Never inside a URL, an @mention, a #hashtag or a $cashtag, and never inside
a grapheme cluster (👩‍👩‍👧, é written as e + ◌́, 🇩🇪): a cut is always at a cluster boundary.

A part ends where its text ends; the white space at a cut is dropped, everything else is kept
byte for byte. Numbering `` i/n`` is appended to each part and counted inside the limit, as
``count`` counts it (``len`` for code points, X's weighted count for X). A part cuts at the
furthest place of the best kind that still leaves it reasonably full (a paragraph break when the
part is at least 30 % full, a sentence end at 50 %, else the furthest word boundary), so short
first paragraphs do not make a thread of crumbs.

Media are the caller's business (they stay on the first part).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

Count = Callable[[str], int]

# Tokens a cut must never fall inside.
PROTECTED = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?"  # bare domains: example.com/path
    r"|[@#$][\w.]+",  # @mentions, #hashtags, $cashtags
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*$")
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
_FILL = {3: 0.3, 2: 0.5, 1: 0.0, 0: 0.0}  # how full a part must be to cut at that kind of place


class SplitError(ValueError):
    """The text cannot be split within the limit (one unbreakable token is longer than a part)."""


@dataclass(frozen=True, order=True)
class _Break:
    end: int  # the part before it ends here (exclusive)
    start: int  # the next part starts here
    rank: int  # 3 paragraph, 2 sentence / line, 1 word, 0 inside a word (4: the text's end)


def numbering(i: int, n: int) -> str:
    return f" {i}/{n}"


def _graphemes(text: str) -> set[int]:
    out = {0}
    pos = 0
    for m in regex.finditer(r"\X", text):
        pos = m.end()
        out.add(pos)
    return out


def _breaks(text: str) -> list[_Break]:
    bounds = _graphemes(text)
    protected = [(m.start(), m.end()) for m in PROTECTED.finditer(text)]
    inside: set[int] = set()
    for a, b in protected:
        inside.update(range(a + 1, b))
    out: list[_Break] = []
    for m in re.finditer(r"\s+", text):
        a, b = m.start(), m.end()
        if b not in bounds:  # the last space starts a cluster (a space + combining marks)
            b = max((i for i in range(a + 1, b) if i in bounds), default=b)
        if a == 0 or b == len(text) or a not in bounds or b not in bounds or a in inside:
            continue
        ws = m.group()
        if _PARAGRAPH.search(ws):
            rank = 3
        elif "\n" in ws or _SENTENCE_END.search(text[max(0, a - 4) : a]):
            rank = 2
        else:
            rank = 1
        out.append(_Break(a, b, rank))
    spaces = {i for m in re.finditer(r"\s+", text) for i in range(m.start(), m.end() + 1)}
    for i in bounds:
        if 0 < i < len(text) and i not in spaces and i not in inside:
            out.append(_Break(i, i, 0))
    out.sort()
    return out


def _parts(text: str, breaks: list[_Break], limit: int, count: Count, n: int) -> list[str]:
    ends = [b.end for b in breaks]
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        suffix = numbering(len(parts) + 1, n)
        budget = limit - count(suffix.strip()) - 1

        def fits(end: int, pos: int = pos, suffix: str = suffix) -> bool:
            return count(text[pos:end] + suffix) <= limit

        first = bisect.bisect_right(ends, pos)
        # candidates: the cuts after ``pos``, then the end of the text (the rest as the last part)
        cands = [*breaks[first:], _Break(len(text), len(text), 4)]
        # the furthest that fits: gallop, then bisect (counts grow with the text), so each count
        # is over about one part's text, not the whole rest
        good, probe, step = -1, 0, 1
        while probe < len(cands) and fits(cands[probe].end):
            good, probe, step = probe, probe + step, step * 2
        lo, hi = good + 1, min(probe, len(cands))
        while lo < hi:
            mid = (lo + hi) // 2
            if fits(cands[mid].end):
                good, lo = mid, mid + 1
            else:
                hi = mid
        if good == len(cands) - 1:
            parts.append(text[pos:])
            break
        fitting = cands[: good + 1]
        while fitting and not fits(fitting[-1].end):  # a count that shrank as text grew
            fitting.pop()
        if not fitting:
            token = text[pos:].split(None, 1)[0]
            raise SplitError(
                f"“{token[:40]}{'…' if len(token) > 40 else ''}” cannot be cut and is longer "
                f"than one part ({limit} with the numbering)"
            )
        chosen = fitting[-1]
        for rank in (3, 2, 1):
            best = next((c for c in reversed(fitting) if c.rank >= rank), None)
            if best is None or not fits(best.end):
                continue
            if rank == 1 or count(text[pos : best.end]) >= _FILL[rank] * budget:
                chosen = best
                break
        parts.append(text[pos : chosen.end])
        pos = chosen.start
    return parts


def split_text(text: str, limit: int, count: Count = len) -> list[str]:
    """The numbered parts of ``text`` (surrounding white space dropped); ``[text]`` when it fits
    whole. Raises ``SplitError`` when a token that cannot be cut is longer than a part."""
    body = text.strip()
    if not body or count(body) <= limit:
        return [body] if body else []
    breaks = _breaks(body)
    n = 2
    for _ in range(64):
        parts = _parts(body, breaks, limit, count, n)
        if len(parts) <= n:
            n = len(parts)
            return [p + numbering(i, n) for i, p in enumerate(parts, start=1)]
        n = len(parts)
    raise SplitError("the parts did not settle")  # pragma: no cover - n only grows


def strip_numbering(part: str) -> str:
    """A part without its `` i/n`` suffix (for previews and tests)."""
    return re.sub(r" \d+/\d+$", "", part)
