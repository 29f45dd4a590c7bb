"""Media: presigned upload served by the sandbox, complete, list, delete, expiry."""

from __future__ import annotations

import hashlib
import resource
from collections.abc import AsyncIterator

import httpx

from bot.clock import FakeClock
from bot.sandbox import Sandbox
from tests.sandbox.conftest import KEY, create, err, http, upload


async def _ticket(client: httpx.AsyncClient, ct: str = "image/jpeg") -> dict[str, str]:
    r = await client.post(
        "/v1/media/upload-url", json={"filename": "sunset.jpg", "contentType": ct}
    )
    assert r.status_code == 201
    body: dict[str, str] = r.json()
    return body


async def test_upload_flow_list_preview_delete(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    t = await _ticket(client)
    assert t["mediaId"].startswith("md_")
    assert t["uploadUrl"].startswith(sandbox.url + "/_upload/")
    assert t["key"].endswith(f"/{t['mediaId']}/sunset.jpg")
    data = b"\xff\xd8" + b"jpeg" * 1000
    async with http() as raw:
        put = await raw.put(t["uploadUrl"], content=data, headers={"Content-Type": "image/jpeg"})
    assert put.status_code == 200
    listed = (await client.get("/v1/media")).json()["media"]
    assert listed[0]["status"] == "pending" and listed[0]["previewUrl"] is None
    done = await client.post(f"/v1/media/{t['mediaId']}/complete", json={"size": len(data)})
    assert done.json() == {"mediaId": t["mediaId"], "status": "uploaded", "size": len(data)}
    m = sandbox.state.media(KEY)[0]
    assert m.sha256 == hashlib.sha256(data).hexdigest()
    listed = (await client.get("/v1/media")).json()["media"]
    assert listed[0]["kind"] == "image" and listed[0]["filename"] == "sunset.jpg"
    async with http() as raw:
        preview = await raw.get(listed[0]["previewUrl"])
        assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/png"
        forged = await raw.get(listed[0]["previewUrl"].replace("sig=", "sig=0"))
        assert forged.status_code == 403
    assert (await client.post(f"/v1/media/{t['mediaId']}/complete", json={})).status_code == 200
    d = await client.delete(f"/v1/media/{t['mediaId']}")
    assert d.json() == {"mediaId": t["mediaId"], "deleted": True}
    assert (await client.get("/v1/media")).json()["media"] == []
    assert err(await client.delete(f"/v1/media/{t['mediaId']}"))[:2] == (404, "not_found")
    r = await create(client, accountIds=["acc_ig_1"], mediaIds=[t["mediaId"]])
    assert err(r)[:2] == (404, "not_found")


async def test_put_needs_the_same_content_type_and_a_valid_signature(
    client: httpx.AsyncClient,
) -> None:
    t = await _ticket(client)
    async with http() as raw:
        wrong = await raw.put(t["uploadUrl"], content=b"x", headers={"Content-Type": "image/png"})
        assert wrong.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in wrong.text
        forged = await raw.put(
            t["uploadUrl"][:-4] + "0000", content=b"x", headers={"Content-Type": "image/jpeg"}
        )
        assert forged.status_code == 403
        other = t["uploadUrl"].replace(t["mediaId"], "md_other")
        assert (
            await raw.put(other, content=b"x", headers={"Content-Type": "image/jpeg"})
        ).status_code == 403
    # Nothing arrived, so complete is refused.
    r = await client.post(f"/v1/media/{t['mediaId']}/complete", json={})
    assert err(r)[:2] == (400, "bad_request") and "PUT" in err(r)[2]


async def test_presigned_url_expires_after_15_minutes(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    t = await _ticket(client)
    clock.advance(15 * 60)
    async with http() as raw:
        ok = await raw.put(t["uploadUrl"], content=b"a", headers={"Content-Type": "image/jpeg"})
        assert ok.status_code == 200
        clock.advance(1)
        late = await raw.put(t["uploadUrl"], content=b"a", headers={"Content-Type": "image/jpeg"})
    assert late.status_code == 403
    assert "<Code>AccessDenied</Code>" in late.text and "Request has expired" in late.text


async def test_complete_errors(client: httpx.AsyncClient) -> None:
    assert err(await client.post("/v1/media/md_nope/complete", json={}))[:2] == (404, "not_found")
    mid = await upload(client, data=b"12345", complete=False)
    r = await client.post(f"/v1/media/{mid}/complete", json={"size": 6})
    assert err(r)[:2] == (400, "bad_request") and "5 bytes" in err(r)[2]
    assert err(await client.post(f"/v1/media/{mid}/complete", json={"size": "5"}))[:2] == (
        400,
        "bad_request",
    )


async def test_upload_url_requires_filename_and_content_type(client: httpx.AsyncClient) -> None:
    for body in (
        {},
        {"filename": "a.jpg"},
        {"contentType": "image/jpeg"},
        {"filename": "", "contentType": "image/jpeg"},
        {"filename": "a", "contentType": "jpeg"},
    ):
        assert err(await client.post("/v1/media/upload-url", json=body))[:2] == (400, "bad_request")


async def test_media_kinds(client: httpx.AsyncClient) -> None:
    await upload(client, "a.mp4", "video/mp4")
    await upload(client, "b.pdf", "application/pdf")
    await upload(client, "c.zip", "application/zip")
    kinds = [m["kind"] for m in (await client.get("/v1/media")).json()["media"]]
    assert kinds == ["video", "document", "other"]


async def test_large_upload_is_streamed_not_buffered(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    """128 MiB through the presigned PUT must not raise the process's peak memory by 64 MiB."""
    t = await _ticket(client, "video/mp4")
    chunk = b"v" * (1 << 20)
    total = 128

    async def body() -> AsyncIterator[bytes]:
        for _ in range(total):
            yield chunk

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    async with http(timeout=60) as raw:
        put = await raw.put(t["uploadUrl"], content=body(), headers={"Content-Type": "video/mp4"})
    assert put.status_code == 200
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 64, grown_mib
    done = await client.post(f"/v1/media/{t['mediaId']}/complete", json={})
    assert done.json()["size"] == total << 20
