"""What a handler gets: the app's shared objects and the authenticated request context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.sandbox.faults import Faults
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.state import SandboxState, Workspace

STATE = web.AppKey("sandbox_state", SandboxState)
FAULTS = web.AppKey("sandbox_faults", Faults)
LIMITER = web.AppKey("sandbox_limiter", RateLimiter)
KEY_ID = web.RequestKey("sandbox_key_id", str)  # which key made the request (for the log)


@dataclass(frozen=True)
class Ctx:
    state: SandboxState
    ws: Workspace
    key_id: str
    now: datetime
