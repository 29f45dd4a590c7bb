"""Help text reachable from chat: ``/post help``, ``/schedule help``, ``/status help``,
``/social help [topic]``. The single source of the documented syntax."""

from __future__ import annotations

from bot.chat import ListReply

POST = (
    'Publish now:  /post [targets] "caption" [options]',
    '  /post ig,x "We shipped 🚀" media:https://example.com/launch.jpg',
    "  /post to ig,x: We shipped 🚀 (everything after the colon is the caption)",
    '  /post li,fb "Our write-up" article:https://blog.example.com/post title:"How we shipped it"',
    '  /post x thread:"1/ Kicking off 🧵" | "2/ More" | "3/ Done"',
    '  /post ig "New drop" type:reel media:https://example.com/drop.mp4 cover-offset:1500',
    '  /post ig,li "Default caption" ig:"Casual IG caption ✨" li:"A professional take"',
    '  /post li "Swipe through our deck 📄" media:https://example.com/q3.pdf title:"Q3 deck"',
    '  /post pin "Weeknight pasta 🍝" media:https://example.com/pasta.jpg link:https://example.com/recipe',
    '  /post yt "Launch video" media:https://example.com/launch.mp4 privacy:unlisted',
    '  /post x "Work in progress" draft   (saved, not published)',
    '  /post x,fb "A caption longer than 280 characters…" split   (a numbered thread on X)',
    "Targets: ig, x, li, fb, tt, th, pin, yt (or instagram, twitter, linkedin…), @handle, ig/@handle, "
    "an alias, or all. None named → the channel's defaults. /social accounts lists them.",
    "Attach files to the message (or media:URL, repeatable) — images, videos, PDFs.",
    "/social help options lists every option.",
)

SCHEDULE = (
    'Publish later:  /schedule [targets] "caption" <when> [options]',
    '  /schedule ig,x "We shipped 🚀" tomorrow 9am',
    "  /schedule tomorrow 9am to ig,x: We shipped 🚀",
    '  /schedule ig "Launch" at:"next monday 14:30"',
    '  /schedule ig,x "Cross-post" at:"2026-07-01 09:00" x@"2026-07-01 12:00"   (X at its own time)',
    '  /schedule li "Q3 update" "9am Europe/Berlin"',
    '  /schedule x "Idea" draft   (saved as a draft, no time)',
    '  /schedule x "Tip of the week" next   (the channel\'s next free posting slot)',
    "Times: tomorrow 9am · in 2 hours · next monday 14:30 · friday (09:00) · noon · "
    "2026-07-01 09:00 · 9am Europe/Berlin · 9am UTC · 9am CET. They are read in your time zone "
    "(or the channel's, else UTC); the reply shows your time and UTC.",
    'Per-platform times: x@"tomorrow 12:00" or at.x:"tomorrow 12:00".',
    "Every /post option works here too (/post help).",
)

STATUS = (
    "/status <post id> — the post, each target (status, link, error) and its approval history",
    "/status — the posts asked for from this channel lately",
    "/status queue — what is scheduled next, soonest first, in your time zone",
)

SOCIAL = (
    "/social help [post|schedule|status|options|manage] — this help",
    "/social accounts — the connected accounts and the short names to type",
    "/social cancel <post id> — cancel a scheduled post or draft; a published one asks first",
    '/social edit <post id> caption:"…" when:"…" — change a post (see /social help manage)',
    "/social status <post id> · /social queue — same as /status (with posting slots: the "
    "coming week's slots, filled and free)",
    "/social approve <post id> · /social reject <post id> [reason] — decide an approval",
    "/social changes <post id> <what to change> — send a waiting post back (or react ✏️)",
    "/social retry <post id> — post again to the targets that failed (same content and media)",
    "/social analytics [7d|30d|90d] — the workspace's totals, with a trend chart; "
    "/social analytics <post id> — a post's numbers",
    "/social calendar [week|month] [next|last|<date>] — a picture of the workspace's posts "
    "(this week by default; see /social help calendar)",
    "The same words work after /post: /post accounts, /post cancel <id>, /post edit <id> …",
    "/post help · /schedule help · /status help",
)

MANAGE = (
    "/social cancel <post id> — scheduled or draft: canceled at once; published: you are "
    "shown what will be deleted where (and what to remove by hand) and confirm with the button "
    "or /social cancel <post id> confirm",
    '/social edit <post id> caption:"New text" — a scheduled post or a draft: anything; a '
    "published post: only the caption, and only on Facebook and LinkedIn",
    '/social edit <post id> when:"tomorrow 10am" — reschedule (on a draft: activate it)',
    '/social edit <post id> ig:"New IG caption" link:https://… media:https://… type:image',
    '/social edit <post id> to:x,li — retarget a scheduled post; x@"…" — a time for one platform',
    "Editing a post that waits for approval resets its approvals; editing an approved post "
    "that has not gone out yet sends it back for approval (new card).",
)

OPTIONS = (
    'Options are key:value, key:"a value", --key value or --key=value (smart quotes are fine).',
    "to:ig,x,@acme — targets (also: the words before the caption)",
    'caption:"…" — the caption (also: the first quoted text, or the words after the targets)',
    'ig:"…" / caption.linkedin:"…" — a caption for one platform',
    "type:text|image|carousel|video|reel|story|thread|article|document — otherwise detected",
    "media:https://… — an image, video or PDF by link (repeatable); or attach files",
    'thread:"one" | "two" | "three" or --thread "one" "two" — X / Threads thread',
    'article:https://… title:"…" description:"…" — link share (LinkedIn, Facebook)',
    "link:https://… — destination link (Pinterest pin)",
    'title:"Q3 deck" — LinkedIn document title (with a PDF)',
    "cover:https://…jpg or cover:<attached file name> — reel/video cover image; "
    "cover-offset:1500 (ms) or cover-offset:1.5s — cover frame",
    "privacy:public|unlisted|private — YouTube",
    'when:"…" / at:"…" — time (schedules it); x@"…" / at.x:"…" — time for one platform',
    "draft — save without publishing",
    "split — a caption too long for X / Threads goes out there as a numbered thread",
)

CALENDAR = (
    "/social calendar — this week's posts as a picture, in your time zone",
    "/social calendar next · /social calendar last — next / last week",
    "/social calendar month · /social calendar month next — this / next month",
    "/social calendar week 2026-07-14 · /social calendar month july — the period holding a date",
    "Each post: time, platform (colour + letters), first words, and its state as a shape: "
    "○ scheduled · ◷ waiting for approval · ◑ publishing · ✔ published · ◐ partial · ✘ failed.",
    "The same list comes as text under the picture.",
    "/social analytics 7d|30d|90d — the trend chart (one snapshot a day; two are needed)",
)

TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "post": ("/post — publish now", POST),
    "schedule": ("/schedule — publish later", SCHEDULE),
    "status": ("/status — where posts are", STATUS),
    "social": ("/social — everything else", SOCIAL),
    "manage": ("Cancel and edit", MANAGE),
    "edit": ("Cancel and edit", MANAGE),
    "cancel": ("Cancel and edit", MANAGE),
    "options": ("Post options", OPTIONS),
    "calendar": ("/social calendar — the content calendar", CALENDAR),
    "analytics": ("Pictures: /social calendar and /social analytics", CALENDAR),
}


def help_reply(topic: str | None) -> ListReply:
    key = (topic or "social").strip().lower().lstrip("/")
    title, items = TOPICS.get(key, TOPICS["social"])
    return ListReply(
        title=title,
        items=items,
        footer="Topics: /social help post · schedule · status · manage · options · calendar",
        plain=True,
    )
