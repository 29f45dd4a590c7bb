"""Slack Web API failures → words a person can act on.

    ChatSendError (bot.chat)
    └── SlackPortError            a Slack call the adapter made failed; ``str()`` is for people
        └── FileDownloadError     a modal file could not be fetched (never carries its URL)

``explain(error_code, channel)`` maps Slack's error codes to one sentence; the raw code is kept
on the exception (``.code``) for logs.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.chat import ChatSendError

_AUTH = frozenset(
    {"token_revoked", "invalid_auth", "account_inactive", "not_authed", "token_expired"}
)


class SlackPortError(ChatSendError):
    def __init__(self, code: str, human: str) -> None:
        super().__init__(human)
        self.code = code
        self.human = human


class FileDownloadError(SlackPortError):
    pass


def error_code(e: SlackApiError) -> str:
    data = getattr(e.response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return "unknown_error"


def needed_scope(e: SlackApiError) -> str | None:
    data = getattr(e.response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("needed"), str):
        return str(data["needed"])
    return None


def explain(code: str, channel: str | None = None, needed: str | None = None) -> str:
    where = f"<#{channel}>" if channel else "that channel"
    if code in ("not_in_channel", "channel_not_found", "is_archived", "restricted_action"):
        if code == "is_archived":
            return f"I can't post in {where}: it is archived."
        if code == "restricted_action":
            return f"I'm not allowed to post in {where} (a workspace setting restricts posting)."
        return f"I can't post in {where} — invite me with `/invite @socialbot` and try again."
    if code == "missing_scope":
        extra = f" (needed: `{needed}`)" if needed else ""
        return (
            f"I'm missing a Slack permission{extra}. Ask a Slack admin to reinstall the app "
            "from manifest.yml."
        )
    if code in _AUTH:
        return "My Slack token is no longer valid. Ask a Slack admin to reinstall the app."
    if code in ("ratelimited", "rate_limited"):
        return "Slack is rate-limiting me right now. Try again in a minute."
    if code == "expired_trigger_id":
        return "The form took too long to open. Run the command again."
    if code == "msg_too_long":
        return "That message is too long for Slack."
    return f"Slack refused the request (`{code}`)."


def from_api_error(e: SlackApiError, channel: str | None = None) -> SlackPortError:
    code = error_code(e)
    return SlackPortError(code, explain(code, channel, needed_scope(e)))


def is_auth_failure(code: str) -> bool:
    return code in _AUTH
