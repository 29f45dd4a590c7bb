"""A guard in front of Bolt's aiohttp endpoint: malformed requests get a 4xx, never a 500.

Bolt builds its request object — parsing the body as JSON or form data and reading fields out
of it — before it checks the signature, so a broken or oddly typed body (``null``, ``{{{``,
``payload=42``, invalid UTF-8) raises inside Bolt and aiohttp answers 500, even unsigned. The
guard, on ``POST`` to the events path:

1. checks the v0 signature itself (``SignatureVerifier``: HMAC over ``v0:{ts}:{body}``, at most
   5 minutes old) → ``401`` when it does not verify, as Bolt would;
2. refuses (``400``) only a body Bolt itself would raise on — never a form Slack documents
   (arrays, ``null`` and absent fields pass: ``response_urls: []``, ``team: null`` for org-wide
   installs, ``enterprise: null``, no ``channel``/``message`` in modal payloads, ``user`` a
   string in events and an object in interactions). The rules are Bolt's own reads:

   - the body parses as Bolt parses it (``parse_body``) into an object;
   - Bolt builds its request from it (``AsyncBoltRequest``: the context builder reads the team,
     enterprise, user and channel ids, ``authorizations[0]``, ``response_urls[0].response_url``);
   - the payload views Bolt computes for every listener (``payload_utils.to_action`` … ``to_step``)
     and the line it logs for a request no listener takes (``warning_unhandled_request``:
     ``view.type``, ``actions[0].block_id``, ``event.type``) do not raise on it;
   - ``event``, when present, is an object (the self-event filter reads ``event.bot_id``) and
     its ``type`` a string (the event listeners match it);
   - in ``block_actions``, the first action has a string ``action_id`` (the action listeners
     match it);
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
from slack_bolt.logger.messages import warning_unhandled_request
from slack_bolt.request import payload_utils
from slack_bolt.request.async_request import AsyncBoltRequest
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


def _shape_problem(body: str, content_type: str | None) -> str | None:
    """Why Bolt would raise on this body (None: it will not). Each rule is a line of Bolt's own
    code that indexes into the body, so every form Slack documents passes (arrays, ``null``,
    absent fields): the rules are listed in the module docstring."""
    ctype = content_type.split(";")[0] if content_type else None  # as Bolt reads it
    try:
        doc: Any = parse_body(body, ctype)
    except ValueError:  # JSONDecodeError included
        return "not JSON"
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}, not an object"
    try:
        # what Bolt's aiohttp adapter builds first: the body parsed, the ids read out of it
        request = AsyncBoltRequest(body=body, headers={"content-type": content_type or ""})
    except Exception as e:
        return f"Bolt cannot read its ids from it ({type(e).__name__})"
    try:
        for extract in _PAYLOAD_VIEWS:  # what Bolt computes for every listener it tries
            extract(doc)
        warning_unhandled_request(request)  # what Bolt logs when no listener takes it
    except Exception as e:
        return f"Bolt cannot read its payload ({type(e).__name__})"
    if "event" in doc:
        event = doc["event"]
        if not isinstance(event, dict):
            return "event is not an object"
        if "type" in event and not isinstance(event["type"], str):
            return "event.type is not a string"
    if doc.get("type") == "block_actions" and "actions" in doc:
        first = doc["actions"][0]  # exists: to_action above read it
        if not isinstance(first, dict) or not isinstance(first.get("action_id"), str):
            return "its first action has no action_id"
    return None


# The payload views Bolt's kwargs injection builds for every listener matcher and listener
# (slack_bolt/kwargs_injection/async_utils.py).
_PAYLOAD_VIEWS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


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
