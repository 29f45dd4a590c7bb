"""The async Social API client (httpx). CONTRACT STUB — the client helper implements the bodies.

Signatures here are the contract the rest of the bot codes against; keep them.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any, Literal

import httpx

from bot.api.models import (
    Account,
    Analytics,
    CreatedPost,
    DeletedPost,
    Media,
    NativeDeleteResult,
    NativePostPage,
    NewPost,
    Post,
    PostUpdate,
    StatusInfo,
    UpdatedPost,
    UploadTicket,
)
from bot.clock import Clock
from bot.secret import Secret

AuthScheme = Literal["x-api-key", "bearer"]


class SocialClient:
    def __init__(
        self,
        base_url: str,
        key: Secret,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        auth_scheme: AuthScheme = "x-api-key",
        timeout: float = 30.0,
        max_retries: int = 4,
        budget_share: float = 1.0,
        is_known_post: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        raise NotImplementedError

    def share(self, budget_share: float) -> SocialClient:
        """A client on the same key, transport and limiter that may use only this share of the
        key's 120/min budget (the notifier uses 0.5)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    # accounts
    async def list_accounts(self) -> list[Account]:
        raise NotImplementedError

    async def list_native_posts(
        self, account_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> NativePostPage:
        raise NotImplementedError

    async def delete_native_post(self, account_id: str, platform_post_id: str) -> NativeDeleteResult:
        raise NotImplementedError

    # media
    async def create_upload_url(self, filename: str, content_type: str) -> UploadTicket:
        raise NotImplementedError

    async def put_upload(
        self,
        ticket: UploadTicket,
        stream: AsyncIterable[bytes],
        content_type: str,
        size: int | None = None,
    ) -> int:
        raise NotImplementedError

    async def complete_upload(self, media_id: str, size: int | None = None) -> str:
        raise NotImplementedError

    async def upload(
        self,
        stream: AsyncIterable[bytes],
        *,
        filename: str,
        content_type: str,
        size: int | None = None,
    ) -> str:
        """The three upload steps; returns the media id."""
        raise NotImplementedError

    async def list_media(self) -> list[Media]:
        raise NotImplementedError

    async def delete_media(self, media_id: str) -> bool:
        raise NotImplementedError

    # posts
    async def create_post(self, post: NewPost) -> CreatedPost:
        raise NotImplementedError

    async def list_posts(self) -> list[Post]:
        raise NotImplementedError

    async def get_post(self, post_id: str) -> Post:
        raise NotImplementedError

    async def get_status(self, post_id: str) -> StatusInfo:
        raise NotImplementedError

    async def update_post(
        self, post_id: str, update: PostUpdate, *, method: Literal["PUT", "PATCH"] = "PUT"
    ) -> UpdatedPost:
        raise NotImplementedError

    async def delete_post(self, post_id: str) -> DeletedPost:
        raise NotImplementedError

    # analytics
    async def analytics(self) -> Analytics:
        raise NotImplementedError

    async def openapi(self) -> dict[str, Any]:
        raise NotImplementedError
