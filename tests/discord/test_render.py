"""Embeds per reply kind, within Discord's limits; emoji normalisation; nonces."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest

from adapters.discord import render as r
from adapters.discord.translate import emoji_name, nonce_for
from bot.chat import (
    APPROVE,
    REJECT,
    Announcement,
    ApprovalCard,
    Confirmation,
    ErrorReply,
    Field,
    ListReply,
    StatusCard,
    TargetLine,
    User,
)


def total(e: discord.Embed) -> int:
    return len(e)


def test_limits_hold_for_huge_replies() -> None:
    huge = Confirmation(
        title="T" * 400,
        text="D" * 5000,
        fields=tuple(Field(f"name {i} " + "n" * 300, "v" * 2000) for i in range(40)),
    )
    e = r.render(huge).embeds[0]
    assert len(e.title or "") <= r.TITLE_MAX
    assert len(e.description or "") <= r.DESCRIPTION_MAX
    assert len(e.fields) <= r.FIELDS_MAX
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in e.fields)
    assert total(e) <= r.TOTAL_MAX


def test_list_keeps_to_the_description_and_says_how_many_more() -> None:
    e = r.render(
        ListReply(title="Queue", items=tuple(f"post {i} " + "x" * 80 for i in range(200)))
    ).embeds[0]
    assert len(e.description or "") <= r.DESCRIPTION_MAX
    assert "more" in (e.description or "").splitlines()[-1]
    assert r.render(ListReply(title="Queue", items=())).embeds[0].description == "(nothing)"


def test_error_reply_is_ephemeral_with_problems_hint_and_reference() -> None:
    out = r.render(
        ErrorReply(
            title="Caption too long for X",
            problems=("312 characters; X allows 280",),
            hint='/post x "shorter text"',
            reference="ab12cd34",
            field_errors=(("caption", "too long"),),
        )
    )
    e = out.embeds[0]
    assert out.ephemeral
    assert "312 characters" in (e.description or "")
    # Form errors repeat the problems (they are for inline form display): not shown twice.
    assert [f.name for f in e.fields] == ["Try"]
    assert "too long" not in (e.description or "")
    assert e.footer.text == "Reference: ab12cd34"
    assert e.colour is not None and e.colour.value == r.COLOURS["error"]


def test_status_card_and_announcement_fields_with_links() -> None:
    when = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    card = StatusCard(
        post_id="p1",
        status="scheduled",
        title="Launch",
        scheduled_at=when,
        targets=(TargetLine("Instagram", "@brand", "scheduled", scheduled_at=when),),
        history=("approved by <@1>",),
    )
    e = r.render(card).embeds[0]
    names = [f.name for f in e.fields]
    assert names[:3] == ["Status", "Post", "When"] and "Approvals" in names
    assert f"<t:{int(when.timestamp())}:f>" in str(e.fields[2].value)

    ann = Announcement(
        title="Published",
        result="failed",
        post_id="p1",
        targets=(TargetLine("X", "@brand", "failed", error="rate limited"),),
        mentions=("42",),
        lines=("Try again later",),
    )
    out = r.render(ann)
    assert out.content == "<@42>" and out.mentions == ("42",)
    assert "rate limited" in str(out.embeds[0].fields[0].value)
    assert out.embeds[0].colour is not None and out.embeds[0].colour.value == r.COLOURS["error"]


def test_approval_card_buttons_only_while_pending() -> None:
    base = dict(
        card_id="3",
        requester=User("1", "a"),
        title="Post",
        previews=(Field("X", "hello"),),
        targets=("x",),
        when="now",
        needed=2,
        approvals=("2",),
    )
    pending = r.render(ApprovalCard(state="pending", **base))  # type: ignore[arg-type]
    assert pending.buttons and "1/2" in str(pending.embeds[0].fields)
    done = r.render(ApprovalCard(state="approved", decided_by="2", **base))  # type: ignore[arg-type]
    assert not done.buttons and "approved" in (done.embeds[0].title or "")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("✅", APPROVE),
        ("☑️", APPROVE),
        ("☑", APPROVE),
        ("✔️", APPROVE),
        ("❌", REJECT),
        ("✖️", REJECT),
        (":white_check_mark:", APPROVE),
        ("x", REJECT),
        ("🎉", "🎉"),
        (None, ""),
    ],
)
def test_emoji_normalisation(raw: str | None, name: str) -> None:
    assert emoji_name(raw) == name
    if raw:
        assert emoji_name(discord.PartialEmoji(name=raw)) == name


def test_custom_emoji_by_name() -> None:
    assert emoji_name(discord.PartialEmoji(name="approve", id=123)) == "approve"
    assert emoji_name(discord.PartialEmoji(name="white_check_mark", id=5)) == APPROVE


def test_nonce_is_short_and_stable() -> None:
    key = "announce:" + "p" * 200
    assert nonce_for(key) == nonce_for(key) and len(nonce_for(key)) == 25
    assert nonce_for(key) != nonce_for(key + "x")
