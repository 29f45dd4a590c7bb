"""/post end to end: dispatch → real client → sandbox; what the API received is checked."""

from __future__ import annotations

import pytest
import sqlite_utils

from bot import tracking
from commands import publish, threadoffer
from tests.commands.conftest import BADKEY, MAIN, READONLY, Chat, attachment


async def test_text_post_publishes_now_and_is_tracked(chat: Chat) -> None:
    r = chat.ok(await chat.post('x "Hello world 👋"'))
    assert r.title == "Publishing now to X @acme_x"
    assert chat.field(r, "When") == "now"
    assert "announce the result here" in (r.text or "")
    api = await chat.api_post(r)
    assert api["content"] == "Hello world 👋"
    assert api["accountIds"] == ["acc_x_1"]

    def read(sdb: sqlite_utils.Database) -> tracking.TrackedPost | None:
        return tracking.get(sdb, api["postId"])

    row = await chat.core.db.run(read)
    assert row is not None
    assert (row.workspace, row.channel, row.thread, row.requester) == (
        "main",
        MAIN,
        "T1",
        "U_ALICE",
    )
    assert row.summary == "Hello world 👋"


async def test_to_colon_form_and_unquoted_caption(chat: Chat) -> None:
    r = chat.ok(await chat.post("to x, li: We shipped: it's live"))
    api = await chat.api_post(r)
    assert api["content"] == "We shipped: it's live"
    assert api["accountIds"] == ["acc_x_1", "acc_li_1"]
    r = chat.ok(await chat.post("x li Plain words work too"))
    assert (await chat.api_post(r))["content"] == "Plain words work too"


async def test_default_targets_and_alias_and_all(chat: Chat) -> None:
    url = chat.media_url("photo.jpg")
    r = chat.ok(await chat.post(f'"Defaults" media:{url}'))
    assert (await chat.api_post(r))["accountIds"] == ["acc_ig_1", "acc_x_1"]
    r = chat.ok(await chat.post(f'brand "Alias" media:{url}'))
    assert (await chat.api_post(r))["accountIds"] == ["acc_ig_1", "acc_fb_1"]
    r = chat.ok(await chat.post(f'@acme_x,instagram,twitter,acc_fb_1 "Mixed" media:{url}'))
    assert (await chat.api_post(r))["accountIds"] == ["acc_x_1", "acc_ig_1", "acc_fb_1"]


async def test_smart_quotes_and_slack_markup(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(
            "x “Read <https://blog.example.com/p|our post> — thanks <@U1|bob>” —type text"
        )
    )
    api = await chat.api_post(r)
    assert api["content"] == "Read https://blog.example.com/p — thanks @bob"
    assert api["postType"] == "text"


async def test_image_by_url_uploaded_through_the_api(chat: Chat) -> None:
    r = chat.ok(await chat.post(f'ig "Golden hour 🌅" media:{chat.media_url("photo.jpg")}'))
    api = await chat.api_post(r)
    assert api["postType"] == "image"
    [mid] = api["mediaIds"]
    media = {m.media_id: m for m in await chat.core.clients.for_workspace("main").list_media()}
    assert media[mid].filename == "photo.jpg" and media[mid].status == "uploaded"
    assert media[mid].size == 2003
    assert chat.media.hits == ["photo.jpg"]


async def test_attachments_make_a_carousel(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(
            'ig "Swipe →"', attachments=[attachment("photo.jpg"), attachment("photo3.png")]
        )
    )
    assert chat.field(r, "Type") == "carousel"
    assert chat.field(r, "Media") == "photo.jpg, photo3.png"
    api = await chat.api_post(r)
    assert api["postType"] == "carousel" and len(api["mediaIds"]) == 2


async def test_attachment_named_as_cover(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(
            'ig "New drop" type:reel cover:cover.jpg',
            attachments=[attachment("clip.mp4"), attachment("cover.jpg")],
        )
    )
    api = await chat.api_post(r)
    assert api["postType"] == "reel"
    assert len(api["mediaIds"]) == 1 and api["coverMediaId"] not in api["mediaIds"]


