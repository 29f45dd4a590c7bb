"""The Discord driver of ``bench capacity`` works: a tiny step through the real processes (the
sandbox, the fake Discord with its load generator, ``python -m bot run`` on the gateway), and
every interaction it sent got its callback. Counts and statuses only — speed is the bench's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bench._capacity_bot import metrics
from bench._capacity_discord import config_toml, discord_world
from bench._capacity_discord_fake import BenchDiscord, guild_ids

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "discord"


def test_each_guild_is_bound_to_its_own_key_and_review_channel() -> None:
    text = config_toml(3)
    for g in range(3):
        w = guild_ids(g)
        assert f'team = "{w.guild}"\nworkspace = "w{g:04d}"' in text
        assert f'channel = "{w.review}"' in text and f'channel = "{w.approvals}"' in text
    assert len({guild_ids(g).guild for g in range(50)}) == 50


def test_the_events_have_the_shape_discord_documents() -> None:
    fake = BenchDiscord(2)
    sample = json.loads((CORPUS / "interaction_application_command.json").read_text())
    for kind in ("status", "queue", "post", "schedule"):
        data = fake.command(kind, 1)
        assert set(sample) <= set(data), set(sample) - set(data)
        assert set(sample["member"]) - {"is_pending"} <= set(data["member"])
        assert data["guild_id"] == guild_ids(1).guild == data["channel"]["guild_id"]
        assert int(data["id"]) >> 22 > int(data["guild_id"]) >> 22  # snowflakes: made later
    reaction = json.loads((CORPUS / "gateway_message_reaction_add.json").read_text())["d"]
    assert set(reaction) <= set(fake.reaction(0))


async def test_a_tiny_step_gets_a_callback_for_every_interaction(tmp_path: Path) -> None:
    async with discord_world(tmp_path, 3) as world:
        out = await world.send(rate=10, seconds=2, i0=0)
        assert out["sent"] == 20
        assert out["errors"] == {} and out["statuses"] == {}
        interactions = sum(len(xs) for xs in out["latencies"].values())
        assert interactions >= 10, out  # the rest are reactions (10% of the mix)
        assert out["callback_types"] == {"5": interactions}  # every one deferred
        assert set(out["latencies"]) <= {"status", "queue", "post", "schedule"}
        assert all(x > 0 for xs in out["latencies"].values() for x in xs)
        for _ in range(200):  # the bot's own count: every command and reaction handled
            done = (await metrics(world.http, world.bot)).get("socialbot_commands", 0)
            if done >= out["sent"]:
                break
            await asyncio.sleep(0.1)
        assert done == out["sent"]
