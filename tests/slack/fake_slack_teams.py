"""The fake Slack's teams: single-team ``BOT_TOKEN``, per-team OAuth installs, Enterprise Grid
org-wide installs, and which team a token may act in (``FakeTeams``, mixed into ``FakeSlack``;
see its docstring for what each does)."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from tests.slack.fake_slack_data import BOT_ID, BOT_TOKEN, BOT_USER, TEAM, FakeTeam

CLIENT_ID = "111.222"
CLIENT_SECRET = "fake-client-secret"
# With an org-wide token these need ``team_id`` (Slack's "Using APIs with organization-wide apps").
ORG_TEAM_ID_METHODS = frozenset(
    {"usergroups.users.list", "usergroups.list", "users.list", "conversations.list"}
)


class FakeTeams:
    def _init_teams(self) -> None:
        self.teams: dict[str, FakeTeam] = {TEAM: FakeTeam(TEAM, "Fake")}
        self.tokens: dict[str, str] = {BOT_TOKEN: TEAM}  # bot token → team (or enterprise)
        self.orgs: dict[str, str] = {}  # enterprise id → name (Enterprise Grid orgs)
        self.org_codes: dict[str, str] = {}  # OAuth code → enterprise (org-wide install)
        self.refresh_tokens: dict[str, str] = {}  # refresh token → team
        self.codes: dict[str, str] = {}  # OAuth code → team
        self.channel_teams: dict[str, str] = {}  # channel → the team it belongs to
        self.cross_team: list[tuple[str, str, str]] = []  # (method, caller team, channel team)
        self.rotation = False
        self.expires_in = 43200  # of a token from an install
        self.refreshed_expires_in = 43200  # of a token from a refresh
        self._tokens = itertools.count(1)

    def install_code(
        self, team: str, name: str | None = None, enterprise: str | None = None
    ) -> str:
        """A code the OAuth redirect can exchange for a token of ``team``."""
        self.teams.setdefault(team, FakeTeam(team, name or f"Team {team}", enterprise))
        code = f"code-{team}-{next(self._tokens)}"
        self.codes[code] = team
        return code

    def org_install_code(
        self, enterprise: str, teams: tuple[str, ...], name: str | None = None
    ) -> str:
        """A code for an org-wide install of ``enterprise`` (workspaces ``teams``): its token
        works in every one of them."""
        self.orgs[enterprise] = name or f"Org {enterprise}"
        for team in teams:
            self.teams[team] = FakeTeam(team, f"Team {team}", enterprise)
        code = f"code-{enterprise}-{next(self._tokens)}"
        self.org_codes[code] = enterprise
        return code

    def in_reach(self, caller: str, team: str) -> bool:
        """May a token of ``caller`` (a team, or an enterprise for an org token) act in
        ``team``?"""
        if caller == team:
            return True
        t = self.teams.get(team)
        return caller in self.orgs and t is not None and t.enterprise == caller

    def revoke(self, team: str) -> None:
        for tok in [t for t, tm in self.tokens.items() if tm == team]:
            del self.tokens[tok]

    def token_of(self, team: str) -> list[str]:
        return [t for t, tm in self.tokens.items() if tm == team]

    def _out_of_reach(self, method: str, params: dict[str, Any], team: str) -> str | None:
        """The error Slack answers a call of ``team``'s token with when it names a channel or
        workspace out of its reach (noted in ``cross_team``); None when in reach."""
        channel = params.get("channel")
        owner = self.channel_teams.get(str(channel)) if channel else None
        if owner is not None and not self.in_reach(team, owner):
            self.cross_team.append((method, team, owner))
            return "channel_not_found"
        if team in self.orgs and method in ORG_TEAM_ID_METHODS:
            named = str(params.get("team_id") or "")
            if not named:
                return "missing_argument"
            if not self.in_reach(team, named):
                self.cross_team.append((method, team, named))
                return "team_access_not_granted"
        return None

    def _auth_test(self, team: str | None) -> dict[str, Any]:
        if team in self.orgs:  # an org-wide token: the enterprise, no workspace
            return {
                "ok": True, "url": "https://fake-org.enterprise.slack/",
                "team": self.orgs[team], "user": "socialbot", "team_id": team,
                "user_id": BOT_USER, "bot_id": BOT_ID, "enterprise_id": team,
                "is_enterprise_install": True,
            }  # fmt: skip
        t = self.teams.get(team or TEAM) or self.teams[TEAM]
        return {
            "ok": True, "url": "https://fake.slack/", "team": t.name, "user": "socialbot",
            "team_id": t.id, "user_id": BOT_USER, "bot_id": BOT_ID,
            "enterprise_id": t.enterprise,
        }  # fmt: skip

    def _oauth(self, auth: str, p: dict[str, Any]) -> dict[str, Any]:
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != basic and (
            p.get("client_id") != CLIENT_ID or p.get("client_secret") != CLIENT_SECRET
        ):
            return {"ok": False, "error": "invalid_client_id"}
        refreshing = p.get("grant_type") == "refresh_token"
        if refreshing:
            team = self.refresh_tokens.pop(str(p.get("refresh_token")), None)
            if team is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            self.revoke(team)
        else:
            code = str(p.get("code"))
            team = self.codes.pop(code, None) or self.org_codes.pop(code, None)
            if team is None:
                return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-{team}-{next(self._tokens)}"
        self.tokens[token] = team
        out: dict[str, Any] = {
            "ok": True, "app_id": "A1", "authed_user": {"id": "U_INSTALLER"},
            "scope": "commands,chat:write,reactions:read,reactions:write,files:read,users:read,"
                     "usergroups:read",
            "token_type": "bot", "access_token": token, "bot_user_id": BOT_USER,
        }  # fmt: skip
        if team in self.orgs:  # org-wide: no team, the enterprise, one token for all of it
            out |= {
                "team": None, "enterprise": {"id": team, "name": self.orgs[team]},
                "is_enterprise_install": True,
            }  # fmt: skip
        else:
            t = self.teams[team]
            org = {"id": t.enterprise, "name": self.orgs.get(t.enterprise or "", "Org")}
            out |= {
                "team": {"id": t.id, "name": t.name},
                "enterprise": org if t.enterprise else None,
                "is_enterprise_install": False,
            }
        if self.rotation:
            refresh = f"xoxe-1-{team}-{next(self._tokens)}"
            self.refresh_tokens[refresh] = team
            expires = self.refreshed_expires_in if refreshing else self.expires_in
            out |= {"refresh_token": refresh, "expires_in": expires}
        return out
