"""Replies → Block Kit + fallback text. One renderer per reply kind.

``render(reply)`` dispatches on the reply's type. Every message respects Block Kit's limits:
≤ 50 blocks, section text ≤ 3000 chars, ≤ 10 fields of ≤ 2000 chars, header ≤ 150 chars,
button text ≤ 75; the fallback ``text`` (notifications, screen readers) ≤ 3000 chars.
User-supplied text is escaped (``&``, ``<``, ``>``) except Slack mentions (``<@U1>``, ``<#C1>``).
An approval card shows up to 4 images as ``image`` blocks — by the public URL the media rules
checked, or by ``slack_file`` for a file uploaded in the compose form — then "+N more"; video,
PDF and other media as a line with a link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.slack.translate import (
    ACTION_APPROVE,
    ACTION_CHANGES,
    ACTION_REJECT,
    ACTION_RUN,
    action_id,
)
from bot.chat import (
    Announcement,
    ApprovalCard,
    Button,
    CommandButton,
    Confirmation,
    ErrorReply,
    Field,
    ListReply,
    MediaPreview,
    PictureReply,
    Reply,
    StatusCard,
    TargetLine,
    Tone,
)

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK = 3000
MAX_BUTTON = 75

APPROVAL_ACTIONS_BLOCK = "socialbot_card_actions"
MAX_IMAGES = 4  # images shown on an approval card, then "+N more"
MAX_MEDIA_LINES = 10  # video / PDF lines on a card (then "+N more")
MAX_ALT = 2000
MAX_IMAGE_TITLE = 2000
SLACK_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/gif"})
_MEDIA_ICON = {
    "image": ":frame_with_picture:",
    "video": ":movie_camera:",
    "document": ":page_facing_up:",
}


@dataclass(frozen=True)
class SlackMessage:
    text: str  # fallback text
    blocks: list[Block]

    def kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# ---------------------------------------------------------------- text helpers

_MENTION = re.compile(r"(<[@#!][A-Za-z0-9^|._-]+>)")


def esc(text: str) -> str:
    """Escape mrkdwn control characters, keeping ``<@U…>`` / ``<#C…>`` / ``<!here>`` mentions."""
    parts = _MENTION.split(text)
    out = []
    for i, p in enumerate(parts):
        if i % 2:
            out.append(p)
        else:
            out.append(p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link(url: str, label: str) -> str:
    safe_url = url.replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{esc(label).replace('|', '¦')}>"


def slack_time(t: datetime) -> str:
    """A time every reader sees in their own Slack time zone (UTC fallback text)."""
    epoch = int(t.timestamp())
    fallback = t.strftime("%a %d %b %Y %H:%M UTC") if t.utcoffset() is not None else str(t)
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER)}}


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": clip(t, MAX_SECTION)} for t in texts[:MAX_CONTEXT_ELEMENTS]
        ],
    }


def _field_text(f: Field) -> str:
    value = esc(f.value)
    if f.link is not None:
        value = (
            f"{value} {link(f.link.url, f.link.label)}" if value else link(f.link.url, f.link.label)
        )
    return clip(f"*{esc(f.name)}*\n{value}", MAX_FIELD)


def fields_blocks(fields: Sequence[Field]) -> list[Block]:
    """Fields as sections of ≤ 10 fields each."""
    out: list[Block] = []
    for i in range(0, len(fields), MAX_FIELDS):
        chunk = fields[i : i + MAX_FIELDS]
        out.append(
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": _field_text(f)} for f in chunk],
            }
        )
    return out


def lines_blocks(lines: Iterable[str], bullet: str = "•") -> list[Block]:
    """Lines packed into sections of ≤ 3000 chars (a single over-long line is clipped)."""
    out: list[Block] = []
    buf = ""
    for raw in lines:
        line = clip(f"{bullet} {raw}" if bullet else raw, MAX_SECTION)
        if buf and len(buf) + 1 + len(line) > MAX_SECTION:
            out.append(section(buf))
            buf = ""
        buf = f"{buf}\n{line}" if buf else line
    if buf:
        out.append(section(buf))
    return out


