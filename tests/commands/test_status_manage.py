"""/status, /social cancel / edit, and workspace isolation, end to end."""

from __future__ import annotations

import sqlite_utils

from bot import tracking
from bot.api.models import Platform
from bot.chat import ErrorReply, StatusCard
from tests.commands.conftest import BOB, OTHER, Chat


async def _published(chat: Chat, text: str) -> str:
    pid = chat.post_id(await chat.post(text))
    chat.clock.advance(5)  # past the sandbox's publish delay
    return pid


async def test_status_of_one_post_per_target(chat: Chat) -> None:
    chat.sandbox.state.fail_platforms = frozenset({Platform.LINKEDIN})
    pid = await _published(chat, 'x,li "Launch day"')
    card = chat.card(await chat.status(pid))
    assert card.post_id == pid and card.status == "partly published"
    assert card.caption == "Launch day"
    by_platform = {t.platform: t for t in card.targets}
    assert by_platform["X"].status == "published" and by_platform["X"].account == "@acme_x"
    assert by_platform["X"].permalink and by_platform["X"].permalink.startswith("https://")
    assert by_platform["LinkedIn"].status == "failed"
    assert by_platform["LinkedIn"].error and "REVOKED_ACCESS_TOKEN" in by_platform["LinkedIn"].error
    assert ("Asked by", "alice") in [(f.name, f.value) for f in card.fields]


