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


def toml_bound(core: Core, platform: str, team: str | None, channel: str) -> bool:
    """Whether a binding of the configuration file covers this channel."""
    return any(b.matches(platform, team, channel) for b in core.settings.bindings)


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
        # A key connected from chat (/social connect) binds the team where the TOML file
        # does not: TOML bindings win.
        chat = core.connections.workspace_for(inv.platform, inv.team) if core.connections else None
        if chat is not None and not toml_bound(core, inv.platform, inv.team, inv.channel):
            config = ChannelConfig(workspace=chat)
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

    @property
    def unconnected(self) -> bool:
        """No Social API workspace for this team/guild: it gets how to connect instead of an
        error. A distributed Slack app (one bot, many teams): a team uses a workspace only
        through a binding naming it (or its channel), or a key connected from chat — never
        the default workspace, which belongs to whoever runs the bot. Elsewhere: unbound,
        and the default workspace has no key."""
        inv, settings = self.inv, self.core.settings
        if inv.platform == "console" or self.config.workspace.startswith("chat:"):
            return False
        if toml_bound(self.core, inv.platform, inv.team, inv.channel):
            return False
        if inv.platform == "slack" and settings.slack_mode == "distributed":
            return True
        default = settings.workspaces.get(self.config.workspace)
        return default is None or default.key is None

    def origin(self) -> Destination:
        inv = self.inv
        return Destination(inv.platform, inv.channel, thread=inv.thread, team=inv.team)

    def media_fetcher(self) -> Fetcher:
        """Downloads of this command's links, under the configured rules (``[media]``)."""
        return Fetcher(self.core.settings.media, self.core.network)
