"""The async Social API client (httpx).

Signatures here are the contract the rest of the bot codes against; keep them.

- Every response becomes a typed value of ``bot.api.models``; every error answer a typed
  exception of ``bot.api.errors`` (an unknown code or a non-JSON body: ``ServerError``; a
  non-JSON 2xx body: ``ApiError``). Raw dicts never leave this module (except ``openapi()``,
  which *is* a JSON document).
- The key goes on the wire as ``X-Api-Key`` (default) or ``Authorization: Bearer``; it is never
  logged, never in an exception message, never in a repr.
- Rate limit: one ``RateLimiter`` per key for the whole process (``bot.api.ratelimit``), so
  clients created separately for the same key share it; ``share(0.5)`` gives a client that may
  hold at most half of the key's window. A 429 pauses the whole key for ``Retry-After``.
- Retries (``bot.api.retry``): GET/PUT/PATCH/DELETE, ``POST /v1/media/upload-url`` (an unused
  ticket at worst) and ``POST /v1/media/{id}/complete`` (idempotent: marking an uploaded asset
  uploaded again changes nothing) are retried on transport errors and 5xx with exponential
  backoff and jitter. ``POST /v1/posts`` is never blindly retried: see ``create_post``.
- Media bytes stream to the presigned URL through a separate plain httpx client that carries no
  API key; memory stays bounded by one chunk; the URL (a credential) is never logged.
- One debug log line per attempt: method, path, status, attempt, duration.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx

from bot.api.errors import (
    AmbiguousCreateError,
    ApiError,
    HttpError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UploadFailed,
    error_from_response,
)
from bot.api.models import (
    Account,
    Analytics,
    CreatedPost,
    DeletedPost,
    Media,
    NativeDeleteResult,
    NativePost,
    NativePostPage,
    NewPost,
    Post,
    PostUpdate,
    StatusInfo,
    UpdatedPost,
    UploadTicket,
    _platform,
)
from bot.api.ratelimit import DEFAULT_LIMITERS, LimiterRegistry, RateLimiter
from bot.api.reachability import Reachability
from bot.api.reconcile import PostFingerprint, find_candidates
from bot.api.retry import RetryPolicy, may_have_been_sent, parse_retry_after
from bot.api.sanitize import install_httpx_log_redaction
from bot.clock import Clock, SystemClock
from bot.metrics import API_429, API_REQUESTS
from bot.secret import Secret

AuthScheme = Literal["x-api-key", "bearer"]
Json = dict[str, Any]

log = logging.getLogger("bot.api")

# A scheduledAt this close to "now" publishes immediately (the API's rule): the server then sets
# the time itself, so reconciliation does not compare it.
IMMEDIATE_WINDOW_S = 30.0

install_httpx_log_redaction()


class _AmbiguousFailure(Exception):
    """Internal: a non-idempotent request may or may not have been applied."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Shared:
    """What a client and the clients made by ``share()`` have in common."""

    http: httpx.AsyncClient
    plain: httpx.AsyncClient  # no key, for presigned URLs
    limiter: RateLimiter
    created_ids: set[str] = field(default_factory=set)  # post ids this client family created
    closed: bool = False
    reachability: Reachability = field(default_factory=Reachability)  # for /readyz


