"""A local sandbox of the Social API (see ../../docs and the reference).

In-process use: ``from bot.sandbox import SandboxOptions, start_sandbox``.
"""

from bot.sandbox.faults import Faults
from bot.sandbox.options import DEMO_KEY, SCOPES, SandboxOptions
from bot.sandbox.server import Sandbox, create_app, start_sandbox
from bot.sandbox.state import LogEntry, SandboxState

__all__ = [
    "DEMO_KEY",
    "SCOPES",
    "Faults",
    "LogEntry",
    "Sandbox",
    "SandboxOptions",
    "SandboxState",
    "create_app",
    "start_sandbox",
]
