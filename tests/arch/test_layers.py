"""The house's layers point one way: adapters → commands → core (bot/).

An AST walk over every module: the core imports neither ``commands`` nor ``adapters`` (except
the wiring in ``bot/runner.py`` and ``bot/cli.py``), and ``commands`` imports no adapter and no
chat SDK. A forbidden import anywhere makes this test fail with the file and the module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIRING = {Path("bot/runner.py"), Path("bot/cli.py")}
RULES = {
    "bot": {"commands", "adapters"},
    "commands": {"adapters", "slack_bolt", "slack_sdk", "discord"},
}


def imported_tops(source: str) -> set[str]:
    tree = ast.parse(source)
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            tops.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
    return tops


def back_imports() -> list[str]:
    found: list[str] = []
    for top, banned in RULES.items():
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel in WIRING:
                continue
            bad = imported_tops(path.read_text(encoding="utf-8")) & banned
            found.extend(f"{rel} -> {name}" for name in sorted(bad))
    return found


def test_no_import_points_back_up() -> None:
    assert back_imports() == []


def test_the_check_sees_a_forbidden_import() -> None:
    assert imported_tops("from commands.dispatch import dispatch\nimport adapters.slack\n") == {
        "commands",
        "adapters",
    }