class SocialClient:
    """The Social API for one workspace key. See the module docstring."""

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
        limiters: LimiterRegistry | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if auth_scheme not in ("x-api-key", "bearer"):
            raise ValueError(f"unknown auth scheme {auth_scheme!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._base_url = base_url.rstrip("/")
        self._key = key
        self._clock: Clock = clock or SystemClock()
        self._auth_scheme: AuthScheme = auth_scheme
        self._max_retries = max_retries
        self._is_known_post = is_known_post
        self._policy = retry_policy or RetryPolicy()
        limiter = (limiters if limiters is not None else DEFAULT_LIMITERS).for_key(key, self._clock)
        self._share = budget_share
        limiter.cap(budget_share)  # validates the share
        t = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._shared = _Shared(
            http=httpx.AsyncClient(base_url=self._base_url, transport=transport, timeout=t),
            plain=httpx.AsyncClient(transport=transport, timeout=t),
            limiter=limiter,
        )
        self._owner = True

    def __repr__(self) -> str:
        return (
            f"SocialClient(base_url={self._base_url!r}, key={self._key!r}, "
            f"auth_scheme={self._auth_scheme!r}, budget_share={self._share})"
        )

    @property
    def limiter(self) -> RateLimiter:
        """The key's process-wide limiter (shared with every client of the same key)."""
        return self._shared.limiter

    @property
    def last_success(self) -> datetime | None:
        """When this client family last got a 2xx answer (None: not yet)."""
        return self._shared.reachability.last_success

    @property
    def reachability(self) -> Reachability:
        """Answers and failures of this client family (``/readyz``)."""
        return self._shared.reachability

    @property
    def budget_share(self) -> float:
        return self._share

    def share(self, budget_share: float) -> SocialClient:
        """A client on the same key, transport and limiter that may use only this share of the
        key's 120/min budget (the notifier uses 0.5)."""
        self._shared.limiter.cap(budget_share)
        other = object.__new__(SocialClient)
        other.__dict__.update(self.__dict__)
        other._share = budget_share
        other._owner = False
        return other

    async def aclose(self) -> None:
        """Close the connections (a client made by ``share()`` leaves them to its parent)."""
        if self._owner and not self._shared.closed:
            self._shared.closed = True
            await self._shared.http.aclose()
            await self._shared.plain.aclose()

    async def __aenter__(self) -> SocialClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ the request loop

    def _auth_headers(self) -> dict[str, str]:
        if self._auth_scheme == "bearer":
            return {"Authorization": f"Bearer {self._key.reveal()}"}
        return {"X-Api-Key": self._key.reveal()}

    def _scrub(self, text: str) -> str:
        """Remove the key from text that came from outside (server messages)."""
        secret = self._key.reveal()
        return text.replace(secret, "[redacted]") if secret else text

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Json | None = None,
        params: Mapping[str, str | int] | None = None,
        idempotent: bool = True,
        auth: bool = True,
    ) -> Json:
        """One API call with rate limiting, 429 handling and retries; the JSON object answer.

        ``idempotent=False`` (``POST /v1/posts``): a failure after the request may have reached
        the server raises ``_AmbiguousFailure`` instead of retrying.
        """
        attempt = 0  # transport/5xx retries
        limited = 0  # 429 retries
        limiter = self._shared.limiter
        while True:
            attempt_no = attempt + limited + 1
            slot = await limiter.acquire(self._share) if auth else None
            started = self._clock.monotonic()
            self._shared.reachability.attempt(self._clock.now())
            try:
                resp = await self._shared.http.request(
                    method,
                    path,
                    json=body,
                    params=params,
                    headers=self._auth_headers() if auth else None,
                )
            except httpx.TransportError as exc:
                failure: httpx.TransportError | None = exc
            else:
                failure = None
            finally:
                # always, even when cancelled: a slot left "in flight" would hold its place
                # in the window for ever
                if slot is not None:
                    slot.done()
            if failure is not None:
                API_REQUESTS.labels(endpoint_template(method, path), "error").inc()
                elapsed = self._clock.monotonic() - started
                log.debug(
                    "social api %s %s -> %s attempt=%d duration_ms=%.1f",
                    method, path, type(failure).__name__, attempt_no, elapsed * 1000,
                )  # fmt: skip
                err = TransportError(
                    f"{method} {path}: {type(failure).__name__}: {self._scrub(str(failure))}"
                )
                self._shared.reachability.failed(
                    self._clock.now(),
                    f"{endpoint_template(method, path)}: {type(failure).__name__}",
                )
                if not idempotent and may_have_been_sent(failure):
                    raise _AmbiguousFailure(err) from failure
                attempt += 1
                if attempt > self._max_retries:
                    raise err from failure
                await self._clock.sleep(self._policy.backoff(attempt))
                continue
            elapsed = self._clock.monotonic() - started
            log.debug(
                "social api %s %s -> %d attempt=%d duration_ms=%.1f",
                method, path, resp.status_code, attempt_no, elapsed * 1000,
            )  # fmt: skip
            API_REQUESTS.labels(endpoint_template(method, path), str(resp.status_code)).inc()
            seen = f"{endpoint_template(method, path)}: HTTP {resp.status_code}"
            if resp.status_code >= 500:
                self._shared.reachability.failed(self._clock.now(), seen)
            elif resp.status_code in (401, 403):
                self._shared.reachability.refused(self._clock.now(), seen)
            else:
                self._shared.reachability.answered(
                    self._clock.now(), success=200 <= resp.status_code < 300
                )
            if 200 <= resp.status_code < 300:
                return self._json_object(method, path, resp)
            error = self._error(resp)
            if resp.status_code == 429:
                API_429.inc()
            if isinstance(error, RateLimited) and resp.status_code == 429:
                # Rejected before processing: safe to repeat any request, creates included.
                # The pause applies to the whole key, even if this caller now gives up.
                limiter.pause(self._policy.rate_limit_pause(error.retry_after or None))
                limited += 1
                if limited > self._max_retries:
                    raise error
                continue
            if resp.status_code >= 500:
                if not idempotent:
                    raise _AmbiguousFailure(error)
                attempt += 1
                if attempt > self._max_retries:
                    raise error
                await self._clock.sleep(self._policy.backoff(attempt))
                continue
            raise error

    def _json_object(self, method: str, path: str, resp: httpx.Response) -> Json:
        try:
            data = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            ctype = resp.headers.get("content-type", "no content type")
            raise ApiError(
                f"{method} {path}: HTTP {resp.status_code} with a body that is not JSON ({ctype})"
            ) from None
        if not isinstance(data, dict):
            raise ApiError(
                f"{method} {path}: HTTP {resp.status_code} with a JSON {type(data).__name__}, "
                "expected an object"
            )
        return data

    def _error(self, resp: httpx.Response) -> HttpError:
        try:
            body: Any = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        retry_after = parse_retry_after(resp.headers.get("retry-after"), self._clock.now())
        err = error_from_response(resp.status_code, body, retry_after=retry_after or 0.0)
        if resp.status_code >= 500 and not isinstance(err, ServerError):
            # a 5xx is a server failure whatever code it names
            err = ServerError(resp.status_code, err.code, err.message, body)
        err.message = self._scrub(err.message)
        err.args = (err.message,)
        return err

    # ------------------------------------------------------------------ accounts

    async def list_accounts(self) -> list[Account]:
        data = await self._call("GET", "/v1/accounts")
        return [Account.from_json(a) for a in _objects(data.get("accounts"))]

    async def list_native_posts(
        self, account_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> NativePostPage:
        if not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100")
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        data = await self._call("GET", f"/v1/accounts/{_seg(account_id)}/posts", params=params)
        next_cursor = data.get("nextCursor")
        return NativePostPage(
            account_id=str(data.get("accountId") or account_id),
            platform=_platform(data.get("platform")),
            posts=tuple(NativePost.from_json(p) for p in _objects(data.get("posts"))),
            next_cursor=next_cursor if isinstance(next_cursor, str) and next_cursor else None,
        )

    async def delete_native_post(
        self, account_id: str, platform_post_id: str
    ) -> NativeDeleteResult:
        data = await self._call(
            "DELETE", f"/v1/accounts/{_seg(account_id)}/posts/{_seg(platform_post_id)}"
        )
        reason = data.get("reason")
        db_post_id = data.get("dbPostId")
        return NativeDeleteResult(
            account_id=str(data.get("accountId") or account_id),
            platform=_platform(data.get("platform")),
            platform_post_id=str(data.get("platformPostId") or platform_post_id),
            deleted=data.get("deleted") is True,
            db_post_id=db_post_id if isinstance(db_post_id, str) else None,
            reason=reason if isinstance(reason, str) else None,
        )

    # ------------------------------------------------------------------ media

    async def create_upload_url(self, filename: str, content_type: str) -> UploadTicket:
        # Retried like an idempotent call: a repeat leaves at most an unused ticket behind.
        data = await self._call(
            "POST",
            "/v1/media/upload-url",
            body={"filename": filename, "contentType": content_type},
        )
        media_id, url = data.get("mediaId"), data.get("uploadUrl")
        if not isinstance(media_id, str) or not isinstance(url, str) or not media_id or not url:
            raise ApiError("POST /v1/media/upload-url: answer without mediaId/uploadUrl")
        key = data.get("key")
        return UploadTicket(
            media_id=media_id, upload_url=url, key=key if isinstance(key, str) else None
        )

    async def put_upload(
        self,
        ticket: UploadTicket,
        stream: AsyncIterable[bytes],
        content_type: str,
        size: int | None = None,
    ) -> int:
        """PUT the bytes to the presigned URL, streaming; returns the number of bytes sent.

        No API key goes with it (the URL itself authorises the upload) and the URL is never
        logged or put in an error (it is a credential). Not retried: the stream is consumed.
        """
        sent = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            async for chunk in stream:
                if chunk:
                    sent += len(chunk)
                    yield chunk

        headers = {"Content-Type": content_type}
        if size is not None:
            headers["Content-Length"] = str(size)  # httpx then sends no chunked encoding
        started = self._clock.monotonic()
        try:
            resp = await self._shared.plain.put(ticket.upload_url, content=body(), headers=headers)
        except httpx.HTTPError as e:
            raise UploadFailed(
                f"upload of media {ticket.media_id} failed after {sent} bytes: {type(e).__name__}"
            ) from None  # the cause's request carries the presigned URL
        elapsed = self._clock.monotonic() - started
        log.debug(
            "social api presigned PUT media=%s -> %d bytes=%d duration_ms=%.1f",
            ticket.media_id, resp.status_code, sent, elapsed * 1000,
        )  # fmt: skip
        if not 200 <= resp.status_code < 300:
            raise UploadFailed(
                f"upload of media {ticket.media_id} failed: storage answered HTTP {resp.status_code}"
            )
        if size is not None and sent != size:
            raise UploadFailed(
                f"upload of media {ticket.media_id}: sent {sent} bytes, expected {size}"
            )
        return sent

    async def complete_upload(self, media_id: str, size: int | None = None) -> str:
        """Mark an upload complete; returns the media id. Idempotent, so retried."""
        payload: Json = {} if size is None else {"size": size}
        data = await self._call("POST", f"/v1/media/{_seg(media_id)}/complete", body=payload)
        got = data.get("mediaId")
        return got if isinstance(got, str) and got else media_id

    async def upload(
        self,
        stream: AsyncIterable[bytes],
        *,
        filename: str,
        content_type: str,
        size: int | None = None,
    ) -> str:
        """The three upload steps; returns the media id."""
        ticket = await self.create_upload_url(filename, content_type)
        sent = await self.put_upload(ticket, stream, content_type, size)
        return await self.complete_upload(ticket.media_id, sent)

    async def list_media(self) -> list[Media]:
        data = await self._call("GET", "/v1/media")
        return [Media.from_json(m) for m in _objects(data.get("media"))]

    async def delete_media(self, media_id: str) -> bool:
        data = await self._call("DELETE", f"/v1/media/{_seg(media_id)}")
        return data.get("deleted") is True

    # ------------------------------------------------------------------ posts

    async def create_post(self, post: NewPost) -> CreatedPost:
        """Create a post, never twice.

        How duplicates are prevented
        ----------------------------
        ``POST /v1/posts`` is not idempotent and the API has no idempotency key, so it is never
        retried blindly:

        1. Failures that certainly happened before the request left — connection refused,
           connect/pool timeout — and ``429`` (rejected unprocessed) are retried like any call.
           Other 4xx answers are final and raised.
        2. An *ambiguous* failure — a read/write error or timeout after the request may have
           been sent, or a 5xx — is followed by a short backoff, then **reconciliation**: the
           client lists the posts (``GET /v1/posts``, itself retried) and looks for the post it
           meant to create by its fingerprint (``reconcile.PostFingerprint``: the set of
           accountIds, content, postType, mediaIds, thread texts, and scheduledAt when one was
           given — a publish-now/draft/near-now time is set by the server and ignored),
           excluding canceled posts and every post id already known: those this client family
           has created, and those ``is_known_post`` (the bot's database) recognises.
        3. Exactly one match → the create landed: it is returned with ``reconciled=True``.
           Several → ``AmbiguousCreateError`` (a human must look). None → the create did not
           land, so sending it once more is safe; the same procedure applies to that attempt,
           up to ``max_retries`` sends in all, after which the last error is raised.
           If the listing itself fails, ``AmbiguousCreateError`` (we cannot tell).

        Residual risk: a create the server is still processing when the listing runs, or an
        identical post created by someone else at the same moment, can fool the fingerprint.
        """
        body = post.to_json()  # refuses naive datetimes before anything is sent
        server_sets_time = post.scheduled_at is not None and (
            (post.scheduled_at - self._clock.now()).total_seconds() <= IMMEDIATE_WINDOW_S
        )
        fingerprint = PostFingerprint.of(post, server_sets_time=server_sets_time)
        sends = 0
        while True:
            sends += 1
            try:
                data = await self._call("POST", "/v1/posts", body=body, idempotent=False)
            except _AmbiguousFailure as amb:
                log.info(
                    "social api POST /v1/posts ambiguous (%s), reconciling",
                    type(amb.error).__name__,
                )
                await self._clock.sleep(self._policy.backoff(sends))
                matches = await self._reconcile(fingerprint, amb.error)
                if len(matches) == 1:
                    found = matches[0]
                    self._shared.created_ids.add(found.post_id)
                    log.info("social api create reconciled: found post %s", found.post_id)
                    return CreatedPost(
                        post=found, immediate=post.publish_now or server_sets_time, reconciled=True
                    )
                if len(matches) > 1:
                    ids = ", ".join(sorted(p.post_id for p in matches))
                    raise AmbiguousCreateError(
                        f"POST /v1/posts failed ambiguously and {len(matches)} matching posts "
                        f"exist ({ids}); not retrying"
                    ) from amb.error
                log.info("social api create did not land (no matching post)")
                if sends > self._max_retries:
                    raise amb.error from None
                continue
            created = self._created(data)
            self._shared.created_ids.add(created.post.post_id)
            return created

    async def _reconcile(self, fingerprint: PostFingerprint, cause: ApiError) -> list[Post]:
        try:
            posts = await self.list_posts()
        except ApiError as e:
            raise AmbiguousCreateError(
                f"POST /v1/posts failed ambiguously ({type(cause).__name__}) and the posts could "
                f"not be listed to reconcile ({type(e).__name__}); not retrying"
            ) from e
        return await find_candidates(
            posts,
            fingerprint,
            known_ids=self._shared.created_ids,
            is_known_post=self._is_known_post,
        )

    @staticmethod
    def _created(data: Json) -> CreatedPost:
        raw_post = data.get("post")
        pd: Json = dict(raw_post) if isinstance(raw_post, dict) else {}
        for k in ("postId", "status", "scheduledAt"):
            if k not in pd and k in data:
                pd[k] = data[k]
        post = Post.from_json(pd, data.get("targets"))
        if not post.post_id:
            raise ApiError("POST /v1/posts: answer without a postId")
        return CreatedPost(post=post, immediate=data.get("immediate") is True)

    async def list_posts(self) -> list[Post]:
        data = await self._call("GET", "/v1/posts")
        return [Post.from_json(p) for p in _objects(data.get("posts"))]

    async def get_post(self, post_id: str) -> Post:
        data = await self._call("GET", f"/v1/posts/{_seg(post_id)}")
        raw = data.get("post")
        pd = raw if isinstance(raw, dict) else data
        return Post.from_json(pd, data.get("targets"))

    async def get_status(self, post_id: str) -> StatusInfo:
        data = await self._call("GET", f"/v1/posts/{_seg(post_id)}/status")
        return StatusInfo.from_json(data)

    async def update_post(
        self, post_id: str, update: PostUpdate, *, method: Literal["PUT", "PATCH"] = "PUT"
    ) -> UpdatedPost:
        if method not in ("PUT", "PATCH"):
            raise ValueError("method must be PUT or PATCH")
        body = update.to_json()  # refuses naive datetimes
        data = await self._call(method, f"/v1/posts/{_seg(post_id)}", body=body)
        raw = data.get("post")
        pd: Json = dict(raw) if isinstance(raw, dict) else {}
        pd.setdefault("postId", data.get("postId") or post_id)
        unsupported: list[str] = []
        for u in data.get("unsupported") or []:
            if isinstance(u, str):
                unsupported.append(u)
            elif isinstance(u, dict) and isinstance(u.get("platform"), str):
                unsupported.append(u["platform"])
        return UpdatedPost(
            post=Post.from_json(pd, data.get("targets")),
            updated=data.get("updated") is True,
            rescheduled=data.get("rescheduled") is True,
            activated=data.get("activated") is True,
            unsupported=tuple(unsupported),
        )

    async def delete_post(self, post_id: str) -> DeletedPost:
        data = await self._call("DELETE", f"/v1/posts/{_seg(post_id)}")
        if not data.get("postId"):
            data = {**data, "postId": post_id}
        return DeletedPost.from_json(data)

    # ------------------------------------------------------------------ analytics

    async def analytics(self) -> Analytics:
        return Analytics.from_json(await self._call("GET", "/v1/analytics"))

    async def openapi(self) -> dict[str, Any]:
        """The OpenAPI document (no auth, not counted against the key's budget)."""
        return await self._call("GET", "/v1/openapi.json", auth=False)


_COLLECTIONS = frozenset({"posts", "accounts", "media"})


def endpoint_template(method: str, path: str) -> str:
    """A request's endpoint for metrics, ids replaced: ``GET /v1/posts/p_123/status`` →
    ``GET /v1/posts/{id}/status`` (never a raw id, so the label set stays small)."""
    out: list[str] = []
    after_collection = False
    for seg in path.split("?", 1)[0].strip("/").split("/"):
        if after_collection and seg != "upload-url":
            out.append("{id}")
            after_collection = False
        else:
            out.append(seg)
            after_collection = seg in _COLLECTIONS
    return f"{method} /" + "/".join(out)


# Ids are opaque but short; a longer one cannot exist, and would make a URL the server (or
# httpx, past 64 KB) refuses with something that is not an API answer.
MAX_ID_LENGTH = 256


def _seg(value: str) -> str:
    """One URL path segment (ids are opaque: quote everything)."""
    if not value:
        raise ValueError("empty id")
    if len(value) > MAX_ID_LENGTH:
        raise NotFound(404, "not_found", f"no such id ({len(value)} characters is too long)")
    return quote(value, safe="")


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
