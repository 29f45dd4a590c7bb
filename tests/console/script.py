"""Run a console script through the real demo (sandbox, commands, approvals, notifier)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from adapters.console.demo import DemoOptions, demo

_TYPED = re.compile(r"^\[#\d+\] #\S+ @\S+: ")


async def run_script(
    script: str,
    tmp_path: Path,
    *,
    wait: float = 10,
    fail: tuple[str, ...] = (),
    publish_delay: float = 0.2,
    db: str | None = None,
    expect_code: int = 0,
) -> str:
    """The transcript of ``script`` typed into ``socialbot demo`` (asserts its exit code)."""
    out = io.StringIO()
    opts = DemoOptions(
        wait=wait,
        publish_delay=publish_delay,
        poll_interval=0.2,
        fail=fail,
        db=db or str(tmp_path / "demo.db"),
    )
    code = await demo(opts, io.StringIO(script), out, False)
    transcript = out.getvalue()
    assert code == expect_code, transcript
    return transcript


def reply_to(transcript: str, command: str) -> str:
    """The text from the line that echoes ``command`` up to the next typed command."""
    start = transcript.index(f": {command}\n")
    rest = transcript[start + len(command) + 3 :]
    lines = []
    for line in rest.splitlines():
        if _TYPED.match(line):
            break
        lines.append(line)
    return "\n".join(lines)
