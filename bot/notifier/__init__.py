"""Automatic publish notifications: follow posts, announce each terminal result once.

Public API: ``Notifier`` (start / stop / poll_once / flush_outbox / migrate / tick) and
``ChannelPacer`` (per-channel send pacing shared with the chat adapters).
"""

from bot.notifier.pacing import ChannelPacer
from bot.notifier.service import Notifier

__all__ = ["ChannelPacer", "Notifier"]
