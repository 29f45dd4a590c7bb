"""Connected accounts of a sandbox workspace (the same set in every workspace)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.api.models import Platform
from bot.platforms import RULES


@dataclass(frozen=True)
class SandboxAccount:
    account_id: str
    platform: Platform
    handle: str
    display_name: str
    premium: bool = False  # X: Premium lifts the 280-character cap
    account_type: str | None = None  # LinkedIn: "personal" (default) or "company"
    # Simulated trouble: every platform call fails with this message (token expired, ...).
    platform_error: str | None = None
    # Permissions the connection lacks, e.g. ("instagram_manage_contents",): deletes fail.
    missing_permissions: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return RULES[self.platform].label

    @property
    def bare_handle(self) -> str:
        return self.handle.lstrip("@")

    @property
    def linkedin_personal(self) -> bool:
        return self.platform is Platform.LINKEDIN and self.account_type != "company"

    def can_list_native(self) -> bool:
        return RULES[self.platform].list_native and not self.linkedin_personal

    def can_delete(self) -> bool:
        """Published posts can be removed through the platform's API."""
        if self.delete_blocker() is not None:
            return False
        if self.platform is Platform.LINKEDIN:
            return self.account_type == "company"
        return RULES[self.platform].delete_api

    def delete_blocker(self) -> str | None:
        """Why a delete the platform supports fails for this connection, if it does."""
        if self.platform_error:
            return self.platform_error
        if (
            self.platform is Platform.INSTAGRAM
            and "instagram_manage_contents" in self.missing_permissions
        ):
            return (
                "Delete needs the instagram_manage_contents permission — this account was "
                "connected before it was added: reconnect it"
            )
        return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "accountId": self.account_id,
            "platform": self.platform.value,
            "handle": self.handle,
            "displayName": self.display_name,
        }
        if self.platform is Platform.X:
            out["premium"] = self.premium
        if self.platform is Platform.LINKEDIN:
            out["accountType"] = self.account_type or "personal"
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SandboxAccount:
        """Accepts the API's camelCase keys (``accountId``, ``displayName``, ``accountType``)
        or snake_case ones; ``platform`` is a platform name (``x`` is an alias of twitter)."""
        platform = Platform.parse(str(d["platform"]))
        account_id = str(d.get("accountId") or d.get("account_id") or "")
        if not account_id:
            raise ValueError("an account needs an accountId")
        handle = str(d.get("handle") or account_id)
        account_type = d.get("accountType", d.get("account_type"))
        if account_type is not None and account_type not in ("personal", "company"):
            raise ValueError(f"accountType must be personal or company, not {account_type!r}")
        if platform is Platform.LINKEDIN and account_type is None:
            account_type = "personal"
        return cls(
            account_id=account_id,
            platform=platform,
            handle=handle,
            display_name=str(d.get("displayName") or d.get("display_name") or handle),
            premium=bool(d.get("premium", False)),
            account_type=account_type if platform is Platform.LINKEDIN else None,
            platform_error=d.get("platformError") or d.get("platform_error"),
            missing_permissions=tuple(
                d.get("missingPermissions") or d.get("missing_permissions") or ()
            ),
        )


DEFAULT_ACCOUNTS: tuple[SandboxAccount, ...] = (
    SandboxAccount("acc_x_1", Platform.X, "@acme_x", "Acme Inc"),
    SandboxAccount("acc_ig_1", Platform.INSTAGRAM, "@acme", "Acme Inc"),
    SandboxAccount("acc_fb_1", Platform.FACEBOOK, "acme", "Acme Inc"),
    SandboxAccount(
        "acc_li_1", Platform.LINKEDIN, "alex-rivera", "Alex Rivera", account_type="personal"
    ),
    SandboxAccount("acc_tt_1", Platform.TIKTOK, "@acme.tok", "Acme"),
    SandboxAccount("acc_th_1", Platform.THREADS, "@acme", "Acme Inc"),
    SandboxAccount("acc_pin_1", Platform.PINTEREST, "acmeinc", "Acme Inc"),
    SandboxAccount("acc_yt_1", Platform.YOUTUBE, "@AcmeInc", "Acme Inc"),
)


def build_accounts(
    accounts: Sequence[Mapping[str, Any] | SandboxAccount] | None,
) -> dict[str, SandboxAccount]:
    if accounts is None:
        return {a.account_id: a for a in DEFAULT_ACCOUNTS}
    out: dict[str, SandboxAccount] = {}
    for a in accounts:
        acc = a if isinstance(a, SandboxAccount) else SandboxAccount.from_dict(a)
        if acc.account_id in out:
            raise ValueError(f"duplicate accountId {acc.account_id}")
        out[acc.account_id] = acc
    return out
