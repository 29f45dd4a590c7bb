from __future__ import annotations

import httpx

from bot.clock import FakeClock


async def test_publish_now_goes_live_after_the_delay(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    r = await client.post(
        "/v1/posts", json={"accountIds": ["acc_x_1"], "content": "hello", "publishNow": True}
    )
    assert r.status_code == 201
    assert r.json()["status"] == "publishing"
    clock.advance(2)
    s = (await client.get(f"/v1/posts/{r.json()['postId']}/status")).json()
    assert s["status"] == "published" and s["ready"] is True
    assert s["targets"][0]["permalink"].startswith("https://x.com/acme_x/status/")
