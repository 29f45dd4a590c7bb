"""``socialbot demo`` end to end: the sandbox, the bot, the notifier and the console.

The in-process test drives the demo with a minimal stand-in for the command layer (so it tests
the console, approval and notifier wiring on its own); the subprocess test runs the real
``python -m bot demo`` with piped commands.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

from adapters.console.demo import DemoOptions, demo
from bot import approvals, journal, tracking
from bot.api.models import NewPost
from bot.chat import (
    Confirmation,
    Destination,
    Invocation,
    Outcome,
    ReactionEvent,
    Reply,
)
from bot.clock import SystemClock
from bot.core import Core
from bot.storage import Database
from tests.stand_in import NullDispatcher

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
:channel launches
/post "Launch day 🚀"
:as bob
:react 1 ✅
"""


async def _post(core: Core, inv: Invocation) -> Outcome:
    """Just enough of /post: caption to the channel's default targets."""
    cfg = core.settings.channel_config(inv.platform, inv.team, inv.channel)
    client = core.clients.for_workspace(cfg.workspace)
    wanted = {"x": "twitter", "facebook": "facebook"}
    accounts = tuple(
        a
        for a in await client.list_accounts()
        if str(a.platform) in {wanted[t] for t in cfg.default_targets}
    )
    caption = inv.text.strip().strip('"')
    post = NewPost(
        account_ids=tuple(a.account_id for a in accounts), content=caption, publish_now=True
    )
    origin = Destination(inv.platform, inv.channel, thread=inv.thread)
    if cfg.approval.required:
        request = approvals.PostRequest(
            workspace=cfg.workspace, post=post, targets=accounts, when="now", summary=caption,
            media=(), origin=origin, requester=inv.user, delivery_id=inv.delivery_id,
        )  # fmt: skip
        replies: tuple[Reply, ...] = await approvals.submit(core, request, cfg.approval)
        return Outcome(replies)
    created = await client.create_post(post)
    now = core.clock.now()
    await core.db.transaction(
        lambda sdb: tracking.record(
            sdb,
            tracking.TrackedPost(
                post_id=created.post.post_id,
                workspace=cfg.workspace,
                platform=inv.platform,
                channel=inv.channel,
                thread=inv.thread,
                requester=inv.user.id,
                requester_name=inv.user.name,
                created_at=now,
                scheduled_at=None,
                last_due_at=None,
                status=str(created.post.status),
                summary=caption,
            ),
        )
    )
    return Outcome((Confirmation(title=f"Publishing {created.post.post_id} now"),))


async def _reaction(core: Core, event: ReactionEvent) -> Outcome:
    return await approvals.on_reaction(core, event)


class MiniLayer(NullDispatcher):
    """Just enough of the command layer (``commands.dispatcher.Dispatcher``) for the demo."""

    async def dispatch(self, core: Core, inv: Invocation, *, resumed: bool = False) -> Outcome:
        return await _post(core, inv)

    async def dispatch_reaction(
        self, core: Core, event: ReactionEvent, *, resumed: bool = False
    ) -> Outcome:
        return await _reaction(core, event)


async def test_demo_in_process_approve_by_reaction_then_announced(tmp_path: Path) -> None:
    out = io.StringIO()
    opts = DemoOptions(wait=20, publish_delay=0.2, poll_interval=0.2, db=str(tmp_path / "d.db"))
    code = await demo(opts, io.StringIO(SCRIPT), out, False, dispatcher=MiniLayer())
    transcript = out.getvalue()
    assert code == 0, transcript
    assert '[#1] #launches @alice: /post "Launch day 🚀"' in transcript
    assert "[#2] #launches · card 1" in transcript
    assert "Sent for approval in #launches — needs 1 approval" in transcript
    assert "approvals: 0/1 (none yet)" in transcript
    assert "(console: :react 1 ✅ or :react 1 ❌)" in transcript
    assert "· @bob reacted ✅ on #2" in transcript
    assert "[#2 updated] #launches · card 1" in transcript
    assert "state: ✅ approved" in transcript
    assert "Approved by @bob — publishing now" in transcript
    # the notifier's announcement, in the requester's thread
    tail = transcript[transcript.index("Approved by @bob") :]
    assert "↳ in thread of #1" in tail
    assert "published" in tail.lower()
    assert transcript.rstrip().endswith("· demo finished")


