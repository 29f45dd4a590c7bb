"""What every part of the workflow shares: the tables made ready, cards found, the card message
re-rendered, the requester told, the draft deleted. Best effort on chat: the database is the
truth, and a card or message that cannot be updated is logged, never raised.
"""

from __future__ import annotations

import logging
import weakref

import sqlite_utils

from bot.api.errors import NotFound
from bot.approvals import store
from bot.approvals.render import card_reply, mention
from bot.chat import Destination, ErrorReply, MessageRef, Reply
from bot.core import Core
from bot.storage import Database

log = logging.getLogger(__name__)

_migrated: weakref.WeakSet[Database] = weakref.WeakSet()


async def migrate(db: Database) -> None:
    """Create / upgrade the approval tables (namespace ``approvals``). Idempotent."""
    await db.migrate(store.NAMESPACE, store.MIGRATIONS)
    _migrated.add(db)


async def ready(core: Core) -> None:
    if core.db not in _migrated:
        await migrate(core.db)


def message_ref(card: store.CardRow) -> MessageRef | None:
    if card.card_message_id is None:
        return None
    return MessageRef(card.card_platform, card.card_channel, card.card_message_id)


def origin(card: store.CardRow) -> Destination:
    return Destination(
        platform=card.origin_platform,
        channel=card.origin_channel,
        thread=card.origin_thread,
        team=card.origin_team,
    )


CARD_POSTING_WAIT = 20.0  # seconds a reaction waits for a card whose send is still in flight
CARD_POSTING_POLL = 0.25


async def for_message(core: Core, ref: MessageRef) -> store.CardRow | None:
    """The card behind ``ref``. A card is visible (and can be reacted to) before its send
    returns — Discord retries an ambiguous send for seconds — so while a card of that channel
    has no message id yet, keep looking for a while instead of dropping the reaction."""
    await ready(core)

    def look(sdb: sqlite_utils.Database) -> tuple[store.CardRow | None, bool]:
        card = store.card_by_message(sdb, ref.platform, ref.channel, ref.message_id)
        return card, card is None and store.card_being_posted(sdb, ref.platform, ref.channel)

    waited = 0.0
    while True:
        card, posting = await core.db.run(look)
        if card is not None or not posting or waited >= CARD_POSTING_WAIT:
            return card
        await core.clock.sleep(CARD_POSTING_POLL)
        waited += CARD_POSTING_POLL


async def for_post(core: Core, post_id: str) -> store.CardRow | None:
    await ready(core)
    return await core.db.run(lambda sdb: store.card_by_post(sdb, post_id.strip()))


async def refresh(core: Core, card_id: int) -> store.CardRow:
    """Re-render the card message from the database; returns the card as it is now."""

    def read(sdb: sqlite_utils.Database) -> tuple[store.CardRow, list[store.Vote]]:
        card = store.get_card(sdb, card_id)
        assert card is not None
        return card, store.votes(sdb, card_id)

    card, votes = await core.db.run(read)
    ref = message_ref(card)
    if ref is not None:
        try:
            await core.port(card.card_platform).update(ref, card_reply(card, votes))
        except Exception:
            log.warning("could not update approval card %s", card.post_id, exc_info=True)
    return card


async def tell_requester(core: Core, card: store.CardRow, reply: Reply, key: str) -> None:
    try:
        await core.port(card.origin_platform).send(origin(card), reply, key=key)
    except Exception:
        log.warning("could not message the requester of %s", card.post_id, exc_info=True)


async def delete_draft(core: Core, card: store.CardRow) -> bool:
    """Delete the API draft; True when it is gone (a 404 counts)."""
    try:
        await core.clients.for_workspace(card.workspace).delete_post(card.post_id)
    except NotFound:
        return True
    except Exception:
        log.warning("could not delete draft %s", card.post_id, exc_info=True)
        return False
    return True


_CLOSED_WORDS = {
    store.APPROVING: "being approved",
    store.APPROVED: "approved",
    store.REJECTING: "rejected",
    store.REJECTED: "rejected",
    store.EXPIRED: "expired",
    store.CANCELED: "canceled",
}


def closed(card: store.CardRow) -> ErrorReply:
    word = _CLOSED_WORDS.get(card.state, card.state)
    if card.state in (store.EXPIRED, store.CANCELED) or card.decided_by is None:
        return ErrorReply(title=f"This request was already {word}")
    return ErrorReply(title=f"This request was already {word} by {mention(card.decided_by)}")
