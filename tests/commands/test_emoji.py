import pytest

from bot.chat import APPROVE, REJECT
from commands.emoji import normalise_emoji


@pytest.mark.parametrize(
    "raw",
    ["white_check_mark", ":white_check_mark:", "heavy_check_mark", "✅", "✔️", "☑️",
     "white_check_mark::skin-tone-3", " :WHITE_CHECK_MARK: "],
)  # fmt: skip
def test_approve_forms(raw: str) -> None:
    assert normalise_emoji(raw) == APPROVE


@pytest.mark.parametrize("raw", ["x", ":x:", "❌", "✖️", "heavy_multiplication_x", "❎"])
def test_reject_forms(raw: str) -> None:
    assert normalise_emoji(raw) == REJECT


@pytest.mark.parametrize(("raw", "out"), [(":eyes:", "eyes"), ("🎉", "🎉"), ("", "")])
def test_other_emoji_pass_through(raw: str, out: str) -> None:
    assert normalise_emoji(raw) == out