async def test_status_forms(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Later" tomorrow 9am'))
    for command, text in (("status", pid), ("social", f"status {pid}"), ("post", f"status {pid}")):
        card = chat.card(chat.one(await chat.run(command, text)))
        assert card.status == "scheduled"
    card = chat.card(await chat.status(options=[("id", pid)]))
    assert card.post_id == pid


async def test_status_includes_the_approval_history(chat: Chat) -> None:
    out = await chat.run("post", 'x "Needs a yes"', channel="C_REVIEW")
    assert "Sent for approval" in chat.text(out.replies[0])
    pid = await chat.last_tracked("C_REVIEW")
    card = chat.card(await chat.status(pid, channel="C_REVIEW"))
    assert card.status == "draft"
    assert any("asked for approval" in h for h in card.history)


async def test_recent_posts_of_this_channel(chat: Chat) -> None:
    a = chat.post_id(await chat.post('x "First"'))
    b = chat.post_id(await chat.schedule('x "Second" tomorrow 9am'))
    chat.post_id(await chat.post('x "Elsewhere"', channel=OTHER))
    listing = chat.listing(await chat.status())
    assert len(listing.items) == 2
    assert listing.items[0].startswith(f"{b} · scheduled · Tue 2 Jun 2026 09:00 Europe/Berlin")
    assert listing.items[1].startswith(f"{a} · ") and listing.items[1].endswith("First")


async def test_recent_when_there_is_nothing(chat: Chat) -> None:
    listing = chat.listing(await chat.status())
    assert listing.items == ("None yet — try /post help.",)


async def test_queue_soonest_first_in_the_users_zone(chat: Chat) -> None:
    late = chat.post_id(await chat.schedule('x "Late" 2026-07-01 09:00'))
    soon = chat.post_id(await chat.schedule('x "Soon" in 2 hours'))
    chat.post_id(await chat.post('x "Now"'))
    chat.post_id(await chat.schedule('x "Other workspace" tomorrow 9am', channel=OTHER))
    for command, text in (("status", "queue"), ("social", "queue"), ("post", "queue")):
        listing = chat.listing(chat.one(await chat.run(command, text)))
        assert len(listing.items) == 2
        assert listing.items[0].startswith(
            "Mon 1 Jun 2026 14:00 Europe/Berlin (12:00 UTC) · " + soon
        )
        assert f"· {late} · X · Late" in listing.items[1]


async def test_cancel_a_scheduled_post(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Later" tomorrow 9am'))
    r = chat.ok(await chat.social(f"cancel {pid}"))
    assert r.title == f"Canceled {pid}"
    assert (await chat.core.clients.for_workspace("main").get_post(pid)).status == "canceled"

    def read(sdb: sqlite_utils.Database) -> tracking.TrackedPost | None:
        return tracking.get(sdb, pid)

    row = await chat.core.db.run(read)
    assert row is not None and row.status == "canceled"


async def test_cancel_a_published_post_lists_manual_removals(chat: Chat) -> None:
    pid = await _published(chat, 'x,threads "Live"')
    ask = chat.ok(await chat.social(f"cancel {pid}"))  # a live post: asks first
    assert ask.title == f"Delete {pid}? It is live" and ask.ephemeral
    assert ask.text is not None
    assert "X @" in ask.text and ": deleted" in ask.text
    assert "Threads" in ask.text and "remove it by hand there" in ask.text
    assert [(b.label, b.command, b.text) for b in ask.actions] == [
        ("Confirm delete", "social", f"cancel {pid} confirm")
    ]
    status = await chat.status(pid)  # nothing was deleted
    assert isinstance(status, StatusCard) and status.status == "published"
    r = chat.ok(await chat.social(f"cancel {pid} confirm"))
    assert "some is left" in r.title
    assert ("Removed from", "X") in [(f.name, f.value) for f in r.fields]
    assert r.text and r.text.startswith("Remove it by hand on Threads:")


async def test_cancel_while_publishing(chat: Chat) -> None:
    pid = chat.post_id(await chat.post('x "Now"'))
    chat.clock.advance(1)  # within the publish delay: publishing
    e = chat.error(await chat.social(f"cancel {pid}"))
    assert "being published right now — try again in a few seconds" in e.problems[0]


async def test_cancel_forms_and_missing_id(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Later" tomorrow 9am'))
    chat.ok(await chat.post(f"cancel {pid}"))
    e = chat.error(await chat.social("cancel"))
    assert "Which post" in e.title and e.field_errors[0][0] == "id"
    pid2 = chat.post_id(await chat.schedule('x "Later" tomorrow 9am'))
    chat.ok(await chat.social(options=[("what", "cancel"), ("id", pid2)]))


async def test_cancel_unknown_post(chat: Chat) -> None:
    e = chat.error(await chat.social("cancel pst_nope"))
    assert e.title == "Post not found"


async def test_edit_caption_and_time_of_a_scheduled_post(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Old" tomorrow 9am'))
    r = chat.ok(await chat.social(f'edit {pid} caption:"New text" when:"tomorrow 10am"'))
    assert r.title == f"Updated {pid}"
    assert ("When", "Tue 2 Jun 2026 10:00 Europe/Berlin (08:00 UTC)") in [
        (f.name, f.value) for f in r.fields
    ]
    api = (await chat.core.clients.for_workspace("main").get_post(pid)).extra
    assert api["content"] == "New text"
    assert api["scheduledAt"].startswith("2026-06-02T08:00:00")


async def test_edit_retargets_and_takes_structured_options(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Old" tomorrow 9am'))
    chat.ok(await chat.social(f"edit {pid} to:x,li"))
    client = chat.core.clients.for_workspace("main")
    assert (await client.get_post(pid)).account_ids == ("acc_x_1", "acc_li_1")
    opts = [("what", "edit"), ("id", pid), ("caption", "From Discord"), ("when", "friday")]
    r = chat.ok(await chat.social(options=opts))
    assert ("When", "Fri 5 Jun 2026 09:00 Europe/Berlin (07:00 UTC)") in [
        (f.name, f.value) for f in r.fields
    ]
    assert (await client.get_post(pid)).content == "From Discord"


async def test_edit_activates_a_draft(chat: Chat) -> None:
    pid = chat.post_id(await chat.post('x "Draft" draft'))
    r = chat.ok(await chat.social(f'edit {pid} when:"tomorrow 9am"'))
    assert "The draft is now active." in (r.text or "")
    assert (await chat.core.clients.for_workspace("main").get_post(pid)).status == "scheduled"


async def test_edit_published_post_only_where_the_platform_allows(chat: Chat) -> None:
    pid = await _published(chat, 'x,li "Live"')
    r = chat.ok(await chat.social(f'edit {pid} caption:"Fixed typo"'))
    assert r.title == f"Updated {pid} — partly"
    assert r.text and "Not edited on X" in r.text
    e = chat.error(await chat.social(f'edit {pid} when:"tomorrow 9am"'))
    assert "already published" in e.title
    pid2 = await _published(chat, 'x "Only X"')
    e = chat.error(await chat.social(f'edit {pid2} caption:"nope"'))
    assert "can't be edited" in e.title and "only Facebook and LinkedIn" in e.problems[0]


async def test_edit_checks_the_text_limit(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Short" tomorrow 9am'))
    e = chat.error(await chat.social(f'edit {pid} caption:"{"a" * 300}"'))
    assert "(limit 280)" in e.problems[0]


async def test_edit_needs_a_change_and_an_id(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Short" tomorrow 9am'))
    e = chat.error(await chat.social(f"edit {pid}"))
    assert e.title == "What should I change?"
    e = chat.error(await chat.social('edit caption:"x"'))
    assert "Which post" in e.title


async def test_edit_of_a_pending_approval_resets_it_and_does_not_activate(chat: Chat) -> None:
    chat.one(await chat.run("post", 'x "Needs a yes"', channel="C_REVIEW"))
    pid = await chat.last_tracked("C_REVIEW")
    r = chat.ok(
        await chat.social(f'edit {pid} caption:"Better" when:"tomorrow 9am"', channel="C_REVIEW")
    )
    assert r.text and "approvals reset" in r.text
    post = await chat.core.clients.for_workspace("main").get_post(pid)
    assert post.status == "draft" and post.content == "Better"


async def test_activating_a_draft_is_refused_where_approval_is_required(chat: Chat) -> None:
    pid = chat.post_id(await chat.post('x "Draft" draft'))  # made in C_MAIN, same workspace
    e = chat.error(await chat.social(f'edit {pid} when:"tomorrow 9am"', channel="C_REVIEW"))
    assert "needs approval" in e.title


async def test_workspace_isolation(chat: Chat) -> None:
    pid = chat.post_id(await chat.schedule('x "Main only" tomorrow 9am'))

    def forget(sdb: sqlite_utils.Database) -> None:  # only the API key scoping is left
        sdb.execute("DELETE FROM requests WHERE post_id = ?", [pid])

    for forgotten in (False, True):
        if forgotten:
            await chat.core.db.run(forget)
        # another channel, bound to another workspace (another API key), can't see or touch it
        assert chat.error(await chat.status(pid, channel=OTHER)).title == "Post not found"
        queue = chat.listing(await chat.status("queue", channel=OTHER))
        assert pid not in chat.text(queue)
        e = chat.error(await chat.social(f"cancel {pid}", channel=OTHER))
        assert e.title == "Post not found"
        e = chat.error(await chat.social(f'edit {pid} caption:"hijack"', channel=OTHER))
        assert e.title == "Post not found"
    post = await chat.core.clients.for_workspace("main").get_post(pid)
    assert post.status == "scheduled" and post.content == "Main only"
    assert chat.card(await chat.status(pid)).status == "scheduled"


async def test_isolation_by_the_tracked_row_even_if_the_api_would_answer(chat: Chat) -> None:
    other_pid = chat.post_id(await chat.schedule('x "Theirs" tomorrow 9am', channel=OTHER))

    def move(sdb: sqlite_utils.Database) -> None:  # a row recorded for another workspace
        sdb.execute("UPDATE requests SET workspace = 'elsewhere' WHERE post_id = ?", [other_pid])

    await chat.core.db.run(move)
    e = chat.error(await chat.status(other_pid, channel=OTHER))
    assert e.title == "Post not found"


async def test_approve_and_reject_by_command(chat: Chat) -> None:
    chat.ok(await chat.post('x "One"', channel="C_REVIEW"))
    one = await chat.last_tracked("C_REVIEW")
    out = await chat.run("social", f"approve {one}", channel="C_REVIEW", user=BOB)
    assert out.replies and not isinstance(out.replies[0], ErrorReply)
    assert (await chat.core.clients.for_workspace("main").get_post(one)).status != "draft"
    chat.ok(await chat.post('x "Two"', channel="C_REVIEW"))
    two = await chat.last_tracked("C_REVIEW")
    await chat.run("social", f"reject {two} off-brand", channel="C_REVIEW", user=BOB)
    card = chat.card(await chat.status(two, channel="C_REVIEW"))
    assert any("rejected" in h for h in card.history)
    # another workspace cannot decide it
    e = chat.error(await chat.social(f"approve {two}", channel=OTHER, user=BOB))
    assert e.title == "Post not found"
