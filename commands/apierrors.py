"""Social API errors → the user errors the person reads (``commands.errors``).

``with api_errors(ctx_action):`` around client calls turns typed API errors into specific
replies: 422 / 400 → what the API said is wrong, 404 → not found in this workspace, 409 → the
post's state, 401 / 403 → ask an admin (naming the scope), 429 / 5xx / transport → unavailable,
nothing done. An ambiguous create never claims "nothing was posted".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.api import errors as api
from commands.errors import (
    PostConflict,
    PostNotFound,
    ServiceError,
    UserError,
    ValidationFailed,
)


@dataclass(frozen=True)
class Action:
    verb: str  # "create the post"
    scope: str  # the API key scope it needs: "posts:write"
    nothing_done: str  # "nothing was posted"
    workspace: str
    post_id: str | None = None


def translate(e: api.ApiError, a: Action) -> UserError:
    if isinstance(e, api.AmbiguousCreateError):
        return ServiceError(
            "I couldn't confirm whether the post was created",
            problems=["The Social API stopped answering while the post was being created."],
            hint="Check `/status` in a minute before trying again, so it isn't posted twice.",
        )
    if isinstance(e, (api.ContentInvalid, api.PostTypeInvalid, api.BadRequest, api.Unsupported)):
        return ValidationFailed(
            f"The Social API refused to {a.verb}", problems=[e.message], hint=_nothing(a)
        )
    if isinstance(e, api.NotFound):
        if a.post_id is not None:
            return not_found(a.post_id)
        return PostNotFound("Not found in this workspace", problems=[e.message], hint=_nothing(a))
    if isinstance(e, api.Publishing):
        return PostConflict(
            "It is being published right now",
            problems=["The post is being published right now — try again in a few seconds."],
        )
    if isinstance(e, api.NotEditable):
        return PostConflict(
            "That post can't be edited any more",
            problems=[f"The Social API says: {e.message}"],
            hint="Only drafts, scheduled posts, and the caption of published Facebook / LinkedIn "
            "posts can be edited.",
        )
    if isinstance(e, api.Unauthorized):
        return ServiceError(
            "The bot's API key is not accepted",
            problems=[
                f"The bot's Social API key for workspace “{a.workspace}” is invalid or revoked — "
                f"ask an admin to replace it. {_nothing(a).capitalize()}."
            ],
        )
    if isinstance(e, api.Forbidden):
        return ServiceError(
            "The bot's API key lacks a permission",
            problems=[
                f"The bot's Social API key for workspace “{a.workspace}” lacks the scope "
                f"{a.scope} (needed to {a.verb}) — ask an admin. {_nothing(a).capitalize()}."
            ],
        )
    if isinstance(e, api.PlatformError):
        return ServiceError(
            "The social platform refused",
            problems=[e.message, f"{_nothing(a).capitalize()}."],
        )
    # 429, 5xx, transport, upload failures, anything else from the API
    return ServiceError(
        "The Social API is unavailable right now",
        problems=[f"I couldn't {a.verb}: {_nothing(a)}. Try again in a minute."],
    )


def _nothing(a: Action) -> str:
    return a.nothing_done


def not_found(post_id: str) -> PostNotFound:
    return PostNotFound(
        "Post not found",
        problems=[f"There is no post “{post_id}” in this channel's workspace."],
        hint="`/status` lists the posts asked for here; `/status queue` what is scheduled.",
        field="id",
    )


@contextmanager
def api_errors(action: Action) -> Iterator[None]:
    try:
        yield
    except api.ApiError as e:
        raise translate(e, action) from e
