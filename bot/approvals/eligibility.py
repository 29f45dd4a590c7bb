"""Who may decide on a card: the policy snapshot taken when the request was submitted."""

from __future__ import annotations

import logging

from bot.approvals import store
from bot.chat import User
from bot.config import ApprovalPolicy
from bot.core import Core

log = logging.getLogger(__name__)


def policy_of(card: store.CardRow) -> ApprovalPolicy:
    return ApprovalPolicy(
        required=True, approvers=card.approvers, quorum=card.quorum, allow_self=card.allow_self
    )


async def is_approver(core: Core, card: store.CardRow, user: User) -> bool:
    """The bot itself, the requester (unless ``allow_self``) and non-approvers: no."""
    if user.is_bot:
        return False
    if user.id == card.requester_id and not card.allow_self:
        return False
    policy = policy_of(card)
    if user.id in policy.user_ids:
        return True
    if policy.role_ids & user.roles:
        return True
    groups = policy.group_ids
    if groups:
        port = core.port(card.card_platform)
        for group in sorted(groups):
            try:
                members = await port.group_members(group)
            except Exception:
                log.warning("could not read members of user group %s", group, exc_info=True)
                continue
            if user.id in members:
                return True
    return False
