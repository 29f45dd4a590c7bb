"""``SandboxOptions`` and API-key specs (``KEY[:SCOPE,SCOPE...]``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.api.models import Platform
from bot.clock import Clock
from bot.platforms import platform_by_name

SCOPES: tuple[str, ...] = (
    "accounts:read",
    "posts:read",
    "posts:write",
    "media:read",
    "media:write",
    "analytics:read",
)
DEMO_KEY = "sk_test_sandbox"


@dataclass
class SandboxOptions:
    """How a sandbox behaves.

    ``keys``: extra keys as ``"KEY"`` (every scope) or ``"KEY:scope,scope"``; the demo key
    ``sk_test_sandbox`` (every scope) is always accepted too unless ``demo_key=False``.
    ``accounts``: the connected accounts of every workspace, as dicts
    (``accountId, platform, handle, displayName, premium?, accountType?``); ``None`` = one on
    each platform. ``clock``: ``None`` = ``SystemClock``.
    """

    keys: Sequence[str] = ()
    publish_delay: float = 2.0
    fail_platforms: Iterable[Platform | str] = frozenset()
    timezone: str = "UTC"
    db_path: str | None = None
    accounts: Sequence[Mapping[str, Any]] | None = None
    clock: Clock | None = None
    rate_limit: int = 120
    seed: int = 0
    demo_key: bool = True


def parse_key_spec(spec: str) -> tuple[str, frozenset[str]]:
    """``"sk_a"`` → every scope; ``"sk_a:posts:read,media:read"`` → those scopes."""
    key, sep, rest = spec.partition(":")
    key = key.strip()
    if not key:
        raise ValueError(f"empty API key in {spec!r}")
    if not sep:
        return key, frozenset(SCOPES)
    scopes = frozenset(s.strip() for s in rest.split(",") if s.strip())
    unknown = sorted(scopes - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    return key, scopes


def build_keys(options: SandboxOptions) -> dict[str, frozenset[str]]:
    keys: dict[str, frozenset[str]] = {}
    if options.demo_key:
        keys[DEMO_KEY] = frozenset(SCOPES)
    for spec in options.keys:
        key, scopes = parse_key_spec(spec)
        keys[key] = scopes
    if not keys:
        raise ValueError("the sandbox needs at least one API key")
    return keys


def parse_platforms(values: Iterable[Platform | str]) -> frozenset[Platform]:
    out: set[Platform] = set()
    for v in values:
        if isinstance(v, Platform):
            out.add(v)
            continue
        p = platform_by_name(v)
        if p is None:
            raise ValueError(f"unknown platform {v!r}")
        out.add(p)
    return frozenset(out)
