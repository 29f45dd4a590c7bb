"""API failures the sandbox answers with: ``{"error": {"message", "code"}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiFailure(Exception):
    """Raised anywhere in a handler; the error middleware turns it into the JSON answer."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "code": code}}


def bad_request(message: str) -> ApiFailure:
    return ApiFailure(400, "bad_request", message)


def not_found(message: str) -> ApiFailure:
    return ApiFailure(404, "not_found", message)


def post_type_invalid(message: str) -> ApiFailure:
    return ApiFailure(422, "post_type_invalid", message)


def content_invalid(message: str) -> ApiFailure:
    return ApiFailure(422, "content_invalid", message)


def not_editable(message: str) -> ApiFailure:
    return ApiFailure(409, "not_editable", message)
