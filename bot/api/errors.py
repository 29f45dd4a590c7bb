"""Typed errors of the Social API client.

ApiError                      any failure talking to the Social API (never carries the key)
├── UploadFailed              the presigned PUT of media bytes failed (no URL in the message)
├── TransportError            no HTTP answer: connect/read failure or timeout
│   └── AmbiguousCreateError  a create may or may not have reached the server and could
│                             not be reconciled
└── HttpError                 an HTTP error answer; ``status``, ``code``, ``message``
    ├── BadRequest            400 bad_request
    ├── Unauthorized          401 unauthorized
    ├── Forbidden             403 forbidden
    ├── NotFound              404 not_found
    ├── NotEditable           409 not_editable
    ├── Publishing            409 publishing
    ├── PostTypeInvalid       422 post_type_invalid
    ├── ContentInvalid        422 content_invalid
    ├── Unsupported           422 unsupported
    ├── PlatformError         platform_error (the platform's own API failed)
    ├── RateLimited           429 rate_limited (``retry_after`` seconds)
    └── ServerError           5xx, or any unknown code / non-JSON body (generic)
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base of every Social API failure. Messages never include the API key."""

    code: str = "api_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadFailed(ApiError):
    code = "upload_failed"


class TransportError(ApiError):
    code = "transport_error"


class AmbiguousCreateError(TransportError):
    code = "ambiguous_create"


class HttpError(ApiError):
    code = "http_error"

    def __init__(self, status: int, code: str, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class BadRequest(HttpError):
    pass


class Unauthorized(HttpError):
    pass


class Forbidden(HttpError):
    pass


class NotFound(HttpError):
    pass


class NotEditable(HttpError):
    pass


class Publishing(HttpError):
    pass


class PostTypeInvalid(HttpError):
    pass


class ContentInvalid(HttpError):
    pass


class Unsupported(HttpError):
    pass


class PlatformError(HttpError):
    pass


class RateLimited(HttpError):
    def __init__(
        self, status: int, code: str, message: str, body: Any = None, retry_after: float = 0.0
    ) -> None:
        super().__init__(status, code, message, body)
        self.retry_after = retry_after


class ServerError(HttpError):
    """5xx, or an error answer whose code is unknown or whose body is not JSON."""


ERRORS_BY_CODE: dict[str, type[HttpError]] = {
    "bad_request": BadRequest,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "not_editable": NotEditable,
    "publishing": Publishing,
    "post_type_invalid": PostTypeInvalid,
    "content_invalid": ContentInvalid,
    "unsupported": Unsupported,
    "platform_error": PlatformError,
    "rate_limited": RateLimited,
}


def error_from_response(status: int, body: Any, retry_after: float = 0.0) -> HttpError:
    """Build the typed error for an HTTP error answer; never raises ``KeyError``."""
    code = "http_error"
    message = f"HTTP {status}"
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            c, m = err.get("code"), err.get("message")
            if isinstance(c, str):
                code = c
            if isinstance(m, str):
                message = m
    cls = ERRORS_BY_CODE.get(code, ServerError)
    if cls is RateLimited:
        return RateLimited(status, code, message, body, retry_after=retry_after)
    return cls(status, code, message, body)
