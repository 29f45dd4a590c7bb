"""The per-key sliding-window limiter: ≤120 in any 60 s, shared, budget shares, 429 pauses."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.api import errors
from bot.api.client import SocialClient
from bot.api.ratelimit import DEFAULT_LIMITERS, LimiterRegistry, RateLimiter
from bot.api.retry import RetryPolicy
from bot.clock import FakeClock
from bot.secret import Secret
from tests.api.conftest import BASE_URL
from tests.api.fakes import FakeApi, error


def max_in_window(times: list[float], window: float = 60.0) -> int:
    """The most timestamps inside any half-open window [t, t + window)."""
    ts = sorted(times)
    best, j = 0, 0
    for i in range(len(ts)):
        while ts[i] - ts[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_max_in_window_helper() -> None:
    assert max_in_window([0, 59.9, 60, 119.9]) == 2
    assert max_in_window([0] * 5 + [59.99]) == 6
    assert max_in_window([0, 60, 120]) == 1


def make(
    api: FakeApi, clock: FakeClock, key: Secret, reg: LimiterRegistry, **kw: object
) -> SocialClient:
    return SocialClient(BASE_URL, key, transport=api.transport, clock=clock, limiters=reg, **kw)  # type: ignore[arg-type]


async def test_burst_of_200_never_exceeds_120_in_any_window(
    client: SocialClient, api: FakeApi, clock: FakeClock
) -> None:
    api.enforce_limit = (120, 60.0)
    api.route("GET", "/v1/accounts", {"accounts": []})
    results = await asyncio.gather(*(client.list_accounts() for _ in range(200)))
    assert len(results) == 200
    times = [c.at for c in api.calls]
    assert len(times) == 200 and api.rejected == 0
    assert max_in_window(times) == 120
    assert clock.slept, "the burst had to wait (on the fake clock)"


async def test_sequential_burst_timing(
    client: SocialClient, api: FakeApi, clock: FakeClock
) -> None:
    api.route("GET", "/v1/accounts", {"accounts": []})
    t0 = clock.monotonic()
    for _ in range(241):
        await client.list_accounts()
    times = [c.at for c in api.calls]
    assert times[:120] == [t0] * 120
    assert times[120] == pytest.approx(t0 + 60)
    assert times[240] == pytest.approx(t0 + 120)
    assert max_in_window(times) == 120


async def test_limiter_counts_in_flight_requests_until_they_finish() -> None:
    clock = FakeClock()
    lim = RateLimiter(clock, limit=2, window=10)
    a = await lim.acquire()
    b = await lim.acquire()
    clock.advance(5)
    a.done()  # response came back at t+5: the server may have counted it as late as that
    clock.advance(30)
    # b is still in flight: it keeps its place; a expired at t+15
    c = await lim.acquire()
    assert lim.in_window() == 2
    waiter = asyncio.ensure_future(lim.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done()  # both counted slots are in flight: nothing can expire
    b.done()
    c.done()
    d = await waiter
    assert d.granted_at >= b.finished_at + 10  # type: ignore[operator]


async def test_two_clients_of_one_key_share_the_limiter(
    api: FakeApi, clock: FakeClock, key: Secret, limiters: LimiterRegistry
) -> None:
    api.enforce_limit = (120, 60.0)
    api.route("GET", "/v1/accounts", {"accounts": []})
    a = make(api, clock, key, limiters)
    b = make(api, clock, Secret(key.reveal()), limiters)  # a separate Secret object, same key
    other = make(api, clock, Secret("sk_test_another"), limiters)
    assert a.limiter is b.limiter and a.limiter is not other.limiter
    await asyncio.gather(*(c.list_accounts() for c in [a, b] * 100))
    assert api.rejected == 0
    assert max_in_window([c.at for c in api.calls]) == 120
    for c in (a, b, other):
        await c.aclose()


async def test_default_registry_shares_across_system_clocks(key: Secret) -> None:
    a = SocialClient(BASE_URL, key)
    b = SocialClient(BASE_URL, Secret(key.reveal()))
    assert a.limiter is b.limiter is DEFAULT_LIMITERS.for_key(key, a._clock)
    await a.aclose()
    await b.aclose()


async def test_budget_share_caps_the_notifier_and_leaves_headroom(
    client: SocialClient, api: FakeApi, clock: FakeClock
) -> None:
    api.route("GET", "/v1/posts/p/status", {"postId": "p", "status": "scheduled", "ready": False})
    api.route("GET", "/v1/accounts", {"accounts": []})
    notifier = client.share(0.5)
    assert notifier.budget_share == 0.5 and notifier.limiter is client.limiter
    t0 = clock.monotonic()
    for _ in range(60):
        await notifier.get_status("p")
    assert client.limiter.in_window(0.5) == 60
    for _ in range(60):  # commands still have the other half, at once
        await client.list_accounts()
    assert [c.at for c in api.calls] == [t0] * 120
    await notifier.get_status("p")  # the 61st notifier call waits for its window to free
    assert api.calls[-1].at == pytest.approx(t0 + 60)
    await notifier.aclose()  # a shared client does not close its parent's connections
    await client.list_accounts()


async def test_budget_share_over_a_long_run(client: SocialClient, api: FakeApi) -> None:
    api.route("GET", "/v1/posts/p/status", {"postId": "p", "status": "scheduled", "ready": False})
    notifier = client.share(0.5)
    await asyncio.gather(*(notifier.get_status("p") for _ in range(150)))
    assert max_in_window([c.at for c in api.calls]) == 60
    with pytest.raises(ValueError):
        client.share(0)
    with pytest.raises(ValueError):
        client.share(1.5)


async def test_429_retry_after_seconds_pauses_the_whole_key(
    api: FakeApi, clock: FakeClock, key: Secret, limiters: LimiterRegistry
) -> None:
    gives_up = make(api, clock, key, limiters, max_retries=0)
    other = make(api, clock, key, limiters)
    api.route("GET", "/v1/accounts", {"accounts": []})
    api.push("GET", "/v1/accounts", error(429, "rate_limited", "slow", **{"Retry-After": "7"}))
    t0 = clock.monotonic()
    with pytest.raises(errors.RateLimited):
        await gives_up.list_accounts()
    # another caller of the same key, right after: it must not call during the pause
    await other.list_accounts()
    assert api.calls[-1].at >= t0 + 7
    assert api.calls[-1].at <= t0 + 7 + 1  # jitter ≤ 1 s
    await gives_up.aclose()
    await other.aclose()


async def test_429_is_retried_after_the_pause(
    client: SocialClient, api: FakeApi, clock: FakeClock
) -> None:
    api.route("GET", "/v1/media", {"media": []})
    api.push("GET", "/v1/media", error(429, "rate_limited", "slow", **{"Retry-After": "7"}))
    t0 = clock.monotonic()
    assert await client.list_media() == []
    first, second = api.calls
    assert first.at == t0 and t0 + 7 <= second.at <= t0 + 8


async def test_429_http_date_honoured(client: SocialClient, api: FakeApi, clock: FakeClock) -> None:
    when = clock.now() + timedelta(seconds=10)
    api.route("DELETE", "/v1/media/m", {"mediaId": "m", "deleted": True})
    api.push(
        "DELETE",
        "/v1/media/m",
        error(429, "rate_limited", "slow", **{"Retry-After": format_datetime(when, usegmt=True)}),
    )
    t0 = clock.monotonic()
    assert await client.delete_media("m") is True
    assert t0 + 10 <= api.calls[-1].at <= t0 + 11


async def test_429_retry_after_is_capped(
    api: FakeApi, clock: FakeClock, key: Secret, limiters: LimiterRegistry
) -> None:
    c = make(api, clock, key, limiters, retry_policy=RetryPolicy(retry_after_cap=120))
    api.route("GET", "/v1/media", {"media": []})
    api.push("GET", "/v1/media", error(429, "rate_limited", "slow", **{"Retry-After": "86400"}))
    t0 = clock.monotonic()
    await c.list_media()
    assert api.calls[-1].at <= t0 + 120
    await c.aclose()


async def test_429_without_retry_after_still_pauses(
    client: SocialClient, api: FakeApi, clock: FakeClock
) -> None:
    api.route("GET", "/v1/media", {"media": []})
    api.push("GET", "/v1/media", error(429, "rate_limited", "slow"))
    t0 = clock.monotonic()
    await client.list_media()
    assert api.calls[-1].at >= t0 + 1


async def test_cancelled_request_releases_its_slot(clock: FakeClock, key: Secret) -> None:
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    c = SocialClient(
        BASE_URL, key, transport=httpx.MockTransport(hang), clock=clock, limiters=LimiterRegistry()
    )
    task = asyncio.ensure_future(c.list_accounts())
    await started.wait()
    assert c.limiter.in_window() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    clock.advance(60)
    assert c.limiter.in_window() == 0  # not stuck "in flight" for ever
    await c.aclose()
