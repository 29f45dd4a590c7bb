"""Which characters the picture fonts can draw, and what replaces the rest.

The chain is DejaVu Sans (ships with matplotlib) followed by any of ``FALLBACKS`` found on the
machine (CJK and symbol fonts); matplotlib falls back glyph by glyph along ``font.family``.
A character is drawable when some font in the chain has a glyph for it
(``FT2Font.get_char_index(cp) != 0``). Otherwise:

- emoji and other pictographs (and the joiners / variation selectors around them) are dropped;
- any other character (a CJK ideograph without a CJK font, a rare script) becomes ``?``.

So no text ever comes out as an empty "tofu" box; the alt text keeps the original words.
"""

from __future__ import annotations

import functools
import unicodedata

BASE_FAMILY = "DejaVu Sans"
FALLBACKS = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans JP",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Noto Sans Symbols 2",
)
REPLACEMENT = "?"
_INVISIBLE = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}  # ZWJ, variation selectors, keycap


@functools.cache
def chain() -> tuple[tuple[str, str], ...]:
    """(family, file) of every font in the chain, DejaVu Sans first."""
    from matplotlib import font_manager

    out = [(BASE_FAMILY, font_manager.findfont(BASE_FAMILY, fallback_to_default=True))]
    for fam in FALLBACKS:
        try:
            path = font_manager.findfont(fam, fallback_to_default=False)
        except ValueError:
            continue
        if path not in {p for _, p in out}:
            out.append((fam, path))
    return tuple(out)


def families() -> list[str]:
    return [f for f, _ in chain()]


@functools.cache
def _fonts() -> tuple[object, ...]:
    from matplotlib.ft2font import FT2Font

    return tuple(FT2Font(path) for _, path in chain())


@functools.cache
def has_glyph(ch: str) -> bool:
    cp = ord(ch)
    return any(f.get_char_index(cp) != 0 for f in _fonts())  # type: ignore[attr-defined]


def _is_pictograph(ch: str) -> bool:
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("So", "Sk", "Cs")
        or 0x1F000 <= cp <= 0x1FAFF
        or 0x1F1E6 <= cp <= 0x1F1FF
        or 0x2600 <= cp <= 0x27BF
        or 0xE0020 <= cp <= 0xE007F  # tag characters (flag sequences)
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
    )


def drawable(text: str) -> tuple[str, int]:
    """``text`` with every character no font can draw dropped (emoji) or replaced by ``?``;
    and how many characters that touched. Control characters become spaces."""
    out: list[str] = []
    touched = 0
    for ch in text:
        cp = ord(ch)
        if ch in "\n\t\r":
            out.append(" ")
            continue
        if cp in _INVISIBLE:
            touched += 1
            continue
        if unicodedata.category(ch) in ("Cc", "Cf"):
            touched += 1
            continue
        if ch == " " or has_glyph(ch):
            out.append(ch)
            continue
        touched += 1
        if not _is_pictograph(ch):
            out.append(REPLACEMENT)
    cleaned = " ".join("".join(out).split())
    return cleaned, touched


def missing(text: str) -> list[str]:
    """Characters of ``text`` no font in the chain can draw (spaces aside)."""
    return [ch for ch in text if ch != " " and not has_glyph(ch)]
