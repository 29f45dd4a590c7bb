"""Canonical names of structured options (Discord command options, Slack modal fields).

Adapters send ``Invocation.options`` as ``(name, value)`` pairs with these names; the command
layer reads them alongside (and on top of) the free text. Formats:

    targets   comma-separated targets: "ig, x, @acme, brand"
    caption   the caption
    captions  one per line: "instagram: Casual caption ✨"
    type      a post type: text, image, carousel, video, reel, story, thread, article, document
    when      a time: "tomorrow 9am", "in 2 hours", "2026-07-01 09:00 Europe/Berlin"
    times     one per line: "x: tomorrow 12:00"
    draft     "true" / "false"
    split     "true" / "false": post a caption too long for X / Threads as a numbered thread
    media     media URLs separated by whitespace
    thread    thread segments separated by lines containing only ---
    link      destination link (Pinterest pin link)
    article   article URL (link share on LinkedIn / Facebook)
    title     LinkedIn document title (or the article title when an article is given)
    description article description
    privacy   YouTube privacy: public, unlisted, private
    cover     reel cover: a URL, an attachment name or a media id
    cover_offset  reel cover frame offset in milliseconds
    id        a post id (status, cancel, edit)
    reason    why (request changes, reject)
    what      the /social subcommand: help, accounts, cancel, edit, status, queue, analytics,
              calendar
    period    calendar: "[week|month] [next|last|<date>]"; analytics: "7d" | "30d" | "90d"
"""

from __future__ import annotations

TARGETS = "targets"
CAPTION = "caption"
CAPTIONS = "captions"
TYPE = "type"
WHEN = "when"
TIMES = "times"
DRAFT = "draft"
SPLIT = "split"
MEDIA = "media"
THREAD = "thread"
LINK = "link"
ARTICLE = "article"
TITLE = "title"
DESCRIPTION = "description"
PRIVACY = "privacy"
COVER = "cover"
COVER_OFFSET = "cover_offset"
ID = "id"
REASON = "reason"
WHAT = "what"
PERIOD = "period"

ALL = (
    TARGETS,
    CAPTION,
    CAPTIONS,
    TYPE,
    WHEN,
    TIMES,
    DRAFT,
    SPLIT,
    MEDIA,
    THREAD,
    LINK,
    ARTICLE,
    TITLE,
    DESCRIPTION,
    PRIVACY,
    COVER,
    COVER_OFFSET,
    ID,
    REASON,
    WHAT,
    PERIOD,
)
