"""Start-up recovery, before the bot serves again (``socialbot run`` calls ``on_start``).

No decision of this process is in flight yet, so everything half-done belongs to a process
that died:

1. Approval decisions left ``approving`` / ``rejecting`` are finished or reopened
   (``approvals.recover_stuck`` with no minimum age). This runs before the journal is resumed,
   so a re-run ✅ finds its card open again and completes the approval with the kept votes.
2. Approval cards recorded but never posted (or posted, but the message id never stored) get
   their message: found in the channel by its key (``ChatPort.find_sent``, Slack message
   metadata) or posted again, then stored and seeded with ✅ ❌ — an approver can always react.

The journal itself (requests accepted but not finished) is resumed next, through each adapter's
``bot.deliveries.Deliveries.resume``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlite_utils

from bot import approvals
from bot.approvals import store
from bot.approvals.render import card_reply
from bot.chat import APPROVE, REJECT, Destination, MessageRef
from bot.core import Core

log = logging.getLogger(__name__)

RECOVER_ATTEMPTS = 3


async def find_sent(core: Core, dest: Destination, key: str) -> MessageRef | None:
    """The message sent earlier with ``key``, where the chat port can tell (else None)."""
    port = core.ports.get(dest.platform)
    finder = getattr(port, "find_sent", None)
    if finder is None:
        return None
    ref: MessageRef | None = await finder(dest, key)
    return ref


async def repost_missing_cards(core: Core) -> int:
    """Open approval requests whose card message is not recorded: find it or post it."""
    await approvals.migrate(core.db)
    marks = ",".join("?" * len(store.OPEN_STATES))

    def missing(sdb: sqlite_utils.Database) -> list[tuple[store.CardRow, list[store.Vote]]]:
        out = []
        for r in sdb.query(
            f"SELECT id FROM approval_cards WHERE card_message_id IS NULL AND state IN ({marks})",
            sorted(store.OPEN_STATES),
        ):
            card = store.get_card(sdb, int(r["id"]))
            if card is not None:
                out.append((card, store.votes(sdb, card.id)))
        return out

    fixed = 0
    for card, votes in await core.db.run(missing):
        if card.card_platform not in core.ports:
            continue
        dest = Destination(card.card_platform, card.card_channel, team=card.card_team)
        key = f"approval-card:{card.post_id}"
        try:
            ref = await find_sent(core, dest, key)
            port = core.port(card.card_platform)
            if ref is None:
                ref = await port.send(dest, card_reply(card, votes), key=key)
                log.info("recovery: posted the missing approval card of %s", card.post_id)
            else:
                log.info("recovery: found the approval card of %s (not recorded)", card.post_id)

            def keep(
                sdb: sqlite_utils.Database, ref: MessageRef = ref, card: store.CardRow = card
            ) -> None:
                sdb.execute(
                    "UPDATE approval_cards SET card_channel = ?, card_message_id = ? "
                    "WHERE id = ? AND card_message_id IS NULL",
                    [ref.channel, ref.message_id, card.id],
                )

            await core.db.transaction(keep)
            await port.add_reactions(ref, [APPROVE, REJECT])
            fixed += 1
        except Exception:
            log.warning("recovery: approval card of %s not posted", card.post_id, exc_info=True)
    return fixed


async def on_start(core: Core) -> None:
    """Everything a dead process left half-done, before serving (never raises)."""
    now = core.clock.now()
    for attempt in range(1, RECOVER_ATTEMPTS + 1):  # the API may be failing just now
        try:
            n = await approvals.recover_stuck(core, now, older_than=timedelta(0))
            if n:
                log.info("recovery: %d interrupted approval decision(s) finished or reopened", n)
            left = await core.db.run(lambda sdb: len(store.busy_since(sdb, now)))
        except Exception:
            log.exception("recovery: interrupted approval decisions not recovered")
            left = 1
        if not left:
            break
        if attempt < RECOVER_ATTEMPTS:
            await core.clock.sleep(attempt)
        else:  # the periodic sweep (approvals.expire_due) tries again later
            log.warning("recovery: %d approval decision(s) still interrupted", left)
    try:
        await repost_missing_cards(core)
    except Exception:
        log.exception("recovery: missing approval cards not checked")
