"""The Slack adapter: a slack-bolt ``AsyncApp`` that translates Slack payloads into
``commands.dispatch`` calls and renders what comes back. No decisions are made here.

Every listener acknowledges first (no database or API round trip before ``ack()``), then runs
its work as a tracked background task:

    /post, /schedule <text>   ack → "⏳ working" message in the channel (the request's thread
                              root) → dispatch(Invocation(thread=its ts)) → the first public
                              reply replaces it (chat.update), later ones go in its thread,
                              ephemeral ones via response_url; no public reply → it is deleted
    /post, /schedule (empty)  ack → views.open at once (trigger_id lives 3 s) → views.update
                              with the account picker and the user's time zone once known
    modal submission          problems visible without I/O → inline errors (response_action
                              "errors"); else ack (closes it) → as above, in the chosen channel
    /status, /social          ack → dispatch → public replies in the channel, others ephemeral
    reaction_added/removed    (acked by Bolt) → dispatch_reaction; delivery id = event_id
    Approve / Reject buttons  ack → dispatch_button
    app_uninstalled,          (acked by Bolt) → an error log line: the bot token no longer works
    tokens_revoked
    any other event / action  acked and ignored (Bolt would answer 404 and Slack resend it)

Crash safety (``bot.journal``): right after the ack every command, form submission, reaction
and button press is recorded in the journal (pending); dispatch marks it done. ``resume()``
(called by the runner at start-up, before serving) re-runs what a dead process left pending,
reusing the request's recorded "⏳ working" message as its thread. A form submission with files
cannot be replayed and is reported failed.

Slack API failures become a sentence for the person (``errors.explain``) and a log line; an
unexpected exception becomes an apology with a reference id. Nothing crashes the app.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import aiohttp
import httpx
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import changes, modal
from adapters.slack.directory import Directory, TtlCache
from adapters.slack.errors import SlackPortError, error_code, from_api_error
from adapters.slack.files import DEFAULT_MAX_BYTES, FileFetcher
from adapters.slack.port import SlackPort
from adapters.slack.render import is_ephemeral, picture_error, render, working_message
from adapters.slack.translate import (
    ACTION_APPROVE,
    ACTION_REJECT,
    ACTION_RUN,
    ACTION_SPLIT,
    COMMANDS,
    PLATFORM,
    SlashCommand,
    button_event,
    command_button,
    offer_event,
    reaction_event,
    view_delivery_id,
)
from bot import journal
from bot.chat import (
    ButtonEvent,
    ErrorReply,
    Invocation,
    MessageRef,
    Outcome,
    PictureReply,
    ReactionAction,
    ReactionEvent,
    Reply,
    ReplyEvent,
    User,
)
from bot.config import ConfigError, Settings
from bot.core import Core
from commands.complete import Choice

log = logging.getLogger(__name__)

DEFAULT_SLACK_API = "https://slack.com/api/"
CHOICES_TTL = 300.0
DEFAULT_CONCURRENCY = 8
ANY = re.compile("")  # matches every event type / action id
# Commands whose request gets an in-channel message (the thread its announcements go under).
THREADED = frozenset({"post", "schedule"})


class Dispatcher(Protocol):
    """The command layer as the adapter sees it (``commands.dispatch`` by default)."""

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome: ...

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome: ...

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome: ...

    async def dispatch_reply(
        self, core: Core, event: ReplyEvent, *, resumed: bool = False
    ) -> Outcome: ...

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]: ...


class CommandLayer:
    """``commands.dispatch`` / ``commands.complete`` (imported when the adapter is built, not on
    the first command: that import alone takes ~0.1 s of event-loop time)."""

    def __init__(self) -> None:
        from commands import complete, dispatch

        self._dispatch = dispatch
        self._complete = complete

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        return await self._dispatch.dispatch(core, inv, resumed=resumed)

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._dispatch.dispatch_reaction(core, event, resumed=resumed)

    async def dispatch_button(
        self, core: Core, event: ButtonEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._dispatch.dispatch_button(core, event, resumed=resumed)

    async def dispatch_reply(
        self, core: Core, event: ReplyEvent, *, resumed: bool = False
    ) -> Outcome:
        return await self._dispatch.dispatch_reply(core, event, resumed=resumed)

    async def target_choices(
        self, core: Core, platform: str, team: str | None, channel: str, typed: str
    ) -> list[Choice]:
        return await self._complete.target_choices(core, platform, team, channel, typed)


def quick_check(options: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The command layer's pure option parsing (no I/O): its field errors, if any."""
    try:
        from commands.errors import UserError
        from commands.parser import apply_options
        from commands.spec import PostSpec
    except ImportError:  # pragma: no cover - the command layer always ships these
        return ()
    try:
        apply_options(PostSpec(), list(options))
    except UserError as e:
        return e.field_errors or (("caption", e.title),)
    except Exception:  # anything else is dispatch's to report
        log.debug("quick_check: option parsing raised", exc_info=True)
    return ()


