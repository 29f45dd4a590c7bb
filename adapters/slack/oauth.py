"""Distributed mode ("Add to Slack"): one bot, many Slack teams, each installed through OAuth.

Set ``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET``, ``SLACK_SIGNING_SECRET`` and
``SOCIALBOT_ENCRYPTION_KEY`` (and no ``SLACK_BOT_TOKEN``). Bolt's own OAuth flow serves

    GET /slack/install          an "Add to Slack" page: Slack's oauth/v2/authorize with the
                                manifest's bot scopes (``BOT_SCOPES``) and a one-time state
                                (``oauth_states``, plus Bolt's browser cookie)
    GET /slack/oauth_redirect   checks the state, exchanges the code (``oauth.v2.access``
                                through ``SLACK_API_URL``), stores the installation encrypted
                                (``adapters.slack.installations``), answers with a page in words

Every request is authorized with its team's installation (``adapters.slack.teams``; the
enterprise's for org-wide installs), which also sets the team the request's calls are for. ``app_uninstalled`` / ``tokens_revoked`` delete it and
close the team's pending work (``bot.installations.close_pending``) with a log line; later
requests from that team are refused by Bolt without a Web API call. Token rotation (refresh
tokens) is Bolt's: ``token_rotation_expiration_minutes`` before a token expires the next
request refreshes it and the refreshed installation is saved (encrypted) again.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installations import DbInstallationStore, DbStateStore
from adapters.slack.teams import TeamTokens
from bot.config import Settings
from bot.installations import InstallationRecords, close_pending

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes of manifest.yml (tests/slack/test_oauth.py checks they agree).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "reactions:read",
    "reactions:write",
    "files:read",
    "users:read",
    "usergroups:read",
)
TOKEN_ROTATION_MINUTES = 120  # refresh a rotating token this long before it expires

_FAILURES = {
    "access_denied": "The installation was cancelled in Slack, so nothing was installed.",
    "invalid_browser": (
        "This browser did not start the installation (its install cookie is missing). "
        "Start again from the install page in the same browser."
    ),
    "invalid_state": (
        "This install link has expired or was already used. Start again from the install page."
    ),
    "missing_code": "Slack did not send an authorization code. Start again from the install page.",
    "invalid_code": (
        "Slack refused the authorization code (it may have expired or been used already). "
        "Start again from the install page."
    ),
    "storage_error": "The installation could not be saved. Try again in a minute.",
}


def _page(title: str, body: str, status: int, cookie: str | None = None) -> BoltResponse:
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'><title>socialbot</title>"
        "<link rel='icon' href='data:,'></head><body style='font-family:sans-serif;"
        f"max-width:40em;margin:3em auto'><h2>{html.escape(title)}</h2><p>{body}</p>"
        "</body></html>"
    )
    headers: dict[str, str | Sequence[str]] = {"Content-Type": "text/html; charset=utf-8"}
    if cookie:
        headers["Set-Cookie"] = [cookie]
    return BoltResponse(status=status, body=doc, headers=headers)


async def _success(args: AsyncSuccessArgs) -> BoltResponse:
    inst = args.installation
    where = inst.team_name or inst.enterprise_name or inst.team_id or inst.enterprise_id or ""
    log.info(
        "slack: installed in %s %s (enterprise %s)",
        "org-wide" if inst.is_enterprise_install else "team",
        inst.team_id or "-",
        inst.enterprise_id or "-",
    )
    org = (
        " for every workspace of the organization: an org admin chooses which ones in Slack "
        "(<i>Manage apps</i> → socialbot → <i>Add to workspaces</i>)"
        if inst.is_enterprise_install
        else ""
    )
    return _page(
        "socialbot is installed",
        f"socialbot is now installed in <b>{html.escape(where)}</b>{org}. Invite it to a "
        "channel (<code>/invite @socialbot</code>) and type <code>/social help</code> there.",
        200,
        args.settings.state_utils.build_set_cookie_for_deletion(),
    )


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    words = _FAILURES.get(args.reason, f"The installation failed ({html.escape(args.reason)}).")
    log.warning("slack: an installation failed: %s", args.reason)
    install = html.escape(args.settings.install_path)
    return _page(
        "socialbot was not installed",
        f"{html.escape(words)} <a href='{install}'>Install page</a>.",
        args.suggested_status_code,
        args.settings.state_utils.build_set_cookie_for_deletion(),
    )


def oauth_settings(
    settings: Settings, records: InstallationRecords, store: DbInstallationStore
) -> AsyncOAuthSettings:
    assert settings.slack_client_id and settings.slack_client_secret  # slack_mode checked
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.reveal(),
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=False,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        state_store=DbStateStore(records),
        callback_options=AsyncCallbackOptions(success=_success, failure=_failure),
        logger=logging.getLogger("adapters.slack.bolt.oauth"),
    )


def team_tokens(
    settings: Settings,
    records: InstallationRecords,
    store: DbInstallationStore,
    bolt_client: AsyncWebClient,
    adapter_clock: Any,
) -> TeamTokens:
    """Bolt's installation-store authorize (token rotation through ``bolt_client``, so
    ``oauth.v2.access`` refreshes go to ``SLACK_API_URL`` too) behind the bounded cache."""
    assert settings.slack_client_id and settings.slack_client_secret
    inner = AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("adapters.slack.bolt.authorize"),
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.reveal(),
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        client=bolt_client,
    )
    return TeamTokens(inner, records, bolt_client, adapter_clock)


def access_lost(
    adapter: SlackAdapter, records: InstallationRecords
) -> Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]:
    """The ``app_uninstalled`` / ``tokens_revoked`` / ``team_access_revoked`` listener of
    distributed mode (registered by ``listeners.register`` after the command listeners: they
    are matched in order, and commands are what comes most often).

    ``team_access_revoked`` (Enterprise Grid): an org admin removed the org-wide app from some
    of the org's workspaces (``event.team_ids``). The org's installation stays, for the others;
    those workspaces are forgotten and their pending work closed, as for an uninstall."""

    async def gone(body: dict[str, Any], context: AsyncBoltContext) -> None:
        # A tracked task (shutdown drains it; tests wait for it like any other work).
        adapter.deliveries.spawn(
            close_team(body, context.team_id, context.enterprise_id, context.is_enterprise_install),
            name="slack team gone",
            urgent=True,
        )

    async def close_team(
        body: dict[str, Any], team: str | None, enterprise: str | None, org: bool | None
    ) -> None:
        event = body.get("event") or {}
        kind = event.get("type")
        where = f"enterprise {enterprise} (org-wide)" if org else f"team {team or enterprise}"
        if kind == "tokens_revoked":
            revoked = (event.get("tokens") or {}).get("bot") or []
            if not revoked:
                log.info("slack: user tokens revoked in %s (no bot token); kept", where)
                return
        if kind == "team_access_revoked":
            teams = [str(t) for t in event.get("team_ids") or () if t]
            where = f"enterprise {enterprise} (org-wide), workspaces {', '.join(teams) or '-'}"
            n = 0
        else:
            # An org-wide install goes for every workspace of the enterprise at once.
            teams = await records.teams_of_enterprise(enterprise) if org and enterprise else []
            teams += [team] if team and team not in teams else []
            n = await records.delete(enterprise, None if org else team)
        sent = done = 0
        for gone_team in teams:
            adapter.team_gone(gone_team)
            s, d = await close_pending(
                adapter.core.db, "slack", gone_team, adapter.core.clock.now().isoformat()
            )
            sent, done = sent + s, done + d
            await records.forget_team(gone_team)
        if org and enterprise and kind != "team_access_revoked":
            adapter.team_gone(enterprise)  # what requests naming only the enterprise cached
        log.info(
            "slack: %s in %s: %d installation(s) deleted, %d workspace(s) forgotten, "
            "%d unsent announcement(s) and %d unfinished request(s) closed",
            kind,
            where,
            n,
            len(teams),
            sent,
            done,
        )

    return gone
