"""The Social API the approval tests talk to (temporary in-memory stand-in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from bot.api.errors import NotFound
from bot.api.models import (
    Account,
    CreatedPost,
    DeletedPost,
    NewPost,
    Platform,
    Post,
    PostStatus,
    PostUpdate,
    UpdatedPost,
)
from bot.clock import FakeClock


@dataclass
class FakeClient:
    clock: FakeClock
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    posts: dict[str, Post] = field(default_factory=dict)
    fail_next_update: Exception | None = None

    async def list_accounts(self) -> list[Account]:
        return [
            Account("acc_x", Platform.X, "@acme", "Acme"),
            Account("acc_fb", Platform.FACEBOOK, "acme", "Acme"),
        ]

    async def create_post(self, post: NewPost) -> CreatedPost:
        body = post.to_json()
        self.calls.append(("POST", "/v1/posts", body))
        pid = f"pst_{len(self.posts) + 1}"
        status = PostStatus.DRAFT if post.draft else PostStatus.SCHEDULED
        p = Post(pid, status, content=post.content, account_ids=post.account_ids)
        self.posts[pid] = p
        return CreatedPost(p, immediate=False)

    async def update_post(self, post_id: str, update: PostUpdate) -> UpdatedPost:
        self.calls.append(("PUT", f"/v1/posts/{post_id}", update.to_json()))
        if self.fail_next_update is not None:
            e, self.fail_next_update = self.fail_next_update, None
            raise e
        if post_id not in self.posts:
            raise NotFound(404, "not_found", "no such post")
        st = PostStatus.PUBLISHING if update.publish_now else PostStatus.SCHEDULED
        p = replace(self.posts[post_id], status=st, scheduled_at=update.scheduled_at)
        self.posts[post_id] = p
        return UpdatedPost(p, updated=True, activated=True)

    async def delete_post(self, post_id: str) -> DeletedPost:
        self.calls.append(("DELETE", f"/v1/posts/{post_id}", {}))
        if post_id not in self.posts:
            raise NotFound(404, "not_found", "no such post")
        self.posts[post_id] = replace(self.posts[post_id], status=PostStatus.CANCELED)
        return DeletedPost(post_id, PostStatus.CANCELED, (), ())

    async def get_post(self, post_id: str) -> Post:
        if post_id not in self.posts:
            raise NotFound(404, "not_found", "no such post")
        return self.posts[post_id]

    async def aclose(self) -> None:
        pass


@dataclass
class SocialFixture:
    url: str
    key: str
    client: Any

    def requests(self, method: str, post_id: str | None = None) -> list[dict[str, Any]]:
        return [
            body
            for m, path, body in self.client.calls
            if m == method and (post_id is None or path.endswith(f"/{post_id}"))
        ]

    async def status(self, post_id: str) -> str:
        return str((await self.client.get_post(post_id)).status)

    def fail_next_update(self, error: Exception) -> None:
        self.client.fail_next_update = error


@asynccontextmanager
async def start_social(clock: FakeClock) -> AsyncIterator[SocialFixture]:
    yield SocialFixture("http://127.0.0.1:9", "sk_test_sandbox", FakeClient(clock))
