"""Sample media the sandbox serves without a key, so the demo needs no network for media.

    GET /samples/              the list (JSON: name, content type, size, URL)
    GET /samples/photo.png     a 320×320 PNG image (a real, viewable image)
    GET /samples/cover.png     a 320×568 PNG (a reel/video cover)
    GET /samples/clip.mp4      a small MP4 stand-in (valid ``ftyp`` header; the sandbox never
                               decodes video, so it is not a playable film)
    GET /samples/deck.pdf      a one-page PDF

The bytes are made here, in code: nothing is downloaded or shipped as a binary.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

from aiohttp import web


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _mp4() -> bytes:
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    free = b"free" + b"socialbot sandbox sample clip" * 8
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(free) + 4) + free


def _pdf() -> bytes:
    text = b"BT /F1 24 Tf 72 720 Td (socialbot sample deck) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


@cache
def samples() -> dict[str, tuple[str, bytes]]:
    """name → (content type, bytes)."""
    return {
        "photo.png": ("image/png", _png(320, 320, (255, 140, 0))),
        "cover.png": ("image/png", _png(320, 568, (30, 120, 220))),
        "clip.mp4": ("video/mp4", _mp4()),
        "deck.pdf": ("application/pdf", _pdf()),
    }


async def get_sample(request: web.Request) -> web.Response:
    found = samples().get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text=f"no sample here; try {', '.join(samples())}")
    content_type, body = found
    return web.Response(body=body, content_type=content_type)


async def list_samples(request: web.Request) -> web.Response:
    base = f"{request.scheme}://{request.host}/samples/"
    return web.json_response(
        [
            {"name": n, "contentType": ct, "size": len(b), "url": base + n}
            for n, (ct, b) in samples().items()
        ]
    )
