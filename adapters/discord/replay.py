"""The Discord side of ``bot.deliveries``: what a deferred interaction records, and how it is
run again and answered after a restart.

    command_payload(...) / button_payload(...) / reaction_payload(...)   journal JSON
    DiscordReplayer(client).replay(entry)      run it again (``resumed``), then answer:
    LateAnswer(client, payload).send(reply)    while the interaction token lives (15 min from
                                               the defer, by the injected clock) through its
                                               follow-up webhook — the first public reply
                                               replaces the "thinking…" message; after that
                                               in the channel, mentioning the requester, as a
                                               reply to the request's message

The interaction token is a credential (it can post as the app for 15 minutes): the journal
keeps it sealed under the bot token (``bot.secret.seal``), never in clear. So are a command's
attachment URLs (signed CDN links, ``attachments.Files``): the entry records each one's name,
type, size and sealed URL, and the replay fetches them again while the links are valid (their
``ex``; a link without one: 24 h from the request, by the injected clock). Expired links — or an
entry from before attachments were recorded, which only counts them — are answered with
``files_lost(why)``: it was not posted, send it again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.attachments import Files, Lost
from adapters.discord.render import Rendered, render
from adapters.discord.respond import DEAD_TOKEN_CODES, EXPIRY
from adapters.discord.translate import PLATFORM, message_ref
from adapters.discord.views import ApprovalView
from bot import journal
from bot.chat import (
    Attachment,
    ButtonEvent,
    ErrorReply,
    Invocation,
    MessageRef,
    ReactionAction,
    ReactionEvent,
    Reply,
    User,
)
from bot.secret import Secret, seal, unseal

if TYPE_CHECKING:
    from adapters.discord.client import SocialDiscordClient

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- journal payloads


def _user(u: User) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "roles": sorted(u.roles)}


def _user_from(p: dict[str, Any]) -> User:
    return User(id=str(p["id"]), name=p.get("name"), roles=frozenset(p.get("roles") or ()))


def interaction_fields(
    interaction: discord.Interaction[Any], key: Secret | None, at: datetime, thread: str | None
) -> dict[str, Any]:
    """How to answer this interaction later: its follow-up webhook (token sealed) and when
    its token was issued."""
    return {
        "app": str(interaction.application_id),
        "token": seal(interaction.token, key) if key is not None else None,
        "at": at.isoformat(),
        "thread": thread,
        "channel": str(interaction.channel_id or ""),
        "team": str(interaction.guild_id) if interaction.guild_id else None,
    }


def command_payload(
    inv: Invocation, interaction: dict[str, Any], *, ephemeral: bool
) -> dict[str, Any]:
    return {
        **interaction,
        "command": inv.command,
        "text": inv.text,
        "options": [list(o) for o in inv.options],
        "user": _user(inv.user),
        "attachments": len(inv.attachments),  # (entries from before "files" only count them)
        **({"files": Files.record(inv.attachments)} if inv.attachments else {}),
        "ephemeral": ephemeral,
    }


def invocation_from(entry: journal.Entry, attachments: tuple[Attachment, ...] = ()) -> Invocation:
    p = entry.payload
    return Invocation(
        command=str(p["command"]),
        text=str(p.get("text") or ""),
        user=_user_from(p["user"]),
        platform=PLATFORM,
        channel=str(p["channel"]),
        delivery_id=entry.id,
        team=p.get("team"),
        thread=p.get("thread"),
        options=tuple((str(k), str(v)) for k, v in p.get("options", [])),
        attachments=attachments,
    )


def attachments_from(
    entry: journal.Entry, files: Files, now: datetime
) -> tuple[Attachment, ...] | Lost:
    """The recorded attachments of a command, to fetch again — or why they cannot be."""
    p = entry.payload
    records = p.get("files")
    if not int(p.get("attachments") or 0):
        return ()
    if not isinstance(records, list) or not p.get("at"):  # recorded before files were
        return Lost("")  # answered as before: FILES_LOST
    return files.restore(records, datetime.fromisoformat(str(p["at"])), now)


def card_payload(
    event: ReactionEvent | ButtonEvent, interaction: dict[str, Any] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        **(interaction or {}),
        "user": _user(event.user),
        "channel": event.message.channel,
        "message": event.message.message_id,
        "team": event.team,
        "delivery_id": event.delivery_id,
    }
    if isinstance(event, ReactionEvent):
        out |= {"action": event.action.value, "emoji": event.emoji}
    else:
        out |= {
            "decision": event.decision,
            "value": event.value,
            "reason": event.reason,
            "event_thread": event.thread,
        }
    return out


def card_event_from(entry: journal.Entry) -> ReactionEvent | ButtonEvent:
    p = entry.payload
    ref = message_ref(str(p["channel"]), str(p["message"]))
    if entry.kind == "reaction":
        return ReactionEvent(
            action=ReactionAction(str(p["action"])),
            emoji=str(p["emoji"]),
            user=_user_from(p["user"]),
            message=ref,
            delivery_id=str(p["delivery_id"]),
            team=p.get("team"),
        )
    return ButtonEvent(
        decision=str(p["decision"]),
        user=_user_from(p["user"]),
        message=ref,
        delivery_id=str(p["delivery_id"]),
        team=p.get("team"),
        value=str(p.get("value") or ""),
        reason=p.get("reason"),  # typed in the Request changes form
        thread=p.get("event_thread"),
    )


# ---------------------------------------------------------------------- answering later


class LateAnswer:
    """Answers a recorded interaction after a restart (no ``discord.Interaction`` any more)."""

    def __init__(self, client: SocialDiscordClient, p: dict[str, Any], *, component: bool) -> None:
        self.client = client
        self.clock = client.clock
        self.user_id = str(p["user"]["id"])
        self.channel_id = str(p.get("channel") or "")
        self.team = p.get("team")
        self.thread: str | None = p.get("thread")
        self.component = component
        self.deferred_public = not component and not p.get("ephemeral", True)
        token = p.get("token")
        key = client.settings.discord_bot_token
        self.token = unseal(str(token), key) if token and key is not None else None
        self.app_id = str(p.get("app") or "")
        self.issued = datetime.fromisoformat(str(p["at"])) if p.get("at") else None
        self.dead = self.token is None or not self.app_id.isdigit() or self.issued is None
        self._answered_first = False

    def token_usable(self) -> bool:
        if self.dead or self.issued is None:
            return False
        return (self.clock.now() - self.issued).total_seconds() < EXPIRY

    def _webhook(self) -> discord.Webhook:
        assert self.token is not None
        # The interaction's follow-up webhook, as ``Interaction.followup`` builds it (type 3:
        # an application webhook, which may send ephemeral messages).
        data: Any = {"id": int(self.app_id), "type": 3, "token": self.token}
        return discord.Webhook.from_state(data=data, state=self.client._connection)

    async def send(self, reply: Reply) -> MessageRef | None:
        r = render(reply)
        if self.token_usable():
            try:
                return await self._via_webhook(r)
            except discord.HTTPException as e:
                if e.code not in DEAD_TOKEN_CODES and e.status != 401:
                    raise
                log.warning(
                    "discord: interaction token unusable (code %s): answering in the channel",
                    e.code,
                )
                self.dead = True
        return await self._via_channel(r)

    async def _via_webhook(self, r: Rendered) -> MessageRef | None:
        hook = self._webhook()
        kwargs: dict[str, Any] = {
            "embeds": list(r.embeds),
            "allowed_mentions": _mentions(r.mentions),
        }
        if r.content is not None:
            kwargs["content"] = r.content
        if r.buttons:
            kwargs["view"] = ApprovalView()
        channel = self.channel_id or "0"
        first = not self._answered_first
        self._answered_first = True
        if first and self.deferred_public and self.thread and self.thread.isdigit():
            if r.ephemeral:  # the public "thinking…" message must not carry a private answer
                await hook.delete_message(int(self.thread))
            else:
                msg = await hook.edit_message(int(self.thread), **kwargs)
                return message_ref(channel, msg.id)
        sent = await hook.send(ephemeral=r.ephemeral, wait=True, **kwargs)
        return message_ref(channel, sent.id)

    async def _via_channel(self, r: Rendered) -> MessageRef | None:
        if not self.channel_id.isdigit():
            log.error("discord: no channel to answer a resumed interaction in")
            return None
        guild = int(self.team) if self.team and self.team.isdigit() else None
        channel = self.client.get_partial_messageable(int(self.channel_id), guild_id=guild)
        mention = f"<@{self.user_id}>"
        kwargs: dict[str, Any] = {
            "content": f"{mention} {r.content}" if r.content else mention,
            "embeds": list(r.embeds),
            "allowed_mentions": _mentions((self.user_id, *r.mentions)),
        }
        if r.buttons:
            kwargs["view"] = ApprovalView()
        if self.thread and self.thread.isdigit():
            kwargs["reference"] = discord.MessageReference(
                message_id=int(self.thread), channel_id=channel.id, fail_if_not_exists=False
            )
        try:
            msg = await channel.send(**kwargs)
        except discord.HTTPException as e:
            log.error(
                "discord: cannot answer user %s in channel %s (HTTP %s, code %s)",
                self.user_id,
                self.channel_id,
                e.status,
                e.code,
            )
            return None
        return message_ref(self.channel_id, msg.id)


def _mentions(users: Any) -> discord.AllowedMentions:
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        users=[discord.Object(int(u)) for u in users if str(u).isdigit()],
        replied_user=False,
    )


# ---------------------------------------------------------------------- the replayer

FILES_LOST = ErrorReply(
    title="Sorry — I was restarted while working on your post with attachments",
    problems=("It was not posted.",),
    hint="Send it again with /post.",
)


def files_lost(lost: Lost) -> ErrorReply:
    """``FILES_LOST`` saying why the attachments could not be fetched again."""
    if not lost.problem:
        return FILES_LOST
    return replace(FILES_LOST, problems=(f"It was not posted: {lost.problem}",))


class DiscordReplayer:
    """``bot.deliveries.Replayer`` for Discord."""

    def __init__(self, client: SocialDiscordClient) -> None:
        self.client = client

    async def replay(self, entry: journal.Entry) -> None:
        c = self.client
        if entry.kind == "command":
            answer = LateAnswer(c, entry.payload, component=False)
            files = attachments_from(entry, c.files, c.clock.now())
            if isinstance(files, Lost):
                log.info("journal: %s not replayed: its attachments cannot be fetched", entry.id)
                await self._answer(answer, (files_lost(files),))
                await c.deliveries.done(entry.id)
                return
            inv = invocation_from(entry, files)
            outcome = await c.deliveries.guarded(
                c.dispatcher.dispatch(c.core, inv, resumed=True), entry.id
            )
            await self._answer(answer, outcome.replies)
        elif entry.kind == "button":
            event = card_event_from(entry)
            assert isinstance(event, ButtonEvent)
            # An offer pressed ("Post as a thread of 3") was answered like a slash command.
            command_like = bool(entry.payload.get("command_like"))
            answer = LateAnswer(c, entry.payload, component=not command_like)
            outcome = await c.deliveries.guarded(
                c.dispatcher.dispatch_button(c.core, event, resumed=True), entry.id
            )
            await self._answer(answer, outcome.replies)
        elif entry.kind == "reaction":
            event = card_event_from(entry)
            assert isinstance(event, ReactionEvent)
            await c.run_reaction(event, resumed=True)
        else:
            log.warning("journal: unknown kind %r of %s; dropped", entry.kind, entry.id)
            await c.deliveries.done(entry.id)

    async def give_up(self, entry: journal.Entry, reply: ErrorReply) -> None:
        if entry.kind in ("command", "button") and "user" in entry.payload:
            answer = LateAnswer(self.client, entry.payload, component=entry.kind == "button")
            await self._answer(answer, (reply,))

    async def _answer(self, answer: LateAnswer, replies: tuple[Reply, ...]) -> None:
        for reply in replies:
            try:
                await answer.send(reply)
            except discord.HTTPException as e:
                log.error(
                    "discord: could not answer a resumed request (HTTP %s, code %s)",
                    e.status,
                    e.code,
                )
