"""User errors: what the person typing must read, as opposed to bugs.

Every ``UserError`` becomes one specific ``ErrorReply`` (what is wrong, the limit, an example of
the right form); anything else that escapes a handler is a bug, logged with a reference id.

    UserError                  anything the user can fix (or must ask an admin about)
    ├── UsageError             the command could not be read: unknown option, bad value, no caption
    ├── TargetError            an unknown or ambiguous target, or no target at all
    ├── TimeError              a time that cannot be read, or is in the past
    ├── ValidationFailed       the post does not fit a platform's rules (every problem, per target)
    ├── MediaError             a media URL or attachment cannot be used (size, type, unreachable)
    ├── PostNotFound           no such post in this channel's workspace
    ├── PostConflict           the post's state forbids it (being published, not editable)
    └── ServiceError           the Social API cannot be used right now, or the bot's key is wrong
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat import ErrorReply


class UserError(Exception):
    """A problem the user can act on. ``reply()`` is what they see."""

    default_title = "I couldn't do that"

    def __init__(
        self,
        message: str | None = None,
        *,
        problems: Sequence[str] = (),
        hint: str | None = None,
        field: str | None = None,
        field_errors: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.title = message or self.default_title
        super().__init__(self.title)
        self.problems = tuple(problems)
        self.hint = hint
        errors = list(field_errors)
        if field is not None and not errors:
            errors.append((field, self.problems[0] if len(self.problems) == 1 else self.title))
        self.field_errors = tuple(errors)

    def reply(self) -> ErrorReply:
        return ErrorReply(
            title=self.title,
            problems=self.problems,
            hint=self.hint,
            field_errors=self.field_errors,
        )


class UsageError(UserError):
    default_title = "I couldn't read that command"


class TargetError(UserError):
    default_title = "I couldn't tell where to post"


class TimeError(UserError):
    default_title = "I couldn't read that time"


class ValidationFailed(UserError):
    default_title = "This post doesn't fit every target"


class MediaError(UserError):
    default_title = "I couldn't use that media"


class PostNotFound(UserError):
    default_title = "Post not found"


class PostConflict(UserError):
    default_title = "That post can't be changed right now"


class ServiceError(UserError):
    default_title = "The Social API is unavailable right now"
