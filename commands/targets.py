"""Target names as typed → connected accounts of the channel's workspace.

A name may be ``all``, a configured alias, an account id, ``platform/handle`` (``ig/@acme``), a
platform name or short name (``instagram``, ``ig``, ``x``, ``twitter``, ``li`` …), a handle
(``@acme``) or a display name. Every name other than ``all`` and an alias must pick exactly one
account: an unknown or ambiguous name is an error that lists the choices.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from bot.api.models import Account, Platform
from bot.platforms import RULES, platform_by_name
from commands.errors import TargetError

ALL = ("all", "everywhere", "*")
HINT = "Name targets like ig,x or @acme or all — `/social accounts` lists them."


def platform_label(p: Platform | str) -> str:
    """'X', 'Instagram'… for a platform or a platform name the API sent."""
    known = p if isinstance(p, Platform) else platform_by_name(p)
    return RULES[known].label if known is not None else str(p)


def account_label(a: Account) -> str:
    """'Instagram @acme'."""
    return f"{platform_label(a.platform)} {a.handle or a.display_name or a.account_id}"


def _handle(s: str) -> str:
    return s.strip().lstrip("@").lower()


# the name shown for each platform (every short name in bot.platforms is accepted)
SHORT: dict[Platform, str] = {
    Platform.X: "x", Platform.INSTAGRAM: "ig", Platform.FACEBOOK: "fb",
    Platform.LINKEDIN: "li", Platform.TIKTOK: "tiktok", Platform.THREADS: "threads",
    Platform.PINTEREST: "pin", Platform.YOUTUBE: "yt",
}  # fmt: skip


def short_name(a: Account, accounts: Sequence[Account]) -> str:
    """The shortest name that picks ``a`` alone: ``ig`` if it is the only Instagram account."""
    same_platform = [b for b in accounts if b.platform == a.platform]
    if isinstance(a.platform, Platform) and len(same_platform) == 1:
        return SHORT[a.platform]
    handle = a.handle if a.handle.startswith("@") else f"@{a.handle}" if a.handle else ""
    if handle and sum(_handle(b.handle) == _handle(a.handle) for b in accounts) == 1:
        return handle
    if isinstance(a.platform, Platform) and handle:
        return f"{SHORT[a.platform]}/{handle}"
    return a.account_id


def _matches(name: str, accounts: Sequence[Account]) -> list[Account] | None:
    """Accounts ``name`` can mean, or None if it names nothing."""
    n = name.strip()
    low = n.lower()
    by_id = [a for a in accounts if a.account_id == n]
    if by_id:
        return by_id
    if "/" in n:
        head, _, tail = n.partition("/")
        p = platform_by_name(head)
        if p is not None:
            return [a for a in accounts if a.platform == p and _handle(a.handle) == _handle(tail)]
    p = platform_by_name(low)
    if p is not None:
        return [a for a in accounts if a.platform == p]
    by_handle = [a for a in accounts if a.handle and _handle(a.handle) == _handle(n)]
    if by_handle:
        return by_handle
    by_display = [a for a in accounts if a.display_name and a.display_name.lower() == low]
    if by_display:
        return by_display
    return None


def resolve(
    names: Sequence[str],
    accounts: Sequence[Account],
    aliases: Mapping[str, Sequence[str]],
    defaults: Sequence[str] = (),
) -> tuple[Account, ...]:
    """The accounts ``names`` mean (or the channel's defaults if none); raises ``TargetError``."""
    use_defaults = not names
    wanted = list(defaults) if use_defaults else list(names)
    if not wanted:
        raise TargetError(
            "Where should this go?",
            problems=["No targets named, and this channel has no default targets."],
            hint=HINT,
            field="targets",
        )
    out: list[Account] = []
    problems: list[str] = []

    def add(name: str, depth: int) -> None:
        key = name.strip().lower()
        if not key or key in ("and", "&", "+"):
            return
        if key in ALL:
            out.extend(accounts)
            return
        if key in aliases and depth < 5:
            for n in aliases[key]:
                add(n, depth + 1)
            return
        found = _matches(name, accounts)
        if found is None:
            problems.append(_unknown(name, accounts, aliases))
        elif not found:
            p = platform_by_name(name.partition("/")[0])
            label = platform_label(p) if p else name
            problems.append(f"No {label} account named “{name}” is connected to this workspace.")
        elif len(found) > 1:
            choices = ", ".join(f"{short_name(a, accounts)} ({account_label(a)})" for a in found)
            problems.append(f"“{name}” could mean several accounts: {choices}. Name one.")
        else:
            out.append(found[0])

    for n in wanted:
        add(n, 0)
    if problems:
        if use_defaults:
            problems.append("(these are the channel's default targets — ask an admin to fix them)")
        raise TargetError(
            "I couldn't tell where to post",
            problems=problems,
            hint=f"Connected: {choices_text(accounts, aliases)}",
            field="targets",
        )
    unique: dict[str, Account] = {}
    for a in out:
        unique.setdefault(a.account_id, a)
    if not unique:
        raise TargetError(
            "No connected accounts",
            problems=["This workspace has no connected accounts to post to."],
            hint="Connect accounts in the Social dashboard, then try again.",
            field="targets",
        )
    return tuple(unique.values())


def choices_text(accounts: Sequence[Account], aliases: Mapping[str, Sequence[str]]) -> str:
    names = [f"{short_name(a, accounts)} ({account_label(a)})" for a in accounts]
    names += [f"{k} (alias)" for k in aliases]
    return ", ".join(names) + ", all" if names else "no accounts are connected"


def _unknown(name: str, accounts: Sequence[Account], aliases: Mapping[str, Sequence[str]]) -> str:
    known = [short_name(a, accounts) for a in accounts] + list(aliases) + ["all"]
    known += [a.handle for a in accounts if a.handle]
    known += [str(a.platform) for a in accounts] + [platform_label(a.platform) for a in accounts]
    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    guess = f" Did you mean “{close[0]}”?" if close else ""
    return f"“{name}” is not a connected account, platform or alias.{guess}"


def is_target_word(
    word: str, accounts: Sequence[Account], aliases: Mapping[str, Sequence[str]]
) -> bool:
    """For the parser: may this word be a target name (rather than the caption's first word)?

    Bare handles and display names do not count (a caption may start with the brand's name):
    write them ``@acme`` or ``ig/@acme``.
    """
    w = word.strip().lower()
    if not w:
        return False
    if w in ALL or w in aliases or platform_by_name(w) is not None or w.startswith("@"):
        return True
    head, slash, _ = w.partition("/")
    if slash and platform_by_name(head) is not None:
        return True
    return any(a.account_id == word.strip() for a in accounts)