async def test_demo_non_approver_reaction_changes_nothing(tmp_path: Path) -> None:
    out = io.StringIO()
    script = ':channel launches\n/post "Hi"\n:as carol\n:react 1 ✅\n:as alice\n:react 1 ✅\n'
    opts = DemoOptions(wait=5, publish_delay=0.2, poll_interval=0.2, db=str(tmp_path / "d.db"))
    code = await demo(opts, io.StringIO(script), out, False, dispatcher=MiniLayer())
    transcript = out.getvalue()
    assert code == 0, transcript
    assert "approved" not in transcript.split("· @carol reacted", 1)[1].lower()
    assert "updated" not in transcript


async def test_demo_resumes_a_command_a_killed_demo_left_unfinished(tmp_path: Path) -> None:
    path = str(tmp_path / "d.db")
    db = await Database.open(path)
    try:  # what a demo killed mid-command left in its journal (another process: "dead")
        payload = {"command": "post", "text": '"After the crash"', "user": "alice"}
        await journal.record(
            db,
            id="console-dead1",
            platform="console",
            kind="command",
            payload={**payload, "channel": "general"},
            now=SystemClock().now(),
        )
        await db.run(lambda sdb: sdb.execute("UPDATE command_journal SET owner = 'dead'").rowcount)
    finally:
        await db.close()
    out = io.StringIO()
    opts = DemoOptions(wait=20, publish_delay=0.2, poll_interval=0.2, db=path)
    code = await demo(opts, io.StringIO(""), out, False, dispatcher=MiniLayer())
    transcript = out.getvalue()
    assert code == 0, transcript
    assert "resuming what @alice asked in #general before the restart" in transcript
    assert "Publishing" in transcript and "now" in transcript


def test_socialbot_demo_subprocess_transcript(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--publish-delay", "0.2", "--poll-interval", "0.2",
         "--wait", "20", "--db", str(tmp_path / f"{uuid.uuid4().hex}.db")],
        input=SCRIPT, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env,
    )  # fmt: skip
    transcript = proc.stdout
    assert proc.returncode == 0, transcript + proc.stderr
    assert "· card 1" in transcript
    assert "Sent for approval in #launches — needs 1 approval" in transcript
    assert "· @bob reacted ✅ on #2" in transcript
    assert "state: ✅ approved" in transcript
    assert "Approved by @bob" in transcript
    tail = transcript[transcript.index("Approved by @bob") :]
    assert "published" in tail.lower()
    assert "🎉 Published “Launch day 🚀” on X, Facebook" in tail
    assert transcript.rstrip().endswith("· demo finished")


async def test_demo_card_lists_each_media_item_with_kind_and_size(tmp_path: Path) -> None:
    """The real command layer in the demo: a card with two images on loopback
    (the demo allows private hosts for itself) shows one line per item — and no loopback link."""
    from tests.fakenet import MediaSite

    site = await MediaSite().start()
    try:
        base = f"http://127.0.0.1:{site.port}/m"
        script = f':channel launches\n/post fb "Launch day" media:{base}/img1.jpg media:{base}/img2.jpg\n'
        out = io.StringIO()
        opts = DemoOptions(wait=5, publish_delay=0.2, poll_interval=0.2, db=str(tmp_path / "d.db"))
        code = await demo(opts, io.StringIO(script), out, False)
    finally:
        await site.stop()
    transcript = out.getvalue()
    assert code == 0, transcript
    assert "🖼  image img1.jpg · 903 bytes\n       🖼  image img2.jpg · 903 bytes" in transcript
    assert "127.0.0.1" not in transcript.split("card 1", 1)[1].split("approvals:", 1)[0]
    assert site.hits == ["img1.jpg", "img2.jpg"]
