"""``/social connect`` / ``/social disconnect``: bind a Slack team or Discord guild to a Social
API key given in a private form (the adapter opens it and checks who may: Slack workspace
admins and owners, Discord members with Manage Server).

    connect(core, platform, team, user, key)   GET /v1/accounts with the key (it must open the
                                               account list: scope accounts:read) → stored
                                               encrypted (bot.connections) → the accounts
    disconnect(core, platform, team)           forget it

The key is never echoed or logged: replies name it by its last 4 characters only. Typed into
a command (``/social connect sk_…``) it is refused without being used — commands are journaled
and may be logged; the form is the only way in.
"""

from __future__ import annotations

from bot.api.client import SocialClient
from bot.api.errors import ApiError, Forbidden, Unauthorized
from bot.chat import Confirmation, ErrorReply, Reply, Tone
from bot.core import Core
from bot.secret import Secret
from commands.context import toml_bound
from commands.targets import account_label

NOT_SET_UP = ErrorReply(
    title="Connecting a key from chat is not set up on this bot",
    problems=(
        "The bot stores keys encrypted and has no encryption key (SOCIALBOT_ENCRYPTION_KEY).",
    ),
    hint="Ask whoever runs socialbot to set it, or to bind this workspace in its configuration file.",
)


def looks_like_key(text: str) -> str | None:
    """Why ``text`` cannot be a Social API key (None: it may be one)."""
    text = text.strip()
    if not text:
        return "Paste the API key (it starts with sk_live_ or sk_test_)."
    if any(c.isspace() for c in text) or len(text) < 12 or len(text) > 200:
        return "That does not look like an API key: one word of 12–200 characters, like sk_live_…"
    return None


async def connect(core: Core, platform: str, team: str | None, user: str, key: str) -> Reply:
    if core.connections is None:
        return NOT_SET_UP
    if not team:
        return ErrorReply(title="Connect the key from a channel of the workspace (not a DM)")
    problem = looks_like_key(key)
    if problem is not None:
        return ErrorReply(title="That key was not stored", problems=(problem,))
    secret = Secret(key.strip())
    client = SocialClient(core.settings.api_url, secret, clock=core.clock, max_retries=1)
    last4 = f"…{key.strip()[-4:]}"
    try:
        accounts = await client.list_accounts()
    except Unauthorized:
        return ErrorReply(
            title=f"The Social API refused the key {last4}",
            problems=("It was not stored. Check it was copied whole and has not been revoked.",),
        )
    except Forbidden:
        return ErrorReply(
            title=f"The key {last4} cannot list the connected accounts",
            problems=(
                "It was not stored: the bot needs a key with the posts, media, accounts and "
                "analytics scopes.",
            ),
        )
    except ApiError as e:
        return ErrorReply(
            title="The Social API could not check the key right now",
            problems=(f"It was not stored ({e.message}). Try again in a minute.",),
        )
    finally:
        await client.aclose()
    conn = await core.connections.connect(platform, team, secret, user)
    lines = [f"• {account_label(a)}" for a in accounts]
    note = (
        "\n\nNote: the bot's configuration file binds this workspace too, and it wins: "
        "commands keep using the configured key until that binding is removed."
        if toml_bound(core, platform, team, "")
        else ""
    )
    return Confirmation(
        title=f"Connected the Social API key …{conn.last4}",
        text=(
            f"{len(accounts)} connected account(s):\n"
            + ("\n".join(lines) or "• none yet — connect accounts in the dashboard")
            + f"\n\nThe key is stored encrypted and will not be shown again. "
            f"`/social disconnect` removes it.{note}"
        ),
        ephemeral=True,
        tone=Tone.SUCCESS,
    )


async def disconnect(core: Core, platform: str, team: str | None) -> Reply:
    if core.connections is None:
        return NOT_SET_UP
    gone = await core.connections.disconnect(platform, team or "")
    if gone is None:
        return Confirmation(
            title="No key was connected from chat here", ephemeral=True, tone=Tone.INFO
        )
    return Confirmation(
        title=f"Disconnected the Social API key …{gone.last4}",
        text="It is deleted from the bot. Commands here answer with how to connect again.",
        ephemeral=True,
        tone=Tone.SUCCESS,
    )
