"""The compose form's flow: ``/post`` or ``/schedule`` with no text opens it, its submission
runs like a command. The views themselves are ``adapters.slack.modal``.

    open(cmd)            views.open at once (the trigger_id lives 3 s), then views.update with
                         the account picker and the user's time zone once known
    on_submit(ack, body) problems visible without I/O → inline errors (response_action
                         "errors"); else ack (closes it) → journal → "⏳ working" message in
                         the chosen channel → dispatch → replies as for a command
    replay(entry)        after a restart, in its recorded working message, with its files:
                         the entry records each one (id, name, type, size, private URL) and the
                         replay streams them from Slack again with the bot token. A private URL
                         is no credential by itself (it needs the token, which is never stored).
                         An entry from before files were recorded only counts them: reported
                         failed, as it always was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import modal
from adapters.slack.delivery import Origin, SlackDelivery
from adapters.slack.directory import TtlCache
from adapters.slack.errors import SlackPortError, error_code, from_api_error
from adapters.slack.files import FileFetcher, SlackFile
from adapters.slack.render import working_message
from adapters.slack.translate import PLATFORM, SlashCommand, view_delivery_id
from bot import journal
from bot.chat import ErrorReply, Invocation, MessageRef, User
from commands.complete import Choice

log = logging.getLogger(__name__)

CHOICES_TTL = 300.0


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


def _file_record(f: SlackFile) -> dict[str, Any]:
    """A submitted file as the journal keeps it (``SlackFile.from_json`` reads it back)."""
    return {
        "id": f.id,
        "name": f.name,
        "mimetype": f.mimetype,
        "size": f.size,
        "url_private_download": f.url,
    }


class ComposeFlow:
    def __init__(self, client: AsyncWebClient, delivery: SlackDelivery, files: FileFetcher) -> None:
        self.client = client
        self.delivery = delivery
        self.core = delivery.core
        self.deliveries = delivery.deliveries
        self.directory = delivery.directory
        self.files = files
        self.choices: TtlCache[tuple[str | None, str], list[Choice]] = TtlCache(
            self.core.clock, CHOICES_TTL
        )
        delivery.replays["compose"] = self.replay

    # ------------------------------------------------------------ the form

    async def open(self, cmd: SlashCommand) -> None:
        ctx = modal.ComposeContext(command=cmd.command, channel=cmd.channel, team=cmd.team)
        key = (cmd.team, cmd.channel)
        choices = self.choices.peek(key)
        tz = self.directory.cached_tz(cmd.user_id)
        try:
            resp = await self.client.views_open(
                trigger_id=cmd.trigger_id, view=modal.compose_view(ctx, choices=choices, tz=tz)
            )
        except SlackApiError as e:
            err = from_api_error(e, cmd.channel)
            log.warning("views.open failed: %s", err.code)
            origin = Origin(channel=cmd.channel, user=cmd.user_id)
            self.deliveries.spawn(
                self.delivery.tell(origin, ErrorReply(title=err.human)), name="slack tell"
            )
            return
        if choices is None or tz is None:
            view = resp.get("view") or {}
            self.deliveries.spawn(
                self._fill(ctx, cmd.user_id, str(view.get("id", "")), view.get("hash")),
                name="slack compose fill",
            )

    async def _fill(self, ctx: modal.ComposeContext, user: str, view_id: str, h: Any) -> None:
        failed = False
        try:
            choices: list[Choice] | None = await self.choices.get(
                (ctx.team, ctx.channel),
                lambda: self.delivery.dispatcher.target_choices(
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

    # ------------------------------------------------------------ the submission

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], *, record_first: bool) -> None:
        view = body.get("view")
        view = view if isinstance(view, Mapping) else {}
        sub = modal.read_submission(view, max_bytes=self.files.max_bytes)
        if not sub.errors:
            sub.errors = modal.block_errors(quick_check(sub.options), view)
        if sub.errors:
            await ack(response_action="errors", errors=sub.errors)
            return
        user = body.get("user")
        user = user if isinstance(user, Mapping) else {}
        if record_first:  # Socket Mode: the local write fits in the 3 s before the ack
            await self._record(sub, body, user)
            await ack()
            self._start(sub, body, user)
            return
        await ack()
        self.deliveries.spawn(
            self._accept(sub, body, user), name="slack compose accept", urgent=True
        )

    async def _record(
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
            "files": len(sub.files),  # (entries from before "uploads" only count them)
            "uploads": [_file_record(f) for f in sub.files],
        }
        await self.deliveries.record(view_delivery_id(body), "compose", payload)

    def _start(
        self, sub: modal.Submission, body: Mapping[str, Any], user: Mapping[str, Any]
    ) -> None:
        self.deliveries.spawn(self._run(sub, body, user), name="slack compose submit")

    async def _accept(
        self, sub: modal.Submission, body: Mapping[str, Any], user: Mapping[str, Any]
    ) -> None:
        await self._record(sub, body, user)
        self._start(sub, body, user)

    async def _run(
        self, sub: modal.Submission, body: Mapping[str, Any], user: Mapping[str, Any]
    ) -> None:
        uid = str(user.get("id", ""))
        origin = Origin(channel=sub.channel, user=uid)
        try:
            tz = sub.tz or await self.directory.user_tz(uid)
            port = self.delivery.port
            working = await port.post(sub.channel, working_message(uid, sub.ctx.command, ""))
            await self.deliveries.set_thread(view_delivery_id(body), working.message_id)
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
            await self.delivery.run_invocation(inv, origin, working)
        except SlackPortError as e:
            await self.delivery.tell(origin, ErrorReply(title=e.human))

    # ------------------------------------------------------------ after a restart

    async def replay(self, e: journal.Entry) -> None:
        p = e.payload
        origin = Origin(channel=str(p["channel"]), user=str(p["user"]))
        uploads = p.get("uploads")
        if int(p.get("files", 0)) and not isinstance(uploads, list):
            # Journaled before the files were recorded: they cannot be fetched again.
            await self.delivery.tell(
                origin,
                ErrorReply(
                    title="Sorry — I was restarted while working on your post with files",
                    problems=("It was not posted.",),
                    hint="Send it again with /post.",
                ),
            )
            await self.deliveries.done(e.id)
            return
        working = MessageRef(PLATFORM, origin.channel, e.thread) if e.thread else None
        try:
            if working is None:
                working = await self.delivery.port.post(
                    origin.channel, working_message(origin.user, str(p["command"]), "")
                )
                await self.deliveries.set_thread(e.id, working.message_id)
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
                attachments=tuple(
                    self.files.attachment(SlackFile.from_json(f)) for f in uploads or ()
                ),
                options=tuple((str(k), str(v)) for k, v in p.get("options", [])),
            )
            await self.delivery.run_invocation(inv, origin, working, resumed=True)
        except SlackPortError as err:
            await self.delivery.tell(origin, ErrorReply(title=err.human))
