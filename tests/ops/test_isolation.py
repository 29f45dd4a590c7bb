"""Workspace isolation, beyond tests/commands/test_status_manage.py (status, queue, cancel and
edit by id from another channel): the same channel id in two Slack teams bound to two
workspaces, every route that takes a post id (``/status``, ``/post status|cancel|edit``,
``/social …``, the ``id`` option), reject as well as approve, the recent list, the queue and
analytics — against the sandbox with two keys (two sandbox workspaces)."""

from __future__ import annotations

from bot.chat import Confirmation, ErrorReply, ListReply, Reply
from tests.ops.conftest import BOB, PLAIN_B, REVIEW_A, SHARED, TEAM_A, TEAM_B, Two


def _not_found(reply: Reply) -> None:
    assert isinstance(reply, ErrorReply), reply
    assert reply.reference is None, reply  # a user answer, not an apology
    assert reply.title == "Post not found", reply


def _text(reply: Reply) -> str:
    parts = [getattr(reply, "title", "")]
    parts += list(getattr(reply, "items", ()) or ())
    parts += [f"{f.name}: {f.value}" for f in getattr(reply, "fields", ()) or ()]
    return "\n".join(parts)


# Every way another workspace's channel could name a post id.
ROUTES: list[tuple[str, str, tuple[tuple[str, str], ...]]] = [
    ("status", "{pid}", ()),
    ("post", "status {pid}", ()),
    ("social", "status {pid}", ()),
    ("social", "status", (("id", "{pid}"),)),
    ("social", "cancel {pid}", ()),
    ("post", "cancel {pid}", ()),
    ("social", "cancel", (("id", "{pid}"),)),
    ("social", 'edit {pid} caption:"hijacked"', ()),
    ("post", 'edit {pid} caption:"hijacked"', ()),
    ("social", "approve {pid}", ()),
    ("social", "reject {pid} not ours", ()),
    ("post", "reject {pid}", ()),
]


async def test_the_same_channel_id_in_another_team_sees_nothing(two: Two) -> None:
    pid = await two.post_id(
        await two.run("schedule", 'x "Team A only" tomorrow 9am', team=TEAM_A, channel=SHARED)
    )
    for team, channel in ((TEAM_B, SHARED), (None, PLAIN_B)):
        for command, text, options in ROUTES:
            reply = await two.run(
                command,
                text.format(pid=pid),
                team=team,
                channel=channel,
                user=BOB,  # an approver elsewhere: still nothing here
                options=[(k, v.format(pid=pid)) for k, v in options],
            )
            _not_found(reply)
        queue = await two.run("status", "queue", team=team, channel=channel)
        assert isinstance(queue, ListReply) and pid not in _text(queue)
        recent = await two.run("status", "", team=team, channel=channel)
        assert isinstance(recent, ListReply) and pid not in _text(recent)
        stats = await two.run("social", "analytics", team=team, channel=channel)
        assert isinstance(stats, Confirmation) and "workspace b" in stats.title
        assert "Posts: 0" in _text(stats)
    # untouched, and still fully visible where it belongs
    post = await two.api_post("a", pid)
    assert post.status == "scheduled" and post.content == "Team A only"
    mine = await two.run("status", "", team=TEAM_A, channel=SHARED)
    assert pid in _text(mine)
    stats = await two.run("social", "analytics", team=TEAM_A, channel=SHARED)
    assert "Posts: 1" in _text(stats)


async def test_another_workspace_cannot_decide_a_pending_approval(two: Two) -> None:
    reply = await two.run("post", 'x "Needs review"', team=None, channel=REVIEW_A)
    assert isinstance(reply, Confirmation), reply
    pid = next(
        line.split(" · ")[0]
        for line in (await two.run("status", "", team=None, channel=REVIEW_A)).items  # type: ignore[union-attr]
    )
    for team, channel in ((TEAM_B, SHARED), (None, PLAIN_B)):
        _not_found(await two.run("social", f"approve {pid}", team=team, channel=channel, user=BOB))
        _not_found(
            await two.run("social", f"reject {pid} no", team=team, channel=channel, user=BOB)
        )
    assert (await two.api_post("a", pid)).status == "draft"  # not activated, not deleted
    # the approver in the right channel still can
    done = await two.run("social", f"approve {pid}", team=None, channel=REVIEW_A, user=BOB)
    assert not isinstance(done, ErrorReply), done
    assert (await two.api_post("a", pid)).status != "draft"
