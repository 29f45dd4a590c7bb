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

        matplotlib.rcParams["font.family"] = fonts.families()
        matplotlib.rcParams["svg.fonttype"] = "none"
        self.fig = Figure(figsize=(width_in, height_in), dpi=DPI)
        self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(*ylim)
        self.ax.set_axis_off()
        self.texts: list[str] = []
        self.replaced = 0
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
        return buf.getvalue(), round(w * DPI), round(h * DPI)


def clip_words(text: str, limit: int) -> str:
    """The first words of ``text`` that fit in ``limit`` characters (``…`` when cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…"
