"""/social calendar and /social analytics through the real Slack stack: the words arrive as a
message, the PNG through files.getUploadURLExternal → upload → files.completeUploadExternal."""

from __future__ import annotations

from datetime import UTC, timedelta

from bot.api.models import Analytics
from bot.pictures import snapshots
from tests.pictures.conftest import REVIEW, SlackE2E
from tests.pictures.helpers import at, next_monday, png_size, schedule


async def test_calendar_next_week_is_uploaded_with_times_in_the_requesters_zone(
    slack_e2e: SlackE2E,
) -> None:
    e = slack_e2e
    monday = next_monday(e.core.clock.now())
    await schedule(e.client, ["facebook"], "Launch day: the new app is here", at(monday, 9))
    await schedule(e.client, ["twitter", "linkedin"], "Hiring: two engineers", at(monday, 18, 30))
    wed = monday + timedelta(days=2)
    # waiting for approval: a draft in the API, its time in the approval request
    r = await e.slack.command(
        "/schedule", f'x "Needs a review" {wed:%Y-%m-%d} 11:15', channel=REVIEW
    )
    assert r.status_code == 200
    await e.settle()

    r = await e.slack.command("/social", "calendar next")
    assert r.status_code == 200
    await e.settle()

    calls = e.fake.methods()
    assert calls.index("files.getUploadURLExternal") < calls.index("files.completeUploadExternal")
    [shared] = e.fake.shared
    assert shared["bytes"] == e.fake.uploads[shared["id"]]
    width, _ = png_size(shared["bytes"])
    assert width == 1400
    assert shared["channel"] == "C1" and shared["filename"].startswith("calendar-week-")
    alt = shared["alt_txt"]
    assert "times in Europe/Berlin" in alt and "3 posts" in alt
    assert f"{monday:%a %d %b} 09:00 · Facebook · scheduled" in alt
    assert f"{monday:%a %d %b} 18:30 · X + LinkedIn · scheduled" in alt
    assert f"{wed:%a %d %b} 11:15 · X · waiting for approval" in alt
    # the same data as words, posted first in the channel
    [words] = [
        m for m in e.fake.calls_to("chat.postMessage") if "Content calendar" in str(m.get("text"))
    ]
    text = str(words["blocks"])
    assert "09:00 · Facebook · scheduled" in text and "Europe/Berlin" in text


async def test_missing_files_write_still_sends_the_words_and_says_why(e2e_empty: SlackE2E) -> None:
    e = e2e_empty
    monday = next_monday(e.core.clock.now())
    await schedule(e.client, ["facebook"], "Recipe of the week", at(monday, 12))
    e.fake.fail("files.getUploadURLExternal", "missing_scope", extra={"needed": "files:write"})
    await e.slack.command("/social", "calendar next")
    await e.settle()
    assert e.fake.shared == []
    words = [m for m in e.fake.calls_to("chat.postMessage") if "Content calendar" in str(m)]
    assert len(words) == 1 and "12:00 · Facebook · scheduled" in str(words[0]["blocks"])
    told = " ".join(str(body) for _, body in e.fake.responses)
    assert "couldn't attach the picture" in told and "files:write" in told


async def test_refused_upload_is_told_and_the_words_arrive(e2e_empty: SlackE2E) -> None:
    e = e2e_empty
    await schedule(
        e.client, ["threads"], "Thread of the week", at(next_monday(e.core.clock.now()), 8)
    )
    e.fake.refuse_uploads = 1
    await e.slack.command("/social", "calendar next")
    await e.settle()
    assert e.fake.shared == [] and "files.completeUploadExternal" not in e.fake.methods()
    assert any("Content calendar" in str(m) for m in e.fake.calls_to("chat.postMessage"))
    told = " ".join(str(body) for _, body in e.fake.responses)
    assert "Slack refused the upload" in told


async def test_empty_period_is_said_in_words_without_a_picture(e2e_empty: SlackE2E) -> None:
    e = e2e_empty
    await e.slack.command("/social", "calendar week last")
    await e.settle()
    assert e.fake.shared == [] and "files.getUploadURLExternal" not in e.fake.methods()
    told = " ".join(str(body) for _, body in e.fake.responses)
    assert "Nothing planned" in told


async def test_analytics_chart_from_daily_snapshots(e2e_empty: SlackE2E) -> None:
    e = e2e_empty
    now = e.core.clock.now().astimezone(UTC)
    for days_ago, published, likes in ((2, 3, 100), (1, 7, 160)):
        a = Analytics(published + 1, {"published": published, "failed": 1}, {"likes": likes})
        await snapshots.record(e.core.db, "default", a, now - timedelta(days=days_ago))
    await e.slack.command("/social", "analytics 7d")
    await e.settle()
    assert await snapshots.count(e.core.db, "default") == 3  # today's taken from the answer
    [shared] = e.fake.shared
    png_size(shared["bytes"])
    alt = shared["alt_txt"]
    assert "last 7 days" in alt and "published 4" in alt and "likes 160 → 0" in alt
    told = " ".join(str(body) for _, body in e.fake.responses)
    assert "Analytics — workspace default" in told  # the text answer is kept


async def test_analytics_with_one_snapshot_says_when_the_chart_has_data(
    e2e_empty: SlackE2E,
) -> None:
    e = e2e_empty
    await e.slack.command("/social", "analytics")
    await e.settle()
    assert e.fake.shared == []
    tomorrow = snapshots.utc_day(e.core.clock.now()) + timedelta(days=1)
    told = " ".join(str(body) for _, body in e.fake.responses)
    assert "needs two daily snapshots" in told and f"{tomorrow:%a %d %b %Y}" in told


async def test_bad_range_gets_a_specific_reply(e2e_empty: SlackE2E) -> None:
    await e2e_empty.slack.command("/social", "analytics 12d")
    await e2e_empty.settle()
    told = " ".join(str(body) for _, body in e2e_empty.fake.responses)
    assert "7, 30 or 90 days" in told and "/social analytics 30d" in told


async def test_a_report_sent_by_the_port_is_found_again_by_its_key(e2e_empty: SlackE2E) -> None:
    """The notifier's path (weekly reports): words with the outbox key in their metadata, then
    the pictures; a refused upload is said under the words, in their thread."""
    from bot.chat import Destination, Picture, PictureReply
    from tests.pictures.test_worker import spec

    e = e2e_empty
    drawn = await e.core.pictures.calendar(spec())
    pic = Picture(drawn.png, drawn.alt, "report.png", "The coming week")
    reply = PictureReply("Weekly report", (pic,), ("1 scheduled, 0 published, 0 failed",))
    port = e.adapter.port
    ref = await port.send(Destination("slack", "C_TEAM"), reply, key="nreport1")
    [shared] = e.fake.shared
    assert shared["channel"] == "C_TEAM" and shared["bytes"] == drawn.png
    assert shared["alt_txt"] == drawn.alt
    found = await port.find_sent(Destination("slack", "C_TEAM"), "nreport1")
    assert found is not None and found.message_id == ref.message_id

    e.fake.fail("files.completeUploadExternal", "missing_scope", extra={"needed": "files:write"})
    ref2 = await port.send(Destination("slack", "C_TEAM"), reply, key="nreport2")
    notices = [
        m for m in e.fake.calls_to("chat.postMessage") if "couldn't attach" in str(m.get("text"))
    ]
    assert len(notices) == 1 and notices[0]["thread_ts"] == ref2.message_id
    assert "files:write" in notices[0]["text"]
