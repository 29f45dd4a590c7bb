"""The console renderers (one per reply kind) and the printing port."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

from adapters.console import render
from adapters.console.port import ConsolePort
from adapters.console.session import normalize_emoji
from bot.chat import (
    APPROVE,
    REJECT,
    Announcement,
    ApprovalCard,
    Confirmation,
    Destination,
    ErrorReply,
    Field,
    Link,
    ListReply,
    StatusCard,
    TargetLine,
    Tone,
    User,
)

AT = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def text(lines: list[str]) -> str:
    return "\n".join(lines)


def test_mentions_read_as_names() -> None:
    assert render.plain("Approved by <@bob> in <#launches>") == "Approved by @bob in #launches"
    assert render.plain("<#C123|general> <@U1|al>") == "#general @U1"


def test_confirmation() -> None:
    out = text(
        render.render(
            Confirmation(
                title="Sent for approval in <#launches> — needs 1 approval",
                text="Post pst_1 is a draft until approved",
                fields=(Field("Link", "open", Link("post", "https://x.com/acme/1")),),
                tone=Tone.INFO,
            )
        )
    )
    assert out.splitlines()[0] == "ℹ Sent for approval in #launches — needs 1 approval"
    assert "  Post pst_1 is a draft until approved" in out
    assert "  Link: open  <https://x.com/acme/1>" in out


def test_error_reply_shows_problems_hint_and_reference() -> None:
    out = render.render(
        ErrorReply(
            title="Caption too long for X",
            problems=("312 characters; X allows 280",),
            hint='/post "shorter text" to x',
            reference="ab12cd34",
            field_errors=(("caption", "too long"),),
        )
    )
    # The form errors repeat the problems (they are for inline form display): shown once.
    assert out == [
        "✖ Caption too long for X",
        "  - 312 characters; X allows 280",
        '  try: /post "shorter text" to x',
        "  (reference ab12cd34)",
    ]


def test_error_reply_with_only_form_errors_shows_them() -> None:
    out = render.render(ErrorReply(title="Check the form", field_errors=(("when", "no time"),)))
    assert out == ["✖ Check the form", "  - when: no time"]


def test_status_card_with_targets_and_history() -> None:
    out = text(
        render.render(
            StatusCard(
                post_id="pst_1",
                status="partial",
                title="Launch day",
                caption="We shipped",
                scheduled_at=AT,
                targets=(
                    TargetLine("X", "@acme_x", "published", permalink="https://x.com/acme_x/1"),
                    TargetLine("Instagram", "@acme", "failed", error="token expired"),
                ),
                history=("2026-07-01 08:00 UTC · <@bob> approved · post v1",),
            )
        )
    )
    assert "📋 Launch day  [pst_1] — partial" in out
    assert "When: Wed 01 Jul 09:00 UTC" in out
    assert "• X @acme_x — published  https://x.com/acme_x/1" in out
    assert "• Instagram @acme — failed\n      token expired" in out
    assert "approvals:\n    2026-07-01 08:00 UTC · @bob approved · post v1" in out


def test_list_reply_numbers_items() -> None:
    assert render.render(ListReply("Queue", ("a", "b"), footer="2 posts")) == [
        "☰ Queue",
        "  1. a",
        "  2. b",
        "  2 posts",
    ]
    assert render.render(ListReply("Queue", ())) == ["☰ Queue", "  (nothing)"]
    # help text: examples are plain lines, not numbered
    assert render.render(ListReply("Help", ("/post x", "/post y"), plain=True)) == [
        "☰ Help",
        "  /post x",
        "  /post y",
    ]


def test_approval_card_pending_and_approved() -> None:
    card = ApprovalCard(
        card_id="pst_1",
        state="pending",
        requester=User("alice", "alice"),
        title="alice asks to publish: Launch",
        previews=(Field("X (@acme_x)", "Launch 🚀\n🕒 now"),),
        targets=("X @acme_x",),
        when="now",
        needed=1,
        approvals=(),
    )
    out = text(render.render(card))
    assert "🗳  APPROVAL — alice asks to publish: Launch" in out
    assert "state: ⏳ waiting for approval  [pst_1]" in out
    assert "asked by @alice · when: now" in out
    assert "  X (@acme_x): Launch 🚀\n    🕒 now" in out
    assert "approvals: 0/1 (none yet)" in out
    assert "react ✅ to approve or ❌ to reject" in out
    done = text(
        render.render(
            replace(
                card,
                state="approved",
                approvals=("bob",),
                decided_by="bob",
                buttons=False,
                note="publishing now",
            )
        )
    )
    assert "state: ✅ approved" in done
    assert "approvals: 1/1 (@bob)" in done and "decided by @bob" in done
    assert "note: publishing now" in done and "to approve" not in done


def test_announcement() -> None:
    out = render.render(
        Announcement(
            title="Published on X",
            result="published",
            post_id="pst_1",
            targets=(TargetLine("X", "@acme_x", "published", permalink="https://x.com/1"),),
            mentions=("alice",),
            lines=("Next: /status pst_1",),
        )
    )
    assert out == [
        "🎉 Published on X  [pst_1]",
        "  @alice",
        "  • X @acme_x — published  https://x.com/1",
        "  Next: /status pst_1",
    ]


async def test_port_numbers_messages_threads_updates_and_keys() -> None:
    buf = io.StringIO()
    port = ConsolePort(buf)
    typed = port.typed("launches", "alice", "/post hi", echo=True)
    ref = await port.send(
        Destination("console", "launches", thread=typed.message_id),
        Confirmation("Sent"),
        key="k1",
    )
    again = await port.send(Destination("console", "launches"), Confirmation("Sent"), key="k1")
    await port.add_reactions(ref, [APPROVE, REJECT])
    await port.update(ref, Confirmation("Approved"))
    port.reply("launches", "1", "alice", ErrorReply("Nope"))
    assert again == ref and ref.message_id == "2" and port.channel_of("2") == "launches"
    assert buf.getvalue().splitlines() == [
        "[#1] #launches @alice: /post hi",
        "[#2] #launches ↳ in thread of #1",
        "     ✔ Sent",
        "     (bot reacted on #2: ✅ ❌)",
        "[#2 updated] #launches",
        "     ✔ Approved",
        "[#3] #launches ↳ in thread of #1 (only @alice sees this)",
        "     ✖ Nope",
    ]


def test_emoji_names() -> None:
    for e in ("✅", ":white_check_mark:", "white_check_mark", "approve"):
        assert normalize_emoji(e) == APPROVE
    for e in ("❌", ":x:", "x", "reject"):
        assert normalize_emoji(e) == REJECT
    assert normalize_emoji(":tada:") == "tada"


async def test_output_arriving_at_the_prompt_reprints_it() -> None:
    buf = io.StringIO()
    port = ConsolePort(buf)
    port.show_prompt("bob@#launches> ")
    await port.send(Destination("console", "launches"), Confirmation("Published"))
    port.input_received()
    port.note("after")
    assert buf.getvalue() == (
        "bob@#launches> \n[#1] #launches\n     ✔ Published\nbob@#launches> · after\n"
    )


def test_approval_card_lists_media_with_kind_and_size() -> None:
    from bot.chat import MediaPreview

    card = ApprovalCard(
        card_id="pst_2", state="pending", requester=User("alice", "alice"), title="Reel",
        previews=(), targets=("Instagram @acme",), when="now", needed=1, approvals=(),
        caption="New drop",
        media=(
            MediaPreview("drop.mp4", "video", 12 * 1024 * 1024, "video/mp4", "https://cdn.example.com/drop.mp4"),
            MediaPreview("deck.pdf", "document", None, "application/pdf"),
            MediaPreview("cover.jpg", "image", 2048, "image/jpeg", cover_for="drop.mp4"),
        ),
    )  # fmt: skip
    out = text(render.render(card))
    assert "  “New drop”" in out
    assert "  🎬 video drop.mp4 · 12.0 MB  <https://cdn.example.com/drop.mp4>" in out
    assert "  📄 PDF deck.pdf · size unknown" in out
    assert "  🖼  image cover.jpg (cover of drop.mp4) · 2.0 KB" in out
