"""What a picture shows. Plain frozen dataclasses: they cross to the render worker (pickled)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Post states a calendar shows. Each has a shape (survives greyscale) and a word.
SCHEDULED = "scheduled"
APPROVAL = "waiting for approval"
PUBLISHING = "publishing"
PUBLISHED = "published"
PARTIAL = "partial"
FAILED = "failed"

STATE_MARK: dict[str, str] = {
    SCHEDULED: "○",
    APPROVAL: "◷",
    PUBLISHING: "◑",
    PUBLISHED: "✔",
    PARTIAL: "◐",
    FAILED: "✘",
}
STATES = tuple(STATE_MARK)

# One colour per platform (legend in the picture); the chip also names it in letters.
PLATFORM_COLOUR: dict[str, str] = {
    "instagram": "#C13584",
    "twitter": "#1D1D1F",
    "facebook": "#1877F2",
    "linkedin": "#0A66C2",
    "tiktok": "#25A8A0",
    "threads": "#6E6E73",
    "pinterest": "#E60023",
    "youtube": "#FF3D00",
}
PLATFORM_SHORT: dict[str, str] = {
    "instagram": "IG",
    "twitter": "X",
    "facebook": "FB",
    "linkedin": "LI",
    "tiktok": "TT",
    "threads": "TH",
    "pinterest": "PI",
    "youtube": "YT",
}
PLATFORM_LABEL: dict[str, str] = {
    "instagram": "Instagram",
    "twitter": "X",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "threads": "Threads",
    "pinterest": "Pinterest",
    "youtube": "YouTube",
}
OTHER_COLOUR = "#8E8E93"


@dataclass(frozen=True)
class Chip:
    """One post on the calendar. ``at`` is already in the calendar's zone."""

    at: datetime
    platforms: tuple[str, ...]
    caption: str
    state: str  # one of STATES
    post_id: str


@dataclass(frozen=True)
class CalendarSpec:
    view: str  # "week" | "month"
    start: date  # first day shown
    end: date  # day after the last day shown
    zone: str  # IANA name, shown in the title
    title: str
    chips: tuple[Chip, ...]
    per_cell: int = 3  # chips shown in one cell before "+N more"


@dataclass(frozen=True)
class ChartSpec:
    title: str
    zone: str
    days: tuple[date, ...]
    published: tuple[int, ...]  # per day
    failed: tuple[int, ...]  # per day
    engagement: tuple[tuple[str, tuple[int, ...]], ...]  # (metric, total per day)


@dataclass(frozen=True)
class Rendered:
    png: bytes = field(repr=False)
    alt: str
    texts: tuple[str, ...]  # every string drawn, after glyph replacement
    replaced: int  # characters no font could draw (replaced or dropped)
    width: int
    height: int
