"""Fixtures: a sandbox on 127.0.0.1:0 with a FakeClock, and plain httpx clients to it."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from bot.sandbox import Sandbox, SandboxOptions, start_sandbox

KEY = "sk_test_sandbox"
_TLS = ssl.create_default_context()  # built once: a fresh httpx client would load certifi each time


def http(**kwargs: Any) -> httpx.AsyncClient:
    """A plain httpx client (cheap to create: the TLS context is shared)."""
    return httpx.AsyncClient(verify=_TLS, **kwargs)


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
    async with http(base_url=sandbox.url, headers={"X-Api-Key": KEY}) as c:
        yield c


StartFn = Callable[..., AbstractAsyncContextManager[Sandbox]]


def err(resp: httpx.Response) -> tuple[int, str, str]:
    body: Any = resp.json()
    return resp.status_code, body["error"]["code"], body["error"]["message"]


async def upload(
    client: httpx.AsyncClient,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    data: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
    *,
    complete: bool = True,
) -> str:
    """The three-step upload; returns the mediaId (completed unless told otherwise)."""
    r = await client.post(
        "/v1/media/upload-url", json={"filename": filename, "contentType": content_type}
    )
    assert r.status_code == 201, r.text
    ticket = r.json()
    async with http() as raw:  # the presigned PUT carries no API key
        put = await raw.put(
            ticket["uploadUrl"], content=data, headers={"Content-Type": content_type}
        )
    assert put.status_code == 200, put.text
    if complete:
        done = await client.post(f"/v1/media/{ticket['mediaId']}/complete", json={})
        assert done.status_code == 200, done.text
    return str(ticket["mediaId"])


async def image(client: httpx.AsyncClient) -> str:
    return await upload(client)


async def video(client: httpx.AsyncClient) -> str:
    return await upload(client, "clip.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42")


async def pdf(client: httpx.AsyncClient) -> str:
    return await upload(client, "deck.pdf", "application/pdf", b"%PDF-1.7 fake")


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    """POST /v1/posts; publishNow unless the body says when."""
    if not {"scheduledAt", "draft", "platformSchedules", "publishNow"} & body.keys():
        body["publishNow"] = True
    return await client.post("/v1/posts", json=body)
