"""``SlackPort``: the core's ``ChatPort`` on Slack (render + Web API calls).

Public messages to one channel are paced by the platform's shared ``ChannelPacer``
(≤ 1 ``chat.postMessage``/s per channel, key ``slack:<channel>``); 429s are retried after
``Retry-After`` by slack_sdk's ``AsyncRateLimitErrorRetryHandler`` on the client. A failed
call raises ``SlackPortError`` whose ``str()`` tells a person what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import Directory
from adapters.slack.errors import SlackPortError, error_code, from_api_error
from adapters.slack.render import SlackMessage, render
from adapters.slack.translate import PLATFORM
from bot.notifier.pacing import ChannelPacer
from commands.types import ChatPlatform, Destination, MessageRef, Reply

log = logging.getLogger(__name__)

_NO_CHANNEL = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel"})


class SlackPort:
    platform: ChatPlatform = PLATFORM

    def __init__(self, client: AsyncWebClient, pacer: ChannelPacer, directory: Directory) -> None:
        self.client = client
        self.pacer = pacer
        self.directory = directory

    # ------------------------------------------------------------ ChatPort

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        # ``key``: Slack has no nonce for bot messages; de-duplication of announcements is the
        # outbox's (record before/after send), so the key is only logged.
        msg = render(reply)
        if dest.ephemeral_to:
            return await self.post_ephemeral(
                dest.channel, dest.ephemeral_to, msg, thread=dest.thread
            )
        return await self.post(dest.channel, msg, thread=dest.thread)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        await self.update_message(ref, render(reply))

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        for name in emojis:
            try:
                await self.client.reactions_add(
                    channel=ref.channel, timestamp=ref.message_id, name=name.strip(":")
                )
            except SlackApiError as e:
                if error_code(e) == "already_reacted":
                    continue
                raise self._failed("reactions.add", e, ref.channel) from None

    async def group_members(self, group_id: str) -> frozenset[str]:
        return await self.directory.group_members(group_id)

    # ------------------------------------------------------------ lower level

    async def post(
        self, channel: str, msg: SlackMessage, *, thread: str | None = None
    ) -> MessageRef:
        await self.pacer.acquire(f"{PLATFORM}:{channel}")
        try:
            resp = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
                **msg.kwargs(),
            )
        except SlackApiError as e:
            raise self._failed("chat.postMessage", e, channel) from None
        return MessageRef(PLATFORM, str(resp.get("channel") or channel), str(resp["ts"]))

    async def update_message(self, ref: MessageRef, msg: SlackMessage) -> None:
        try:
            await self.client.chat_update(channel=ref.channel, ts=ref.message_id, **msg.kwargs())
        except SlackApiError as e:
            raise self._failed("chat.update", e, ref.channel) from None

    async def delete(self, ref: MessageRef) -> None:
        try:
            await self.client.chat_delete(channel=ref.channel, ts=ref.message_id)
        except SlackApiError as e:
            raise self._failed("chat.delete", e, ref.channel) from None

    async def post_ephemeral(
        self, channel: str, user: str, msg: SlackMessage, *, thread: str | None = None
    ) -> MessageRef:
        """Only ``user`` sees it; where the bot can't post in ``channel``, a DM instead."""
        try:
            resp = await self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread, **msg.kwargs()
            )
            return MessageRef(PLATFORM, channel, str(resp.get("message_ts") or ""))
        except SlackApiError as e:
            if error_code(e) not in _NO_CHANNEL:
                raise self._failed("chat.postEphemeral", e, channel) from None
            log.info(
                "ephemeral in %s failed (%s); sending a DM to %s", channel, error_code(e), user
            )
        return await self.post(user, msg)

    @staticmethod
    def _failed(method: str, e: SlackApiError, channel: str | None) -> SlackPortError:
        err = from_api_error(e, channel)
        log.warning("slack %s failed in %s: %s", method, channel, err.code)
        return err
