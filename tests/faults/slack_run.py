"""The fault run on Slack (``tests.faults.driver``): HTTP mode against ``tests.slack.fake_slack``.

Requests are signed ``/post x "…<token>…"`` slash commands (one requester user and trigger
id each); approvals are signed ``reaction_added`` events on the card (20 %: the same
``event_id`` twice). Every delivery the bot did not answer 200 is sent again, unchanged (same
trigger id / event id), as Slack (events) or the user (commands) would. Cards and the bot's
notes are found by the key in their metadata (``approval-card:<post id>``, ``approval-
recovered:…``, ``approval-failed:…``); announcements by an outbox key (``n`` + 24 hex).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.faults.procs import child_env
from tests.faults.run import TOKEN, Config, Run, caption, token
from tests.slack.fake_slack import BOT_TOKEN, BOT_USER, TEAM, FakeSlack, Message

SECRET = "faults-signing-secret-0123456789"
PUBLIC = "CPUB"
APPROVAL = "CAPP"
APPROVERS = ("UAPP1", "UAPP2")
OUTBOX_KEY = re.compile(r"^n[0-9a-f]{24}$")


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": "v0=" + sig}


def slash_body(text: str, *, channel: str, user: str, trigger: str, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy", "team_id": TEAM, "team_domain": "t", "channel_id": channel,
            "channel_name": channel.lower(), "user_id": user, "user_name": user.lower(),
            "command": "/post", "text": text, "api_app_id": "A1",
            "response_url": response_url, "trigger_id": trigger,
        }
    )  # fmt: skip


def reaction_body(user: str, channel: str, ts: str, event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "event": {
                "type": "reaction_added", "user": user, "reaction": "white_check_mark",
                "item": {"type": "message", "channel": channel, "ts": ts},
                "item_user": BOT_USER, "event_ts": f"{time.time():.6f}",
            },
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    )  # fmt: skip


class SlackRun(Run):
    platform = "slack"

    def __init__(self, cfg: Config, work: Path) -> None:
        super().__init__(cfg, work)
        self.fake = FakeSlack(seed=cfg.seed, ambiguous_rate=cfg.chat_ambiguous)
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0))
        self.bot_url: str | None = None
        self.reacted_notes: set[str] = set()
        self._event_ids = 0

    async def start_fake(self) -> None:
        await self.fake.start()

    async def stop_fake(self) -> None:
        await self.http.aclose()
        await self.fake.stop()

    def bot_env(self) -> dict[str, str]:
        config = self.config_file(PUBLIC, APPROVAL, APPROVERS)
        return child_env(
            {
                **self.common_env(config),
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": self.fake.url,
            }
        )

    async def start_bot(self) -> None:
        host, port = await self.launch(["run", "--host", "127.0.0.1", "--port", "0"])
        self.bot_url = f"http://{host}:{port}/slack/events"
        self.up.set()
        self.log(f"bot up at {self.bot_url}")

    async def kill_bot(self) -> None:
        self.bot_url = None
        await super().kill_bot()

    # -- deliveries

    async def deliver(self, body: str, ctype: str, what: str) -> None:
        """Send until the bot answers 200 (retries carry the same body: same ids)."""
        attempt = 0
        while True:
            await self.up.wait()
            url = self.bot_url
            if url is None:
                await asyncio.sleep(0.05)
                continue
            headers = {"content-type": ctype, **signed(body)}
            if attempt and ctype == "application/json":
                headers["x-slack-retry-num"] = str(min(attempt, 3))
                headers["x-slack-retry-reason"] = "http_error"
            try:
                r = await self.http.post(url, content=body.encode(), headers=headers)
                if r.status_code == 200:
                    return
                self.log(f"{what}: HTTP {r.status_code}, retrying")
            except httpx.HTTPError:
                pass
            attempt += 1
            await asyncio.sleep(0.2)

    async def submit(self, i: int, approval: bool) -> None:
        body = slash_body(
            f'x "{caption(i, self.cfg.posts)}"',
            channel=APPROVAL if approval else PUBLIC,
            user=f"UREQ{i:04d}",
            trigger=f"trig.{self.cfg.seed}.{i}",
            response_url=self.fake.response_url(token(i)),
        )
        await self.deliver(body, "application/x-www-form-urlencoded", f"post {i}")

    def next_event_id(self) -> str:
        self._event_ids += 1
        return f"Ev{self.cfg.seed:03d}{self._event_ids:06d}"

    async def approve(self, post_id: str, card: Message, again: bool = False) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 1.0))
        users = [self.rng.choice(APPROVERS)]
        if not again and self.rng.random() < 0.3:
            users = list(APPROVERS)  # two approvers at the same instant
        sends = []
        for u in users:
            body = reaction_body(u, card.channel, card.ts, self.next_event_id())
            copies = 2 if self.rng.random() < 0.2 else 1  # the same event_id twice
            sends += [self.deliver(body, "application/json", f"✅ {post_id}")] * copies
            self.report.approvals_sent += 1
        await asyncio.gather(*sends)
        self.approved_posts.add(post_id)

    async def approver(self) -> None:
        while True:
            for m in list(self.fake.live()):
                key = m.key or ""
                if key.startswith("approval-card:"):
                    pid = key.split(":", 1)[1]
                    if pid not in self.cards_seen:
                        self.cards_seen.add(pid)
                        self.spawn(self.approve(pid, m))
                elif key.startswith(("approval-recovered:", "approval-failed:")):
                    if key in self.reacted_notes:
                        continue
                    self.reacted_notes.add(key)
                    pid = key.split(":")[1]
                    card = self.card_of(pid)
                    if card is not None:
                        self.report.re_reacts += 1
                        self.spawn(self.approve(pid, card, again=True))
            await asyncio.sleep(0.2)

    def card_of(self, post_id: str) -> Message | None:
        for m in self.fake.live():
            if m.key == f"approval-card:{post_id}":
                return m
        return None

    # -- what the run sees

    def card_text(self, post_id: str) -> str | None:
        card = self.card_of(post_id)
        return card.body() if card is not None else None

    def announced(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for m in self.fake.live():
            if m.key and OUTBOX_KEY.match(m.key):
                for t in set(TOKEN.findall(m.body())):
                    out[t] += 1
        return out

    def answered(self) -> set[str]:
        out: set[str] = set()
        for e in self.fake.ephemeral:
            u = str(e.get("user", ""))
            if u.startswith("UREQ"):
                out.add(token(int(u[4:])))
        out |= {tag for tag, _ in self.fake.responses}  # response_url posts: token in the URL
        return out

    def extra_rows(self) -> list[tuple[str, str]]:
        return [("ambiguous Slack sends (posted, then 500)", str(self.fake.ambiguous))]
