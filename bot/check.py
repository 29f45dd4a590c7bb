"""``socialbot check``: validate the configuration and reach each configured service.

Prints one line per check — ``ok``/``FAIL`` with a plain-words fix — then what the settings
will do, in words (``bot.checkwords``: each binding's policy, media links, weekly reports), and
exits non-zero if any check failed. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.api.client import SocialClient
from bot.api.errors import ApiError, Forbidden, HttpError, Unauthorized
from bot.checkwords import media_line, policy_lines, report_lines
from bot.config import ConfigError, Settings, load_settings
from bot.storage import Database
from bot.vault import CANARY_KEY, Vault, VaultError


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def check_social(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> list[CheckResult]:
    out: list[CheckResult] = []
    for ws in settings.workspaces.values():
        name = f"Social API ({ws.name})"
        if ws.key is None:
            used = any(b.config.workspace == ws.name for b in settings.bindings)
            if ws.name == "default" and len(settings.workspaces) > 1 and not used:
                continue
            out.append(
                CheckResult(
                    name,
                    False,
                    f"{ws.key_env} is not set — create a key in the dashboard and export it",
                )
            )
            continue
        client = SocialClient(
            settings.api_url, ws.key, transport=transport, max_retries=1, timeout=10
        )
        try:
            accounts = await client.list_accounts()
            out.append(
                CheckResult(
                    name, True, f"{len(accounts)} connected account(s) at {settings.api_url}"
                )
            )
        except Unauthorized:
            out.append(
                CheckResult(
                    name,
                    False,
                    f"the key in {ws.key_env} was refused (401) — check it was copied whole and not revoked",
                )
            )
        except Forbidden:
            out.append(
                CheckResult(
                    name,
                    False,
                    f"the key in {ws.key_env} lacks the accounts:read scope — create a key with posts, media, accounts and analytics scopes",
                )
            )
        except HttpError as e:
            out.append(
                CheckResult(
                    name, False, f"the Social API answered {e.status} {e.code} — try again later"
                )
            )
        except ApiError as e:
            out.append(
                CheckResult(
                    name,
                    False,
                    f"cannot reach {settings.api_url} ({e.message}) — check SOCIAL_API_URL and the network",
                )
            )
        finally:
            await client.aclose()
    return out


async def _get_json(url: str, headers: dict[str, str], method: str = "GET") -> tuple[int, object]:
    async with httpx.AsyncClient(timeout=10) as c:
        r = await c.request(method, url, headers=headers)
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None


async def check_installations(settings: Settings) -> list[CheckResult]:
    """Distributed Slack: the mode, how many teams are installed, and whether
    SOCIALBOT_ENCRYPTION_KEY opens them (read only: nothing is written)."""
    mode = CheckResult(
        "Slack mode",
        True,
        "distributed (OAuth): install page /slack/install, redirect URL "
        + (settings.slack_redirect_uri or "<public URL>/slack/oauth_redirect")
        + (
            " — events over Socket Mode"
            if settings.slack_app_token
            else " — events at /slack/events"
        ),
    )
    name = "Slack installations"
    try:
        vault = Vault.from_text(
            settings.encryption_key.reveal() if settings.encryption_key else None
        )
    except ConfigError as e:
        return [mode, CheckResult(name, False, str(e))]
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        mode = CheckResult(
            "Slack mode", False, "set SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)"
        )
    if settings.db_path != ":memory:" and not await asyncio.to_thread(
        os.path.exists, settings.db_path
    ):
        return [mode, CheckResult(name, True, f"none yet ({settings.db_path} does not exist)")]

    def read(sdb: Any) -> tuple[list[tuple[str, str, int, str]], str | None]:
        tables = set(sdb.table_names())
        rows = (
            [
                (str(r[0]), str(r[1]), int(r[2]), str(r[3]))
                for r in sdb.execute(
                    "SELECT enterprise_id, team_id, is_enterprise_install, data "
                    "FROM slack_installations"
                )
            ]
            if "slack_installations" in tables
            else []
        )
        canary = (
            sdb.execute("SELECT value FROM meta WHERE key = ?", [CANARY_KEY]).fetchone()
            if "meta" in tables
            else None
        )
        return rows, str(canary[0]) if canary else None

    db = Database(settings.db_path)
    await db.run_raw(db._connect)
    try:
        rows, canary = await db.run(read)
    finally:
        await db.close()
    blobs = [r[3] for r in rows]
    # one per team (or org) however many users installed it; an org-wide install serves every
    # workspace of its Enterprise Grid organization
    teams = {(r[0], r[1]) for r in rows if not r[2]}
    orgs = {r[0] for r in rows if r[2]}
    installed = f"{len(teams)} installed team(s)" + (
        f" and {len(orgs)} org-wide install(s) (every workspace of an Enterprise Grid org)"
        if orgs
        else ""
    )
    opened = 0
    for blob in [*blobs, *([canary] if canary else [])]:
        try:
            vault.decrypt(blob)
            opened += 1
        except VaultError:
            pass
    total = len(blobs) + (1 if canary else 0)
    if opened < total:
        return [
            mode,
            CheckResult(
                name,
                False,
                f"{installed}, but SOCIALBOT_ENCRYPTION_KEY does not open "
                f"{total - opened} stored secret(s) — use the key they were stored with",
            ),
        ]
    keys = (
        f" ({vault.key_count} keys: the old ones are re-encrypted away at start)"
        if vault.key_count > 1
        else ""
    )
    return [
        mode,
        CheckResult(name, True, f"{installed}; the encryption key opens them{keys}"),
    ]


async def check_connections(settings: Settings) -> list[CheckResult]:
    """Keys connected from chat (/social connect): how many, whether the key opens them, and
    where a TOML binding wins over one (read only)."""
    if settings.encryption_key is None:
        return []
    if settings.db_path != ":memory:" and not await asyncio.to_thread(
        os.path.exists, settings.db_path
    ):
        return []
    try:
        vault = Vault.from_text(settings.encryption_key.reveal())
    except ConfigError:
        return []  # reported by check_installations, or by run

    def read(sdb: Any) -> list[tuple[str, str, str]]:
        if "chat_connections" not in set(sdb.table_names()):
            return []
        return [
            (str(r[0]), str(r[1]), str(r[2]))
            for r in sdb.execute("SELECT platform, team, key FROM chat_connections")
        ]

    db = Database(settings.db_path)
    await db.run_raw(db._connect)
    try:
        rows = await db.run(read)
    finally:
        await db.close()
    if not rows:
        return []
    bad = 0
    for _, _, blob in rows:
        try:
            vault.decrypt(blob)
        except VaultError:
            bad += 1
    name = "chat connections"
    if bad:
        return [
            CheckResult(
                name,
                False,
                f"{len(rows)} key(s) connected from chat; SOCIALBOT_ENCRYPTION_KEY does not "
                f"open {bad} — use the key they were stored with",
            )
        ]
    both = [
        f"{p} {t}"
        for p, t, _ in rows
        if any(b.platform == p and b.team == t for b in settings.bindings)
    ]
    detail = f"{len(rows)} team(s)/guild(s) connected with /social connect"
    if both:
        detail += "; the TOML binding wins over the chat-made one for: " + ", ".join(both)
    return [CheckResult(name, True, detail)]


async def check_slack(settings: Settings) -> list[CheckResult]:
    if settings.slack_mode == "distributed":
        return await check_installations(settings)
    token = settings.slack_bot_token
    if token is None:
        return []
    out: list[CheckResult] = []
    base = (settings.slack_api_url or "https://slack.com") + "/api/"
    if settings.slack_api_url and settings.slack_api_url.rstrip("/").endswith("/api"):
        base = settings.slack_api_url.rstrip("/") + "/"
    try:
        status, body = await _get_json(
            base + "auth.test", {"Authorization": f"Bearer {token.reveal()}"}, "POST"
        )
        if isinstance(body, dict) and body.get("ok"):
            out.append(
                CheckResult(
                    "Slack auth.test",
                    True,
                    f"team {body.get('team', '?')} as {body.get('user', '?')}",
                )
            )
        else:
            err = body.get("error") if isinstance(body, dict) else f"HTTP {status}"
            out.append(
                CheckResult(
                    "Slack auth.test",
                    False,
                    f"Slack refused SLACK_BOT_TOKEN ({err}) — reinstall the app and copy the Bot User OAuth Token (xoxb-…)",
                )
            )
    except httpx.HTTPError as e:
        out.append(
            CheckResult(
                "Slack auth.test",
                False,
                f"cannot reach Slack ({type(e).__name__}) — check SLACK_API_URL and the network",
            )
        )
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        out.append(
            CheckResult(
                "Slack mode",
                False,
                "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)",
            )
        )
    else:
        mode = "Socket Mode" if settings.slack_app_token else "HTTP mode (/slack/events)"
        out.append(CheckResult("Slack mode", True, f"single-team (SLACK_BOT_TOKEN), {mode}"))
    return out


async def check_discord(settings: Settings) -> list[CheckResult]:
    token = settings.discord_bot_token
    if token is None:
        return []
    base = (settings.discord_api_url or "https://discord.com/api/v10").rstrip("/")
    try:
        status, body = await _get_json(
            base + "/users/@me", {"Authorization": f"Bot {token.reveal()}"}
        )
    except httpx.HTTPError as e:
        return [
            CheckResult(
                "Discord login",
                False,
                f"cannot reach Discord ({type(e).__name__}) — check DISCORD_API_URL and the network",
            )
        ]
    if status == 200 and isinstance(body, dict):
        return [CheckResult("Discord login", True, f"logged in as {body.get('username', '?')}")]
    return [
        CheckResult(
            "Discord login",
            False,
            f"Discord refused DISCORD_BOT_TOKEN (HTTP {status}) — reset the token in the Developer Portal → Bot and copy it again",
        )
    ]


async def run_checks(
    settings: Settings, extra: list[Callable[[], Awaitable[list[CheckResult]]]] | None = None
) -> list[CheckResult]:
    results = [
        CheckResult(
            "configuration",
            True,
            "environment and " + (settings.config_path or "no TOML file") + " are valid",
        )
    ]
    results += await check_social(settings)
    results += await check_slack(settings)
    results += await check_discord(settings)
    results += await check_connections(settings)
    if settings.slack_mode is None and settings.discord_bot_token is None:
        results.append(
            CheckResult(
                "chat platform",
                False,
                "neither SLACK_BOT_TOKEN nor DISCORD_BOT_TOKEN is set — set one to run the bot (or try `socialbot demo`)",
            )
        )
    for fn in extra or []:
        results += await fn()
    return results


def run_check(args: argparse.Namespace) -> int:
    settings = load_settings()
    results = asyncio.run(run_checks(settings))
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'}  {r.name}: {r.detail}")
    for line in policy_lines(settings):
        print(line)
    print(media_line(settings))
    for line in report_lines(settings):
        print(line)
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} passed, {failed} failed", file=sys.stderr)
    return 1 if failed else 0
