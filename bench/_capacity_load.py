"""The load generator of ``bench capacity``: open-loop mixed Slack traffic at a fixed rate.

Runs in its own process (Slack would be elsewhere): sends signed requests to ``/slack/events``
at ``rate`` per second for ``seconds``, whatever the answers' speed (open loop: a slow bot
builds a queue instead of slowing the sender), and prints one JSON line: ack latencies per
kind, non-200 statuses, transport errors, and the rate actually achieved.

The mix (by share of requests): 35% ``/status``, 35% ``/social queue`` (70% reads), 10% ``/post``,
10% ``/schedule`` (20% writes), 10% ``reaction_added`` event callbacks (reactions).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

MIX: tuple[tuple[str, float], ...] = (
    ("status", 0.35),
    ("queue", 0.35),
    ("post", 0.10),
    ("schedule", 0.10),
    ("reaction", 0.10),
)


def sign(secret: str, body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={sig}"}


def team_of(i: int, teams: int) -> str:
    return f"T{i % teams:04d}"


def channel_of(i: int, channels: int) -> str:
    return f"C{i % channels:04d}"


def slash_body(kind: str, i: int, teams: int, channels: int, response_url: str) -> str:
    command, text = {
        "status": ("/status", ""),
        "queue": ("/social", "queue"),
        "post": ("/post", f'x "Capacity post {i}"'),
        "schedule": ("/schedule", f'x "Capacity scheduled {i}" tomorrow 9am'),
    }[kind]
    return urlencode(
        {
            "token": "legacy",
            "team_id": team_of(i, teams),
            "team_domain": "cap",
            "channel_id": channel_of(i, channels),
            "channel_name": "general",
            "user_id": f"U{i % 13:04d}",
            "user_name": "cap",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"cap.{i}.{time.time_ns()}",
        }
    )


def reaction_body(i: int, teams: int, channels: int) -> str:
    now = time.time()
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team_of(i, teams),
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"EvCAP{i:08d}{time.time_ns() % 10**6}",
            "event_time": int(now),
            "event": {
                "type": "reaction_added",
                "user": f"U{i % 13:04d}",
                "reaction": "white_check_mark",
                "item_user": "UBOT",
                "item": {"type": "message", "channel": channel_of(i, channels), "ts": f"{now:.6f}"},
                "event_ts": f"{now:.6f}",
            },
        }
    )


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


async def run_load(
    url: str,
    secret: str,
    rate: float,
    seconds: float,
    teams: int,
    channels: int,
    response_url: str,
    seed: int,
    start_index: int,
) -> dict[str, Any]:
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    n = max(1, round(rate * seconds))
    tally = Tally()
    conn = aiohttp.TCPConnector(limit=1024)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=conn, timeout=timeout) as http:

        async def one(i: int, kind: str) -> None:
            if kind == "reaction":
                body = reaction_body(i, teams, channels)
                ctype = "application/json"
            else:
                body = slash_body(kind, i, teams, channels, response_url)
                ctype = "application/x-www-form-urlencoded"
            headers = {"content-type": ctype, **sign(secret, body)}
            t0 = time.perf_counter()
            try:
                async with http.post(url, data=body.encode(), headers=headers) as r:
                    await r.read()
                    status = r.status
            except (aiohttp.ClientError, TimeoutError) as e:
                name = type(e).__name__
                tally.errors[name] = tally.errors.get(name, 0) + 1
                return
            tally.latencies.setdefault(kind, []).append(time.perf_counter() - t0)
            if status != 200:
                tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1

        tasks: list[asyncio.Task[None]] = []
        start = time.perf_counter()
        for k in range(n):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            kind = rng.choices(kinds, weights)[0]
            tasks.append(asyncio.create_task(one(start_index + k, kind)))
        sent_in = time.perf_counter() - start
        await asyncio.gather(*tasks)
    return {
        "sent": n,
        "send_seconds": sent_in,
        "achieved_rate": n / sent_in if sent_in > 0 else float(n),
        "latencies": tally.latencies,
        "statuses": tally.statuses,
        "errors": tally.errors,
    }
