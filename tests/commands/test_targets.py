from __future__ import annotations

import pytest

from bot.api.models import Account, Platform
from commands.errors import TargetError
from commands.targets import is_target_word, resolve, short_name

IG = Account("acc_ig", Platform.INSTAGRAM, "@acme", "Acme Inc")
IG2 = Account("acc_ig2", Platform.INSTAGRAM, "@acme_eu", "Acme Europe")
X = Account("acc_x", Platform.X, "@acme", "Acme Inc")
LI = Account("acc_li", Platform.LINKEDIN, "acme-inc", "Acme Inc")
FB = Account("acc_fb", Platform.FACEBOOK, "acme", "Acme Inc")
ONE_EACH = [IG, X, LI, FB]
ALIASES = {"brand": ("ig", "fb"), "loop": ("loop",)}


def ids(accounts: tuple[Account, ...]) -> list[str]:
    return [a.account_id for a in accounts]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["ig"], ["acc_ig"]),
        (["instagram", "twitter"], ["acc_ig", "acc_x"]),
        (["X", "li"], ["acc_x", "acc_li"]),
        (["acc_li"], ["acc_li"]),
        (["brand"], ["acc_ig", "acc_fb"]),
        (["BRAND", "ig"], ["acc_ig", "acc_fb"]),  # de-duplicated, in order
        (["all"], ["acc_ig", "acc_x", "acc_li", "acc_fb"]),
        (["ig/@acme"], ["acc_ig"]),
        (["x/acme"], ["acc_x"]),
        (["acme-inc"], ["acc_li"]),
        (["ig", "and", "x"], ["acc_ig", "acc_x"]),
    ],
)
def test_resolve(names: list[str], expected: list[str]) -> None:
    assert ids(resolve(names, ONE_EACH, ALIASES)) == expected


def test_defaults_when_no_names() -> None:
    assert ids(resolve([], ONE_EACH, ALIASES, defaults=("x",))) == ["acc_x"]


def test_no_names_and_no_defaults() -> None:
    with pytest.raises(TargetError) as e:
        resolve([], ONE_EACH, ALIASES)
    assert "default" in e.value.problems[0]
    assert e.value.field_errors[0][0] == "targets"


def test_ambiguous_platform_lists_the_choices() -> None:
    with pytest.raises(TargetError) as e:
        resolve(["ig"], [IG, IG2, X], {})
    text = " ".join(e.value.problems)
    assert "ig/@acme (Instagram @acme)" in text
    assert "@acme_eu (Instagram @acme_eu)" in text
    assert "several" in text


def test_ambiguous_handle() -> None:
    with pytest.raises(TargetError) as e:
        resolve(["@acme"], ONE_EACH, {})
    assert "ig (Instagram @acme)" in e.value.problems[0]
    assert "x (X @acme)" in e.value.problems[0]


def test_unknown_target_suggests_and_lists_every_problem() -> None:
    with pytest.raises(TargetError) as e:
        resolve(["instagarm", "tiktok", "nope"], ONE_EACH, ALIASES)
    problems = e.value.problems
    assert len(problems) == 3
    assert "Did you mean “instagram”" in problems[0]
    assert "No TikTok account" in problems[1]
    assert e.value.hint and "brand (alias)" in e.value.hint


def test_alias_loop_is_harmless() -> None:
    with pytest.raises(TargetError):
        resolve(["loop"], ONE_EACH, ALIASES)


def test_short_names() -> None:
    accounts = [IG, IG2, X]
    assert short_name(X, accounts) == "x"
    assert short_name(IG2, accounts) == "@acme_eu"
    assert short_name(IG, accounts) == "ig/@acme"  # @acme is also the X handle


def test_is_target_word() -> None:
    assert is_target_word("ig", ONE_EACH, ALIASES)
    assert is_target_word("brand", ONE_EACH, ALIASES)
    assert is_target_word("@whoever", ONE_EACH, ALIASES)
    assert is_target_word("acc_li", ONE_EACH, ALIASES)
    assert is_target_word("li/acme-inc", ONE_EACH, ALIASES)
    assert not is_target_word("Acme", ONE_EACH, ALIASES)  # a caption may start with the name
    assert not is_target_word("hello", ONE_EACH, ALIASES)
