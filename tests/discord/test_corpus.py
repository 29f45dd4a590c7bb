"""Real Discord payload shapes (``tests/corpus/discord``, sources in its README) through the fake
gateway into the real discord.py client: each is handled, or ignored, without an error."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.chat import APPROVE, ReactionAction
from tests.corpus import load
from tests.discord.conftest import BotFactory, Recorder
from tests.discord.fake_discord import (
    ALICE_ID,
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    wait_until,
)

# The ids in the documented samples → the fake's ids.
IDS = {
    "290926798626357999": GUILD_ID,
    "645027906669510667": CHANNEL_ID,
    "53908232506183680": ALICE_ID,
    "775799577604522054": APP_ID,
    "775799577604522055": BOT_ID,
}
SAMPLES = {s.name: s for s in load.samples("discord")}


def sample(name: str, fake: FakeDiscord) -> dict[str, Any]:
    doc: dict[str, Any] = load.substitute(SAMPLES[name].doc, IDS)
    return doc


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING)
    return caplog


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and r.name.startswith(("discord", "adapters"))
        and "voice will NOT be supported" not in r.getMessage()
    ]


def test_the_corpus_covers_every_kind_the_issue_names() -> None:
    assert set(SAMPLES) >= {
        "interaction_application_command",
        "interaction_application_command_attachment",
        "interaction_autocomplete",
        "interaction_message_component",
        "interaction_modal_submit",
        "gateway_message_reaction_add",
        "gateway_message_reaction_remove",
        "gateway_ready",
        "gateway_guild_create",
    }
    att = SAMPLES["interaction_application_command_attachment"].doc["data"]
    [media] = [o for o in att["options"] if o["type"] == 11]
    assert media["value"] in att["resolved"]["attachments"]


async def test_documented_ready_and_guild_create_start_the_client(
    fake: FakeDiscord, make_bot: BotFactory, errors: pytest.LogCaptureFixture
) -> None:
    fake.ready_payload = {
        **sample("gateway_ready", fake)["d"],
        "resume_gateway_url": fake.gateway_url,
    }
    fake.guild_create_payload = sample("gateway_guild_create", fake)["d"]
    bot = await make_bot()
    assert bot.client.user is not None and str(bot.client.user.id) == BOT_ID
    [guild] = bot.client.guilds
    assert str(guild.id) == GUILD_ID and guild.name == "1337 Krew"
    assert problems(errors) == []


async def test_each_documented_interaction_is_handled_or_ignored(
    fake: FakeDiscord, make_bot: BotFactory, errors: pytest.LogCaptureFixture
) -> None:
    rec = Recorder()
    await make_bot(rec=rec)

    iid = await fake.interaction(sample("interaction_application_command", fake))
    await wait_until(lambda: rec.invocations)
    assert rec.invocations[0].command == "status"
    assert dict(rec.invocations[0].options)["id"] == "The Gitrog Monster"
    await wait_until(lambda: iid in fake.callbacks)

    att_payload = sample("interaction_application_command_attachment", fake)
    iid = await fake.interaction(att_payload)
    await wait_until(lambda: len(rec.invocations) == 2)
    post = rec.invocations[1]
    assert post.command == "post" and dict(post.options)["caption"] == "Launch day"
    [att] = post.attachments
    assert (att.name, att.content_type, att.size) == ("launch.png", "image/png", 204800)
    await wait_until(lambda: iid in fake.callbacks)

    iid = await fake.interaction(sample("interaction_autocomplete", fake))
    await wait_until(lambda: iid in fake.callbacks)
    [answer] = fake.callbacks[iid]
    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == ["instagram"]

    iid = await fake.interaction(sample("interaction_message_component", fake))
    await wait_until(lambda: rec.buttons)
    assert rec.buttons[0].decision == APPROVE
    assert rec.buttons[0].message.message_id == "1100000000000000001"
    await wait_until(lambda: iid in fake.callbacks)

    # a modal this bot never opened: discord.py discards it (nothing to answer, no error)
    await fake.interaction(sample("interaction_modal_submit", fake))

    for name in ("gateway_message_reaction_add", "gateway_message_reaction_remove"):
        event = sample(name, fake)
        await fake.raw(event["t"], event["d"])
    await wait_until(lambda: len(rec.reactions) == 2)
    assert [r.action for r in rec.reactions] == [ReactionAction.ADDED, ReactionAction.REMOVED]
    assert {r.message.message_id for r in rec.reactions} == {"1100000000000000001"}

    # the connection survived all of it: a later command is still answered
    iid = await fake.slash("status", {})
    await wait_until(lambda: iid in fake.callbacks)
    assert fake.connections == 1
    assert problems(errors) == []
