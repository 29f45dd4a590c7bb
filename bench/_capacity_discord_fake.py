"""The Discord side of ``bench capacity --platform discord``: the fake Discord
(``tests.discord.fake_discord``: REST v10 + gateway) with ``--guilds`` guilds, and the
open-loop load generator, in one process of its own.

    python -m bench._capacity_discord_fake --guilds 50
    → prints {"api": …, "gateway": …, "control": …}; runs until stdin closes

The load generator lives here because on Discord the load *is* the gateway: Discord pushes
``INTERACTION_CREATE`` over the bot's one websocket and takes the bot's answer on its REST
``/interactions/{id}/{token}/callback`` endpoint. Measured per interaction: from just before
the event is written to the websocket to the arrival of its first callback (the defer, type 5,
or an immediate reply) at that endpoint, on this process's clock. Discord refuses a callback
later than 3 s (404, code 10062); so does this fake (``ack_window``), and such an interaction
counts as failed, as does one that never gets a callback.

Control (``POST {control}/step`` with ``{"rate", "seconds", "i0"}``) runs one step and answers
with what ``bench._capacity_steps`` expects (``sent``, ``achieved_rate``, ``latencies`` per
kind in seconds, ``statuses``, ``errors``) plus ``callback_types``, ``discord_rest`` (REST
calls the bot made during the step) and ``fake_cpu`` (this process's CPU %, load included).

The world: guild ``g`` (ids from ``guild_ids(g)``, real-shaped snowflakes) has ``#general``,
``#review`` (its posts need approval) and ``#approvals`` (where the cards go); one approver.
The mix, as Slack's (``bench._capacity_load``): 35% ``/status``, 35% ``/social queue``, 10%
``/post`` (half in ``#review``: a draft and an approval card), 10% ``/schedule``, 10%
``MESSAGE_REACTION_ADD`` ✅ by the approver on the guild's oldest card not yet reacted to (on
another bot message of the guild when there is none). A reaction has no callback: it is sent,
not timed, and counted in ``finished/sent`` by the bot's own counter.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bench._capacity_load import MIX  # the Slack run's mix, the same on Discord
from tests.discord import fake_data
from tests.discord.fake_data import ALL_PERMISSIONS, APP_ID, BOT_ID, BOT_USER, Msg, jresp
from tests.discord.fake_discord import FakeDiscord

ACK_WINDOW = 3.0  # seconds: Discord's limit for the first callback
DISCORD_EPOCH_MS = 1_420_070_400_000
GUILDS_BORN_MS = 1_577_836_800_000  # 2020-01-01: when the bench's guilds "were created"
_increment = 0
COMMAND_IDS = {  # as the bot's sync made them (fixed here: the tree finds commands by name)
    name: str(((GUILDS_BORN_MS + 10**6 + k - DISCORD_EPOCH_MS) << 22) | (1 << 17))
    for k, name in enumerate(("status", "social", "post", "schedule"))
}


def snowflake(ms: int | None = None) -> str:
    """A Discord snowflake: milliseconds since 2015 << 22 | worker | process | increment."""
    global _increment
    _increment = (_increment + 1) & 0xFFF
    ms = int(time.time() * 1000) if ms is None else ms
    return str(
        ((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | ((os.getpid() & 0x1F) << 12) | _increment
    )


@dataclass(frozen=True)
class GuildIds:
    guild: str
    general: str
    review: str
    approvals: str


def guild_ids(g: int) -> GuildIds:
    """Guild ``g``'s ids: fixed snowflakes (the bot's TOML binds them), one millisecond apart."""

    def at(k: int) -> str:
        return str(((GUILDS_BORN_MS + 4 * g + k - DISCORD_EPOCH_MS) << 22) | (1 << 17))

    return GuildIds(at(0), at(1), at(2), at(3))


APPROVER_ID = str(((GUILDS_BORN_MS - 1000 - DISCORD_EPOCH_MS) << 22) | 7)


def user_id(i: int) -> str:
    """One of 13 requesters (as the Slack run's ``U%13``)."""
    return str(((GUILDS_BORN_MS - 2000 + i % 13 - DISCORD_EPOCH_MS) << 22) | 5)


def member(uid: str, name: str) -> dict[str, Any]:
    return {
        "user": {"id": uid, "username": name, "discriminator": "0", "global_name": name.title(),
                 "avatar": None, "public_flags": 0},
        "roles": [], "premium_since": None, "permissions": ALL_PERMISSIONS, "pending": False,
        "nick": None, "mute": False, "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False,
        "flags": 0,
    }  # fmt: skip


def channel(cid: str, gid: str, name: str) -> dict[str, Any]:
    return {
        "id": cid, "type": 0, "guild_id": gid, "name": name, "position": 0,
        "permission_overwrites": [], "nsfw": False, "parent_id": None, "flags": 0,
        "rate_limit_per_user": 0, "topic": None, "last_message_id": None,
    }  # fmt: skip


class BenchDiscord(FakeDiscord):
    """The fake Discord with ``n`` guilds, timing the first callback of every interaction."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.ack_window = ACK_WINDOW
        self.world = [guild_ids(g) for g in range(n)]
        self.guild_of_channel = {
            c: w.guild for w in self.world for c in (w.general, w.review, w.approvals)
        }
        self.approval_channels = {w.approvals for w in self.world}
        self.first: dict[str, tuple[float, int, int]] = {}  # iid → (arrived, status, type)
        self.pending_cards: dict[str, deque[str]] = {w.guild: deque() for w in self.world}
        self.other_messages: dict[str, deque[str]] = {w.guild: deque(maxlen=50) for w in self.world}
        self._by_nonce: dict[tuple[str, str], Msg] = {}
        self.rest_count = 0
        self._awaited: set[str] = set()  # interactions of the step still without a callback
        self._all_in = asyncio.Event()

    def name_guilds(self) -> None:
        """Make message payloads name their channel's guild (``fake_data.guild_of`` knows the
        tests' two guilds only). Process-wide: for the bench's own process, never a test's."""
        original = fake_data.guild_of

        def guild_of(channel_id: str) -> str:
            return self.guild_of_channel.get(channel_id) or original(channel_id)

        fake_data.guild_of = guild_of

    # -- the guilds the bot is in

    def ready_events(self, session_id: str) -> list[tuple[str, dict[str, Any]]]:
        ready = {
            "v": 10, "user": BOT_USER, "session_id": session_id,
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": w.guild, "unavailable": True} for w in self.world],
            "application": {"id": APP_ID, "flags": 0}, "shard": [0, 1],
        }  # fmt: skip
        return [("READY", ready)] + [("GUILD_CREATE", self.guild(w)) for w in self.world]

    def guild(self, w: GuildIds) -> dict[str, Any]:
        payload = fake_data.guild_payload()
        everyone = {**payload["roles"][0], "id": w.guild}
        return {
            **payload,
            "id": w.guild,
            "name": f"Capacity {w.guild[-4:]}",
            "roles": [everyone],
            "channels": [
                channel(w.general, w.guild, "general"),
                channel(w.review, w.guild, "review"),
                channel(w.approvals, w.guild, "approvals"),
            ],
            "members": [
                member(APPROVER_ID, "approver"),
                {**member(BOT_ID, "bot"), "user": BOT_USER},
            ],
            "member_count": 16,
        }

    # -- REST: the callback's arrival time; cards; nonces by index (not a scan of every message)

    async def rest(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        self.rest_count += 1
        resp = await super().rest(request)
        parts = request.match_info["path"].split("/")
        if parts[0] == "interactions" and parts[-1] == "callback" and parts[1] not in self.first:
            body = self.callbacks.get(parts[1]) or [{}]
            self.first[parts[1]] = (arrived, resp.status, int(body[0].get("type") or 0))
            self._awaited.discard(parts[1])
            if not self._awaited:
                self._all_in.set()
        return resp

    def _new(self, channel_id: str, body: dict[str, Any] | None, **kw: Any) -> Msg:
        msg = super()._new(channel_id, body, **kw)
        if msg.nonce:
            self._by_nonce[(channel_id, msg.nonce)] = msg
        gid = self.guild_of_channel.get(channel_id)
        if gid is not None and msg.interaction_id is None:
            footer = str((msg.embeds[0].get("footer") or {}).get("text", "")) if msg.embeds else ""
            if channel_id in self.approval_channels and footer.startswith("Card "):
                self.pending_cards[gid].append(msg.id)
            else:
                self.other_messages[gid].append(msg.id)
        return msg

    def _channel_call(self, m: str, parts: list[str], body: Any) -> web.Response:
        if m == "POST" and len(parts) == 3 and isinstance(body, dict) and body.get("nonce"):
            old = self._by_nonce.get((parts[1], str(body["nonce"])))
            if old is not None and body.get("enforce_nonce"):
                return jresp(old.payload())  # Discord: the same nonce → the same message
            body = {**body, "enforce_nonce": False}
        return super()._channel_call(m, parts, body)

    # -- the events, as Discord sends them

    def command(self, kind: str, i: int) -> dict[str, Any]:
        w = self.world[i % len(self.world)]
        cid = w.review if kind == "post" and i % 2 else w.general
        name, options = {
            "status": ("status", []),
            "queue": ("social", [{"name": "queue", "type": 1, "options": []}]),
            "post": ("post", [{"name": "targets", "type": 3, "value": "x"},
                              {"name": "caption", "type": 3, "value": f"Capacity post {i}"}]),
            "schedule": ("schedule", [{"name": "when", "type": 3, "value": "tomorrow 9am"},
                                      {"name": "targets", "type": 3, "value": "x"},
                                      {"name": "caption", "type": 3,
                                       "value": f"Capacity scheduled {i}"}]),
        }[kind]  # fmt: skip
        iid = snowflake()
        token = "aW50ZXJhY3Rpb246" + base64.urlsafe_b64encode(
            f"{iid}:{random.getrandbits(128):032x}".encode()
        ).decode().rstrip("=")
        self._token_channel[token] = cid
        self._token_iid[token] = iid
        return {
            "type": 2, "token": token, "member": member(user_id(i), f"cap{i % 13}"),
            "id": iid, "application_id": APP_ID, "guild_id": w.guild,
            "app_permissions": ALL_PERMISSIONS, "guild_locale": "en-US", "locale": "en-US",
            "channel_id": cid, "channel": channel(cid, w.guild, "general"), "version": 1,
            "entitlements": [], "authorizing_integration_owners": {"0": w.guild}, "context": 0,
            "attachment_size_limit": 10485760,
            "data": {"options": options, "type": 1, "name": name,
                     "id": COMMAND_IDS[name]},
        }  # fmt: skip

    def reaction(self, i: int) -> dict[str, Any]:
        w = self.world[i % len(self.world)]
        cards = self.pending_cards[w.guild]
        if cards:
            cid, mid = w.approvals, cards.popleft()
        else:
            others = self.other_messages[w.guild]
            cid, mid = w.general, others[-1] if others else snowflake()
        return {
            "user_id": APPROVER_ID, "channel_id": cid, "message_id": mid, "guild_id": w.guild,
            "emoji": {"id": None, "name": "✅"}, "burst": False, "burst_colors": [], "type": 0,
            "member": member(APPROVER_ID, "approver"), "message_author_id": BOT_ID,
        }  # fmt: skip

    # -- one step of open-loop load

    async def step(self, rate: float, seconds: float, i0: int) -> dict[str, Any]:
        rng = random.Random(i0)
        kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
        n = max(1, round(rate * seconds))
        sent: list[tuple[str, str, float]] = []  # (kind, interaction id, dispatched at)
        errors: Counter[str] = Counter()
        rest0, cpu0 = self.rest_count, time.process_time()
        start = time.perf_counter()
        for k in range(n):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            kind = rng.choices(kinds, weights)[0]
            if kind == "reaction":
                if not await self.dispatch("MESSAGE_REACTION_ADD", self.reaction(i0 + k)):
                    errors["reaction not dispatched"] += 1
                continue
            data = self.command(kind, i0 + k)
            self._born[data["id"]] = time.monotonic()
            t0 = time.perf_counter()
            if await self.dispatch("INTERACTION_CREATE", data):
                sent.append((kind, data["id"], t0))
            else:
                errors["interaction not dispatched"] += 1
        sent_in = time.perf_counter() - start
        self._awaited = {iid for _, iid, _ in sent if iid not in self.first}
        if self._awaited:
            self._all_in.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_in.wait(), ACK_WINDOW + 2.0)
        self._awaited = set()
        latencies: dict[str, list[float]] = {}
        statuses: Counter[str] = Counter()
        types: Counter[str] = Counter()
        for kind, iid, t0 in sent:
            got = self.first.pop(iid, None)
            if got is None:
                errors["no callback"] += 1
                continue
            arrived, status, ctype = got
            latencies.setdefault(kind, []).append(arrived - t0)
            types[str(ctype)] += 1
            if status != 200:
                statuses[f"callback {status}"] += 1
            elif arrived - t0 > ACK_WINDOW:
                statuses["callback after 3 s"] += 1
        return {
            "sent": n,
            "send_seconds": sent_in,
            "achieved_rate": n / sent_in if sent_in > 0 else float(n),
            "latencies": latencies,
            "statuses": dict(statuses),
            "errors": dict(errors),
            "callback_types": dict(types),
            "discord_rest": self.rest_count - rest0,
            "fake_cpu": 100 * (time.process_time() - cpu0) / (time.perf_counter() - start),
        }


async def serve(guilds: int) -> None:
    fake = BenchDiscord(guilds)
    fake.name_guilds()
    await fake.start()
    lock = asyncio.Lock()

    async def step(request: web.Request) -> web.Response:
        body = await request.json()
        async with lock:
            out = await fake.step(float(body["rate"]), float(body["seconds"]), int(body["i0"]))
        return web.json_response(out)

    async def synced(request: web.Request) -> web.Response:
        return web.json_response({"guilds": len(fake.commands), "live": fake.live.is_set()})

    app = web.Application()
    app.router.add_post("/step", step)
    app.router.add_get("/synced", synced)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    urls = {"api": fake.api_url, "gateway": fake.gateway_url, "control": f"http://127.0.0.1:{port}"}
    print(json.dumps(urls), flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await runner.cleanup()
        await fake.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench._capacity_discord_fake")
    p.add_argument("--guilds", type=int, default=50)
    args = p.parse_args(argv)
    asyncio.run(serve(args.guilds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
