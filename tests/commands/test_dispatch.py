"""Dispatch: routing, help from chat, redelivery, the error wrapping, reactions and buttons."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import approvals
from bot.chat import (
    APPROVE,
    ApprovalCard,
    ButtonEvent,
    ErrorReply,
    ListReply,
    MessageRef,
    Outcome,
    ReactionAction,
    ReactionEvent,
)
from commands.dispatch import dispatch, dispatch_button, dispatch_reaction
from commands.handlers import post as post_handler
from tests.commands.conftest import BOB, REVIEW, Chat


@pytest.mark.parametrize(
    ("command", "text", "title"),
    [
        ("post", "help", "/post — publish now"),
        ("post", "help schedule", "/schedule — publish later"),
        ("schedule", "help", "/schedule — publish later"),
        ("status", "help", "/status — where posts are"),
        ("social", "", "/social — everything else"),
        ("social", "help", "/social — everything else"),
        ("social", "help options", "Post options"),
        ("social", "help manage", "Cancel and edit"),
        ("social", "?", "/social — everything else"),
    ],
)
async def test_help_is_reachable_from_chat(chat: Chat, command: str, text: str, title: str) -> None:
    reply = chat.listing(chat.one(await chat.run(command, text)))
    assert reply.title == title
    assert len(reply.items) >= 3


async def test_help_examples_are_all_valid_commands(chat: Chat) -> None:
    """Every example line in the help parses (none is a usage error)."""
    from commands.help import OPTIONS, POST, SCHEDULE
    from commands.parser import parse

    for line in POST + SCHEDULE:
        m = re.match(r"\s+/(post|schedule) (.*?)(\s{2,}\(.*\))?$", line)
        if not m:
            continue
        spec = parse(m.group(2).replace("…", ""), m.group(1))
        assert spec.extra_words == [], line
    assert OPTIONS


async def test_accounts_lists_short_names(chat: Chat) -> None:
    for command, text in (("social", "accounts"), ("post", "accounts")):
        reply = chat.listing(chat.one(await chat.run(command, text)))
        assert "ig — Instagram @acme (Acme Inc)" in reply.items
        assert "brand — alias for ig, fb" in reply.items
        assert reply.footer and "default targets: ig, x" in reply.footer


async def test_analytics(chat: Chat) -> None:
    chat.ok(await chat.post('x "one"'))
    r = chat.ok(await chat.social("analytics"))
    assert ("Posts", "1") in [(f.name, f.value) for f in r.fields]


async def test_unknown_subcommand_and_command(chat: Chat) -> None:
    e = chat.error(await chat.social("frobnicate"))
    assert "frobnicate" in e.title and e.hint == "/social help"
    e = chat.error(chat.one(await chat.run("launch", "x")))
    assert "Unknown command" in e.title


async def test_post_words_that_look_like_subcommands_are_captions(chat: Chat) -> None:
    r = chat.ok(await chat.post("x cancel culture is over"))
    assert (await chat.api_post(r))["content"] == "cancel culture is over"


async def test_same_delivery_twice_has_one_effect(chat: Chat) -> None:
    inv = chat.invocation("post", 'x "Only once"', delivery_id="Ev1")
    first = await dispatch(chat.core, inv)
    second = await dispatch(chat.core, inv)
    assert len(first.replies) == 1 and not first.duplicate
    assert second == Outcome(duplicate=True)
    posts = await chat.core.clients.for_workspace("main").list_posts()
    assert [p.content for p in posts] == ["Only once"]


async def test_concurrent_redelivery_has_one_effect(chat: Chat) -> None:
    import asyncio

    inv = chat.invocation("post", 'x "Raced"', delivery_id="Ev2")
    outs = await asyncio.gather(*(dispatch(chat.core, inv) for _ in range(3)))
    assert sorted(o.duplicate for o in outs) == [False, True, True]
    assert len(await chat.core.clients.for_workspace("main").list_posts()) == 1


async def test_unexpected_error_apologises_with_a_reference(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(ctx: object) -> tuple[()]:
        raise RuntimeError("kaboom sk_test_main")

    monkeypatch.setattr(post_handler, "post", boom)
    with caplog.at_level(logging.ERROR, logger="commands.dispatch"):
        reply = chat.one(await chat.run("post", 'x "hi"', delivery_id="Ev3"))
    assert isinstance(reply, ErrorReply)
    assert reply.reference and re.fullmatch(r"[0-9a-f]{8}", reply.reference)
    assert reply.title == "Sorry — something went wrong on my side"
    assert reply.reference in (reply.hint or "")
    assert "kaboom" not in str(reply)
    [record] = [r for r in caplog.records if reply.reference in r.getMessage()]
    assert "channel=C_MAIN" in record.getMessage() and "delivery=Ev3" in record.getMessage()
    assert record.exc_info is not None


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[object] = []

    async def __call__(self, core: object, event: object) -> Outcome:
        self.calls.append(event)
        return Outcome((ListReply("ok", ()),))


def _reaction(delivery: str) -> ReactionEvent:
    return ReactionEvent(
        ReactionAction.ADDED, APPROVE, BOB, MessageRef("slack", REVIEW, "1"), delivery
    )


async def test_reactions_and_buttons_delegate_once_per_delivery(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_reaction, on_button = _Recorder(), _Recorder()
    monkeypatch.setattr(approvals, "on_reaction", on_reaction)
    monkeypatch.setattr(approvals, "on_button", on_button)
    event = _reaction("R1")
    assert (await dispatch_reaction(chat.core, event)).replies == (ListReply("ok", ()),)
    assert (await dispatch_reaction(chat.core, event)).duplicate
    button = ButtonEvent(APPROVE, BOB, MessageRef("slack", REVIEW, "1"), "B1")
    assert (await dispatch_button(chat.core, button)).replies == (ListReply("ok", ()),)
    assert (await dispatch_button(chat.core, button)).duplicate
    assert on_reaction.calls == [event] and on_button.calls == [button]


async def test_reaction_failure_is_wrapped(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(core: object, event: object) -> Outcome:
        raise ValueError("broken")

    monkeypatch.setattr(approvals, "on_reaction", boom)
    [reply] = (await dispatch_reaction(chat.core, _reaction("R2"))).replies
    assert isinstance(reply, ErrorReply) and reply.reference


async def test_approval_channel_goes_through_the_workflow(chat: Chat) -> None:
    """A channel whose policy requires approval submits to bot.approvals: a card is sent, the
    post waits as a draft, and ✅ from an approver (through dispatch_reaction) activates it."""
    reply = chat.ok(await chat.post('x "Needs a yes"', channel=REVIEW))
    assert reply.title.startswith("Sent for approval")
    [card] = [s for s in chat.port.sent if isinstance(s.reply, ApprovalCard)]
    assert card.dest.channel == REVIEW
    assert isinstance(card.reply, ApprovalCard)
    pid = card.reply.card_id
    client = chat.core.clients.for_workspace("main")
    assert (await client.get_post(pid)).status == "draft"
    event = ReactionEvent(ReactionAction.ADDED, APPROVE, BOB, card.ref, "R3")
    await dispatch_reaction(chat.core, event)
    assert (await client.get_post(pid)).status in ("publishing", "published")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(["post", "schedule", "status", "social"]),
    text=st.text(max_size=120)
    | st.lists(
        st.sampled_from(
            ["x", "ig", "all", "“", '"', "—", "to", ":", "|", "draft", "cancel", "edit", "help",
             "tomorrow", "9am", "type:reel", "media:", "thread:", "--thread", "pst_x", "@acme",
             "queue", "<@U1>", "in", "li:\"", "at:", "hello", "\n"]
        ),
        max_size=10,
    ).map(" ".join),
)  # fmt: skip
async def test_any_text_gets_a_reply_and_never_an_exception(
    chat: Chat, command: str, text: str
) -> None:
    out = await chat.run(command, text)
    assert not out.duplicate
    assert len(out.replies) >= 1
    for reply in out.replies:
        if isinstance(reply, ErrorReply):
            assert reply.reference is None, (command, text, reply)
