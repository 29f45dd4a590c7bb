"""Fixtures: a sandbox on 127.0.0.1:0 with a FakeClock, and plain httpx clients to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox

KEY = "sk_test_sandbox"
ALL_ACCOUNTS = [
    "acc_x_1",
    "acc_ig_1",
    "acc_fb_1",
    "acc_li_1",
    "acc_tt_1",
    "acc_th_1",
    "acc_pin_1",
    "acc_yt_1",
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def options(clock: FakeClock) -> SandboxOptions:
    return SandboxOptions(
        clock=clock,
        keys=["sk_other", "sk_readonly:posts:read,accounts:read"],
    )


@pytest.fixture
async def sandbox(options: SandboxOptions) -> AsyncIterator[Sandbox]:
    async with start_sandbox(options) as sb:
        yield sb


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url, headers={"X-Api-Key": KEY}) as c:
        yield c


StartFn = Callable[..., AbstractAsyncContextManager[Sandbox]]


def err(resp: httpx.Response) -> tuple[int, str, str]:
    body: Any = resp.json()
    return resp.status_code, body["error"]["code"], body["error"]["message"]
