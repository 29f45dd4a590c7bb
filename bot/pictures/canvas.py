"""A thin drawing surface over one matplotlib Agg figure that records every string it draws
(after glyph replacement, see ``fonts``), so tests and alt text can tell what the picture says.

Only ``render_*`` functions (run in the worker) create one: matplotlib is imported here lazily.
"""

from __future__ import annotations

import io
from typing import Any

from bot.pictures import fonts

DPI = 100


class Canvas:
    def __init__(self, width_in: float, height_in: float, xlim: tuple[float, float],
                 ylim: tuple[float, float]) -> None:  # fmt: skip
        import matplotlib

        matplotlib.use("Agg", force=True)
        from matplotlib.figure import Figure

        style(matplotlib.rcParams)
        self.fig = Figure(figsize=(width_in, height_in), dpi=DPI)
        self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(*ylim)
        self.ax.set_axis_off()
        self.texts: list[str] = []
        self.replaced = 0
        self.line_in = height_in / abs(ylim[0] - ylim[1])  # inches per y unit
        self._rects: list[Any] = []

    def text(self, x: float, y: float, s: str, **kw: Any) -> None:
        shown, touched = fonts.drawable(s)
        self.replaced += touched
        if not shown:
            return
        self.texts.append(shown)
        kw.setdefault("va", "center")
        kw.setdefault("fontsize", 8)
        self.ax.text(x, y, shown, clip_on=False, **kw)

    def lines(self, x: float, top: float, lines: list[str], fontsize: float, **kw: Any) -> None:
        """One text per line unit from ``top`` down (line ``i`` centred on ``top + i + 0.5``),
        drawn as a single multi-line text: its line step is exactly one line unit."""
        shown = []
        for s in lines:
            text, touched = fonts.drawable(s)
            self.replaced += touched
            shown.append(text)
            if text:
                self.texts.append(text)
        if not any(shown):
            return
        # a line of a multi-line text is fontsize × linespacing points tall
        spacing = self.line_in * 72 / fontsize
        self.ax.text(x, top + len(shown) / 2, "\n".join(shown), va="center", fontsize=fontsize,
                     linespacing=spacing, clip_on=False, **kw)  # fmt: skip

    def rect(self, x: float, y: float, w: float, h: float, **kw: Any) -> None:
        """Drawn behind the text, all in one collection (one artist, not hundreds)."""
        from matplotlib.patches import Rectangle

        kw.setdefault("linewidth", 0.0)
        self._rects.append(Rectangle((x, y), w, h, **kw))

    def png(self) -> tuple[bytes, int, int]:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import PatchCollection

        if self._rects:
            coll = PatchCollection(self._rects, match_original=True, zorder=0)
            self.ax.add_collection(coll, autolim=False)
        FigureCanvasAgg(self.fig)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=DPI)
        w, h = self.fig.get_size_inches()
        release(self.fig)
        return buf.getvalue(), round(w * DPI), round(h * DPI)


def style(rc: Any) -> None:
    """The font chain; no glyph hinting (a third less time drawing text, same look at 100 dpi)."""
    rc["font.family"] = fonts.families()
    rc["text.hinting"] = "no_hinting"


_frozen = False


def release(fig: Any) -> None:
    """Drop the figure's artists now (hundreds of them, in reference cycles) so a worker that
    draws picture after picture keeps a flat memory. After the first picture everything loaded
    so far (matplotlib, fonts) is frozen out of the collector, so later collections are cheap."""
    import gc

    global _frozen
    fig.clear()
    gc.collect()
    if not _frozen:
        gc.freeze()
        _frozen = True


def clip_words(text: str, limit: int) -> str:
    """The first words of ``text`` that fit in ``limit`` characters (``…`` when cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…"
