"""The client against the real sandbox over loopback, both on one FakeClock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from bot.api import errors
from bot.api.client import SocialClient
from bot.api.models import NewPost, Platform, PostStatus, PostType, PostUpdate
from bot.api.ratelimit import LimiterRegistry
from bot.api.retry import RetryPolicy
from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox
from bot.secret import Secret


def _registry(given: object) -> LimiterRegistry:
    """The registry a test passed (an empty one is still the one to share), else a fresh one."""
    return given if isinstance(given, LimiterRegistry) else LimiterRegistry()


KEY = "sk_test_integration_key_42"
READONLY = "sk_test_integration_readonly"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[Sandbox]:
    opts = SandboxOptions(keys=[KEY, f"{READONLY}:posts:read"], clock=clock, publish_delay=2.0)
    async with start_sandbox(opts) as sb:
        yield sb


def make(sb: Sandbox, clock: FakeClock, key: str = KEY, **kw: object) -> SocialClient:
    return SocialClient(
        sb.url,
        Secret(key),
        clock=clock,
        limiters=_registry(kw.pop("limiters", None)),
        retry_policy=RetryPolicy(rng=random.Random(3)),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def client(sandbox: Sandbox, clock: FakeClock) -> AsyncIterator[SocialClient]:
    c = make(sandbox, clock)
    yield c
    await c.aclose()


async def account(c: SocialClient, platform: Platform) -> str:
    return next(a.account_id for a in await c.list_accounts() if a.platform == platform)


async def chunks(n: int, size: int = 32 * 1024) -> AsyncIterator[bytes]:
    for _ in range(n):
        yield b"\x01" * size


def requests_after(sb: Sandbox, at: float) -> list[float]:
    return [e.monotonic for e in sb.state.log if e.monotonic > at]


async def test_every_endpoint_round_trip(
    client: SocialClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    accounts = await client.list_accounts()
    assert {a.platform for a in accounts} == set(Platform)
    ig = await account(client, Platform.INSTAGRAM)

    page = await client.list_native_posts(ig, limit=2)
    assert len(page.posts) == 2 and page.next_cursor
    rest = await client.list_native_posts(ig, limit=2, cursor=page.next_cursor)
    assert rest.posts and rest.posts[0].platform_post_id not in {
        p.platform_post_id for p in page.posts
    }

    media_id = await client.upload(
        chunks(8), filename="sunset.jpg", content_type="image/jpeg", size=8 * 32 * 1024
    )
    media = {m.media_id: m for m in await client.list_media()}
    assert media[media_id].status == "uploaded" and media[media_id].size == 8 * 32 * 1024
    put = [e for e in sandbox.state.log if e.path.startswith("/_upload/")]
    assert len(put) == 1 and put[0].key_id is None and put[0].status == 200  # no key on the PUT

    when = clock.now() + timedelta(days=1)
    created = await client.create_post(
        NewPost(
            (ig,),
            content="we shipped 🚀",
            media_ids=(media_id,),
            post_type=PostType.IMAGE,
            scheduled_at=when,
        )
    )
    assert created.post.status is PostStatus.SCHEDULED and not created.reconciled
    pid = created.post.post_id
    assert pid in {p.post_id for p in await client.list_posts()}
    got = await client.get_post(pid)
    assert got.targets[0].account_id == ig and got.scheduled_at == when
    st = await client.get_status(pid)
    assert st.status is PostStatus.SCHEDULED and not st.ready

    up = await client.update_post(pid, PostUpdate(content="we shipped — v2"))
    assert up.updated and up.post.content == "we shipped — v2"
    up2 = await client.update_post(
        pid, PostUpdate(scheduled_at=when + timedelta(hours=1)), method="PATCH"
    )
    assert up2.rescheduled

    deleted = await client.delete_post(pid)
    assert deleted.status is PostStatus.CANCELED
    assert await client.delete_media(media_id) is True

    now = await client.create_post(
        NewPost(
            (ig,),
            content="live now",
            media_ids=(
                await client.upload(chunks(1), filename="a.jpg", content_type="image/jpeg"),
            ),
            publish_now=True,
        )
    )
    assert now.immediate
    clock.advance(5)
    st = await client.get_status(now.post.post_id)
    assert st.status is PostStatus.PUBLISHED and st.ready
    native_id = st.targets[0].platform_post_id
    assert native_id
    nd = await client.delete_native_post(ig, native_id)
    assert nd.deleted

    a = await client.analytics()
    assert a.total_posts >= 2
    assert (await client.openapi())["openapi"].startswith("3.")


async def test_bearer_auth(sandbox: Sandbox, clock: FakeClock) -> None:
    c = make(sandbox, clock, auth_scheme="bearer")
    assert await c.list_accounts()
    await c.aclose()


async def test_typed_errors_from_the_sandbox(
    client: SocialClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    bad = make(sandbox, clock, key="sk_test_wrong")
    with pytest.raises(errors.Unauthorized):
        await bad.list_accounts()
    ro = make(sandbox, clock, key=READONLY)
    with pytest.raises(errors.Forbidden):
        await ro.list_accounts()
    with pytest.raises(errors.NotFound):
        await client.get_post("pst_nope")
    threads = await account(client, Platform.THREADS)
    with pytest.raises(errors.Unsupported):
        await client.list_native_posts(threads)
    x = await account(client, Platform.X)
    with pytest.raises(errors.ContentInvalid):
        await client.create_post(NewPost((x,), content="x" * 281, publish_now=True))
    with pytest.raises(errors.BadRequest):
        await client.create_post(NewPost((), content="nobody", publish_now=True))
    for c in (bad, ro):
        await c.aclose()


async def test_burst_of_200_yields_no_429(client: SocialClient, sandbox: Sandbox) -> None:
    results = await asyncio.gather(*(client.list_accounts() for _ in range(200)))
    assert len(results) == 200 and all(results)
    statuses = [e.status for e in sandbox.state.log]
    assert len(statuses) == 200 and 429 not in statuses
    assert 100 <= sandbox.state.max_requests_in_window(60.0, KEY) <= 120


async def test_burst_shared_by_two_clients_and_a_notifier(
    sandbox: Sandbox, clock: FakeClock
) -> None:
    reg = LimiterRegistry()
    a, b = make(sandbox, clock, limiters=reg), make(sandbox, clock, limiters=reg)
    notifier = b.share(0.5)
    ig = await account(a, Platform.INSTAGRAM)
    await asyncio.gather(
        *(a.list_accounts() for _ in range(80)),
        *(b.list_media() for _ in range(60)),
        *(notifier.list_native_posts(ig) for _ in range(80)),
    )
    assert 429 not in {e.status for e in sandbox.state.log}
    assert sandbox.state.max_requests_in_window(60.0, KEY) <= 120
    await a.aclose()
    await b.aclose()


@pytest.mark.parametrize("http_date", [False, True])
async def test_429_retry_after_honoured_for_the_whole_key(
    sandbox: Sandbox, clock: FakeClock, http_date: bool
) -> None:
    reg = LimiterRegistry()
    first, second = (
        make(sandbox, clock, limiters=reg, max_retries=0),
        make(sandbox, clock, limiters=reg),
    )
    sandbox.faults.burst_429(1, retry_after=7, http_date=http_date)
    t0 = clock.monotonic()
    with pytest.raises(errors.RateLimited) as ei:
        await first.list_accounts()
    assert ei.value.retry_after == pytest.approx(7, abs=1)
    assert await second.list_accounts()
    later = requests_after(sandbox, t0)
    assert later and min(later) >= t0 + 7  # no call on that key during the pause
    await first.aclose()
    await second.aclose()


@pytest.mark.parametrize("mode", ["500", "close"])
async def test_create_reconciled_after_commit(
    client: SocialClient, sandbox: Sandbox, mode: str
) -> None:
    x = await account(client, Platform.X)
    sandbox.faults.fail_after_commit(1, mode=mode)  # type: ignore[arg-type]
    created = await client.create_post(
        NewPost((x,), content=f"exactly once {mode}", publish_now=True)
    )
    assert created.reconciled
    assert sandbox.state.create_calls(KEY) == 1
    assert [p.post_id for p in sandbox.state.posts(KEY)] == [created.post.post_id]


class DropFirstCreate(httpx.AsyncBaseTransport):
    """Times out the first POST /v1/posts before it reaches the server."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.dropped = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v1/posts" and not self.dropped:
            self.dropped += 1
            raise httpx.ReadTimeout("lost on the way", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_create_timeout_before_server_posts_once(sandbox: Sandbox, clock: FakeClock) -> None:
    transport = DropFirstCreate()
    c = make(sandbox, clock, transport=transport)
    x = await account(c, Platform.X)
    created = await c.create_post(
        NewPost((x,), content="sent twice, created once", publish_now=True)
    )
    assert transport.dropped == 1 and not created.reconciled
    assert sandbox.state.create_calls(KEY) == 1 and len(sandbox.state.posts(KEY)) == 1
    await c.aclose()


async def test_5xx_retried_on_reads(client: SocialClient, sandbox: Sandbox) -> None:
    sandbox.faults.error_rate = 0.4
    for _ in range(10):
        assert await client.list_accounts()
    assert sandbox.faults.injected > 0
    assert 503 in {e.status for e in sandbox.state.log}
