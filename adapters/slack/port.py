"""``SlackPort``: the core's ``ChatPort`` on Slack (render + Web API calls).

Public messages to one channel are paced by the platform's shared ``ChannelPacer``
(≤ 1 ``chat.postMessage``/s per channel, key ``slack:<channel>``); 429s are retried after
``Retry-After`` by slack_sdk's ``AsyncRateLimitErrorRetryHandler`` on the client. A failed
call raises ``SlackPortError`` whose ``str()`` tells a person what to do.

Exactly-once sends: Slack has no idempotency key for bot messages, so a message sent with a
``key`` carries it in Slack message metadata (``event_type`` ``socialbot_announcement``,
``event_payload.key``). Before re-sending something that may already have gone out (a crash
between the send and its database commit) the sender asks ``find_sent(dest, key)``, which
looks for that key in the thread (``conversations.replies``) or among the channel's latest
messages (``conversations.history``), both with ``include_all_metadata``.

An approval card's images are fetched by Slack when the card is posted; if Slack cannot
(``invalid_blocks``), the card goes out again with the images as links.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import Directory
from adapters.slack.errors import SlackPortError, error_code, from_api_error
from adapters.slack.render import SlackMessage, picture_problem, render, without_images
from adapters.slack.translate import PLATFORM
from bot.chat import ChatPlatform, Destination, MessageRef, Picture, PictureReply, Reply
from bot.notifier.pacing import ChannelPacer

log = logging.getLogger(__name__)

_NO_CHANNEL = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel"})
METADATA_EVENT = "socialbot_announcement"
FIND_PAGES = 5  # pages of up to 200 messages looked at by ``find_sent``


class SlackPort:
    platform: ChatPlatform = PLATFORM

    def __init__(self, client: AsyncWebClient, pacer: ChannelPacer, directory: Directory) -> None:
        self.client = client
        self.pacer = pacer
        self.directory = directory

    # ------------------------------------------------------------ ChatPort

    async def send(self, dest: Destination, reply: Reply, *, key: str | None = None) -> MessageRef:
        # ``key`` goes into the message metadata, for ``find_sent`` after a crash.
        if isinstance(reply, PictureReply):
            ref, problem = await self.post_picture(dest.channel, reply, thread=dest.thread, key=key)
            if problem is not None:
                await self.post(
                    dest.channel, picture_problem(problem), thread=dest.thread or ref.message_id
                )
            return ref
        msg = render(reply)
        if dest.ephemeral_to:
            return await self.post_ephemeral(
                dest.channel, dest.ephemeral_to, msg, thread=dest.thread
            )
        try:
            return await self.post(dest.channel, msg, thread=dest.thread, key=key)
        except SlackPortError as e:
            plain = without_images(reply) if e.code == "invalid_blocks" else None
            if plain is None:
                raise
            log.info("slack refused a card's images in %s; sent them as links", dest.channel)
            return await self.post(dest.channel, plain, thread=dest.thread, key=key)

    async def find_sent(self, dest: Destination, key: str) -> MessageRef | None:
        """The message sent earlier with ``key`` to ``dest`` (its thread, or the channel's
        latest messages), or None. Raises ``SlackPortError`` if Slack cannot be asked."""
        cursor: str | None = None
        for _ in range(FIND_PAGES):
            try:
                if dest.thread:
                    resp = await self.client.conversations_replies(
                        channel=dest.channel,
                        ts=dest.thread,
                        include_all_metadata=True,
                        limit=200,
                        cursor=cursor,
                    )
                else:
                    resp = await self.client.conversations_history(
                        channel=dest.channel, include_all_metadata=True, limit=200, cursor=cursor
                    )
            except SlackApiError as e:
                if dest.thread and error_code(e) == "thread_not_found":
                    return None
                raise self._failed("conversations.replies/history", e, dest.channel) from None
            for m in resp.get("messages") or []:
                meta = m.get("metadata") if isinstance(m, dict) else None
                if not isinstance(meta, dict) or meta.get("event_type") != METADATA_EVENT:
                    continue
                payload = meta.get("event_payload")
                if isinstance(payload, dict) and payload.get("key") == key and m.get("ts"):
                    return MessageRef(PLATFORM, dest.channel, str(m["ts"]))
            meta_page = resp.get("response_metadata") or {}
            cursor = meta_page.get("next_cursor") if isinstance(meta_page, dict) else None
            if not cursor or not resp.get("has_more", True):
                break
        return None

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        try:
            await self.update_message(ref, render(reply))
        except SlackPortError as e:
            plain = without_images(reply) if e.code == "invalid_blocks" else None
            if plain is None:
                raise
            log.info("slack refused a card's images in %s; updated with links", ref.channel)
            await self.update_message(ref, plain)

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

    async def send_direct(self, user_id: str, reply: Reply) -> MessageRef:
        """A direct message: ``chat.postMessage`` to the user id opens the app's DM with them."""
        return await self.post(user_id, render(reply))

    # ------------------------------------------------------------ lower level

    async def post(
        self, channel: str, msg: SlackMessage, *, thread: str | None = None, key: str | None = None
    ) -> MessageRef:
        await self.pacer.acquire(f"{PLATFORM}:{channel}")
        metadata = (
            {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
            if key is not None
            else None
        )
        try:
            resp = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
                **msg.kwargs(),
            )
        except SlackApiError as e:
            raise self._failed("chat.postMessage", e, channel) from None
        return MessageRef(PLATFORM, str(resp.get("channel") or channel), str(resp["ts"]))

    async def post_picture(
        self,
        channel: str,
        reply: PictureReply,
        *,
        thread: str | None = None,
        key: str | None = None,
        replace: MessageRef | None = None,
    ) -> tuple[MessageRef, str | None]:
        """The words first (so they arrive whatever happens to the upload; ``replace`` = a
        message to turn into them), then the PNGs in the same channel/thread. Returns the words'
        message and, if the pictures could not be attached, why (a sentence for a person)."""
        msg = render(reply)
        if replace is not None:
            await self.update_message(replace, msg)
            ref = replace
        else:
            ref = await self.post(channel, msg, thread=thread, key=key)
        if not reply.pictures:
            return ref, None
        return ref, await self.upload(channel, reply.pictures, thread=thread)

    async def upload(
        self, channel: str, pictures: Sequence[Picture], *, thread: str | None = None
    ) -> str | None:
        """``files_upload_v2`` (files.getUploadURLExternal → POST the bytes →
        files.completeUploadExternal, shared into ``channel``/``thread``). None when done,
        else why not, in words."""
        await self.pacer.acquire(f"{PLATFORM}:{channel}")
        try:
            await self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread,
                file_uploads=[
                    {"content": p.png, "filename": p.filename, "title": p.title, "alt_txt": p.alt}
                    for p in pictures
                ],
            )
        except SlackApiError as e:
            return self._failed("files_upload_v2", e, channel).human
        except (SlackClientError, OSError) as e:  # the upload itself refused (not a 200)
            log.warning("slack: picture upload to %s refused: %s", channel, type(e).__name__)
            return "Slack refused the upload. Try again in a minute."
        return None

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