async def test_reel_with_cover_url_and_offset(chat: Chat) -> None:
    clip, cover = chat.media_url("clip.mp4"), chat.media_url("cover.jpg")
    r = chat.ok(await chat.post(f'ig "Reel" type:reel media:{clip} cover:{cover}'))
    api = await chat.api_post(r)
    assert api["postType"] == "reel" and api["coverMediaId"].startswith("md_")
    r = chat.ok(await chat.post(f'ig "Reel" type:reel media:{clip} cover-offset:1.5s'))
    assert (await chat.api_post(r))["coverOffsetMs"] == 1500


async def test_thread_forms(chat: Chat) -> None:
    for text in (
        'x thread:"1/ Kicking off 🧵" | "2/ More" | "3/ Done"',
        'x,threads --thread "1/ Kicking off 🧵" "2/ More" "3/ Done"',
        "x thread: 1/ Kicking off 🧵 | 2/ More | 3/ Done",
    ):
        r = chat.ok(await chat.post(text))
        api = await chat.api_post(r)
        assert api["postType"] == "thread"
        assert [s["text"] for s in api["thread"]] == ["1/ Kicking off 🧵", "2/ More", "3/ Done"]


async def test_thread_with_a_caption_and_media_on_the_first_segment(chat: Chat) -> None:
    r = chat.ok(await chat.post(f'x "Intro" thread:"a" | "b" media:{chat.media_url("photo.jpg")}'))
    api = await chat.api_post(r)
    assert [s["text"] for s in api["thread"]] == ["Intro", "a", "b"]
    assert len(api["thread"][0]["mediaIds"]) == 1 and "mediaIds" not in api["thread"][1]


async def test_article_link_share(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(
            'li,fb "Our latest write-up" article:https://blog.example.com/post '
            'title:"How we shipped it" description:"A short snippet."'
        )
    )
    api = await chat.api_post(r)
    assert api["postType"] == "article"
    assert api["article"] == {
        "url": "https://blog.example.com/post",
        "title": "How we shipped it",
        "description": "A short snippet.",
    }


async def test_linkedin_document_with_title(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(f'li "Swipe 📄" media:{chat.media_url("deck.pdf")} title:"Q3 deck"')
    )
    api = await chat.api_post(r)
    assert (api["postType"], api["documentTitle"]) == ("document", "Q3 deck")


async def test_pinterest_link_and_youtube_privacy(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(
            f'pin "Pasta 🍝" media:{chat.media_url("photo.jpg")} link:https://example.com/recipe'
        )
    )
    assert (await chat.api_post(r))["link"] == "https://example.com/recipe"
    r = chat.ok(await chat.post(f'yt "Launch" media:{chat.media_url("clip.mp4")} privacy:Unlisted'))
    assert (await chat.api_post(r))["ytPrivacy"] == "unlisted"


async def test_per_platform_captions(chat: Chat) -> None:
    r = chat.ok(
        await chat.post('li,fb "Default" li:"A professional take" caption.facebook:"Casual ✨"')
    )
    api = await chat.api_post(r)
    assert api["platformContent"] == {"linkedin": "A professional take", "facebook": "Casual ✨"}


async def test_draft(chat: Chat) -> None:
    r = chat.ok(await chat.post('x "Work in progress" draft'))
    assert r.title.startswith("Saved as a draft")
    assert (await chat.api_post(r))["status"] == "draft"


async def test_structured_options(chat: Chat) -> None:
    r = chat.ok(
        await chat.post(
            options=[
                ("targets", "x, li"),
                ("caption", "From the modal"),
                ("captions", "linkedin: Modal LI"),
            ]
        )
    )
    api = await chat.api_post(r)
    assert api["content"] == "From the modal"
    assert api["platformContent"] == {"linkedin": "Modal LI"}


async def test_post_with_a_time_schedules_it(chat: Chat) -> None:
    r = chat.ok(await chat.post('x "Later" at:"tomorrow 9am"'))
    assert r.title == "Scheduled for Tue 2 Jun 2026 09:00 Europe/Berlin (07:00 UTC)"
    assert (await chat.api_post(r))["scheduledAt"].startswith("2026-06-02T07:00:00")


# ---------------------------------------------------------------- errors


async def test_empty_post_explains(chat: Chat) -> None:
    e = chat.error(await chat.post(""))
    assert "What should I post" in e.title and e.hint and "/post ig,x" in e.hint


async def test_unknown_target_lists_choices_and_posts_nothing(chat: Chat) -> None:
    e = chat.error(await chat.post('instagarm "hi"'))
    assert "Did you mean “instagram”" in e.problems[0]
    assert e.hint and "ig (Instagram @acme)" in e.hint
    assert chat.api_calls("POST", "/v1/posts") == []