def finish(text: str, blocks: list[Block]) -> SlackMessage:
    """Enforce the 50-block limit (the last kept block says how many were left out)."""
    if len(blocks) > MAX_BLOCKS:
        dropped = len(blocks) - (MAX_BLOCKS - 1)
        blocks = [*blocks[: MAX_BLOCKS - 1], context(f"…{dropped} more not shown")]
    return SlackMessage(text=clip(text, MAX_FALLBACK), blocks=blocks)


_TONE_ICON = {
    Tone.SUCCESS: ":white_check_mark:",
    Tone.INFO: ":information_source:",
    Tone.WARNING: ":warning:",
    Tone.ERROR: ":x:",
}

_RESULT_ICON = {
    "published": ":white_check_mark:",
    "partial": ":warning:",
    "failed": ":x:",
    "canceled": ":no_entry_sign:",
    "digest": ":newspaper:",
}

_STATE_ICON = {
    "pending": ":hourglass_flowing_sand:",
    "approved": ":white_check_mark:",
    "rejected": ":x:",
    "expired": ":alarm_clock:",
    "canceled": ":no_entry_sign:",
}


# ---------------------------------------------------------------- one renderer per kind


def render_confirmation(r: Confirmation) -> SlackMessage:
    icon = _TONE_ICON.get(r.tone, "")
    blocks = [section(f"{icon} *{esc(r.title)}*".strip())]
    if r.text:
        blocks.append(section(esc(r.text)))
    blocks += fields_blocks(r.fields)
    if r.buttons:
        blocks.append(_actions(r.buttons))
    blocks += command_buttons(r.actions)
    return finish(f"{r.title}" + (f" — {r.text}" if r.text else ""), blocks)


def command_buttons(actions: Sequence[CommandButton]) -> list[Block]:
    """Buttons that run a command as the presser (``ACTION_RUN``): one actions block."""
    if not actions:
        return []
    elements = [
        _button(
            a.label,
            f"{ACTION_RUN}_{i}",
            json.dumps({"c": a.command, "t": a.text}, ensure_ascii=False),
            "danger" if a.style == "danger" else "primary",
        )
        for i, a in enumerate(actions[:5])
    ]
    return [{"type": "actions", "block_id": "socialbot_commands", "elements": elements}]


def render_error(r: ErrorReply) -> SlackMessage:
    blocks = [section(f":warning: *{esc(r.title)}*")]
    problems = [esc(p) for p in r.lines]
    blocks += lines_blocks(problems)
    if r.hint:
        blocks.append(context(f":bulb: {esc(r.hint)}"))
    if r.reference:
        blocks.append(context(f"Reference: `{esc(r.reference)}`"))
    if r.buttons:  # a way out of the error, e.g. "Post as a thread of 3"
        blocks.append(_actions(r.buttons))
    text = r.title + ("" if not r.problems else ": " + "; ".join(r.problems))
    return finish(text, blocks)


def _target_line(t: TargetLine) -> str:
    parts = [f"*{esc(t.platform)}* {esc(t.account)} — {esc(t.status)}"]
    if t.scheduled_at is not None:
        parts.append(slack_time(t.scheduled_at))
    if t.permalink:
        parts.append(link(t.permalink, "View post"))
    line = " · ".join(parts)
    if t.error:
        line += f"\n    :x: {esc(t.error)}"
    return line


def render_status(r: StatusCard) -> SlackMessage:
    icon = _RESULT_ICON.get(r.status, ":spiral_note_pad:")
    state = f"{icon} *{esc(r.status)}*"
    if r.post_id not in r.title:
        state += f" · post `{esc(r.post_id)}`"
    blocks = [header(f"{r.title}"), section(state)]
    if r.caption:
        blocks.append(section("> " + esc(r.caption).replace("\n", "\n> ")))
    if r.scheduled_at is not None:
        blocks.append(section(f"*Scheduled:* {slack_time(r.scheduled_at)}"))
    blocks += lines_blocks([_target_line(t) for t in r.targets])
    blocks += fields_blocks(r.fields)
    if r.history:
        blocks += [context(esc(h)) for h in r.history[:20]]
    return finish(f"{r.title}: {r.status}", blocks)


