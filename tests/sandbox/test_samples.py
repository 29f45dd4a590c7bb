"""The sandbox serves sample media without a key (issue 13 item 12)."""

from __future__ import annotations

import httpx

from bot.sandbox import start_sandbox


async def test_samples_are_served_with_their_types() -> None:
    async with start_sandbox(port=0) as sb, httpx.AsyncClient() as c:
        listing = (await c.get(f"{sb.url}/samples/")).json()
        assert {s["name"]: s["contentType"] for s in listing} == {
            "photo.png": "image/png",
            "cover.png": "image/png",
            "clip.mp4": "video/mp4",
            "deck.pdf": "application/pdf",
        }
        png = await c.get(f"{sb.url}/samples/photo.png")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
        pdf = await c.get(f"{sb.url}/samples/deck.pdf")
        assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
        mp4 = await c.get(f"{sb.url}/samples/clip.mp4")
        assert mp4.content[4:8] == b"ftyp"
        assert (await c.get(f"{sb.url}/samples/nope.gif")).status_code == 404