async def test_every_platform_problem_in_one_reply(chat: Chat) -> None:
    e = chat.error(await chat.post('x,threads,ig,yt "' + "a" * 600 + '"'))
    assert e.title == "This post doesn't fit every target"
    text = "\n".join(e.problems)
    assert "X @acme_x: the caption is 600 characters as X counts them (limit 280)" in text
    assert "Threads @acme: the caption is 600 characters (limit 500)" in text
    assert "Instagram @acme: Instagram needs media" in text
    assert "YouTube @AcmeInc: YouTube needs media — attach a video" in text
    assert chat.api_calls("POST", "/v1/") == []  # nothing uploaded, nothing created


TWO_INSTAGRAMS = [
    {"accountId": "acc_ig_us", "platform": "instagram", "handle": "@acme", "displayName": "Acme"},
    {"accountId": "acc_ig_eu", "platform": "instagram", "handle": "@acme_eu", "displayName": "EU"},
    {
        "accountId": "acc_x",
        "platform": "x",
        "handle": "@acme",
        "displayName": "Acme",
        "premium": True,
    },
]


@pytest.mark.parametrize("sandbox_accounts", [TWO_INSTAGRAMS])
async def test_ambiguous_target_lists_the_choices(chat: Chat) -> None:
    url = chat.media_url("photo.jpg")
    e = chat.error(await chat.post(f'ig "Which one?" media:{url}'))
    assert e.problems == (
        "“ig” could mean several accounts: ig/@acme (Instagram @acme), "
        "@acme_eu (Instagram @acme_eu). Name one.",
    )
    assert e.field_errors[0][0] == "targets"
    r = chat.ok(await chat.post(f'@acme_eu "This one" media:{url}'))
    assert (await chat.api_post(r))["accountIds"] == ["acc_ig_eu"]
    r = chat.ok(await chat.post(f'ig/@acme "And this one" media:{url}'))
    assert (await chat.api_post(r))["accountIds"] == ["acc_ig_us"]
    # an X Premium account takes long posts
    r = chat.ok(await chat.post('x "' + "a" * 1000 + '"'))
    assert len((await chat.api_post(r))["content"]) == 1000


async def test_validation_problems_carry_the_field_for_forms(chat: Chat) -> None:
    e = chat.error(
        await chat.post(
            options=[("targets", "x,ig"), ("caption", "a" * 300), ("privacy", "unlisted")]
        )
    )
    fields = dict((name, msg) for name, msg in e.field_errors)
    assert "(limit 280)" in fields["caption"]
    assert "Instagram needs media" in fields["media"]
    assert "YouTube" in fields["privacy"]


async def test_unsupported_type_and_wrong_media(chat: Chat) -> None:
    e = chat.error(await chat.post(f'x "a" type:reel media:{chat.media_url("clip.mp4")}'))
    assert e.problems == (
        "X @acme_x: X doesn't take reel posts (it takes text, image, video, thread).",
    )
    e = chat.error(await chat.post(f'fb "a" type:document media:{chat.media_url("deck.pdf")}'))
    assert "Facebook doesn't take document posts" in e.problems[0]
    e = chat.error(await chat.post('x "a" type:sideways'))
    assert "Unknown post type" in e.title and e.field_errors[0][0] == "type"


async def test_media_problems(chat: Chat) -> None:
    e = chat.error(await chat.post(f'ig "a" media:{chat.media_url("page.html")}'))
    assert "not an image, a video or a PDF" in e.problems[0]
    e = chat.error(await chat.post(f'ig "a" media:{chat.media_url("huge.jpg")}'))
    assert "the limit for an image is 20 MB" in e.problems[0]
    e = chat.error(await chat.post(f'ig "a" media:{chat.media_url("missing.jpg")}'))
    assert "HTTP 404" in e.problems[0]
    e = chat.error(await chat.post('ig "a" media:ftp://example.com/a.jpg'))
    assert "not a web address" in e.problems[0]
    e = chat.error(await chat.post('ig "a" media:nothing-attached.jpg'))
    assert "not a link, an attached file or a media id" in e.problems[0]
    assert chat.api_calls("POST", "/v1/media") == []