def render_list(r: ListReply) -> SlackMessage:
    blocks = [section(f"*{esc(r.title)}*")]
    bullet = "" if r.plain else "•"
    items = lines_blocks((esc(i) for i in r.items), bullet=bullet)
    blocks += items if r.items else [context("_(nothing)_")]
    if r.footer:
        blocks.append(context(esc(r.footer)))
    return finish(r.title, blocks)


def _human_size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KB", "MB"):
        if n < 1024:
            return f" · {n} {unit}" if unit == "bytes" else f" · {n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f" · {n:.1f} GB"


def _image_source(m: MediaPreview) -> dict[str, Any] | None:
    """How an image block can show ``m`` (a public URL, or the uploaded Slack file), or None:
    Slack renders PNG, JPEG and GIF only."""
    if m.kind != "image" or (m.content_type or "").lower() not in SLACK_IMAGE_TYPES:
        return None
    if m.slack_file:
        return {"slack_file": {"id": m.slack_file}}
    if m.url:
        return {"image_url": m.url}
    return None


def _media_line(m: MediaPreview) -> str:
    icon = _MEDIA_ICON.get(m.kind, ":paperclip:")
    name = link(m.url, m.name) if m.url else f"*{esc(m.name)}*"
    cover = f" (cover of {esc(m.cover_for)})" if m.cover_for else ""
    return f"{icon} {name}{cover}{_human_size(m.size)}"


def media_blocks(r: ApprovalCard, *, images: bool = True) -> list[Block]:
    """Up to 4 images as image blocks (then "+N more"), a reel's cover too; video, PDF and
    images Slack can't show as a line each (at most 10), with a link when the media has a
    public one."""
    where = ", ".join(r.platforms) or "the post"
    out: list[Block] = []
    lines: list[str] = []
    hidden: list[str] = []  # names of media not shown
    shown = 0
    for m in r.media:
        source = _image_source(m) if images else None
        if source is None:
            if len(lines) < MAX_MEDIA_LINES:
                lines.append(_media_line(m))
            else:
                hidden.append(m.name)
            continue
        if m.cover_for is None and shown >= MAX_IMAGES:
            hidden.append(m.name)
            continue
        shown += m.cover_for is None
        title = f"Cover of {m.cover_for}: {m.name}" if m.cover_for else m.name
        out.append(
            {
                "type": "image",
                **source,
                "alt_text": clip(f"{m.name} — for {where}", MAX_ALT),
                "title": {"type": "plain_text", "text": clip(title, MAX_IMAGE_TITLE)},
            }
        )
    if hidden:
        lines.append(clip(f"*+{len(hidden)} more:* " + esc(", ".join(hidden)), 1000))
    if lines:
        out += lines_blocks(lines, bullet="")
    return out


def render_approval(r: ApprovalCard, *, images: bool = True) -> SlackMessage:
    icon = _STATE_ICON.get(r.state, "")
    title = {
        "pending": "Approval needed",
        "approved": "Approved",
        "rejected": "Rejected",
        "expired": "Expired",
        "canceled": "Canceled",
    }.get(r.state, r.state.capitalize())
    blocks: list[Block] = [
        header(f"{title}: {r.title}"),
        section(
            f"{icon} *Requested by* {r.requester.mention}\n"
            f"*When:* {esc(r.when)}\n*Targets:* {esc(', '.join(r.targets)) or '—'}"
        ),
    ]
    if r.caption:
        blocks.append(section("> " + esc(r.caption).replace("\n", "\n> ")))
    blocks += fields_blocks(r.previews)
    blocks += media_blocks(r, images=images)
    approvers = ", ".join(f"<@{u}>" for u in r.approvals) or "none yet"
    blocks.append(context(f"*Approvals:* {len(r.approvals)}/{r.needed} — {approvers}"))
    if r.decided_by:
        blocks.append(context(f"{icon} {esc(title)} by <@{r.decided_by}>"))
    if r.note:
        blocks.append(context(esc(r.note)))
    if r.state == "pending":
        blocks.append(
            context(
                "React with :white_check_mark: to approve, :x: to reject or :pencil2: to ask "
                "for changes."
            )
        )
        if r.buttons:
            blocks.append(
                {
                    "type": "actions",
                    "block_id": APPROVAL_ACTIONS_BLOCK,
                    "elements": [
                        _button("Approve", ACTION_APPROVE, r.card_id, "primary"),
                        _button("Reject", ACTION_REJECT, r.card_id, "danger"),
                        _button("Request changes", ACTION_CHANGES, r.card_id, ""),
                    ],
                }
            )
    text = f"{title}: {r.title} (requested by {r.requester.mention}, {len(r.approvals)}/{r.needed})"
    return finish(text, blocks)


