"""The core services one running bot shares between its adapters, commands and notifier."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.api.client import SocialClient
from bot.chat import ChatPort
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, Settings
from bot.netguard import Network
from bot.notifier.pacing import ChannelPacer
from bot.pictures.worker import Renderer
from bot.storage import Database


class MissingKeyError(ConfigError):
    """A workspace is used but its API key variable is not set."""


@dataclass
class Clients:
    """One client (and so one rate limiter) per workspace key, built on first use."""

    settings: Settings
    clock: Clock
    overrides: dict[str, SocialClient] = field(default_factory=dict)

    def for_workspace(self, name: str) -> SocialClient:
        client = self.overrides.get(name)
        if client is None:
            ws = self.settings.workspace(name)
            if ws.key is None:
                raise MissingKeyError(f"{ws.key_env} is not set (API key of workspace {name!r})")
            client = SocialClient(self.settings.api_url, ws.key, clock=self.clock)
            self.overrides[name] = client
        return client

    async def aclose(self) -> None:
        for c in self.overrides.values():
            await c.aclose()
        self.overrides.clear()


@dataclass
class Core:
    settings: Settings
    db: Database
    clients: Clients
    clock: Clock = field(default_factory=SystemClock)
    ports: dict[str, ChatPort] = field(default_factory=dict)
    pacers: dict[str, ChannelPacer] = field(default_factory=dict)
    # Draws calendars and charts in a worker process, started on the first picture.
    pictures: Renderer = field(default_factory=Renderer)
    network: Network = field(default_factory=Network)  # resolver + dialer of media downloads

    def port(self, platform: str) -> ChatPort:
        return self.ports[platform]

    def pacer(self, platform: str) -> ChannelPacer:
        """The per-channel send pacer of a chat platform, shared by the adapter and notifier."""
        pacer = self.pacers.get(platform)
        if pacer is None:
            pacer = self.pacers[platform] = ChannelPacer(self.clock)
        return pacer