def api_base_url(settings: Settings) -> str:
    """``SLACK_API_URL`` (e.g. ``http://127.0.0.1:8080``) → the Web API base ``…/api/``."""
    base = (settings.slack_api_url or "").rstrip("/")
    if not base:
        return DEFAULT_SLACK_API
    return base + "/" if base.endswith("/api") else base + "/api/"


def build_web_client(settings: Settings, token: str | None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_base_url(settings), timeout=30)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


class BotIdentity:
    """Who the bot is (auth.test), loaded once: Bolt uses ``bot_user_id`` / ``bot_id`` to drop
    the bot's own events (its seeded ✅ ❌ included)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> AuthorizeResult:
        if self.result is not None:
            return self.result
        async with self._lock:
            if self.result is None:
                try:
                    resp = await self._client.auth_test()
                except SlackApiError as e:
                    code = error_code(e)
                    raise ConfigError(f"SLACK_BOT_TOKEN: Slack refused it ({code})") from None
                self.result = AuthorizeResult(
                    enterprise_id=resp.get("enterprise_id"),
                    team_id=resp.get("team_id"),
                    team=resp.get("team"),
                    url=resp.get("url"),
                    bot_token=self._client.token,
                    bot_id=resp.get("bot_id"),
                    bot_user_id=resp.get("user_id"),
                )
            return self.result

    def authorize_function(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """For ``AsyncApp(authorize=…)`` (Bolt reads the parameter names)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return await self.load()

        return authorize


