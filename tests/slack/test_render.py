"""Block Kit renderers: one per reply kind, within Block Kit's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.slack.render import MAX_BLOCKS, esc, render
from bot.chat import (
    Announcement,
    ApprovalCard,
    Confirmation,
    ErrorReply,
    Field,
    ListReply,
    Reply,
    StatusCard,
    TargetLine,
    User,
)

LONG = "word " * 2000  # 10,000 chars


def walk_texts(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append((b["type"], b["text"]["text"]))
        for f in b.get("fields", ()):
            out.append(("field", f["text"]))
        for e in b.get("elements", ()):
            if isinstance(e.get("text"), str):
                out.append(("context", e["text"]))
    return out


REPLIES: list[Reply] = [
    Confirmation(
        title="Scheduled " + LONG, text=LONG, fields=tuple(Field(f"f{i}", LONG) for i in range(25))
    ),
    ErrorReply(
        title="Nope", problems=tuple(LONG for _ in range(80)), hint="/post ig Hi", reference="ab12"
    ),
    StatusCard(
        post_id="p1",
        status="partial",
        title="T" * 400,
        caption=LONG,
        scheduled_at=datetime(2026, 7, 1, 7, tzinfo=UTC),
        targets=tuple(TargetLine("Instagram", f"@a{i}", "failed", error=LONG) for i in range(70)),
        history=tuple(f"approved by U{i}" for i in range(30)),
    ),
    ListReply(title="Queue", items=tuple(f"item {i} " * 40 for i in range(300)), footer="more"),
    ApprovalCard(
        card_id="c",
        state="pending",
        requester=User("U1"),
        title="Launch",
        previews=tuple(Field(f"P{i}", LONG) for i in range(12)),
        targets=("ig",),
        when="now",
        needed=2,
        approvals=("U2",),
    ),
    Announcement(
        title="Published",
        result="published",
        post_id="p",
        targets=tuple(
            TargetLine("X", f"@x{i}", "published", permalink=f"https://x.example/{i}")
            for i in range(200)
        ),
        lines=(LONG,),
    ),
]


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: type(r).__name__)
def test_every_kind_renders_within_limits(reply: Reply) -> None:
    msg = render(reply)
    assert 0 < len(msg.text) <= 3000
    assert 0 < len(msg.blocks) <= MAX_BLOCKS
    for b in msg.blocks:
        assert len(b.get("fields", ())) <= 10
        assert len(b.get("elements", ())) <= 10
    for kind, text in walk_texts(msg.blocks):
        limit = {"header": 150, "field": 2000}.get(kind, 3000)
        assert len(text) <= limit, (kind, len(text))


def test_user_text_escaped_mentions_kept() -> None:
    assert esc("a < b & <@U1> <#C2> <!here> <script>") == (
        "a &lt; b &amp; <@U1> <#C2> <!here> &lt;script&gt;"
    )
    msg = render(Confirmation(title="Hi <b>", fields=(Field("Caption", "x > y"),)))
    assert "Hi &lt;b&gt;" in str(msg.blocks) and "x &gt; y" in str(msg.blocks)


def test_card_states() -> None:
    decided = ApprovalCard(
        card_id="c", state="rejected", requester=User("U1"), title="L", previews=(),
        targets=("ig",), when="now", needed=1, approvals=(), decided_by="U9",
    )  # fmt: skip
    msg = render(decided)
    assert "Rejected" in msg.text and "<@U9>" in str(msg.blocks)
    assert not any(b["type"] == "actions" for b in msg.blocks)


def test_retry_failed_button_on_a_partial_announcement() -> None:
    import json

    from bot.chat import CommandButton

    ann = Announcement(
        title="Partly published", result="partial", post_id="pst_1",
        targets=(TargetLine("X", "@a", "failed", error="boom"),),
        actions=(CommandButton("Retry failed", "social", "retry pst_1"),),
    )  # fmt: skip
    msg = render(ann)
    [block] = [b for b in msg.blocks if b.get("type") == "actions"]
    [button] = block["elements"]
    assert button["text"]["text"] == "Retry failed" and button["action_id"] == "socialbot_run_0"
    assert json.loads(button["value"]) == {"c": "social", "t": "retry pst_1"}
