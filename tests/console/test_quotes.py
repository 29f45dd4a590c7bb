"""Issue 13 item 1: an opening quote without its closing one is an error; nothing is sent."""

from __future__ import annotations

from pathlib import Path

from tests.console.script import reply_to, run_script


async def test_unbalanced_quotes_are_an_error_and_nothing_is_posted(tmp_path: Path) -> None:
    script = "/post x \"unbalanced\n/post x 'single\n/status\n"
    transcript = await run_script(script, tmp_path)
    double = reply_to(transcript, '/post x "unbalanced')
    assert "A double quote is never closed" in double
    assert 'The " at character 3 ("unbalanced)' in double
    assert 'try: /post x "unbalanced"' in double
    single = reply_to(transcript, "/post x 'single")
    assert "A single quote is never closed" in single
    assert "try: /post x 'single'" in single
    # nothing was created
    assert "None yet" in reply_to(transcript, "/status")
    assert "Publishing now" not in transcript
