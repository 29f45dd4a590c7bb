"""The Discord adapter: a discord.py ``Client`` with an app-command tree. Translates and renders.

(Over 400 lines: the discord.py Client subclass and its event hooks must live on one class.)

    client = create_discord_client(core, settings)     # registers core.ports["discord"]
    await start_discord(client, settings.discord_bot_token)   # returns once connected & ready
    ...
    await close_discord(client)                          # logs out, waits for the task

Intents: ``guilds`` + ``guild_reactions`` only (nothing privileged). DISCORD_API_URL and
DISCORD_GATEWAY_URL are applied by ``configure_endpoints`` (discord.py keeps them as class
attributes: they are process-wide, set once here). Commands are synced only when the tree changed
(``sync.sync_if_changed``). Reactions come in raw (``on_raw_reaction_add`` / ``_remove``), so a
card posted before a restart is found by message id in the database, cache or not.

Errors:
    user errors            → the command layer's ErrorReply, ephemeral
    attachment problems    → ErrorReply before any work (type / size)
    missing permissions    → said in words to the person who asked (ephemeral), logged
    anything else          → logged with a reference id; the user gets a short apology with it

Crash safety is ``bot.deliveries`` (recorded after the defer; replayed by ``replay.py``);
connecting is ``connection.py``. Over 400 lines (~470) on purpose: this is the one class
discord.py calls into (events, commands, autocomplete, card and command buttons, reactions),
each handler a few lines of translate → record → dispatch → answer; splitting the class would
scatter one dispatch table over mixins.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Coroutine
from datetime import timedelta
from typing import Any

import aiohttp
import discord
from discord import app_commands

from adapters.discord import attachments as att
from adapters.discord import connect
from adapters.discord.appcommands import Options, install
from adapters.discord.connection import (
    MAX_RATELIMIT_TIMEOUT,
    configure_endpoints,
    harden_parsers,
    intents,
)
from adapters.discord.port import DiscordPort
from adapters.discord.render import render
from adapters.discord.replay import (
    DiscordReplayer,
    card_payload,
    command_payload,
    interaction_fields,
)
from adapters.discord.respond import CURRENT, Responder
from adapters.discord.sync import sync_if_changed
from adapters.discord.translate import PLATFORM, message_ref, reaction_event, user_of
from adapters.discord.views import ApprovalView, OfferButton, RunButton
from bot import journal
from bot.chat import (
    ButtonEvent,
    Destination,
    ErrorReply,
    Invocation,
    Outcome,
    ReactionAction,
    ReactionEvent,
)
from bot.clock import Clock
from bot.config import Settings
from bot.core import Core
from bot.deliveries import Deliveries
from bot.secret import Secret
from commands.complete import Choice
from commands.dispatcher import CommandLayer, Dispatcher

log = logging.getLogger(__name__)

AUTOCOMPLETE_BUDGET = 2.5  # seconds: Discord drops autocomplete answers after 3 s


BRIEF_SECONDS = 60.0


class SocialDiscordClient(discord.Client):
    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        dispatcher: Dispatcher | None = None,
        clock: Clock | None = None,
        max_attachment_bytes: int = att.DEFAULT_MAX_BYTES,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            intents=intents(),
            max_ratelimit_timeout=MAX_RATELIMIT_TIMEOUT,
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.core = core
        self.settings = settings
        self.dispatcher: Dispatcher = dispatcher or CommandLayer()
        self.clock: Clock = clock or core.clock
        self.max_attachment_bytes = max_attachment_bytes
        self.files = att.Files(self.http_session, max_attachment_bytes, settings.discord_bot_token)
        self.tree: app_commands.CommandTree[SocialDiscordClient] = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        install(self.tree, self)
        self.port = DiscordPort(self, settings.discord_bot_token)
        self.deliveries = Deliveries(core, PLATFORM)
        self.brief_seconds = BRIEF_SECONDS  # how long a note answering a reaction stays
        self.synced_scopes: list[str] = []
        self._session: aiohttp.ClientSession | None = None
        self._runner: asyncio.Task[None] | None = None
        self.ready_event = asyncio.Event()
        harden_parsers(self._connection.parsers)

    # ------------------------------------------------------------------ lifecycle

    async def setup_hook(self) -> None:
        self.add_view(ApprovalView())  # persistent: buttons on old cards keep working
        self.add_dynamic_items(RunButton)  # command buttons (Confirm delete, Retry failed)
        self.add_dynamic_items(OfferButton)  # "Post as a thread of 3", "Give the reason"
        app_id = self.application_id
        if app_id is None:
            log.error("discord: no application id after login; commands not synced")
            return
        self.synced_scopes = await sync_if_changed(
            self.tree, self.core.db, app_id, self.settings.discord_guild_ids
        )

    async def on_ready(self) -> None:
        log.info("discord: connected as %s in %d guild(s)", self.user, len(self.guilds))
        self.ready_event.set()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The running gateway task (set by ``start_discord``): it ends only on close or on a
        fatal error (e.g. a revoked token), so a runner may ``asyncio.wait`` on it."""
        return self._runner

    def http_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        await super().close()
        if self._session is not None and not self._session.closed:
            await self._session.close()

    # ------------------------------------------------------------------ commands

    async def run_command(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        options: Options,
        attachments: tuple[discord.Attachment, ...],
        *,
        ephemeral: bool,
    ) -> None:
        responder = Responder(interaction, self.clock)
        CURRENT.set(responder)
        problems = [p for p in (att.check(a, self.max_attachment_bytes) for a in attachments) if p]
        if problems:
            reply = ErrorReply(
                title="That attachment can't be posted",
                problems=tuple(p.problem for p in problems),
                hint=f"Attach up to four {att.ALLOWED_HINT}, each at most "
                f"{self.max_attachment_bytes // (1024 * 1024)} MB.",
            )
            r = render(reply)
            await interaction.response.send_message(embeds=list(r.embeds), ephemeral=True)
            return
        await responder.defer(ephemeral=ephemeral)
        inv = Invocation(
            command=command,
            text="",
            user=user_of(interaction.user),
            platform=PLATFORM,
            channel=str(interaction.channel_id),
            delivery_id=f"discord:{interaction.id}",
            team=str(interaction.guild_id) if interaction.guild_id else None,
            thread=responder.thread,
            attachments=tuple(self.files.streamed(a) for a in attachments),
            options=options,
        )
        # Acknowledged (the defer): from here on a crash is resumed (bot.deliveries).
        fields = self._interaction_fields(interaction, responder)
        begin, _ = await self.deliveries.record(
            inv.delivery_id, "command", command_payload(inv, fields, ephemeral=ephemeral)
        )
        call = self.dispatcher.dispatch(self.core, inv, resumed=begin is journal.Begin.TAKEN_OVER)
        self.deliveries.spawn(
            self._run(responder, call, inv.delivery_id), name=f"discord /{command}"
        )

    async def _run(
        self, responder: Responder, call: Coroutine[Any, Any, Outcome], delivery_id: str
    ) -> None:
        """Tracked (``deliveries``), so a shutdown lets it finish; answers through ``responder``
        (``CURRENT`` is copied into the task with the rest of the context)."""
        await self._answer(responder, await self.deliveries.guarded(call, delivery_id))

    def _interaction_fields(
        self, interaction: discord.Interaction[Any], responder: Responder
    ) -> dict[str, Any]:
        # When its token was issued, by the injected clock (the responder started at receipt).
        age = self.clock.monotonic() - responder.started
        at = self.clock.now() - timedelta(seconds=age)
        return interaction_fields(
            interaction, self.settings.discord_bot_token, at, responder.thread
        )

    async def resume(self) -> int:
        """Re-run what a dead process acknowledged and did not finish (``bot.deliveries``);
        the number taken over. The runner calls it at start-up, once connected."""
        return await self.deliveries.resume(DiscordReplayer(self))

    async def _answer(self, responder: Responder, outcome: Outcome) -> None:
        try:
            if not outcome.replies and not responder.component:
                # A duplicate delivery (or nothing to say): don't leave "thinking…" behind.
                if responder.token_usable() and responder.deferred_ephemeral is not None:
                    try:
                        await responder.interaction.delete_original_response()
                    except discord.HTTPException:
                        pass
            for reply in outcome.replies:
                await responder.send(reply)
            await responder.report_problems()
        except discord.HTTPException as e:
            log.error(
                "discord: could not answer interaction %s (HTTP %s, code %s)",
                responder.interaction.id,
                e.status,
                e.code,
            )

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        ref = uuid.uuid4().hex[:8]
        log.error("discord: command error (reference %s)", ref, exc_info=error)
        reply = ErrorReply(title="Sorry, something went wrong on our side", reference=ref)
        r = render(reply)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(embeds=list(r.embeds), ephemeral=True)
            else:
                await interaction.response.send_message(embeds=list(r.embeds), ephemeral=True)
        except discord.HTTPException:
            pass

    # ------------------------------------------------------------------ autocomplete

    async def complete_targets(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        # Several targets, comma-separated: complete the last one, keep the ones before.
        head, _, last = current.rpartition(",")
        prefix = ",".join(p.strip() for p in head.split(",") if p.strip())
        choices = await self._complete(
            self.dispatcher.target_choices(
                self.core, PLATFORM, _team(interaction), str(interaction.channel_id), last.strip()
            )
        )
        out: list[app_commands.Choice[str]] = []
        for c in choices:
            value = f"{prefix},{c.value}" if prefix else c.value
            label = f"{prefix}, {c.label}" if prefix else c.label
            if len(value) <= 100:
                out.append(app_commands.Choice(name=label[:100], value=value))
        return out[:25]

    async def complete_when(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        choices = await self._complete(
            self.dispatcher.when_choices(
                self.core, PLATFORM, _team(interaction), str(interaction.channel_id), current, None
            )
        )
        return [app_commands.Choice(name=c.label[:100], value=c.value[:100]) for c in choices][:25]

    async def _complete(self, work: Awaitable[list[Choice]]) -> list[Choice]:
        try:
            return await asyncio.wait_for(work, AUTOCOMPLETE_BUDGET)
        except Exception:
            log.warning("discord: autocomplete failed", exc_info=True)
            return []

    async def connect_key(self, interaction: discord.Interaction[Any], *, disconnect: bool) -> None:
        """/social connect | disconnect (``adapters.discord.connect``; never journaled)."""
        if disconnect:
            await connect.disconnect(self, interaction)
        else:
            await connect.start(self, interaction)

    async def on_run_button(
        self, interaction: discord.Interaction[Any], command: str, text: str
    ) -> None:
        """A command button (Confirm delete, Retry failed): the command, run as the presser."""
        responder = Responder(interaction, self.clock)
        CURRENT.set(responder)
        await responder.defer(ephemeral=True)
        inv = Invocation(
            command=command,
            text=text,
            user=user_of(interaction.user),
            platform=PLATFORM,
            channel=str(interaction.channel_id),
            delivery_id=f"discord:{interaction.id}",
            team=str(interaction.guild_id) if interaction.guild_id else None,
            thread=str(interaction.message.id) if interaction.message else None,
        )
        fields = self._interaction_fields(interaction, responder)
        begin, _ = await self.deliveries.record(
            inv.delivery_id, "command", command_payload(inv, fields, ephemeral=True)
        )
        call = self.dispatcher.dispatch(self.core, inv, resumed=begin is journal.Begin.TAKEN_OVER)
        self.deliveries.spawn(
            self._run(responder, call, inv.delivery_id), name=f"discord /{command} button"
        )

    # ------------------------------------------------------------------ approvals

    async def on_card_button(
        self,
        interaction: discord.Interaction[Any],
        decision: str,
        *,
        reason: str | None = None,
        value: str = "",
        card_message: int | None = None,
    ) -> None:
        """A card's button, or the reason form it opened (``reason``; the card is
        ``card_message``, or the post is named by ``value`` for "Give the reason")."""
        responder = Responder(interaction, self.clock)
        CURRENT.set(responder)
        await responder.defer(ephemeral=True)
        message = interaction.message
        message_id = card_message or (message.id if message is not None else None)
        if message_id is None or interaction.channel_id is None:
            return
        event = ButtonEvent(
            decision=decision,
            user=user_of(interaction.user),
            message=message_ref(interaction.channel_id, message_id),
            delivery_id=f"discord:{interaction.id}",
            team=str(interaction.guild_id) if interaction.guild_id else None,
            value=value,
            reason=reason,
        )
        fields = self._interaction_fields(interaction, responder)
        begin, _ = await self.deliveries.record(
            event.delivery_id, "button", card_payload(event, fields)
        )
        call = self.dispatcher.dispatch_button(
            self.core, event, resumed=begin is journal.Begin.TAKEN_OVER
        )
        self.deliveries.spawn(self._run(responder, call, event.delivery_id), name="discord button")

    async def on_offer_button(
        self, interaction: discord.Interaction[Any], decision: str, value: str
    ) -> None:
        """An error reply's offer pressed: the kept request runs again, answered like a slash
        command (its public thinking message is the request's thread)."""
        responder = Responder(interaction, self.clock, as_command=True)
        CURRENT.set(responder)
        await responder.defer(ephemeral=False)
        if interaction.channel_id is None:
            return
        event = ButtonEvent(
            decision=decision,
            user=user_of(interaction.user),
            message=message_ref(
                interaction.channel_id, interaction.message.id if interaction.message else 0
            ),
            delivery_id=f"discord:{interaction.id}",
            team=str(interaction.guild_id) if interaction.guild_id else None,
            value=value,
            thread=responder.thread,
        )
        fields = self._interaction_fields(interaction, responder)
        payload = {**card_payload(event, fields), "ephemeral": False, "command_like": True}
        begin, _ = await self.deliveries.record(event.delivery_id, "button", payload)
        call = self.dispatcher.dispatch_button(
            self.core, event, resumed=begin is journal.Begin.TAKEN_OVER
        )
        self.deliveries.spawn(self._run(responder, call, event.delivery_id), name="discord offer")

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._on_reaction(payload, ReactionAction.ADDED)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._on_reaction(payload, ReactionAction.REMOVED)

    async def _on_reaction(
        self, payload: discord.RawReactionActionEvent, action: ReactionAction
    ) -> None:
        try:
            event = reaction_event(payload, action, self.user.id if self.user else None)
        except Exception:
            log.warning("discord: unexpected reaction payload ignored", exc_info=True)
            return
        if event is None:
            return
        # A gateway event is acknowledged by its sequence number: record it on receipt.
        await self.deliveries.record(event.delivery_id, "reaction", card_payload(event, None))
        self.deliveries.spawn(self.run_reaction(event), name="discord reaction")

    async def run_reaction(self, event: ReactionEvent, *, resumed: bool = False) -> None:
        outcome = await self.deliveries.guarded(
            self.dispatcher.dispatch_reaction(self.core, event, resumed=resumed),
            event.delivery_id,
        )
        for reply in outcome.replies:
            if getattr(reply, "ephemeral", False):
                # No interaction to whisper through. A refusal (why the reaction changed
                # nothing; the core says it once per person per card) becomes a short note
                # under the card that deletes itself; a success shows on the card itself.
                if not isinstance(reply, ErrorReply):
                    continue
                try:
                    await self.port.send_brief(
                        _dest(event.message.channel, event.message.message_id, event.team),
                        event.user.id,
                        reply,
                        delete_after=self.brief_seconds,
                    )
                except Exception:
                    log.warning("discord: could not answer a reaction", exc_info=True)
                continue
            try:
                await self.port.send(
                    _dest(event.message.channel, event.message.message_id, event.team), reply
                )
            except Exception:
                log.warning("discord: could not answer a reaction", exc_info=True)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        # Never crash on an unexpected payload: log and carry on.
        log.exception("discord: error in %s", event_method)


def _team(interaction: discord.Interaction[Any]) -> str | None:
    return str(interaction.guild_id) if interaction.guild_id else None


def _dest(channel: str, thread: str | None, team: str | None) -> Destination:
    return Destination(platform=PLATFORM, channel=channel, thread=thread, team=team)


# ---------------------------------------------------------------------- the runner's API


def create_discord_client(
    core: Core,
    settings: Settings,
    *,
    dispatcher: Dispatcher | None = None,
    clock: Clock | None = None,
    max_attachment_bytes: int = att.DEFAULT_MAX_BYTES,
    guild_ready_timeout: float = 2.0,
) -> SocialDiscordClient:
    """Build the client, point discord.py at the configured endpoints, register the ChatPort."""
    configure_endpoints(settings.discord_api_url, settings.discord_gateway_url)
    client = SocialDiscordClient(
        core,
        settings,
        dispatcher=dispatcher,
        clock=clock,
        max_attachment_bytes=max_attachment_bytes,
        guild_ready_timeout=guild_ready_timeout,
    )
    core.ports[PLATFORM] = client.port
    return client


async def start_discord(
    client: SocialDiscordClient, token: Secret | str, *, ready_timeout: float | None = 60.0
) -> None:
    """Log in and connect in a background task; return once READY (or raise why not).

    Raises ``discord.LoginFailure`` for a bad token, ``discord.PrivilegedIntentsRequired`` never
    (no privileged intents), ``TimeoutError`` if not ready within ``ready_timeout`` seconds.
    """
    secret = token.reveal() if isinstance(token, Secret) else token
    task = asyncio.create_task(client.start(secret), name="discord")
    client._runner = task
    ready = asyncio.create_task(client.ready_event.wait())
    done, _ = await asyncio.wait(
        {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if ready not in done:
        ready.cancel()
        if task in done:
            task.result()  # raises the login / connection error
            raise RuntimeError("discord client stopped before it was ready")
        await close_discord(client)
        raise TimeoutError(f"discord: not ready after {ready_timeout} s")


async def close_discord(client: SocialDiscordClient) -> None:
    """Log out, close the gateway and HTTP sessions, wait for the client task. Work still
    running is canceled (the runner drains it first, within its grace period)."""
    await client.deliveries.drain(0)
    await client.close()
    task = client._runner
    client._runner = None
    if task is not None:
        try:
            await asyncio.wait_for(task, 10)
        except (asyncio.CancelledError, TimeoutError):
            pass
        except Exception as e:  # already reported (start_discord raised it, or it was logged)
            log.info("discord: client task ended with %s: %s", type(e).__name__, e)