class _OneWay(logging.Filter):
    """Bolt is configured one way — our client (API base URL, one session) and ``authorize``
    — but it also reads SLACK_BOT_TOKEN from the environment and warns that it "will be
    unused". It is the same token the client uses: that warning is dropped, nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_ONE_WAY = _OneWay()


@dataclass
class _Origin:
    """Where a request came from and how to answer its invoker."""

    channel: str
    user: str
    respond: AsyncRespond | None = None  # response_url (slash commands)


class SlackAdapter:
    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        client: AsyncWebClient | None = None,
        dispatcher: Dispatcher | None = None,
        http: httpx.AsyncClient | None = None,
        max_upload_bytes: int = DEFAULT_MAX_BYTES,
        max_concurrent: int = DEFAULT_CONCURRENCY,
    ) -> None:
        token = settings.slack_bot_token.reveal() if settings.slack_bot_token else None
        if client is None:
            if not token:
                raise ConfigError("SLACK_BOT_TOKEN is not set")
            client = build_web_client(settings, token)
        elif not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
            client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        self.core = core
        self.client = client
        self.dispatcher: Dispatcher = dispatcher or CommandLayer()
        self.identity = BotIdentity(client)
        self.directory = Directory(client, core.clock)
        self.port = SlackPort(client, core.pacer(PLATFORM), self.directory)
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, read=120.0), follow_redirects=True
        )
        self._owns_http = http is None
        self.files = FileFetcher(
            self._http,
            lambda: self.client.token or "",
            extra_hosts=[urlsplit(client.base_url).hostname or ""],
            max_bytes=max_upload_bytes,
        )
        self._choices: TtlCache[tuple[str | None, str], list[Choice]] = TtlCache(
            core.clock, CHOICES_TTL
        )
        self._tasks: set[asyncio.Task[None]] = set()
        # Work behind acks runs at most this many at a time: a burst of commands queues up
        # cheaply instead of crowding the event loop that has to answer the next acks.
        self._slots = asyncio.Semaphore(max_concurrent)
        self._session: aiohttp.ClientSession | None = None
        self.signing_secret_set = bool(settings.slack_signing_secret)
        # Bolt's own client: no token (the token comes from ``authorize``), same base URL and
        # retry handlers, so request-scoped clients honour SLACK_API_URL too.
        bolt_client = AsyncWebClient(
            base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers
        )
        secret = (
            settings.slack_signing_secret.reveal()
            if settings.slack_signing_secret
            else secrets.token_hex(32)  # no secret: no HTTP request can ever verify
        )
        self._bolt_client = bolt_client
        bolt_log = logging.getLogger("adapters.slack.bolt")
        bolt_log.addFilter(_ONE_WAY)
        self.app = AsyncApp(
            name="socialbot",
            signing_secret=secret,
            client=bolt_client,
            authorize=self.identity.authorize_function(),
            logger=bolt_log,
        )
        self._register()
        core.ports[PLATFORM] = self.port
        _ADAPTERS[self.app] = self

    # ------------------------------------------------------------ wiring

    def _register(self) -> None:
        # Bolt passes listener arguments by parameter name and counts ``self`` as one, so each
        # listener is a plain function with exactly the names it needs.
        async def on_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await self._on_command(ack, body, respond)

        async def on_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._on_compose_submit(ack, body)

        async def on_closed(ack: AsyncAck) -> None:
            await ack()

        async def on_reaction(body: dict[str, Any]) -> None:
            await self._on_reaction(body)

        async def on_button(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._on_button(ack, body)

        async def on_run(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()  # a command button (Confirm delete, Retry failed): run it as the presser
            cmd = command_button(body)
            if cmd is not None:
                origin = _Origin(channel=cmd.channel, user=cmd.user_id, respond=respond)
                self.spawn(self._accept_command(cmd, origin), name="slack button", urgent=True)

        async def on_error(error: Exception, body: dict[str, Any]) -> None:
            await self._on_error(error, body)

        async def on_access_lost(body: dict[str, Any]) -> None:
            _log_access_lost(body)

        async def on_other_event() -> None:
            pass  # an event we don't act on (e.g. a subscription added later): acked by Bolt

        async def on_other_action(ack: AsyncAck) -> None:
            await ack()  # link buttons and other elements send block_actions too

        for slash in COMMANDS:
            self.app.command(slash)(on_command)
        self.app.view_submission(modal.CALLBACK_ID)(on_submit)
        self.app.view_closed(modal.CALLBACK_ID)(on_closed)
        self.app.event("reaction_added")(on_reaction)
        self.app.event("reaction_removed")(on_reaction)
        self.app.event("app_uninstalled")(on_access_lost)
        self.app.event("tokens_revoked")(on_access_lost)
        self.app.action(ACTION_APPROVE)(on_button)
        self.app.action(ACTION_REJECT)(on_button)
        self.app.action(re.compile(f"^{ACTION_RUN}_"))(on_run)

        async def on_offer(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await self._on_offer(ack, body, respond)

        self.app.action(ACTION_SPLIT)(on_offer)

        async def on_changes(ack: AsyncAck, body: dict[str, Any]) -> None:
            await self._on_changes(ack, body)

        async def on_reason(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            event = changes.reason_event(body)
            if event is not None:
                self.spawn(self._accept_card_event(event), name="slack changes", urgent=True)

        async def on_message(body: dict[str, Any]) -> None:
            event = changes.reply_event(body)
            if event is not None:
                self.spawn(self._run_reply(event), name="slack thread reply")

        self.app.action(changes.ACTION_CHANGES)(on_changes)
        self.app.view_submission(changes.REASON_VIEW)(on_reason)
        self.app.view_closed(changes.REASON_VIEW)(on_closed)
        self.app.event("message")(on_message)
        # Last: anything else Slack may deliver is acked, not left to be resent (a 404 from
        # Bolt makes Slack retry, and Socket Mode does not ack a 404 at all).
        self.app.event(ANY)(on_other_event)
        self.app.block_action(ANY)(on_other_action)
        self.app.error(on_error)

    async def start(self) -> None:
        """Check the token (auth.test) and open one HTTP session for every Web API call.
        The runner helpers call this; without it each call opens its own connection."""
        await self.identity.load()
        await self._warm()
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self.client.session = self._session
            self._bolt_client.session = self._session

    async def _warm(self) -> None:
        """One-time costs paid before the first command rather than during it: the API
        clients (an SSL context each) and the date parser's language data (~2 s)."""
        for name, ws in self.core.settings.workspaces.items():
            if ws.key is not None:
                self.core.clients.for_workspace(name)
        try:
            from commands import times
        except ImportError:  # pragma: no cover
            return
        await asyncio.to_thread(times.warm)

    def spawn(self, coro: Coroutine[Any, Any, None], name: str, *, urgent: bool = False) -> None:
        """Run ``coro`` in the background, tracked; ``urgent`` skips the queue (views.open must
        happen within the trigger_id's 3 s whatever else is running)."""
        work = coro if urgent else self._slotted(coro)
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def _slotted(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            async with self._slots:
                await coro
        finally:
            coro.close()  # canceled while queued: it never started

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def busy(self) -> int:
        """Background tasks still running."""
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until every background task (and any they started) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, grace: float = 10.0) -> None:
        """Let running work finish (up to ``grace`` seconds), then release the HTTP client."""
        try:
            await asyncio.wait_for(self.idle(), grace)
        except TimeoutError:
            for t in list(self._tasks):
                t.cancel()
        if self._owns_http:
            await self._http.aclose()
        if self._session is not None:
            self.client.session = self._bolt_client.session = None
            await self._session.close()
            self._session = None
        if self.core.ports.get(PLATFORM) is self.port:
            del self.core.ports[PLATFORM]

    # ------------------------------------------------------------ slash commands

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        cmd = SlashCommand.from_body(body)
        await ack()
        if cmd.command in THREADED and not cmd.text.strip() and cmd.trigger_id:
            self.spawn(self._open_compose(cmd), name=f"slack {cmd.slash} form", urgent=True)
            return
        origin = _Origin(channel=cmd.channel, user=cmd.user_id, respond=respond)
        self.spawn(self._accept_command(cmd, origin), name=f"slack {cmd.slash} accept", urgent=True)

    # ------------------------------------------------------------ journal (crash safety)

    async def _journal(
        self, id: str, kind: str, payload: dict[str, Any]
    ) -> tuple[journal.Begin, journal.Entry | None]:
        """Record an acked delivery (pending); what to do with it. A database failure here is
        logged and the work runs anyway (unjournaled)."""
        try:
            return await journal.record(
                self.core.db,
                id=id,
                platform=PLATFORM,
                kind=kind,
                payload=payload,
                now=self.core.clock.now(),
            )
        except Exception:
            log.exception("journal: could not record delivery %s; running it unjournaled", id)
            return journal.Begin.NEW, None

    async def _accept_command(self, cmd: SlashCommand, origin: _Origin) -> None:
        # A retry of a delivery running here (BUSY) or finished (DONE) runs as usual: dispatch's
        # delivery claim answers it as a duplicate.
        begin, entry = await self._journal(cmd.delivery_id, "command", asdict(cmd))
        resumed = begin is journal.Begin.TAKEN_OVER
        thread = entry.thread if entry is not None and resumed else None
        self.spawn(
            self._run_command(cmd, origin, resumed=resumed, thread=thread),
            name=f"slack {cmd.slash}",
        )

    async def _accept_card_event(self, event: ReactionEvent | ButtonEvent) -> None:
        kind = "reaction" if isinstance(event, ReactionEvent) else "button"
        begin, _ = await self._journal(event.delivery_id, kind, _event_payload(event))
        origin = _Origin(channel=event.message.channel, user=event.user.id)
        self.spawn(
            self._run_card_event(event, origin, resumed=begin is journal.Begin.TAKEN_OVER),
            name=f"slack {kind}",
        )

    async def resume(self) -> int:
        """Re-run what a dead process accepted and did not finish (``bot.journal``); the
        number of deliveries resumed. The runner calls it at start-up, before serving."""
        entries = await journal.take_over(self.core.db, PLATFORM, self.core.clock.now())
        for e in entries:
            log.info("journal: resuming %s delivery %s (attempt %d)", e.kind, e.id, e.attempts)
            try:
                if e.post_id is not None:  # its post was recorded: nothing left to redo
                    await journal.mark_done(self.core.db, e.id, self.core.clock.now())
                elif e.attempts > journal.MAX_ATTEMPTS:  # it keeps dying with the process
                    log.error("journal: giving up on %s after %d attempts", e.id, e.attempts)
                    user = str(e.payload.get("user_id") or e.payload.get("user") or "")
                    channel = str(e.payload.get("channel") or "")
                    if e.kind in ("command", "compose") and user and channel:
                        await self._tell(
                            _Origin(channel=channel, user=user),
                            ErrorReply(
                                title="Sorry — I could not finish your request",
                                problems=("It was interrupted too many times.",),
                                hint="Check /status before sending it again.",
                            ),
                        )
                    await journal.mark_done(self.core.db, e.id, self.core.clock.now())
                elif e.kind == "command":
                    cmd = SlashCommand(**e.payload)
                    origin = _Origin(channel=cmd.channel, user=cmd.user_id)
                    self.spawn(
                        self._run_command(cmd, origin, resumed=True, thread=e.thread),
                        name=f"slack {cmd.slash} resumed",
                    )
                elif e.kind == "compose":
                    self.spawn(self._resume_compose(e), name="slack compose resumed")
                elif e.kind in ("reaction", "button"):
                    event = _event_from(e.kind, e.payload)
                    origin = _Origin(channel=event.message.channel, user=event.user.id)
                    self.spawn(
                        self._run_card_event(event, origin, resumed=True),
                        name=f"slack {e.kind} resumed",
                    )
                else:
                    log.warning("journal: unknown kind %r of %s; dropped", e.kind, e.id)
                    await journal.mark_done(self.core.db, e.id, self.core.clock.now())
            except Exception:
                log.exception("journal: could not resume delivery %s", e.id)
        return len(entries)

    async def _resume_compose(self, e: journal.Entry) -> None:
        p = e.payload
        origin = _Origin(channel=str(p["channel"]), user=str(p["user"]))
        if int(p.get("files", 0)):
            # Uploaded files cannot be fetched again for a replay: report it failed.
            await self._tell(
                origin,
                ErrorReply(
                    title="Sorry — I was restarted while working on your post with files",
                    problems=("It was not posted.",),
                    hint="Send it again with /post.",
                ),
            )
            await journal.mark_done(self.core.db, e.id, self.core.clock.now())
            return
        working = MessageRef(PLATFORM, origin.channel, e.thread) if e.thread else None
        try:
            if working is None:
                working = await self.port.post(
                    origin.channel, working_message(origin.user, str(p["command"]), "")
                )
                await journal.set_thread(self.core.db, e.id, working.message_id)
            inv = Invocation(
                command=str(p["command"]),
                text="",
                user=User(id=origin.user, name=p.get("user_name")),
                platform=PLATFORM,
                channel=origin.channel,
                delivery_id=e.id,
                team=p.get("team"),
                thread=working.message_id,
                user_tz=p.get("tz"),
                options=tuple((str(k), str(v)) for k, v in p.get("options", [])),
            )
            outcome = await self._dispatch(
                self.dispatcher.dispatch(self.core, inv, resumed=True), inv.delivery_id
            )
            await self._deliver(outcome, origin, working)
        except SlackPortError as err:
            await self._tell(origin, ErrorReply(title=err.human))

    async def _run_command(
        self,
        cmd: SlashCommand,
        origin: _Origin,
        *,
        resumed: bool = False,
        thread: str | None = None,
    ) -> None:
        try:
            tz = await self.directory.user_tz(cmd.user_id)
            working: MessageRef | None = None
            if cmd.command in THREADED:
                if thread is not None:  # resumed: its working message is already there
                    working = MessageRef(PLATFORM, cmd.channel, thread)
                else:
                    working = await self.port.post(
                        cmd.channel, working_message(cmd.user_id, cmd.command, cmd.text)
                    )
                    await journal.set_thread(self.core.db, cmd.delivery_id, working.message_id)
            inv = cmd.invocation(thread=working.message_id if working else None, user_tz=tz)
            call = (
                self.dispatcher.dispatch(self.core, inv, resumed=True)
                if resumed
                else self.dispatcher.dispatch(self.core, inv)
            )
            outcome = await self._dispatch(call, inv.delivery_id)
            await self._deliver(outcome, origin, working)
        except SlackPortError as e:
            await self._tell(origin, ErrorReply(title=e.human))
            await journal.mark_done(self.core.db, cmd.delivery_id, self.core.clock.now())

    # ------------------------------------------------------------ compose modal

    async def _open_compose(self, cmd: SlashCommand) -> None:
        ctx = modal.ComposeContext(command=cmd.command, channel=cmd.channel, team=cmd.team)
        key = (cmd.team, cmd.channel)
        choices = self._choices.peek(key)
        tz = self.directory.cached_tz(cmd.user_id)
        try:
            resp = await self.client.views_open(
                trigger_id=cmd.trigger_id, view=modal.compose_view(ctx, choices=choices, tz=tz)
            )
        except SlackApiError as e:
            err = from_api_error(e, cmd.channel)
            log.warning("views.open failed: %s", err.code)
            origin = _Origin(channel=cmd.channel, user=cmd.user_id)
            self.spawn(self._tell(origin, ErrorReply(title=err.human)), name="slack tell")
            return
        if choices is None or tz is None:
            view = resp.get("view") or {}
            self.spawn(
                self._fill_compose(ctx, cmd.user_id, str(view.get("id", "")), view.get("hash")),
                name="slack compose fill",
            )

    async def _fill_compose(
        self, ctx: modal.ComposeContext, user: str, view_id: str, h: Any
    ) -> None:
        failed = False
        try:
            choices: list[Choice] | None = await self._choices.get(
                (ctx.team, ctx.channel),
                lambda: self.dispatcher.target_choices(
                    self.core, PLATFORM, ctx.team, ctx.channel, ""
                ),
            )
        except Exception:
            log.warning("target choices for %s failed", ctx.channel, exc_info=True)
            choices, failed = [], True
        tz = await self.directory.user_tz(user)
        view = modal.compose_view(ctx, choices=choices, tz=tz, choices_failed=failed)
        try:
            await self.client.views_update(view_id=view_id, hash=h, view=view)
        except SlackApiError as e:  # closed, or changed meanwhile (hash_conflict): leave it
            log.info("views.update of the compose form skipped: %s", error_code(e))

    async def _on_compose_submit(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view")
        view = view if isinstance(view, Mapping) else {}
        sub = modal.read_submission(view, max_bytes=self.files.max_bytes)
        if not sub.errors:
            sub.errors = modal.block_errors(quick_check(sub.options), view)
        if sub.errors:
            await ack(response_action="errors", errors=sub.errors)
            return
        await ack()
        user = body.get("user")
        user = user if isinstance(user, Mapping) else {}
        self.spawn(self._accept_compose(sub, body, user), name="slack compose accept", urgent=True)

    async def _accept_compose(
        self, sub: modal.Submission, body: Mapping[str, Any], user: Mapping[str, Any]
    ) -> None:
        payload = {
            "command": sub.ctx.command,
            "channel": sub.channel,
            "team": sub.ctx.team,
            "user": str(user.get("id", "")),
            "user_name": user.get("username") or user.get("name"),
            "tz": sub.tz,
            "options": [list(o) for o in sub.options],
            "files": len(sub.files),
        }
        await self._journal(view_delivery_id(body), "compose", payload)
        self.spawn(self._run_compose(sub, body, user), name="slack compose submit")

    async def _run_compose(
        self, sub: modal.Submission, body: Mapping[str, Any], user: Mapping[str, Any]
    ) -> None:
        uid = str(user.get("id", ""))
        origin = _Origin(channel=sub.channel, user=uid)
        try:
            tz = sub.tz or await self.directory.user_tz(uid)
            working = await self.port.post(sub.channel, working_message(uid, sub.ctx.command, ""))
            await journal.set_thread(self.core.db, view_delivery_id(body), working.message_id)
            inv = Invocation(
                command=sub.ctx.command,
                text="",
                user=User(id=uid, name=user.get("username") or user.get("name")),
                platform=PLATFORM,
                channel=sub.channel,
                delivery_id=view_delivery_id(body),
                team=sub.ctx.team,
                thread=working.message_id,
                user_tz=tz,
                attachments=tuple(self.files.attachment(f) for f in sub.files),
                options=tuple(sub.options),
            )
            outcome = await self._dispatch(
                self.dispatcher.dispatch(self.core, inv), inv.delivery_id
            )
            await self._deliver(outcome, origin, working)
        except SlackPortError as e:
            await self._tell(origin, ErrorReply(title=e.human))

    # ------------------------------------------------------------ approvals

    async def _on_reaction(self, body: dict[str, Any]) -> None:
        event = reaction_event(body)
        if event is None:
            return
        self.spawn(self._accept_card_event(event), name="slack reaction accept", urgent=True)

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        event = button_event(body)
        if event is None:
            return
        self.spawn(self._accept_card_event(event), name="slack button accept", urgent=True)

    async def _run_card_event(
        self, event: ReactionEvent | ButtonEvent, origin: _Origin, *, resumed: bool = False
    ) -> None:
        call: Coroutine[Any, Any, Outcome]
        if isinstance(event, ReactionEvent):
            call = (
                self.dispatcher.dispatch_reaction(self.core, event, resumed=True)
                if resumed
                else self.dispatcher.dispatch_reaction(self.core, event)
            )
        else:
            call = (
                self.dispatcher.dispatch_button(self.core, event, resumed=True)
                if resumed
                else self.dispatcher.dispatch_button(self.core, event)
            )
        outcome = await self._dispatch(call, event.delivery_id)
        card = MessageRef(PLATFORM, event.message.channel, event.message.message_id)
        await self._deliver(outcome, origin, None, thread=card.message_id)

    # ------------------------------------------------------------ request changes

    async def _on_changes(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Request changes (on a card) or Give the reason (under the ask): open the form at
        once — the trigger id lives 3 s."""
        await ack()
        found = changes.pressed(body)
        if found is None:
            return
        trigger, post_id, channel, ts = found
        try:
            await self.client.views_open(
                trigger_id=trigger, view=changes.reason_view(post_id, channel, ts)
            )
        except SlackApiError as e:
            err = from_api_error(e, channel)
            log.warning("views.open (request changes) failed: %s", err.code)

    async def _run_reply(self, event: ReplyEvent) -> None:
        outcome = await self._dispatch(
            self.dispatcher.dispatch_reply(self.core, event), event.delivery_id
        )
        origin = _Origin(channel=event.message.channel, user=event.user.id)
        await self._deliver(outcome, origin, None, thread=event.message.message_id)

    # ------------------------------------------------------------ offers

    async def _on_offer(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """ "Post as a thread of 3" on an error reply: the kept request runs again, answered like
        a command (a working message in the channel becomes the request's thread)."""
        await ack()
        event = offer_event(body)
        if event is None:
            return
        origin = _Origin(channel=event.message.channel, user=event.user.id, respond=respond)
        self.spawn(self._run_offer(event, origin), name="slack offer", urgent=True)

    async def _run_offer(self, event: ButtonEvent, origin: _Origin) -> None:
        try:
            working = await self.port.post(
                origin.channel, working_message(origin.user, "post", "(as a thread)")
            )
            call = self.dispatcher.dispatch_button(
                self.core, replace(event, thread=working.message_id)
            )
            outcome = await self._dispatch(call, event.delivery_id)
            if any(not is_ephemeral(r) for r in outcome.replies) and origin.respond is not None:
                try:  # the offer is taken: remove it
                    await origin.respond(delete_original=True)
                except Exception as e:
                    log.info("could not remove the offer (%s)", type(e).__name__)
            await self._deliver(outcome, origin, working)
        except SlackPortError as e:
            await self._tell(origin, ErrorReply(title=e.human))

    # ------------------------------------------------------------ results

    async def _dispatch(self, call: Coroutine[Any, Any, Outcome], delivery_id: str) -> Outcome:
        """Run a dispatch call; a bug becomes an apology with a reference id (never a crash)."""
        try:
            return await call
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("dispatch failed (ref %s, delivery %s)", ref, delivery_id)
            return Outcome(
                replies=(
                    ErrorReply(
                        title="Sorry — something went wrong on my side.",
                        hint="Try again in a minute; if it keeps happening, tell an admin.",
                        reference=ref,
                    ),
                )
            )

    async def _deliver(
        self,
        outcome: Outcome,
        origin: _Origin,
        working: MessageRef | None,
        *,
        thread: str | None = None,
    ) -> None:
        """Show ``outcome``'s replies: the first public one replaces the working message, later
        public ones go in its thread, ephemeral ones to the invoker only."""
        root = working
        used_working = False
        for reply in () if outcome.duplicate else outcome.replies:
            try:
                if isinstance(reply, PictureReply):
                    replace = working if working is not None and not used_working else None
                    in_thread = root.message_id if root is not None else thread
                    _, problem = await self.port.post_picture(
                        origin.channel, reply, thread=in_thread, replace=replace
                    )
                    used_working = used_working or replace is not None
                    if problem is not None:
                        await self._tell(origin, picture_error(problem))
                elif is_ephemeral(reply):
                    await self._tell(origin, reply, thread=thread)
                elif working is not None and not used_working:
                    await self.port.update(working, reply)
                    used_working = True
                else:
                    in_thread = root.message_id if root is not None else thread
                    await self.port.post(origin.channel, render(reply), thread=in_thread)
            except SlackPortError as e:
                await self._tell(origin, ErrorReply(title=e.human))
        if working is not None and not used_working:
            try:
                await self.port.delete(working)
            except SlackPortError as e:
                log.info("could not delete the working message: %s", e.code)

    async def _tell(self, origin: _Origin, reply: Reply, *, thread: str | None = None) -> None:
        """Only the invoker sees ``reply``: response_url when there is one (it works even where
        the bot isn't a member), else an ephemeral message, else a DM. Never raises."""
        msg = render(reply)
        if origin.respond is not None:
            try:
                await origin.respond(response_type="ephemeral", **msg.kwargs())
                return
            except Exception as e:
                log.info("response_url failed (%s); trying chat.postEphemeral", type(e).__name__)
        try:
            await self.port.post_ephemeral(origin.channel, origin.user, msg, thread=thread)
        except SlackPortError as e:
            log.warning("could not tell %s in %s: %s", origin.user, origin.channel, e.code)

    # ------------------------------------------------------------ errors

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        """Bolt's global error handler: log (never the body: it may hold URLs), never crash."""
        kind = body.get("type") or body.get("command") or "request"
        if isinstance(error, SlackApiError):
            log.error("slack %s failed: %s", kind, error_code(error))
        else:
            log.error("slack %s failed", kind, exc_info=error)


def _log_access_lost(body: Mapping[str, Any]) -> None:
    """``app_uninstalled`` / ``tokens_revoked``: acked (so Slack stops resending) and logged; the
    bot token stops working, which only the operator can fix."""
    event = body.get("event")
    kind = event.get("type") if isinstance(event, Mapping) else None
    log.error(
        "slack: %s for team %s: the bot token no longer works; reinstall the app and set "
        "SLACK_BOT_TOKEN again",
        kind,
        body.get("team_id") or body.get("enterprise_id") or "?",
    )


def _event_payload(event: ReactionEvent | ButtonEvent) -> dict[str, Any]:
    """A card event as journal JSON (``_event_from`` reads it back)."""
    out: dict[str, Any] = {
        "user": event.user.id,
        "user_name": event.user.name,
        "channel": event.message.channel,
        "ts": event.message.message_id,
        "delivery_id": event.delivery_id,
        "team": event.team,
    }
    if isinstance(event, ReactionEvent):
        out |= {"action": event.action.value, "emoji": event.emoji}
    else:
        out |= {"decision": event.decision, "value": event.value, "reason": event.reason}
    return out


def _event_from(kind: str, p: Mapping[str, Any]) -> ReactionEvent | ButtonEvent:
    user = User(id=str(p["user"]), name=p.get("user_name"))
    ref = MessageRef(PLATFORM, str(p["channel"]), str(p["ts"]))
    if kind == "reaction":
        return ReactionEvent(
            action=ReactionAction(str(p["action"])),
            emoji=str(p["emoji"]),
            user=user,
            message=ref,
            delivery_id=str(p["delivery_id"]),
            team=p.get("team"),
        )
    return ButtonEvent(
        decision=str(p["decision"]),
        user=user,
        message=ref,
        delivery_id=str(p["delivery_id"]),
        team=p.get("team"),
        value=str(p.get("value") or ""),
        reason=p.get("reason"),  # typed in the Request changes form
    )


_ADAPTERS: WeakKeyDictionary[AsyncApp, SlackAdapter] = WeakKeyDictionary()


def adapter_of(app: AsyncApp) -> SlackAdapter:
    """The adapter behind an app made by ``create_slack_app``."""
    return _ADAPTERS[app]


def build_slack_adapter(
    core: Core,
    settings: Settings,
    *,
    client: AsyncWebClient | None = None,
    dispatcher: Dispatcher | None = None,
    http: httpx.AsyncClient | None = None,
    max_upload_bytes: int = DEFAULT_MAX_BYTES,
    max_concurrent: int = DEFAULT_CONCURRENCY,
) -> SlackAdapter:
    return SlackAdapter(
        core,
        settings,
        client=client,
        dispatcher=dispatcher,
        http=http,
        max_upload_bytes=max_upload_bytes,
        max_concurrent=max_concurrent,
    )


def create_slack_app(
    core: Core, settings: Settings, *, client: AsyncWebClient | None = None
) -> AsyncApp:
    """The bot's Slack app; registers its ``ChatPort`` as ``core.ports["slack"]``.

    ``client`` defaults to an ``AsyncWebClient`` on ``SLACK_BOT_TOKEN`` and ``SLACK_API_URL``
    (with a 429 retry handler). Serve it with ``adapters.slack.runner``.
    """
    return build_slack_adapter(core, settings, client=client).app


__all__ = [
    "CommandLayer",
    "Dispatcher",
    "SlackAdapter",
    "adapter_of",
    "build_slack_adapter",
    "create_slack_app",
]