def _button(label: str, action_id: str, value: str, style: str) -> Block:
    out: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(label, MAX_BUTTON)},
        "action_id": action_id,
        "value": clip(value, 2000),
    }
    if style:
        out["style"] = style
    return out


def _actions(buttons: Sequence[Button]) -> Block:
    """What a reply offers (``bot.chat.Button``): action id ``socialbot_<decision>``."""
    return {
        "type": "actions",
        "elements": [_button(b.label, action_id(b.decision), b.value, "primary") for b in buttons],
    }


def render_announcement(r: Announcement) -> SlackMessage:
    icon = _RESULT_ICON.get(r.result, ":loudspeaker:")
    head = f"{icon} *{esc(r.title)}*"
    if r.mentions:
        head += " " + " ".join(f"<@{u}>" for u in r.mentions)
    blocks = [section(head)]
    blocks += lines_blocks([_target_line(t) for t in r.targets])
    blocks += lines_blocks([esc(x) for x in r.lines], bullet="")
    if r.post_id:
        blocks.append(context(f"Post `{esc(r.post_id)}`"))
    blocks += command_buttons(r.actions)
    mentions = " ".join(f"<@{u}>" for u in r.mentions)
    return finish(f"{r.title} {mentions}".strip(), blocks)


def render_picture(r: PictureReply) -> SlackMessage:
    """The words of a picture reply (the PNGs are uploaded next to it, see ``SlackPort``)."""
    blocks = [section(f":bar_chart: *{esc(r.title)}*")]
    blocks += lines_blocks(esc(x) for x in r.lines)
    if r.footer:
        blocks.append(context(esc(r.footer)))
    return finish(r.title, blocks)


def picture_problem(human: str) -> SlackMessage:
    """The picture could not be attached: why, and that the words above are the same data."""
    text = f":warning: I couldn't attach the picture: {human} The list above has the same data."
    return finish(text, [section(esc(text))])


def picture_error(problem: str) -> ErrorReply:
    """For the person who asked: the picture did not make it, the words did."""
    return ErrorReply(
        title="I couldn't attach the picture",
        problems=(problem, "The text answer in the channel has the same data."),
    )


def render(reply: Reply) -> SlackMessage:
    match reply:
        case Confirmation():
            return render_confirmation(reply)
        case ErrorReply():
            return render_error(reply)
        case StatusCard():
            return render_status(reply)
        case ListReply():
            return render_list(reply)
        case ApprovalCard():
            return render_approval(reply)
        case Announcement():
            return render_announcement(reply)
        case PictureReply():
            return render_picture(reply)
    raise TypeError(f"no Slack renderer for {type(reply).__name__}")


def without_images(reply: Reply) -> SlackMessage | None:
    """An approval card again with its images as links, or None if it had no image blocks
    (for when Slack refuses an image it could not download: ``invalid_blocks``)."""
    if not isinstance(reply, ApprovalCard):
        return None
    if not any(b.get("type") == "image" for b in render_approval(reply).blocks):
        return None
    return render_approval(reply, images=False)


def is_ephemeral(reply: Reply) -> bool:
    """Whether only the invoker should see ``reply`` (cards and announcements are public)."""
    if isinstance(reply, Confirmation | ErrorReply | StatusCard | ListReply):
        return reply.ephemeral
    return False


def working_message(user_id: str, command: str, text: str) -> SlackMessage:
    """The in-channel message that stands for a request while it is worked on (thread root)."""
    shown = f"`/{command}` " + (f"{esc(clip(text, 100))}" if text else "(compose form)")
    body = f":hourglass_flowing_sand: <@{user_id}> asked: {shown}\nWorking on it…"
    return finish(f"Working on /{command} for <@{user_id}>…", [section(body)])
