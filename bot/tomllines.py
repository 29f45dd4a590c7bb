"""Where each table and key of a TOML file sits (``tomllib`` gives no positions).

    lines = TomlLines(text)
    lines.find(("channels", 1, "approval", "quorom"))   # → 14 (or the nearest enclosing line)
    dotted(("channels", 1, "approval", "quorom"))       # → "channels[1].approval.quorom"

A line scanner, not a parser: it follows ``[table]`` / ``[[array.of.tables]]`` headers (each
``[[x]]`` starts element n of ``x``; a later ``[x.y]`` belongs to the latest element) and
``key =`` lines (dotted and quoted keys too), and skips the continuation lines of multi-line
arrays and inline tables. It only runs on a file ``tomllib`` has already accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence


def dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + (part if re.fullmatch(r"[\w-]+", part) else f'"{part}"')
    return out


class TomlLines:
    """Where each table and key sits in the file (tomllib gives no positions): a line scanner
    that follows ``[table]`` / ``[[array]]`` headers and ``key =`` lines."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(
        r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
    )

    def __init__(self, text: str) -> None:
        self.where: dict[tuple[str | int, ...], int] = {}
        counts: dict[tuple[str | int, ...], int] = {}
        table: tuple[str | int, ...] = ()
        depth = 0
        for n, line in enumerate(text.splitlines(), start=1):
            if depth > 0:  # inside a multi-line array
                depth += _depth(line)
                continue
            h = self._HEADER.match(line)
            if h:
                parts = _split(h.group(2))
                table = self._resolve(parts, counts, array=h.group(1) == "[[")
                self.where.setdefault(table, n)
                if h.group(1) == "[[":
                    self.where.setdefault(table[:-1], n)
                continue
            k = self._KEY.match(line)
            if k:
                key = (*table, *_split(k.group(1)))
                self.where.setdefault(key, n)
                depth = max(0, _depth(line[k.end() :]))

    def _resolve(
        self,
        parts: list[str],
        counts: dict[tuple[str | int, ...], int],
        *,
        array: bool,
    ) -> tuple[str | int, ...]:
        # Each prefix that is an array of tables refers to its latest element.
        path: tuple[str | int, ...] = ()
        for i, part in enumerate(parts):
            path = (*path, part)
            last = i == len(parts) - 1
            if last and array:
                counts[path] = counts.get(path, -1) + 1
                return (*path, counts[path])
            if path in counts:
                path = (*path, counts[path])
        return path

    def find(self, loc: tuple[str | int, ...]) -> int | None:
        for end in range(len(loc), 0, -1):
            n = self.where.get(loc[:end])
            if n is not None:
                return n
        return None


def _split(dotted_key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in _dots(dotted_key)]


def _dots(s: str) -> Iterator[str]:
    buf, quote = "", ""
    for ch in s:
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            buf += ch
        elif ch == ".":
            yield buf
            buf = ""
        else:
            buf += ch
    yield buf


def _depth(text: str) -> int:
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth
