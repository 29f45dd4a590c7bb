"""Fixtures of the Social API client tests: a FakeClock, a scripted FakeApi, a client on both."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from bot.api.client import SocialClient
from bot.api.ratelimit import LimiterRegistry
from bot.api.retry import RetryPolicy
from bot.clock import FakeClock
from bot.secret import Secret
from tests.api.fakes import FakeApi

KEY_VALUE = "sk_test_UNIT_k3y_5ecret_zz9"
BASE_URL = "https://api.test"


@pytest.fixture
def key() -> Secret:
    return Secret(KEY_VALUE)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> FakeApi:
    return FakeApi(clock)


@pytest.fixture
def limiters() -> LimiterRegistry:
    return LimiterRegistry()


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy(rng=random.Random(7))


@pytest.fixture
async def client(
    api: FakeApi, clock: FakeClock, key: Secret, limiters: LimiterRegistry, policy: RetryPolicy
) -> AsyncIterator[SocialClient]:
    c = SocialClient(
        BASE_URL,
        key,
        transport=api.transport,
        clock=clock,
        limiters=limiters,
        retry_policy=policy,
    )
    yield c
    await c.aclose()
