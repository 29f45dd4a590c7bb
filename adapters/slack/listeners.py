"""The Bolt listeners: acknowledge, hand the work to the delivery, never crash.

    /post, /schedule <text>   ack → journal → "⏳ working" message → dispatch → replies
    /post, /schedule (empty)  ack → the compose form (``adapters.slack.compose``)
    form submission           inline errors, or ack → as a command
    /status, /social          ack → journal → dispatch → public replies in the channel
    /social (dis)connect      ack → adapters.slack.connect (admins only; a private form; not
                              journaled: it carries a key)
    reaction_added/removed    (acked by Bolt) → journal → dispatch_reaction; id = event_id
    Approve / Reject buttons  ack → journal → dispatch_button
    command buttons           ack → as a command, run as the presser (Confirm delete, Retry)
    "Post as a thread" offer  ack → a working message → dispatch_button (the kept request)
    Request changes / Give    ack → views.open the reason form at once (trigger id: 3 s); its
      the reason              submission → journal → dispatch_button (with the reason)
    message (a thread reply)  (acked by Bolt) → dispatch_reply (the reason an approver owes)
    app_uninstalled,          single-team: (acked by Bolt) → an error log line, the bot token
    tokens_revoked            no longer works; distributed: adapters.slack.oauth deletes the
                              team's installation and closes its pending work
    any other event / action  acked and ignored (Bolt would answer 404 and Slack resend it)

Over HTTP the ack is the response to Slack's request, so nothing (no database, no API) runs
before it; the journal entry is written right after. In Socket Mode (``record_first``) the ack
is a websocket message the bot sends when it likes, within 3 s: the journal entry is written
first, so an acknowledged request is always on disk. Reactions are acked by Bolt itself before
the listener runs; in Socket Mode a listener middleware records them before that.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from adapters.slack import changes, connect, modal, oauth
from adapters.slack.delivery import THREADED, Origin
from adapters.slack.errors import error_code, from_api_error
from adapters.slack.translate import (
    ACTION_APPROVE,
    ACTION_REJECT,
    ACTION_RUN,
    ACTION_SPLIT,
    COMMANDS,
    SlashCommand,
    button_event,
    command_button,
    offer_event,
    reaction_event,
)
from bot.chat import ButtonEvent

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)

RECORDED = "socialbot_recorded"  # Bolt context key: the journal entry a middleware wrote
ANY = re.compile("")  # matches every event type / action id


def register(adapter: SlackAdapter) -> None:
    """Attach the listeners to ``adapter.app``.

    Bolt passes listener arguments by parameter name and counts ``self`` as one, so each
    listener is a plain function with exactly the names it needs.
    """
    app = adapter.app
    delivery = adapter.delivery

    async def ack_command(ack: AsyncAck, cmd: SlashCommand, origin: Origin, name: str) -> None:
        """Ack, and run ``cmd`` crash-safe: journaled before the ack in Socket Mode, right
        after it over HTTP (nothing may run before an HTTP ack)."""
        if adapter.record_first:
            recorded = await delivery.record_command(cmd)
            await ack()
            delivery.start_command(cmd, origin, recorded)
            return
        await ack()
        adapter.deliveries.spawn(delivery.accept_command(cmd, origin), name=name, urgent=True)

    async def ack_card_event(ack: AsyncAck, event: ButtonEvent, name: str) -> None:
        """The same for a press or a reason form on a card."""
        if adapter.record_first:
            recorded = await delivery.record_card_event(event)
            await ack()
            delivery.start_card_event(event, recorded)
            return
        await ack()
        adapter.deliveries.spawn(delivery.accept_card_event(event), name=name, urgent=True)

    async def on_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        cmd = SlashCommand.from_body(body)
        if connect.is_connect(cmd):  # never journaled: see adapters.slack.connect
            await ack()
            origin = Origin(channel=cmd.channel, user=cmd.user_id, respond=respond)
            adapter.deliveries.spawn(
                adapter.connect.start(cmd, origin), name="slack connect", urgent=True
            )
            return
        if cmd.command in THREADED and not cmd.text.strip() and cmd.trigger_id:
            await ack()
            adapter.deliveries.spawn(
                adapter.compose.open(cmd), name=f"slack {cmd.slash} form", urgent=True
            )
            return
        origin = Origin(channel=cmd.channel, user=cmd.user_id, respond=respond)
        await ack_command(ack, cmd, origin, f"slack {cmd.slash} accept")

    async def on_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await adapter.compose.on_submit(ack, body, record_first=adapter.record_first)

    async def on_closed(ack: AsyncAck) -> None:
        await ack()

    async def record_reaction(
        body: dict[str, Any], context: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        # Runs before Bolt's automatic ack of the event (Socket Mode only).
        event = reaction_event(body)
        if adapter.record_first and event is not None:
            context[RECORDED] = await delivery.record_card_event(event)
        return await next()

    async def on_reaction(body: dict[str, Any], context: dict[str, Any]) -> None:
        event = reaction_event(body)
        if event is None:
            return
        recorded = context.get(RECORDED)
        if recorded is not None:
            delivery.start_card_event(event, recorded)
            return
        adapter.deliveries.spawn(
            delivery.accept_card_event(event), name="slack reaction accept", urgent=True
        )

    async def on_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        event = button_event(body)
        if event is None:
            await ack()
            return
        await ack_card_event(ack, event, "slack button accept")

    async def on_run(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        # A command button (Confirm delete, Retry failed): run it as the presser.
        cmd = command_button(body)
        if cmd is None:
            await ack()
            return
        origin = Origin(channel=cmd.channel, user=cmd.user_id, respond=respond)
        await ack_command(ack, cmd, origin, "slack button")

    async def on_offer(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        event = offer_event(body)
        if event is None:
            return
        origin = Origin(channel=event.message.channel, user=event.user.id, respond=respond)
        adapter.deliveries.spawn(delivery.run_offer(event, origin), name="slack offer", urgent=True)

    async def on_changes(ack: AsyncAck, body: dict[str, Any]) -> None:
        # Request changes (on a card) or Give the reason (under the ask): the form at once.
        await ack()
        found = changes.pressed(body)
        if found is None:
            return
        trigger, post_id, channel, ts = found

        async def open_form() -> None:
            try:
                await adapter.client.views_open(
                    trigger_id=trigger, view=changes.reason_view(post_id, channel, ts)
                )
            except SlackApiError as e:
                code = from_api_error(e, channel).code
                log.warning("views.open (request changes) failed: %s", code)

        # Not awaited here: the listener returns (and Slack gets its answer) at once.
        adapter.deliveries.spawn(open_form(), name="slack changes form", urgent=True)

    async def on_reason(ack: AsyncAck, body: dict[str, Any]) -> None:
        event = changes.reason_event(body)
        if event is None:
            await ack()
            return
        await ack_card_event(ack, event, "slack changes")

    async def on_message(body: dict[str, Any]) -> None:
        event = changes.reply_event(body)
        if event is not None:
            adapter.deliveries.spawn(delivery.run_reply(event), name="slack thread reply")

    async def on_access_lost(body: dict[str, Any]) -> None:
        _log_access_lost(body)

    async def on_connect_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await adapter.connect.on_submit(ack, body)

    async def on_other_event() -> None:
        pass  # an event we don't act on (e.g. a subscription added later): acked by Bolt

    async def on_other_action(ack: AsyncAck) -> None:
        await ack()  # link buttons and other elements send block_actions too

    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        """Bolt's global error handler: log (never the body: it may hold URLs), never crash."""
        kind = body.get("type") or body.get("command") or "request"
        if isinstance(error, SlackApiError):
            log.error("slack %s failed: %s", kind, error_code(error))
        else:
            log.error("slack %s failed", kind, exc_info=error)

    for slash in COMMANDS:
        app.command(slash)(on_command)
    app.view_submission(modal.CALLBACK_ID)(on_submit)
    app.view_closed(modal.CALLBACK_ID)(on_closed)
    app.event("reaction_added", middleware=[record_reaction])(on_reaction)
    app.event("reaction_removed", middleware=[record_reaction])(on_reaction)
    app.view_submission(connect.CALLBACK_ID)(on_connect_submit)
    if adapter.records is not None:  # distributed: the team's installation goes
        gone = oauth.access_lost(adapter, adapter.records)
        app.event("app_uninstalled")(gone)
        app.event("tokens_revoked")(gone)
        app.event("team_access_revoked")(gone)
    else:
        app.event("app_uninstalled")(on_access_lost)
        app.event("tokens_revoked")(on_access_lost)
    app.action(ACTION_APPROVE)(on_button)
    app.action(ACTION_REJECT)(on_button)
    app.action(re.compile(f"^{ACTION_RUN}_"))(on_run)
    app.action(ACTION_SPLIT)(on_offer)
    app.action(changes.ACTION_CHANGES)(on_changes)
    app.view_submission(changes.REASON_VIEW)(on_reason)
    app.view_closed(changes.REASON_VIEW)(on_closed)
    app.event("message")(on_message)
    # Last: anything else Slack may deliver is acked, not left to be resent (a 404 from Bolt
    # makes Slack retry, and Socket Mode does not ack a 404 at all).
    app.event(ANY)(on_other_event)
    app.block_action(ANY)(on_other_action)
    app.error(on_error)


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
