"""The compose modal (/post or /schedule with no text): the view, and its submission read back
into canonical ``Invocation.options`` (see ``commands/options.py``) plus files.

Block ids are the names errors are attached to; ``FIELD_BLOCKS`` maps the command layer's
option names (``ErrorReply.field_errors``) to them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.slack.files import SlackFile, file_problem
from adapters.slack.render import clip
from commands import options as opt
from commands.complete import Choice

CALLBACK_ID = "socialbot_compose"

B_TARGETS = "targets"
B_CAPTION = "caption"
B_CAPTIONS = "captions"
B_FILES = "files"
B_TYPE = "type"
B_DATE = "date"
B_TIME = "time"
B_TZ = "tz"
B_DRAFT = "draft"
B_CHANNEL = "channel"

FIELD_BLOCKS: Mapping[str, str] = {
    opt.TARGETS: B_TARGETS,
    opt.CAPTION: B_CAPTION,
    opt.CAPTIONS: B_CAPTIONS,
    opt.MEDIA: B_FILES,
    opt.TYPE: B_TYPE,
    opt.WHEN: B_DATE,
    opt.TIMES: B_DATE,
    opt.DRAFT: B_DRAFT,
}

POST_TYPES = (
    "text",
    "image",
    "carousel",
    "video",
    "reel",
    "story",
    "thread",
    "article",
    "document",
)
FILETYPES = ("jpg", "jpeg", "png", "gif", "webp", "heic", "mp4", "mov", "m4v", "webm", "pdf")
MAX_FILES = 10
MAX_OPTIONS = 100

Block = dict[str, Any]


def _pt(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit)}


def _input(
    block_id: str, label: str, element: Block, *, optional: bool = True, hint: str | None = None
) -> Block:
    b: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _pt(label),
        "optional": optional,
        "element": {**element, "action_id": block_id},
    }
    if hint:
        b["hint"] = _pt(hint, 2000)
    return b


def _option(c: Choice) -> dict[str, Any]:
    return {"text": _pt(c.label, 75), "value": clip(c.value, 150)}


@dataclass(frozen=True)
class ComposeContext:
    command: str  # post | schedule
    channel: str
    team: str | None

    def metadata(self) -> str:
        return json.dumps({"c": self.command, "ch": self.channel, "t": self.team})

    @classmethod
    def from_metadata(cls, raw: object) -> ComposeContext:
        """Our own ``metadata()`` read back; anything else (another app's text, a missing or
        damaged field) gives the defaults, and the form asks for what is missing."""
        try:
            d = json.loads(raw) if isinstance(raw, str) and raw else {}
        except ValueError:
            d = {}
        if not isinstance(d, dict):
            d = {}
        team = d.get("t")
        return cls(
            command=str(d.get("c") or "post"),
            channel=str(d.get("ch") or ""),
            team=team if isinstance(team, str) else None,
        )


def compose_view(
    ctx: ComposeContext,
    *,
    choices: Sequence[Choice] | None,
    tz: str | None,
    choices_failed: bool = False,
) -> dict[str, Any]:
    """The modal. ``choices=None`` shows a loading line where the account picker goes (the view
    is updated when the accounts arrive); ``choices_failed`` falls back to typing targets."""
    schedule = ctx.command == "schedule"
    blocks: list[Block] = []
    if choices:
        blocks.append(
            _input(
                B_TARGETS,
                "Post to",
                {
                    "type": "multi_static_select",
                    "placeholder": _pt("Accounts (empty: the channel's defaults)"),
                    "options": [_option(c) for c in choices[:MAX_OPTIONS]],
                },
            )
        )
    elif choices is None:
        blocks.append(
            {
                "type": "context",
                "block_id": "targets_loading",
                "elements": [
                    {"type": "mrkdwn", "text": ":hourglass_flowing_sand: Loading accounts…"}
                ],
            }
        )
    else:
        blocks.append(
            _input(
                B_TARGETS,
                "Post to",
                {"type": "plain_text_input", "placeholder": _pt("ig, x, @acme (empty: defaults)")},
                hint="I couldn't list the accounts just now: type them, comma-separated."
                if choices_failed
                else None,
            )
        )
    blocks += [
        _input(
            B_CAPTION,
            "Caption",
            {"type": "plain_text_input", "multiline": True, "max_length": 3000},
        ),
        _input(
            B_CAPTIONS,
            "Per-platform captions",
            {
                "type": "plain_text_input",
                "multiline": True,
                "placeholder": _pt("instagram: Casual caption ✨"),
            },
            hint="One per line, platform first. They replace the caption on that platform.",
        ),
        _input(
            B_FILES,
            "Files",
            {"type": "file_input", "filetypes": list(FILETYPES), "max_files": MAX_FILES},
            hint="Images, videos or PDFs; up to 10.",
        ),
        _input(
            B_TYPE,
            "Post type",
            {
                "type": "static_select",
                "placeholder": _pt("Detect from the content"),
                "options": [{"text": _pt(t.capitalize()), "value": t} for t in POST_TYPES],
            },
        ),
        _input(B_DATE, "Date" + ("" if schedule else " (empty: now)"), {"type": "datepicker"}),
        _input(B_TIME, "Time", {"type": "timepicker"}),
        _input(
            B_TZ,
            "Time zone",
            {"type": "plain_text_input", **({"initial_value": tz} if tz else {})},
            hint="An IANA name such as Europe/Berlin.",
        ),
    ]
    if schedule:
        blocks.append(
            _input(
                B_DRAFT,
                "Draft",
                {
                    "type": "checkboxes",
                    "options": [
                        {"text": _pt("Save as a draft (don't schedule it yet)"), "value": "true"}
                    ],
                },
            )
        )
    channel_el: Block = {"type": "conversations_select", "default_to_current_conversation": True}
    if ctx.channel:
        channel_el["initial_conversation"] = ctx.channel
    blocks.append(_input(B_CHANNEL, "Report in", channel_el, optional=False))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _pt("Schedule a post" if schedule else "New post", 24),
        "submit": _pt("Schedule" if schedule else "Post", 24),
        "close": _pt("Cancel", 24),
        "private_metadata": ctx.metadata(),
        "blocks": blocks,
    }


@dataclass
class Submission:
    ctx: ComposeContext
    channel: str
    options: list[tuple[str, str]] = field(default_factory=list)
    files: list[SlackFile] = field(default_factory=list)
    tz: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # block id → message


def _obj(v: object) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _value(values: Mapping[str, Any], block: str) -> Mapping[str, Any]:
    return _obj(_obj(values.get(block)).get(block))


def _items(v: object) -> list[Mapping[str, Any]]:
    """The objects of a JSON array (anything else: none)."""
    return [x for x in v if isinstance(x, Mapping)] if isinstance(v, list) else []


def read_submission(view: Mapping[str, Any], *, max_bytes: int) -> Submission:
    """A submitted compose view → options, files and the problems visible without any I/O.
    Total: a field of an unexpected shape counts as not filled in."""
    ctx = ComposeContext.from_metadata(view.get("private_metadata"))
    values = _obj(_obj(view.get("state")).get("values"))
    sub = Submission(ctx=ctx, channel=ctx.channel)

    t = _value(values, B_TARGETS)
    picked = [str(o.get("value") or "") for o in _items(t.get("selected_options"))]
    typed = t.get("value")
    targets = (
        ", ".join(p for p in picked if p)
        if picked
        else (typed.strip() if isinstance(typed, str) else "")
    )
    if targets:
        sub.options.append((opt.TARGETS, targets))
    for block, name in ((B_CAPTION, opt.CAPTION), (B_CAPTIONS, opt.CAPTIONS)):
        text = _value(values, block).get("value")
        if isinstance(text, str) and text.strip():
            sub.options.append((name, text))
    sel = _value(values, B_TYPE).get("selected_option")
    if isinstance(sel, Mapping) and sel.get("value"):
        sub.options.append((opt.TYPE, str(sel["value"])))

    date = _value(values, B_DATE).get("selected_date")
    time = _value(values, B_TIME).get("selected_time")
    tz_typed = _value(values, B_TZ).get("value")
    tz = (tz_typed.strip() or None) if isinstance(tz_typed, str) else None
    if tz:
        try:
            ZoneInfo(tz)
            sub.tz = tz
        except (ZoneInfoNotFoundError, ValueError, OSError):
            sub.errors[B_TZ] = f"I don't know the time zone {tz!r}. Use a name like Europe/Berlin."
    if date and not time:
        sub.errors[B_TIME] = "Pick a time too."
    elif time and not date:
        sub.errors[B_DATE] = "Pick a date too."
    elif date and time:
        sub.options.append((opt.WHEN, f"{date} {time}" + (f" {sub.tz}" if sub.tz else "")))

    if _value(values, B_DRAFT).get("selected_options"):
        sub.options.append((opt.DRAFT, "true"))

    files = [SlackFile.from_json(f) for f in _items(_value(values, B_FILES).get("files"))]
    problems = [p for f in files if (p := file_problem(f, max_bytes))]
    if len(files) > MAX_FILES:
        problems.insert(0, f"Attach at most {MAX_FILES} files.")
    if problems:
        sub.errors[B_FILES] = clip(" ".join(problems), 2000)
    sub.files = files

    ch = _value(values, B_CHANNEL).get("selected_conversation")
    if isinstance(ch, str) and ch:
        sub.channel = ch
    if not sub.channel:
        sub.errors[B_CHANNEL] = "Pick the channel to report in."
    return sub


def block_errors(
    field_errors: Sequence[tuple[str, str]], view: Mapping[str, Any]
) -> dict[str, str]:
    """The command layer's ``(option, message)`` pairs → ``{block_id: message}`` for this view
    (an option without an input block of its own is shown on the caption)."""
    inputs = {
        b["block_id"]
        for b in _items(view.get("blocks"))
        if b.get("type") == "input" and isinstance(b.get("block_id"), str)
    }
    out: dict[str, str] = {}
    for name, message in field_errors:
        block = FIELD_BLOCKS.get(name, B_CAPTION)
        if block not in inputs:
            block = B_CAPTION
        out[block] = clip(f"{out[block]} {message}" if block in out else message, 2000)
    return out
