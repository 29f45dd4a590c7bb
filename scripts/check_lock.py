"""Fail when pyproject.toml and the lock files disagree (``make test`` and CI run it).

    python scripts/check_lock.py

Every requirement of ``[project] dependencies`` must be pinned in ``requirements.lock``, and of
``dependencies`` + the ``dev`` extra in ``requirements-dev.lock``, at a version the requirement
allows, with hashes; and each lock's header must carry the digest of the pyproject
requirements it was made from (so removing or changing a requirement is caught too). The fix
is always the same: ``make lock``. Needs no network.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"requirements.lock": (), "requirements-dev.lock": ("dev",)}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def requirements(extras: tuple[str, ...]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project.get("dependencies", []))
    for extra in extras:
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    return reqs


def digest(reqs: list[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(reqs)).encode()).hexdigest()[:16]


def header(extras: tuple[str, ...]) -> str:
    return f"# pyproject digest: {digest(requirements(extras))}"


def problems(name: str, extras: tuple[str, ...]) -> list[str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    path = ROOT / name
    if not path.exists():
        return [f"{name} is missing"]
    text = path.read_text()
    out: list[str] = []
    if header(extras) not in text:
        out.append(f"{name} was made from other pyproject.toml requirements")
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        m = _PIN.match(line)
        if m:
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    if "--hash=sha256:" not in text:
        out.append(f"{name} has no hashes")
    for raw in requirements(extras):
        req = Requirement(raw)
        if req.marker is not None and not req.marker.evaluate():
            continue
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            out.append(f"{name}: {req.name} is required by pyproject.toml but not locked")
        elif not req.specifier.contains(pinned, prereleases=True):
            out.append(f"{name}: {req.name}=={pinned} does not satisfy {req.specifier}")
    return out


def main() -> int:
    found = [p for name, extras in LOCKS.items() for p in problems(name, extras)]
    for p in found:
        print(f"FAIL  {p}")
    if found:
        print("The lock files disagree with pyproject.toml: run `make lock` and commit the result.")
        return 1
    print(f"ok    {', '.join(LOCKS)} match pyproject.toml")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] in (["--header"], ["--header-dev"]):  # used by `make lock`
        print("# Exact versions with hashes, made by `make lock` (uv) from pyproject.toml.")
        print("# Do not edit: change pyproject.toml and run `make lock`.")
        print(header(("dev",) if sys.argv[1] == "--header-dev" else ()))
    else:
        sys.exit(main())
