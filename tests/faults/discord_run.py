"""The fault run on Discord (``tests.faults.driver``): the bot's gateway client against
``tests.discord.fake_discord`` (REST + gateway).

Requests are ``/post`` interactions (``targets: x``, the caption with its token; one requester
user each) dispatched through the gateway; approvals are ``MESSAGE_REACTION_ADD`` ✅ on the
card (20 %: the same reaction dispatched twice). The fake holds Discord's rules: an
interaction must be answered within 3 s (later, the bot answers in the channel), a keyed
channel send is sometimes created and then answered 500 (discord.py retries it with the same
nonce). Besides the SIGKILLs, the gateway is disrupted at random moments: op 7 Reconnect and
close 4000 (the bot RESUMEs and gets what it missed replayed) or op 9 Invalid Session and
close 4009 (the session ends, what was dispatched to it is lost, the bot IDENTIFYs anew).

Discord never re-delivers a gateway event, so an event sent to a process that was then
killed, or to a session that then ended, is gone — as for a person, whose command "did not
respond" or whose ✅ did nothing: the driver then sends it again (a new interaction / the
reaction again), once the bot is back, and counts it. It never re-sends what the bot
acknowledged: an interaction with a defer (or an answer), a reaction the bot journaled (read
from its database) or on a card no longer pending — so a request the bot dropped after its
acknowledgement shows as lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx

from adapters.discord.translate import nonce_for
from tests.discord.fake_discord import APPROVAL_CHANNEL_ID, CHANNEL_ID, GUILD_ID, FakeDiscord, Msg
from tests.discord.fake_gateway import Session
from tests.faults.procs import child_env
from tests.faults.run import TOKEN, Config, Run, caption, token
from tests.secrets import DISCORD_BOT_TOKEN

PUBLIC = CHANNEL_ID
APPROVAL = APPROVAL_CHANNEL_ID
APPROVERS = ("3100000000000000001", "3100000000000000002")
ACK_WINDOW = 3.0
NOTE = re.compile(
    r"Approval of post (\S+) was interrupted|Approved, but post (\S+) could not be activated"
)
CARD = re.compile(r"^Card (\S+)")
MENTION = re.compile(r"<@!?(\d+)>")


def requester(i: int) -> str:
    return f"300000000000{i:07d}"


class DiscordRun(Run):
    platform = "discord"

    def __init__(self, cfg: Config, work: Path) -> None:
        super().__init__(cfg, work)
        self.fake = FakeDiscord()
        self.fake.ack_window = ACK_WINDOW
        self.fake.ambiguous_rate = cfg.chat_ambiguous
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
        self.iids: dict[str, list[str]] = {}  # token → its interactions
        self.reacted_notes: set[str] = set()
        self.resent_commands = 0
        self.resent_reactions = 0

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
                "DISCORD_BOT_TOKEN": DISCORD_BOT_TOKEN,
                "DISCORD_API_URL": self.fake.api_url,
                "DISCORD_GATEWAY_URL": self.fake.gateway_url,
                "DISCORD_GUILD_IDS": GUILD_ID,
            }
        )

    async def start_bot(self) -> None:
        args = ["run", "--host", "127.0.0.1", "--port", "1", "--health-port", "0"]
        host, port = await self.launch(args)
        end = time.monotonic() + 60
        while True:  # ready: connected to the gateway, start-up recovery done
            try:
                r = await self.http.get(f"http://{host}:{port}/readyz")
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > end:
                raise RuntimeError("the bot was not ready within 60 s")
            await asyncio.sleep(0.1)
        self.up.set()
        self.log("bot up")

    # -- deliveries

    async def session(self) -> tuple[Session, int]:
        """Wait for a running bot and a valid gateway session (live or awaiting a RESUME)."""
        while True:
            await self.up.wait()
            s = self.fake.session
            if s is not None and s.valid:
                return s, self.epoch
            await asyncio.sleep(0.05)

    def gone(self, s: Session, epoch: int) -> bool:
        """What was dispatched to ``s`` at ``epoch`` may never reach the bot."""
        return self.epoch != epoch or not s.valid

    def visible(self, i: int, iid: str) -> bool:
        """The bot acknowledged the interaction (defer), or posted for the requester."""
        if self.fake.callbacks.get(iid):
            return True
        mention = f"<@{requester(i)}>"
        return any(
            m.interaction_id is None and mention in m.content for m in self.fake.messages.values()
        )

    async def submit(self, i: int, approval: bool) -> None:
        t = token(i)
        while True:
            s, epoch = await self.session()
            iid = await self.fake.slash(
                "post",
                {"targets": "x", "caption": caption(i, self.cfg.posts)},
                user_id=requester(i),
                channel_id=APPROVAL if approval else PUBLIC,
            )
            self.iids.setdefault(t, []).append(iid)
            sent = time.monotonic()
            while not self.visible(i, iid):
                if self.gone(s, epoch) and time.monotonic() - sent > ACK_WINDOW + 1:
                    break
                await asyncio.sleep(0.2)
            else:
                return
            await self.up.wait()
            if self.visible(i, iid):
                return
            self.resent_commands += 1  # "the application did not respond": the user tries again
            self.log(f"post {i}: interaction {iid} lost with its session/process; again")

    def pending(self, card: Msg) -> bool:
        return "pending" in (card.title or "")

    async def approve(self, post_id: str, card: Msg, again: bool = False) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 1.0))
        users = [self.rng.choice(APPROVERS)]
        if not again and self.rng.random() < 0.3:
            users = list(APPROVERS)  # two approvers at the same instant
        while True:
            s, epoch = await self.session()
            sends = []
            for u in users:
                copies = 2 if self.rng.random() < 0.2 else 1  # the same reaction twice
                sends += [self.fake.react(card.id, "✅", user_id=u, channel_id=APPROVAL)] * copies
                self.report.approvals_sent += 1
            await asyncio.gather(*sends)
            self.approved_posts.add(post_id)
            sent = time.monotonic()
            while self.pending(card) and not card.deleted:
                if self.gone(s, epoch) and time.monotonic() - sent > 2:
                    break
                await asyncio.sleep(0.2)
            else:
                return
            await self.up.wait()
            await asyncio.sleep(1)
            if not self.pending(card) or card.deleted or self.recorded(card.id, users):
                return  # the bot has it (what it recorded is resumed after a restart)
            self.resent_reactions += 1
            self.log(f"✅ on {post_id}: never reached the bot; again")

    def recorded(self, message_id: str, users: list[str]) -> bool:
        """The bot journaled a reaction by one of ``users`` on that message."""
        path = self.work / "bot.db"
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
                rows = db.execute(
                    "SELECT payload FROM command_journal WHERE kind = 'reaction' "
                    "AND payload LIKE ?",
                    [f"%{message_id}%"],
                ).fetchall()
        except sqlite3.OperationalError:
            return False
        for (payload,) in rows:
            p = json.loads(payload)
            if str(p.get("message")) == message_id and str(p["user"]["id"]) in users:
                return True
        return False

    def cards(self) -> dict[str, Msg]:
        out: dict[str, Msg] = {}
        for m in list(self.fake.messages.values()):
            if m.deleted or m.interaction_id is not None or m.channel_id != APPROVAL:
                continue
            for e in m.embeds:
                found = CARD.match(str((e.get("footer") or {}).get("text", "")))
                if found:
                    out[found.group(1)] = m
        return out

    async def approver(self) -> None:
        while True:
            cards = self.cards()
            for pid, m in cards.items():
                if pid not in self.cards_seen:
                    self.cards_seen.add(pid)
                    self.spawn(self.approve(pid, m))
            for m in list(self.fake.messages.values()):
                if m.deleted or m.id in self.reacted_notes:
                    continue
                found = NOTE.search(m.title or "")
                if found is None:
                    continue
                self.reacted_notes.add(m.id)
                pid = found.group(1) or found.group(2)
                card = cards.get(pid)
                if card is not None:
                    self.report.re_reacts += 1
                    self.spawn(self.approve(pid, card, again=True))
            await asyncio.sleep(0.2)

    async def disruptor(self) -> None:
        """Gateway disconnects while posts are coming in, alternating RESUME and IDENTIFY."""
        # Twice as many as kills; as many at CI size, where they would crowd out the kills.
        k = self.cfg.kills
        n = self.cfg.gateway_faults or (k if self.cfg.posts < 100 else 2 * k)
        lo, hi = self.kill_gaps(n)
        kinds = ["op7", "close-4000", "op9", "close-4009"]
        done = 0
        while done < n and not self.stop_killing.is_set():
            await asyncio.sleep(self.rng.uniform(lo, hi))
            await self.up.wait()
            kind = kinds[done % len(kinds)]
            async with self.quiet:  # no kill until the bot is back on the gateway
                if not self.up.is_set() or not self.fake.live.is_set():
                    continue
                if kind == "op7":
                    await self.fake.ask_reconnect()
                elif kind == "close-4000":
                    await self.fake.close_resumable(4000)
                elif kind == "op9":
                    await self.fake.invalidate()
                else:
                    await self.fake.close_non_resumable(4009)
                done += 1
                self.log(f"gateway: {kind}")
                await asyncio.sleep(0.1)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.fake.live.wait(), 20)

    # -- what the run sees

    def card_text(self, post_id: str) -> str | None:
        card = self.cards().get(post_id)
        return repr(card.embeds) if card is not None else None

    def batches(self) -> set[str]:
        path = self.work / "bot.db"
        if not path.exists():
            return set()
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
                rows = db.execute(
                    "SELECT DISTINCT batch FROM notifier_outbox WHERE batch IS NOT NULL"
                ).fetchall()
        except sqlite3.OperationalError:
            return set()
        return {str(r[0]) for r in rows}

    def announced(self) -> Counter[str]:
        markers = {f"ref {nonce_for(b)}" for b in self.batches()}
        out: Counter[str] = Counter()
        for m in list(self.fake.messages.values()):
            if m.deleted or m.interaction_id is not None or not m.embeds:
                continue
            footer = str((m.embeds[-1].get("footer") or {}).get("text", ""))
            ref = footer[footer.rfind("ref ") :] if "ref " in footer else ""
            if ref in markers:
                for t in set(TOKEN.findall(repr(m.embeds) + m.content)):
                    out[t] += 1
        return out

    def answered(self) -> set[str]:
        mentioned: set[str] = set()  # users the bot answered in the channel
        shown: set[str] = set()  # interactions with a visible answer
        for m in list(self.fake.messages.values()):
            if m.deleted or not m.embeds:
                continue
            if m.interaction_id is None:
                mentioned.update(MENTION.findall(m.content))
            elif not m.loading:
                shown.add(m.interaction_id)
        out: set[str] = set()
        for i in range(self.cfg.posts):
            t = token(i)
            if requester(i) in mentioned or any(iid in shown for iid in self.iids.get(t, [])):
                out.add(t)
        return out

    def extra_rows(self) -> list[tuple[str, str]]:
        d = self.fake.disruptions
        gw = ", ".join(f"{k}: {v}" for k, v in sorted(d.items()))
        return [
            ("ambiguous Discord sends (created, then 500)", str(self.fake.ambiguous)),
            ("gateway disconnects", f"{sum(d.values())} ({gw})"),
            ("gateway RESUMEs (events replayed)", f"{self.fake.resumes} ({self.fake.replayed})"),
            (
                "gateway IDENTIFYs forced by op 9 / 4009",
                # every start-up IDENTIFYs too; a kill right after op 9 / 4009 takes its place
                str(max(0, self.fake.identifies - 1 - self.report.restarts)),
            ),
            ("interactions answered after 3 s (in the channel)", str(self.fake.late_acks)),
            (
                "commands sent again (never reached the bot)",
                str(self.resent_commands),
            ),
            (
                "✅ sent again (never reached the bot)",
                str(self.resent_reactions),
            ),
        ]
