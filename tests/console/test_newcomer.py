"""Issue 13, through the console adapter and the real demo (sandbox, commands, notifier):
what a newcomer trips over."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tests.console.script import reply_to, run_script


def _ids(transcript: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\bpst_[a-z0-9]+", transcript)))


async def test_cancel_of_a_live_post_asks_first_then_deletes(tmp_path: Path) -> None:
    script = """\
/post x,fb "Live one"
:wait 5
/social cancel $last
/status $last
/social cancel $last confirm
/schedule x "Later" tomorrow 9am
/social cancel $last
"""
    t = await run_script(script, tmp_path)
    live, later = _ids(t)
    ask = reply_to(t, f"/social cancel {live}")
    assert f"Delete {live}? It is live" in ask
    assert "X @acme_x: deleted" in ask and "Facebook acme: deleted" in ask
    assert f"[Confirm delete]  = /social cancel {live} confirm" in ask
    assert "— published" in reply_to(t, f"/status {live}")  # still live: nothing deleted
    done = reply_to(t, f"/social cancel {live} confirm")
    assert f"Canceled {live}" in done and "Removed from: X, Facebook" in done
    # a scheduled post cancels at once, as before
    assert f"✔ Canceled {later}" in reply_to(t, f"/social cancel {later}")


async def test_status_says_each_thing_once(tmp_path: Path) -> None:
    t = await run_script('/post x "Once"\n:wait 5\n/status $last\n', tmp_path)
    (pid,) = _ids(t)
    card = reply_to(t, f"/status {pid}")
    assert f"📋 Post {pid} — published\n" in card
    assert card.count(pid) == 1
    assert card.count("published") == 2  # the post's status and the one target's
    assert card.lower().count("when:") == 1


async def test_help_examples_are_plain_lines(tmp_path: Path) -> None:
    t = await run_script("/post help\n/social help\n", tmp_path)
    post_help = reply_to(t, "/post help")
    assert re.search(r'^ +/post ig,x "We shipped 🚀"', post_help, re.M)
    assert not re.search(r"^\s+\d+\.\s", post_help + reply_to(t, "/social help"), re.M)


async def test_failed_target_error_once_with_next_step_and_retry(tmp_path: Path) -> None:
    script = '/post x,fb "Half" fb:"For the Page"\n:wait 5\n/social retry $last\n:wait 5\n'
    t = await run_script(script, tmp_path, fail=("facebook",))
    first = _ids(t)[0]
    confirm = reply_to(t, '/post x,fb "Half" fb:"For the Page"')
    assert "Facebook caption: For the Page" in confirm  # item 6
    partial = t[t.index("⚠ Partly published") :]
    error = "(#200) The Page token lacks pages_manage_posts — reconnect the Page"
    assert partial.split("[Retry failed]")[0].count(error) == 1  # item 11: once
    assert f"\n           {error}\n" in partial  # under its target, indented
    assert "Facebook caption: For the Page" in partial  # item 6: in the announcement
    assert f"[Retry failed]  = /social retry {first}" in partial
    retry = reply_to(t, f"/social retry {first}")
    assert f"Retrying {first} on Facebook" in retry
    assert "Targets: Facebook acme" in retry and "X @" not in retry
    assert f"Retry of: {first}" in retry
    # announced in the first post's thread, as a retry of it
    assert f"Publishing failed “Retry of {first}: Half”" in t
    assert t.count("↳ in thread of #1\n") >= 3


async def test_retry_needs_a_failed_target(tmp_path: Path) -> None:
    t = await run_script('/post x "Fine"\n:wait 5\n/social retry $last\n', tmp_path)
    (pid,) = _ids(t)
    assert f"Nothing to retry on {pid}" in reply_to(t, f"/social retry {pid}")


async def test_long_input_is_echoed_at_most_about_100_characters(tmp_path: Path) -> None:
    long = "a" * 5000
    lines = [
        f"/status pst_{long}",
        f"/social {long}",
        f'/post x "hi" {long}',
        f'/schedule x "hi" {long}',
        f'/post x "hi" type:{long}',
        f'/post x "hi" --{long}',
        f'/post zz{long},x "hi"',
        f"/social approve pst_{long}",
        f'/post x "hi" privacy:{long}',
        f'/post x "{long}',
        f":channel {long}",
        f":react {long}",
        f":as {long}",
        f"/{long}",
    ]
    t = await run_script("\n".join(lines) + "\n", tmp_path)
    typed = re.compile(r"^\[#\d+\] #\S+ @\S+: ")  # the user's own message, not an echo
    for line in t.splitlines():
        if not typed.match(line):
            assert "a" * 101 not in line, line[:200]
    assert "There is no post “pst_" + "a" * 95 in t
    assert "…”" in t


async def test_zone_echo_and_demo_users_in_their_zones(tmp_path: Path) -> None:
    script = """\
