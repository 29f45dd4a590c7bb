"""The OpenAPI 3.0 document of the sandbox's ``/v1`` endpoints (``GET /v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

ERRORS = {
    "400": ("bad_request", "Required fields are missing or malformed."),
    "401": ("unauthorized", "Missing or invalid API key."),
    "403": ("forbidden", "Key is valid but lacks the required scope."),
    "404": ("not_found", "The post, media, or referenced account does not exist."),
    "409": ("not_editable / publishing", "The post's state does not allow this."),
    "422": ("post_type_invalid / content_invalid / unsupported", "Validation failed."),
    "429": ("rate_limited", "More than 120 requests in one minute for this key."),
}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: Json, required: list[str] | None = None) -> Json:
    out: Json = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


S = {"type": "string"}
SN = {"type": "string", "nullable": True}
T = {"type": "string", "format": "date-time"}
TN = {"type": "string", "format": "date-time", "nullable": True}
B = {"type": "boolean"}
I = {"type": "integer"}  # noqa: E741
SA = {"type": "array", "items": S}
ANY_OBJ = {"type": "object", "additionalProperties": True}


def _op(
    summary: str,
    scope: str | None,
    ok_status: str,
    schema: Json,
    *,
    body: Json | None = None,
    params: list[Json] | None = None,
    errors: tuple[str, ...] = (),
) -> Json:
    responses: Json = {
        ok_status: {"description": "OK", "content": {"application/json": {"schema": schema}}}
    }
    codes = ("401", "403", "429", *errors) if scope else errors
    for code in codes:
        api_code, desc = ERRORS[code]
        responses[code] = {
            "description": f"{api_code}: {desc}",
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    op: Json = {"summary": summary, "responses": responses}
    if scope:
        op["description"] = f"Scope: `{scope}`."
        op["x-scope"] = scope
    else:
        op["security"] = []
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path(name: str) -> Json:
    return {"name": name, "in": "path", "required": True, "schema": S}


def _query(name: str, schema: Json, desc: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


POST_BODY = _obj(
    {
        "accountIds": SA,
        "content": S,
        "mediaIds": SA,
        "postType": _ref("PostType"),
        "scheduledAt": T,
        "publishNow": B,
        "draft": B,
        "platformContent": {"type": "object", "additionalProperties": S},
        "platformSchedules": {"type": "object", "additionalProperties": T},
        "thread": {"type": "array", "items": _obj({"text": S, "mediaIds": SA}, ["text"])},
        "article": _obj({"url": S, "title": S, "description": S}, ["url"]),
        "link": S,
        "coverMediaId": S,
        "coverOffsetMs": I,
        "documentTitle": S,
        "ytPrivacy": {"type": "string", "enum": ["public", "unlisted", "private"]},
    }
)
POST_AND_TARGETS = _obj(
    {"post": _ref("Post"), "targets": {"type": "array", "items": _ref("Target")}}
)


def document() -> Json:
    pid = [_path("id")]
    paths: Json = {
        "/v1/openapi.json": {"get": _op("This document", None, "200", ANY_OBJ)},
        "/v1/accounts": {
            "get": _op(
                "List connected accounts",
                "accounts:read",
                "200",
                _obj({"accounts": {"type": "array", "items": _ref("Account")}}),
            )
        },
        "/v1/accounts/{id}/posts": {
            "get": _op(
                "List native platform posts",
                "posts:read",
                "200",
                _obj(
                    {
                        "accountId": S,
                        "platform": S,
                        "posts": {"type": "array", "items": _ref("NativePost")},
                        "nextCursor": SN,
                    }
                ),
                params=[
                    *pid,
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 100},
                        "Page size (default 25).",
                    ),
                    _query("cursor", S, "nextCursor of the previous page."),
                ],
                errors=("400", "404", "422"),
            )
        },
        "/v1/accounts/{id}/posts/{platformPostId}": {
            "delete": _op(
                "Delete a native platform post",
                "posts:write",
                "200",
                _obj(
                    {
                        "accountId": S,
                        "platform": S,
                        "platformPostId": S,
                        "deleted": B,
                        "dbPostId": SN,
                        "reason": S,
                    }
                ),
                params=[*pid, _path("platformPostId")],
                errors=("404",),
            )
        },
        "/v1/media/upload-url": {
            "post": _op(
                "Create an upload URL",
                "media:write",
                "201",
                _obj({"mediaId": S, "uploadUrl": S, "key": S, "expiresAt": T}),
                body=_obj({"filename": S, "contentType": S}, ["filename", "contentType"]),
                errors=("400",),
            )
        },
        "/v1/media/{id}/complete": {
            "post": _op(
                "Mark an upload complete",
                "media:write",
                "200",
                _obj({"mediaId": S, "status": S, "size": I}),
                body=_obj({"size": I}),
                params=pid,
                errors=("400", "404"),
            )
        },
        "/v1/media": {
            "get": _op(
                "List media",
                "media:read",
                "200",
                _obj({"media": {"type": "array", "items": _ref("Media")}}),
            )
        },
        "/v1/media/{id}": {
            "delete": _op(
                "Delete media",
                "media:write",
                "200",
                _obj({"mediaId": S, "deleted": B}),
                params=pid,
                errors=("404",),
            )
        },
        "/v1/posts": {
            "post": _op(
                "Create / schedule a post",
                "posts:write",
                "201",
                _obj(
                    {
                        "postId": S,
                        "status": _ref("PostStatus"),
                        "scheduledAt": TN,
                        "immediate": B,
                        "post": _ref("Post"),
                        "targets": {"type": "array", "items": _ref("Target")},
                    }
                ),
                body=POST_BODY,
                errors=("400", "404", "422"),
            ),
            "get": _op(
                "List posts",
                "posts:read",
                "200",
                _obj({"posts": {"type": "array", "items": _ref("Post")}}),
            ),
        },
        "/v1/posts/{id}": {
            "get": _op(
                "Get a post", "posts:read", "200", POST_AND_TARGETS, params=pid, errors=("404",)
            ),
            "put": _edit_op(pid),
            "patch": _edit_op(pid),
            "delete": _op(
                "Delete a post",
                "posts:write",
                "200",
                _obj(
                    {
                        "postId": S,
                        "status": _ref("PostStatus"),
                        "removedFrom": SA,
                        "manual": {"type": "array", "items": _obj({"platform": S, "reason": S})},
                    }
                ),
                params=pid,
                errors=("404", "409"),
            ),
        },
        "/v1/posts/{id}/status": {
            "get": _op(
                "Get publish status",
                "posts:read",
                "200",
                _obj(
                    {
                        "postId": S,
                        "status": _ref("PostStatus"),
                        "ready": B,
                        "scheduledAt": TN,
                        "targets": {"type": "array", "items": _ref("Target")},
                    }
                ),
                params=pid,
                errors=("404",),
            )
        },
        "/v1/analytics": {
            "get": _op(
                "Analytics summary",
                "analytics:read",
                "200",
                _obj(
                    {
                        "totalPosts": I,
                        "byStatus": {"type": "object", "additionalProperties": I},
                        "engagement": {"type": "object", "additionalProperties": I},
                    }
                ),
            )
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Social API (socialbot sandbox)",
            "version": "1.0.0",
            "description": "A local sandbox of the Social API: same endpoints, errors and rules.",
        },
        "servers": [{"url": "/"}],
        "security": [{"ApiKey": []}, {"Bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": _schemas(),
        },
    }


def _edit_op(pid: list[Json]) -> Json:
    return _op(
        "Edit a post (PUT and PATCH are aliases)",
        "posts:write",
        "200",
        _obj(
            {
                "postId": S,
                "updated": B,
                "rescheduled": B,
                "activated": B,
                "unsupported": SA,
                "post": _ref("Post"),
                "targets": {"type": "array", "items": _ref("Target")},
            }
        ),
        body=POST_BODY,
        params=pid,
        errors=("400", "404", "409", "422"),
    )


def _schemas() -> Json:
    statuses = ["draft", "scheduled", "publishing", "published", "partial", "failed", "canceled"]
    types = ["text", "image", "carousel", "video", "reel", "story", "thread", "article", "document"]
    return {
        "Error": _obj({"error": _obj({"message": S, "code": S}, ["message", "code"])}, ["error"]),
        "PostStatus": {"type": "string", "enum": statuses},
        "PostType": {"type": "string", "enum": types},
        "Account": _obj(
            {
                "accountId": S,
                "platform": S,
                "handle": S,
                "displayName": S,
                "premium": B,
                "accountType": {"type": "string", "enum": ["personal", "company"]},
            },
            ["accountId", "platform", "handle", "displayName"],
        ),
        "Post": _obj(
            {
                "postId": S,
                "content": SN,
                "postType": _ref("PostType"),
                "status": _ref("PostStatus"),
                "scheduledAt": TN,
                "platforms": SA,
                "accountIds": SA,
                "mediaIds": SA,
            },
            ["postId", "status"],
        ),
        "Target": _obj(
            {
                "accountId": S,
                "platform": S,
                "status": _ref("PostStatus"),
                "scheduledAt": TN,
                "platformPostId": SN,
                "permalink": SN,
                "error": SN,
                "ready": B,
            },
            ["accountId", "platform", "status"],
        ),
        "Media": _obj(
            {
                "mediaId": S,
                "filename": S,
                "kind": {"type": "string", "enum": ["image", "video", "document", "other"]},
                "status": S,
                "previewUrl": SN,
            },
            ["mediaId", "status"],
        ),
        "NativePost": _obj(
            {
                "platformPostId": S,
                "caption": SN,
                "mediaType": S,
                "permalink": S,
                "thumbnail": SN,
                "timestamp": S,
                "metrics": {"type": "object", "additionalProperties": I},
                "inDb": B,
                "dbPostId": SN,
            },
            ["platformPostId", "inDb"],
        ),
    }
