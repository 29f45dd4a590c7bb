from __future__ import annotations

import pytest

from commands.normalize import normalize


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("ig “We shipped”", 'ig "We shipped"'),
        ("«Bonjour» „Hallo“", '"Bonjour" "Hallo"'),
        ("We‘re live’", "We're live'"),
        ("x —thread “a” “b”", 'x --thread "a" "b"'),
        ("x –to ig", "x --to ig"),
        ('ig "before — after"', 'ig "before — after"'),  # a dash in a caption stays
        ("ig <https://example.com/a.jpg|example.com/a.jpg>", "ig https://example.com/a.jpg"),
        ("ig <https://example.com>", "ig https://example.com"),
        ("thanks <@U123|bob> and <@U456>", "thanks @bob and"),
        ("in <#C123|general>", "in #general"),
        ("<!here> launch", "@here launch"),
        ("ping <@!12345> <@&999>", "ping"),
        ("nice <:party:1234>", "nice :party:"),
        ("a &amp; b &lt;3", "a & b <3"),
        ("  spaced\u00a0out  ", "spaced out"),
    ],
)
def test_normalize(typed: str, clean: str) -> None:
    assert normalize(typed) == clean