/schedule x "Named" tomorrow 9am Europe/Berlin
:as carol
/schedule x "Carol's" tomorrow 9am Europe/Berlin
:as bob
/schedule x "Bob's" tomorrow 9am
"""
    t = await run_script(script, tmp_path)
    named = reply_to(t, '/schedule x "Named" tomorrow 9am Europe/Berlin')
    assert re.search(r"Scheduled for \w+ \d+ \w+ \d{4} 09:00 Europe/Berlin \(08:00 UTC\)", named)
    carol = reply_to(t, '/schedule x "Carol\'s" tomorrow 9am Europe/Berlin')
    assert re.search(r"09:00 Europe/Berlin \(03:00 America/New_York, 08:00 UTC\)", carol)
    assert "you are now @bob (Europe/Berlin)" in t
    bob = reply_to(t, '/schedule x "Bob\'s" tomorrow 9am')
    assert re.search(r"Scheduled for \w+ \d+ \w+ \d{4} 09:00 Europe/Berlin \(08:00 UTC\)", bob)


async def test_board_needs_two_approvals_and_a_withdrawn_one_does_not_count(
    tmp_path: Path,
) -> None:
    script = """\
:channel board
:as bob
/post "Board post"
:as alice
:react 1 ✅
:unreact 1 ✅
:as carol
:react 1 ✅
:wait 1
:as alice
:react 1 ✅
:wait 5
"""
    t = await run_script(script, tmp_path)
    assert "Sent for approval in #board — needs 2 approvals" in t
    assert "Approval withdrawn (0/2)" in t
    before = t.split("· you are now @alice (UTC)")[-1]
    assert "Published" not in t.split("@carol reacted")[1].split("@alice reacted")[0]
    assert "Approved by @carol, @alice — publishing now" in before
    assert "🎉 Published “Board post”" in before


async def test_refused_reactions_are_explained_once_per_person(tmp_path: Path) -> None:
    script = """\
:channel launches
/post "L"
:react 1 ✅
:react 1 ✅
:as carol
:react 1 ✅
:react 1 ❌
"""
    t = await run_script(script, tmp_path)
    assert t.count("You can't approve or reject your own request") == 1
    assert "Another approver decides: @bob (1 approval needed)." in t
    assert t.count("You are not an approver for this request") == 1
    assert "(only @carol sees this)" in t


async def test_analytics_of_one_post_and_of_the_workspace(tmp_path: Path) -> None:
    script = '/post x,fb "A"\n:wait 5\n/social analytics $last\n/social analytics\n'
    t = await run_script(script, tmp_path)
    (pid,) = _ids(t)
    one = reply_to(t, f"/social analytics {pid}")
    assert f"Analytics — {pid}" in one
    assert "X @acme_x: published · https://x.com/" in one
    assert "Facebook acme: published · https://www.facebook.com/" in one
    assert "per workspace, not per post: /social analytics" in one
    assert "Analytics — workspace default" in reply_to(t, "/social analytics")


async def test_db_keeps_the_sandbox_state_too(tmp_path: Path) -> None:
    db = str(tmp_path / "kept.db")
    first = await run_script('/post x "Kept"\n:wait 5\n', tmp_path, db=db)
    (pid,) = _ids(first)
    second = await run_script("/status\n/status $last\n", tmp_path, db=db)
    assert pid in reply_to(second, "/status")
    card = reply_to(second, f"/status {pid}")
    assert f"📋 Post {pid} — published" in card and "Post not found" not in card


def test_demo_and_sandbox_help_describe_every_option() -> None:
    from bot.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "cmd")
    assert isinstance(sub, argparse._SubParsersAction)
    for name in ("demo", "sandbox"):
        p = sub.choices[name]
        assert p.description
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"socialbot {name} {action.option_strings} has no help"
    text = sub.choices["demo"].format_help()
    assert "--db FILE" in text and "FILE.sandbox" in text and "(default 30.0)" in text


async def test_sample_media_from_the_sandbox_and_attach_a_local_file(tmp_path: Path) -> None:
    photo = tmp_path / "local.png"
    from bot.sandbox.samples import samples

    photo.write_bytes(samples()["photo.png"][1])
    script = f"""\
/post ig "Orange" media:$samples/photo.png
/post li "Deck" media:$samples/deck.pdf title:"Q3"
/post ig "Reel" type:reel media:$samples/clip.mp4 cover:$samples/cover.png
:attach {photo}
/post ig "Attached"
:attach {tmp_path / "missing.png"}
:wait 5
"""
    t = await run_script(script, tmp_path)
    assert "couldn't" not in t.lower() and "✖" not in t, t
    for caption in ("Orange", "Deck", "Reel", "Attached"):
        assert f"🎉 Published “{caption}”" in t
    assert "attached local.png — sent with your next /post or /schedule" in t
    assert "no file" in t and "missing.png" in t


async def test_approval_card_shows_each_platforms_caption(tmp_path: Path) -> None:
    t = await run_script(':channel launches\n/post x,fb "Default" fb:"For the Page"\n', tmp_path)
    card = t[t.index("· card 1") :]
    assert "“Default”" in card  # the caption once; a platform line shows its own where it differs
    assert "X (@acme_x): 🔤 7/280 characters as X counts them" in card
    assert "Facebook (acme): ✏️ For the Page" in card