async def test_private_hosts_are_refused_in_production(chat: Chat) -> None:
    """(Every form of it: tests/commands/test_media_fetch.py.)"""
    from dataclasses import replace

    from bot.config import MediaRules

    chat.core.settings = replace(chat.core.settings, media=MediaRules())
    e = chat.error(await chat.post(f'ig "a" media:{chat.media_url("photo.jpg")}'))
    assert "that address is inside a private network" in e.problems[0]
    assert chat.media.hits == []


async def test_drafts_refused_where_approval_is_required(chat: Chat) -> None:
    e = chat.error(await chat.post('x "wip" draft', channel="C_REVIEW"))
    assert "Drafts aren't available" in e.title


async def test_extra_words_are_reported(chat: Chat) -> None:
    e = chat.error(await chat.post('x "hello" blah blah'))
    assert "Not understood: blah blah" in e.problems[0]


async def test_api_422_becomes_a_specific_reply(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the local check miss something, the API's 422 reads the same way."""
    monkeypatch.setattr(publish, "problems", lambda draft, targets: [])
    monkeypatch.setattr(threadoffer, "overflows", lambda draft, targets: [])
    e = chat.error(await chat.post('x "' + "a" * 300 + '"'))
    assert e.title == "The Social API refused to create the post"
    assert "280-character limit" in e.problems[0]
    assert e.hint == "nothing was posted"
    e = chat.error(await chat.post('ig "no media"'))
    assert "Instagram requires media" in e.problems[0]


async def test_media_of_a_refused_post_is_removed(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "problems", lambda draft, targets: [])
    url = chat.media_url("photo.jpg")
    e = chat.error(await chat.post(f'x,ig "a" media:{url} media:{url} media:{url}'))
    assert "The Social API refused" in e.title  # X takes no carousel
    assert len(chat.api_calls("POST", "/v1/media/upload-url")) == 3
    assert await chat.core.clients.for_workspace("main").list_media() == []


async def test_api_unavailable_says_nothing_was_posted(chat: Chat) -> None:
    chat.sandbox.faults.error_rate = 1.0
    e = chat.error(await chat.post('x "hello"'))
    assert e.title == "The Social API is unavailable right now"
    assert "nothing was posted" in e.problems[0] and "Try again" in e.problems[0]


async def test_create_that_may_have_happened_is_never_called_not_posted(chat: Chat) -> None:
    chat.listing(await chat.social("accounts"))  # accounts are cached for a minute
    chat.sandbox.faults.error_rate = 1.0  # the create, and the client's reconciliation, fail
    e = chat.error(await chat.post('x "hello"'))
    assert e.title == "I couldn't confirm whether the post was created"
    assert "nothing was posted" not in chat.text(e)
    assert e.hint and "/status" in e.hint


async def test_rate_limited_says_nothing_was_posted(chat: Chat) -> None:
    chat.listing(await chat.social("accounts"))
    chat.sandbox.faults.burst_429(20, retry_after=1.0)
    e = chat.error(await chat.post('x "hello"'))
    assert e.title == "The Social API is unavailable right now"
    assert "nothing was posted" in e.problems[0]
    chat.sandbox.faults.reset()
    assert await chat.core.clients.for_workspace("main").list_posts() == []


async def test_invalid_key_asks_for_an_admin(chat: Chat) -> None:
    e = chat.error(await chat.post('x "hello"', channel=BADKEY))
    assert e.title == "The bot's API key is not accepted"
    assert "workspace “bad” is invalid" in e.problems[0] and "ask an admin" in e.problems[0]
    assert "sk_test_wrong" not in chat.text(e)


async def test_missing_scope_names_it(chat: Chat) -> None:
    e = chat.error(await chat.post('x "hello"', channel=READONLY))
    assert e.title == "The bot's API key lacks a permission"
    assert "lacks the scope posts:write" in e.problems[0]
    assert "Nothing was posted" in e.problems[0]


async def test_workspace_without_a_key(chat: Chat) -> None:
    from dataclasses import replace

    from bot.config import Workspace

    workspaces = dict(chat.core.settings.workspaces)
    workspaces["bad"] = Workspace("bad", "KEY_UNSET")
    chat.core.settings = replace(chat.core.settings, workspaces=workspaces)
    chat.core.clients.settings = chat.core.settings
    chat.core.clients.overrides.pop("bad", None)
    e = chat.error(await chat.post('x "hello"', channel=BADKEY))
    assert "not set up" in e.title and "ask an admin" in e.problems[0]
