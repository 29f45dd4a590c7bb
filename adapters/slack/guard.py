"""A guard in front of Bolt's aiohttp endpoint: malformed requests get a 4xx, never a 500.

Bolt builds its request object — parsing the body as JSON or form data and reading fields out
of it — before it checks the signature, so a broken or oddly typed body (``null``, ``{{{``,
``payload=42``, invalid UTF-8) raises inside Bolt and aiohttp answers 500, even unsigned. The
guard, on ``POST`` to the events path:

1. checks the v0 signature itself (``SignatureVerifier``: HMAC over ``v0:{ts}:{body}``, at most
   5 minutes old) → ``401`` when it does not verify, as Bolt would;
2. parses the body as Bolt will (``parse_body``) and checks the shape Bolt's own middlewares
   and loggers take for granted (an object; ``event``, ``view``, ``container``, ``message``
   objects; ``user``/``team``/``channel`` an object or a string; ``actions`` and
   ``authorizations`` lists of objects) → ``400`` otherwise;
3. runs the handler; an exception escaping it for a correctly signed request is a request Bolt
   could not make sense of → logged (type only, never the body) and answered ``400``.

Listener errors never get here (Bolt acks first and runs listeners in the background), so a
4xx from the guard is always about the request itself.

    web_app = guarded_web_app(slack_app, signing_secret, "/slack/events")
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def slack_guard(signing_secret: str, path: str) -> Middleware:
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        raw = await request.read()  # aiohttp keeps it: Bolt reads the same bytes again
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="malformed request")
        if not _verified(verifier, body, request):
            return web.Response(status=401, text="invalid request")
        problem = _shape_problem(body, request.headers.get("Content-Type"))
        if problem is not None:
            log.warning(
                "slack: a signed request has an unexpected shape (%s); answered 400", problem
            )
            return web.Response(status=400, text="malformed request")
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as e:
            log.warning(
                "slack: a signed request could not be read (%s); answered 400", type(e).__name__
            )
            return web.Response(status=400, text="malformed request")

    return guard


_OBJECTS = ("event", "view", "container", "message", "state", "enterprise", "response_urls")
_OBJECT_OR_STRING = ("user", "team", "channel")
_LISTS_OF_OBJECTS = ("actions", "authorizations")


def _shape_problem(body: str, content_type: str | None) -> str | None:
    """Why Bolt would trip over this body (None: it will not)."""
    try:
        doc: Any = parse_body(body, content_type.split(";")[0].strip() if content_type else None)
    except ValueError:  # JSONDecodeError included
        return "not JSON"
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}, not an object"
    for key in _OBJECTS:
        if key in doc and not isinstance(doc[key], dict):
            return f"{key} is not an object"
    for key in _OBJECT_OR_STRING:
        if key in doc and not isinstance(doc[key], dict | str):
            return f"{key} is neither an object nor a string"
    for key in _LISTS_OF_OBJECTS:
        value = doc.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
        ):
            return f"{key} is not a list of objects"
    return None


def _verified(verifier: SignatureVerifier, body: str, request: web.Request) -> bool:
    try:
        return verifier.is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        )
    except (ValueError, TypeError):  # a timestamp that is not a number
        return False


def guarded_web_app(app: AsyncApp, signing_secret: str, path: str) -> web.Application:
    """Bolt's aiohttp application for ``path`` with the guard in front."""
    web_app = app.web_app(path=path)
    web_app.middlewares.append(slack_guard(signing_secret, path))
    return web_app
