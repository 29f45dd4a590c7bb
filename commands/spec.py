"""What the user asked for, as typed: names, texts and times not yet resolved or validated."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PostSpec:
    targets: list[str] = field(default_factory=list)  # names as typed: "ig", "@acme", "brand"
    caption: str | None = None
    captions: dict[str, str] = field(default_factory=dict)  # platform name as typed → caption
    post_type: str | None = None
    when: str | None = None
    times: dict[str, str] = field(default_factory=dict)  # platform name as typed → time text
    draft: bool = False
    split: bool = False  # a caption too long for X / Threads goes out there as a thread
    media: list[str] = field(default_factory=list)  # URLs, attachment names or media ids
    thread: list[str] = field(default_factory=list)
    link: str | None = None
    article: str | None = None
    article_title: str | None = None
    description: str | None = None
    document_title: str | None = None
    title: str | None = None  # article title if an article is given, else document title
    privacy: str | None = None
    cover: str | None = None
    cover_offset: str | None = None
    post_id: str | None = None  # edit / status / cancel
    extra_words: list[str] = field(default_factory=list)  # words nobody claimed
