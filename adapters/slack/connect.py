"""``/social connect`` and ``/social disconnect`` on Slack: who may (workspace admins and
owners, from ``users.info``), and the private form the key is pasted in.

    /social connect      ack → admin? → views.open (a modal only the admin sees; the trigger
                         lives 3 s, so it opens before anything slow)
    form submission      an obviously wrong key → inline error; else ack (closes it) →
                         commands.handlers.connect (checked with GET /v1/accounts, stored
                         encrypted) → an ephemeral reply listing the accounts
    /social disconnect   ack → admin? → forget the key → ephemeral reply

Neither the command nor the form is journaled (a journal entry would hold the key): a crash
between the submission and the reply loses it, and the admin connects again. The key is never
logged or echoed; replies name it by its last 4 characters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from adapters.slack.delivery import Origin
from adapters.slack.errors import SlackPortError, error_code
from adapters.slack.teams import scope_for
from adapters.slack.translate import PLATFORM, SlashCommand
from bot.chat import ErrorReply
from commands.handlers import connect as connecting

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)

CALLBACK_ID = "socialbot_connect"
BLOCK = "socialbot_key"
ACTION = "key"
WORDS = frozenset({"connect", "disconnect"})

ONLY_ADMINS = ErrorReply(
    title="Only workspace admins and owners (or the bot's connect group) can connect or "
    "disconnect a Social API key",
    problems=("Ask an admin of this Slack workspace to run the command.",),
)


def is_connect(cmd: SlashCommand) -> bool:
    words = cmd.text.split()
    return cmd.command == "social" and bool(words) and words[0].lower() in WORDS


def connect_view(channel: str, team: str | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        # the team too: an org-wide install's submission names no workspace (``team: null``)
        "private_metadata": json.dumps({"channel": channel, "team": team}),
        "title": {"type": "plain_text", "text": "Connect Social API"},
        "submit": {"type": "plain_text", "text": "Connect"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Paste a Social API key for this workspace. Only you see this form; "
                    "the key is checked, stored encrypted and never shown again (only its last "
                    "4 characters).",
                },
            },
            {
                "type": "input",
                "block_id": BLOCK,
                "label": {"type": "plain_text", "text": "API key"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ACTION,
                    "placeholder": {"type": "plain_text", "text": "sk_live_…"},
                },
            },
        ],
    }


class ConnectFlow:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    async def is_admin(self, user: str) -> bool:
        """A workspace admin or owner (users.info), or a member of one of the user groups in
        SLACK_CONNECT_GROUPS."""
        try:
            resp = await self.adapter.client.users_info(user=user)
        except SlackApiError as e:
            log.warning("users.info for the connect check failed: %s", error_code(e))
            return False
        u = resp.get("user")
        if isinstance(u, Mapping) and any(
            bool(u.get(k)) for k in ("is_admin", "is_owner", "is_primary_owner")
        ):
            return True
        for group in self.adapter.core.settings.slack_connect_groups:
            try:
                if user in await self.adapter.directory.group_members(group):
                    return True
            except SlackPortError as e:
                log.warning("usergroups.users.list of %s failed: %s", group, e.code)
        return False

    async def start(self, cmd: SlashCommand, origin: Origin) -> None:
        delivery = self.adapter.delivery
        words = cmd.text.split()
        sub = words[0].lower()
        if sub == "connect" and len(words) > 1:
            await delivery.tell(
                origin,
                ErrorReply(
                    title="Don't type a key into a command",
                    problems=(
                        "Nothing you typed after `connect` was used or stored. Run "
                        "`/social connect` alone: a private form opens for the key.",
                    ),
                ),
            )
            return
        if not await self.is_admin(cmd.user_id):
            await delivery.tell(origin, ONLY_ADMINS)
            return
        core = self.adapter.core
        if sub == "disconnect":
            await delivery.tell(origin, await connecting.disconnect(core, PLATFORM, cmd.team))
            return
        if core.connections is None:
            await delivery.tell(origin, connecting.NOT_SET_UP)
            return
        try:
            await self.adapter.client.views_open(
                trigger_id=cmd.trigger_id, view=connect_view(cmd.channel, cmd.team)
            )
        except SlackApiError as e:
            log.warning("views.open of the connect form failed: %s", error_code(e))
            await delivery.tell(
                origin, ErrorReply(title="The form could not open; run `/social connect` again")
            )

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") if isinstance(body.get("view"), Mapping) else {}
        assert isinstance(view, Mapping)
        values = (view.get("state") or {}).get("values") or {}
        key = str(((values.get(BLOCK) or {}).get(ACTION) or {}).get("value") or "")
        problem = connecting.looks_like_key(key)
        if problem is not None:
            await ack(response_action="errors", errors={BLOCK: problem})
            return
        await ack()
        user = body.get("user") if isinstance(body.get("user"), Mapping) else {}
        team = body.get("team") if isinstance(body.get("team"), Mapping) else {}
        assert isinstance(user, Mapping) and isinstance(team, Mapping)
        try:
            meta = json.loads(str(view.get("private_metadata") or "{}"))
        except ValueError:
            meta = {}
        meta = meta if isinstance(meta, Mapping) else {}
        origin = Origin(channel=str(meta.get("channel") or ""), user=str(user.get("id") or ""))
        where = team.get("id") or meta.get("team")
        self.adapter.deliveries.spawn(
            self._finish(origin, str(where) if where else None, key),
            name="slack connect",
            urgent=True,
        )

    async def _finish(self, origin: Origin, team: str | None, key: str) -> None:
        with scope_for(team):  # the workspace's, not only the enterprise's (org-wide installs)
            if not await self.is_admin(origin.user):  # the form is theirs, but check again
                await self.adapter.delivery.tell(origin, ONLY_ADMINS)
                return
            reply = await connecting.connect(self.adapter.core, PLATFORM, team, origin.user, key)
            await self.adapter.delivery.tell(origin, reply)
