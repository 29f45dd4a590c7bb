"""Everything a handler needs about one invocation: the core, the channel's config, the zone."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.api.client import SocialClient
from bot.api.models import Account
from bot.chat import Destination, Invocation
from bot.config import ChannelConfig, ConfigError
from bot.core import Core
from commands.apierrors import Action, api_errors
from commands.errors import ServiceError
from commands.media import Fetcher
from commands.times import user_zone

ACCOUNTS_TTL = 60.0  # seconds an account list is reused

# SocialClient → (monotonic time read, accounts); one client per workspace key
_accounts: weakref.WeakKeyDictionary[SocialClient, tuple[float, list[Account]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Context:
    core: Core
    inv: Invocation
    config: ChannelConfig
    tz: ZoneInfo
    text: str  # the normalised argument text (subcommand words removed)

    @classmethod
    def build(cls, core: Core, inv: Invocation, text: str) -> Context:
        config = core.settings.channel_config(inv.platform, inv.team, inv.channel)
        return cls(core, inv, config, user_zone(inv.user_tz, config.timezone), text)

    @property
    def workspace(self) -> str:
        return self.config.workspace

    def now(self) -> datetime:
        return self.core.clock.now()

    def client(self) -> SocialClient:
        try:
            return self.core.clients.for_workspace(self.workspace)
        except ConfigError:
            raise ServiceError(
                "This channel's workspace is not set up",
                problems=[
                    f"The bot has no Social API key for workspace “{self.workspace}” — "
                    "ask an admin to configure it."
                ],
            ) from None

    def action(
        self, verb: str, scope: str, nothing_done: str, post_id: str | None = None
    ) -> Action:
        return Action(verb, scope, nothing_done, self.workspace, post_id)

    async def accounts(self, *, fresh: bool = False) -> list[Account]:
        """The workspace's connected accounts (reused for ``ACCOUNTS_TTL`` seconds)."""
        client = self.client()
        now = self.core.clock.monotonic()
        hit = _accounts.get(client)
        if hit is not None and not fresh and now - hit[0] < ACCOUNTS_TTL:
            return hit[1]
        with api_errors(
            self.action(
                "list the connected accounts", "accounts:read", "nothing was posted or changed"
            )
        ):
            accounts = await client.list_accounts()
        _accounts[client] = (now, accounts)
        return accounts

    def origin(self) -> Destination:
        inv = self.inv
        return Destination(inv.platform, inv.channel, thread=inv.thread, team=inv.team)

    def media_fetcher(self) -> Fetcher:
        """Downloads of this command's links, under the configured rules (``[media]``)."""
        return Fetcher(self.core.settings.media, self.core.network)
