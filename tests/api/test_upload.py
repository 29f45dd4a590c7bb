"""Media upload: three steps, bytes streamed with bounded memory, no key on the presigned PUT."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.api import errors
from bot.api.client import SocialClient
from bot.api.models import UploadTicket
from bot.api.ratelimit import LimiterRegistry
from bot.clock import FakeClock
from bot.secret import Secret
from tests.api.conftest import BASE_URL, KEY_VALUE
from tests.api.fakes import FakeApi, StreamingTransport

SIGNATURE = "X-Amz-Signature=d34db33fsecret"
UPLOAD_URL = f"https://storage.test/bucket/md_9/clip.mp4?X-Amz-Expires=900&{SIGNATURE}"
CHUNK = 64 * 1024


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def transport(api: FakeApi, events: list[str]) -> StreamingTransport:
    api.route(
        "POST",
        "/v1/media/upload-url",
        httpx.Response(
            201, json={"mediaId": "md_9", "uploadUrl": UPLOAD_URL, "key": "bucket/md_9/clip.mp4"}
        ),
    )
    api.route("POST", "/v1/media/md_9/complete", {"mediaId": "md_9", "status": "uploaded"})
    return StreamingTransport(api, "storage.test", events)


@pytest.fixture
async def sclient(
    transport: StreamingTransport, clock: FakeClock, key: Secret
) -> AsyncIterator[SocialClient]:
    c = SocialClient(BASE_URL, key, transport=transport, clock=clock, limiters=LimiterRegistry())
    yield c
    await c.aclose()


def produce(n: int, events: list[str]) -> AsyncIterator[bytes]:
    buf = b"\x5a" * CHUNK

    async def gen() -> AsyncIterator[bytes]:
        for i in range(n):
            events.append(f"produced {i}")
            yield buf

    return gen()


async def test_upload_streams_incrementally_without_key(
    sclient: SocialClient, transport: StreamingTransport, api: FakeApi, events: list[str]
) -> None:
    n = 16
    media_id = await sclient.upload(
        produce(n, events), filename="clip.mp4", content_type="video/mp4", size=n * CHUNK
    )
    assert media_id == "md_9"
    # each chunk is consumed before the next is produced: one chunk in memory at a time
    expected: list[str] = []
    for i in range(n):
        expected += [f"produced {i}", f"consumed {CHUNK}"]
    assert events == expected
    assert transport.received == n * CHUNK
    (put,) = transport.put_requests
    assert put.method == "PUT"
    assert "x-api-key" not in put.headers and "authorization" not in put.headers
    assert put.headers["content-length"] == str(n * CHUNK)
    assert "transfer-encoding" not in put.headers
    assert put.headers["content-type"] == "video/mp4"
    steps = [(c.method, c.path) for c in api.calls]
    assert steps == [("POST", "/v1/media/upload-url"), ("POST", "/v1/media/md_9/complete")]
    assert api.calls[0].json() == {"filename": "clip.mp4", "contentType": "video/mp4"}
    assert api.calls[1].json() == {"size": n * CHUNK}
    assert all(c.headers["x-api-key"] == KEY_VALUE for c in api.calls)


async def test_upload_without_size_is_chunked(
    sclient: SocialClient, transport: StreamingTransport, events: list[str]
) -> None:
    ticket = UploadTicket("md_9", UPLOAD_URL)
    sent = await sclient.put_upload(ticket, produce(3, events), "image/png")
    assert sent == 3 * CHUNK
    (put,) = transport.put_requests
    assert put.headers["transfer-encoding"] == "chunked" and "content-length" not in put.headers


async def test_presigned_failure_is_clear_and_hides_the_url(
    sclient: SocialClient,
    transport: StreamingTransport,
    events: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    transport.put_status = 403
    with pytest.raises(errors.UploadFailed) as ei:
        await sclient.upload(produce(2, events), filename="clip.mp4", content_type="video/mp4")
    assert "md_9" in str(ei.value) and "403" in str(ei.value)
    assert isinstance(ei.value, errors.ApiError)
    for text in [str(ei.value), repr(ei.value), *(r.getMessage() for r in caplog.records)]:
        assert "d34db33f" not in text and "X-Amz-Expires" not in text
    assert any("presigned PUT media=md_9 -> 403" in r.getMessage() for r in caplog.records)
    # httpx's own INFO line is kept but without the signature
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("storage.test" in line and "[redacted]" in line for line in httpx_lines)


async def test_presigned_transport_error_hides_the_url(clock: FakeClock, key: Secret) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.WriteError(f"broken pipe while sending to {request.url}")

    c = SocialClient(
        BASE_URL,
        key,
        transport=httpx.MockTransport(handler),
        clock=clock,
        limiters=LimiterRegistry(),
    )
    with pytest.raises(errors.UploadFailed) as ei:
        await c.put_upload(UploadTicket("md_9", UPLOAD_URL), produce(1, []), "video/mp4")
    assert "d34db33f" not in str(ei.value) and "WriteError" in str(ei.value)
    assert ei.value.__cause__ is None and ei.value.__suppress_context__
    await c.aclose()


async def test_size_mismatch_is_an_error(sclient: SocialClient, events: list[str]) -> None:
    with pytest.raises(errors.UploadFailed):
        await sclient.put_upload(
            UploadTicket("md_9", UPLOAD_URL), produce(2, events), "video/mp4", size=3 * CHUNK
        )
