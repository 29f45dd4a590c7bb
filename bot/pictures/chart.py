"""The analytics trend chart as a PNG, from daily snapshots.

Top: published and failed posts per day (bars; failed hatched, so greyscale still tells them
apart). Bottom: likes, comments and shares (left axis) and impressions (right axis) as totals
per day, each with its own marker and line style. ``render_chart`` runs in the render worker.
"""

from __future__ import annotations

import io

from bot.pictures import fonts
from bot.pictures.canvas import DPI, release, style
from bot.pictures.model import ChartSpec, Rendered

ALT_MAX = 1000
STYLES = {
    "likes": ("o", "-"),
    "comments": ("s", "--"),
    "shares": ("^", ":"),
    "impressions": ("D", "-."),
}


def alt_text(spec: ChartSpec) -> str:
    if not spec.days:
        return f"{spec.title}: no data."
    span = f"{spec.days[0]:%d %b} to {spec.days[-1]:%d %b %Y}"
    parts = [
        f"{spec.title}, {span}, {len(spec.days)} days",
        f"published {sum(spec.published)}, failed {sum(spec.failed)} in the period",
    ]
    busiest = max(range(len(spec.days)), key=lambda i: spec.published[i])
    if spec.published[busiest]:
        parts.append(
            f"busiest day {spec.days[busiest]:%a %d %b} ({spec.published[busiest]} published)"
        )
    for name, series in spec.engagement:
        if series:
            parts.append(f"{name} {series[0]:,} → {series[-1]:,}")
    return ("; ".join(parts) + ".")[:ALT_MAX]


def render_chart(spec: ChartSpec) -> Rendered:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    style(matplotlib.rcParams)
    texts: list[str] = []
    replaced = 0

    def t(s: str) -> str:
        nonlocal replaced
        shown, n = fonts.drawable(s)
        replaced += n
        texts.append(shown)
        return shown

    fig = Figure(figsize=(12, 7), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
    x = list(range(len(spec.days)))
    labels = [f"{d:%d %b}" for d in spec.days]
    top.bar(x, spec.published, color="#34C759", edgecolor="#1C1C1E", linewidth=0.5,
            label=t("published"))  # fmt: skip
    top.bar(x, spec.failed, bottom=spec.published, color="#FF3B30", edgecolor="#1C1C1E",
            hatch="///", linewidth=0.5, label=t("failed"))  # fmt: skip
    top.set_ylabel(t("posts per day"))
    top.legend(loc="upper left", fontsize=8)
    top.grid(axis="y", alpha=0.3)
    top.set_title(t(spec.title), fontsize=13, weight="bold", loc="left")
    right = bottom.twinx()
    lines = []
    for name, series in spec.engagement:
        marker, dash = STYLES.get(name, ("x", "-"))
        ax = right if name == "impressions" else bottom
        (ln,) = ax.plot(x, series, marker=marker, linestyle=dash, markersize=4,
                        label=t(name + (" (right axis)" if ax is right else "")))  # fmt: skip
        lines.append(ln)
    bottom.set_ylabel(t("likes · comments · shares (total)"))
    right.set_ylabel(t("impressions (total)"))
    if lines:
        bottom.legend(handles=lines, loc="upper left", fontsize=8)
    bottom.grid(alpha=0.3)
    step = max(1, len(x) // 15)
    bottom.set_xticks(x[::step], [t(s) for s in labels[::step]], rotation=45, ha="right")
    fig.text(0.99, 0.005, t(f"days in {spec.zone}"), ha="right", va="bottom", fontsize=7)
    # fixed margins: tight_layout would lay the figure out (draw its text) once more
    fig.subplots_adjust(left=0.07, right=0.92, top=0.93, bottom=0.13, hspace=0.08)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    release(fig)
    return Rendered(buf.getvalue(), alt_text(spec), tuple(texts), replaced, 12 * DPI, 7 * DPI)
