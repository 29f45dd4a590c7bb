"""Media: presigned upload URLs served by the sandbox itself, complete, list, delete.

``POST /v1/media/upload-url`` signs ``/_upload/{ws}/{mediaId}/{filename}?exp=&sig=`` (HMAC over
workspace, media, expiry and Content-Type; valid 15 minutes on the sandbox clock). The PUT
needs no API key; a wrong signature or Content-Type answers 403 ``SignatureDoesNotMatch`` and an
expired URL 403 ``AccessDenied`` (S3-style XML bodies). The body is streamed in 1 MiB chunks:
only its size and a rolling SHA-256 are kept, never the bytes, so uploads of any size run in
constant memory. ``complete`` before the bytes arrived answers 400 ``bad_request``.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from bot.api.models import MediaKind
from bot.sandbox.auth import api
from bot.sandbox.context import STATE, Ctx
from bot.sandbox.errors import bad_request, not_found
from bot.sandbox.handlers import json_body, ok
from bot.sandbox.records import MediaRecord, iso, new_id
from bot.sandbox.state import SandboxState

URL_TTL = timedelta(minutes=15)
PREVIEW_TTL = timedelta(hours=1)
CHUNK = 1 << 20
# A 1×1 transparent PNG: every previewUrl serves it.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _sign(state: SandboxState, *parts: str) -> str:
    msg = "|".join(parts).encode()
    return hmac.new(state.signing_secret, msg, hashlib.sha256).hexdigest()


def _s3_error(status: int, code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


def _preview_url(request: web.Request, state: SandboxState, ws_id: str, m: MediaRecord) -> str:
    exp = str(int((state.now() + PREVIEW_TTL).timestamp()))
    sig = _sign(state, "GET", ws_id, m.media_id, exp)
    return f"{request.url.origin()}/_preview/{ws_id}/{m.media_id}?exp={exp}&sig={sig}"


def media_json(request: web.Request, ctx: Ctx, m: MediaRecord) -> dict[str, object]:
    return {
        "mediaId": m.media_id,
        "filename": m.filename,
        "kind": m.kind.value,
        "contentType": m.content_type,
        "status": m.status,
        "size": m.size,
        "createdAt": iso(m.created_at),
        "previewUrl": _preview_url(request, ctx.state, ctx.ws.ws_id, m)
        if m.status == "uploaded"
        else None,
    }


@api("media:write")
async def upload_url(request: web.Request, ctx: Ctx) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    filename, content_type = body.get("filename"), body.get("contentType")
    if not isinstance(filename, str) or not filename.strip():
        raise bad_request('filename is required (e.g. "sunset.jpg")')
    if not isinstance(content_type, str) or "/" not in content_type:
        raise bad_request('contentType is required (a MIME type such as "image/jpeg")')
    filename = filename.strip().replace("/", "_")
    m = MediaRecord(
        media_id=new_id("md"),
        filename=filename,
        content_type=content_type.strip(),
        kind=MediaKind.from_content_type(content_type),
        created_at=ctx.now,
        expires_at=ctx.now + URL_TTL,
    )
    ctx.ws.media[m.media_id] = m
    ctx.state.save_media(ctx.ws, m)
    exp = str(int(m.expires_at.timestamp()))
    sig = _sign(ctx.state, "PUT", ctx.ws.ws_id, m.media_id, exp, m.content_type.lower())
    path = f"/_upload/{ctx.ws.ws_id}/{m.media_id}/{quote(filename)}"
    return ok(
        {
            "mediaId": m.media_id,
            "uploadUrl": f"{request.url.origin()}{path}?exp={exp}&sig={sig}",
            "key": f"social-by-idm/{ctx.ws.ws_id}/{m.media_id}/{filename}",
            "expiresAt": iso(m.expires_at),
        },
        201,
    )


async def put_upload(request: web.Request) -> web.Response:
    """The presigned PUT (no API key): stream, count and hash; keep nothing else."""
    state = request.app[STATE]
    ws_id, media_id = request.match_info["ws"], request.match_info["media"]
    exp, sig = request.query.get("exp", ""), request.query.get("sig", "")
    content_type = request.headers.get("Content-Type", "").strip().lower()
    want = _sign(state, "PUT", ws_id, media_id, exp, content_type)
    if not exp.isdigit() or not hmac.compare_digest(want, sig):
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check the Content-Type: it must be the one given to upload-url.",
        )
    if state.now().timestamp() > int(exp):
        return _s3_error(403, "AccessDenied", "Request has expired")
    ws = state.workspace_by_id(ws_id)
    m = ws.media.get(media_id) if ws is not None else None
    if ws is None or m is None:
        return _s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
        digest.update(chunk)
    m.received, m.size, m.sha256 = True, size, digest.hexdigest()
    state.save_media(ws, m)
    return web.Response(status=200, headers={"ETag": f'"{m.sha256[:32]}"'})


async def get_preview(request: web.Request) -> web.Response:
    state = request.app[STATE]
    ws_id, media_id = request.match_info["ws"], request.match_info["media"]
    exp, sig = request.query.get("exp", ""), request.query.get("sig", "")
    if not exp.isdigit() or not hmac.compare_digest(_sign(state, "GET", ws_id, media_id, exp), sig):
        return _s3_error(403, "SignatureDoesNotMatch", "The request signature does not match.")
    if state.now().timestamp() > int(exp):
        return _s3_error(403, "AccessDenied", "Request has expired")
    return web.Response(body=PIXEL, content_type="image/png")


@api("media:write")
async def complete(request: web.Request, ctx: Ctx) -> web.Response:
    media_id = request.match_info["id"]
    m = ctx.ws.media.get(media_id)
    if m is None:
        raise not_found(f"media {media_id} does not exist in your workspace")
    body = await json_body(request, empty_ok=True)
    size = body.get("size") if isinstance(body, dict) else None
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise bad_request("size must be a non-negative integer")
    if not m.received:
        expired = ctx.now > m.expires_at
        raise bad_request(
            f"media {media_id} has no uploaded bytes yet — PUT the file to its uploadUrl first"
            + (" (the upload URL has expired: request a new one)" if expired else "")
        )
    if size is not None and size != m.size:
        raise bad_request(f"size {size} does not match the {m.size} bytes uploaded")
    m.status = "uploaded"
    ctx.state.save_media(ctx.ws, m)
    return ok({"mediaId": m.media_id, "status": m.status, "size": m.size})


@api("media:read")
async def list_media(request: web.Request, ctx: Ctx) -> web.Response:
    return ok({"media": [media_json(request, ctx, m) for m in ctx.ws.media.values()]})


@api("media:write")
async def delete_media(request: web.Request, ctx: Ctx) -> web.Response:
    media_id = request.match_info["id"]
    if ctx.ws.media.pop(media_id, None) is None:
        raise not_found(f"media {media_id} does not exist in your workspace")
    ctx.state.forget_media(ctx.ws, media_id)
    return ok({"mediaId": media_id, "deleted": True})
