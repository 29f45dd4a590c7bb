"""``bench capacity --platform discord``: the rising-load table for one bot process on Discord.

Three processes besides the measuring one, over loopback: the Social API sandbox (its rate
limit lifted, ``--teams`` keys), the fake Discord with the load generator
(``bench/_capacity_discord_fake.py``: ``--teams`` guilds, gateway + REST), and ``python -m bot
run`` connected to it (the measured process; ``DISCORD_GUILD_IDS`` lists the guilds, its TOML
binds each guild to its own workspace key, and each guild's ``#review`` channel to an approval
policy whose cards go to ``#approvals``). Each step is an open-loop burst of gateway events at
the step's rate; the time measured is from dispatching an ``INTERACTION_CREATE`` to the bot's
first callback reaching ``/interactions/{id}/{token}/callback`` (Discord's limit: 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench._capacity_bot import Bot, bot_process, wait_ready, workspaces_toml
from bench._capacity_discord_fake import APPROVER_ID, guild_ids
from bench._capacity_steps import best_rates, failures_text, rising
from bench._child import child_service

BOT_TOKEN = "bench.capacity.discord-bot-token"  # the fake checks only the "Bot " scheme
DEFAULT_RATES = "25,50,100,200,300,400,600,800"  # Slack's steps, and two more to find the edge


def config_toml(guilds: int, interval: float = 2.0) -> str:
    """Each guild bound to its own workspace; its ``#review`` needs one approval."""
    lines = workspaces_toml(guilds, interval)
    for g in range(guilds):
        w = guild_ids(g)
        lines.append(
            f'[[channels]]\nplatform = "discord"\nteam = "{w.guild}"\nworkspace = "w{g:04d}"\n'
            'default_targets = ["x"]\n'
        )
        lines.append(
            f'[[channels]]\nplatform = "discord"\nteam = "{w.guild}"\nchannel = "{w.review}"\n'
            f'workspace = "w{g:04d}"\ndefault_targets = ["x"]\n[channels.approval]\n'
            f'required = true\napprovers = ["{APPROVER_ID}"]\nquorum = 1\n'
            f'channel = "{w.approvals}"\n'
        )
    return "\n".join(lines)


@asynccontextmanager
async def fake_discord(guilds: int) -> AsyncIterator[dict[str, str]]:
    """The fake Discord and load generator in its own process: its api/gateway/control URLs."""
    args = ["--guilds", str(guilds)]
    async with child_service("bench._capacity_discord_fake", args, "fake Discord") as line:
        yield json.loads(line)


@dataclass
class DiscordWorld:
    http: aiohttp.ClientSession
    bot: Bot
    urls: dict[str, str]
    ready_s: float

    async def send(self, rate: float, seconds: float, i0: int) -> dict[str, Any]:
        """One open-loop step (run by the fake's process); its tally."""
        body = {"rate": rate, "seconds": seconds, "i0": i0}
        timeout = aiohttp.ClientTimeout(total=seconds + 120)
        async with self.http.post(f"{self.urls['control']}/step", json=body, timeout=timeout) as r:
            r.raise_for_status()
            result: dict[str, Any] = await r.json()
        return result


@asynccontextmanager
async def discord_world(tmp: Path, guilds: int) -> AsyncIterator[DiscordWorld]:
    """Sandbox, fake Discord and the bot connected to it, ready (commands synced to every
    guild, ``/readyz`` 200)."""
    from bench.capacity import service  # the sandbox child of the Slack run, shared

    async with (
        service("sandbox", guilds) as api_url,
        fake_discord(guilds) as urls,
        aiohttp.ClientSession() as http,
    ):
        env = {
            "DISCORD_BOT_TOKEN": BOT_TOKEN,
            "DISCORD_API_URL": urls["api"],
            "DISCORD_GATEWAY_URL": urls["gateway"],
            "DISCORD_GUILD_IDS": ",".join(guild_ids(g).guild for g in range(guilds)),
        }
        config = config_toml(guilds)
        async with bot_process(tmp, config, env, api_url, guilds, tmp / "discord.db") as bot:
            ready_s = await wait_ready(http, bot)
            end = time.perf_counter() + 30
            while True:  # every guild's commands synced (before READY, so normally at once)
                async with http.get(f"{urls['control']}/synced") as r:
                    state = await r.json()
                if state["guilds"] >= guilds and state["live"]:
                    break
                if time.perf_counter() > end:
                    raise RuntimeError(f"the bot synced commands to {state['guilds']} guilds")
                await asyncio.sleep(0.1)
            yield DiscordWorld(http, bot, urls, ready_s)


async def run_discord(args: argparse.Namespace) -> int:
    rates = [float(r) for r in (args.rates or DEFAULT_RATES).split(",")]
    print(f"Discord: {os.cpu_count()} CPUs; {args.teams} guilds → {args.teams} workspace keys; "
          f"{args.step_seconds:.0f} s per step", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as t:
        async with discord_world(Path(t), args.teams) as world:
            print(f"start → /readyz 200: {world.ready_s:.2f} s\n", flush=True)
            rest: list[str] = []

            async def send(rate: float, secs: float, i0: int) -> dict[str, Any]:
                out = await world.send(rate, secs, i0)
                per_s = out["discord_rest"] / max(out["send_seconds"], 1e-9)
                rest.append(f"{rate:.0f}/s: {per_s:.0f} REST calls/s, {out['fake_cpu']:.0f}%")
                return out

            steps = await rising(
                world.http, world.bot, send, rates, args.step_seconds, args.teams,
                latency="to callback",
            )  # fmt: skip
    best100, best1s = best_rates(steps)
    print("\nper step, the bot's Discord REST calls and the CPU of the fake Discord + load "
          f"generator process: {'; '.join(rest)}")  # fmt: skip
    for s in steps:
        if s.failures:
            print(f"failed at {s.rate:.0f}/s: {failures_text(s)}")
    print(f"highest sustained rate with p99 to the callback ≤ 100 ms: {best100:.0f} events/s; "
          f"with p99 ≤ 1 s: {best1s:.0f} events/s (Discord's limit: 3 s)")  # fmt: skip
    return 0
