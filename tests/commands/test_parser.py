from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.errors import UsageError
from commands.normalize import normalize
from commands.parser import apply_options, parse
from commands.spec import PostSpec

URL = "https://example.com/a.jpg"


def p(text: str, command: str = "post") -> PostSpec:
    return parse(normalize(text), command)


def test_targets_then_quoted_caption_then_options() -> None:
    s = p(f'ig,x "We shipped 🚀" media:{URL} type:image')
    assert s.targets == ["ig", "x"]
    assert s.caption == "We shipped 🚀"
    assert s.media == [URL]
    assert s.post_type == "image"


def test_to_colon_form_takes_the_rest_as_caption() -> None:
    s = p("to ig, x: We shipped: it's live")
    assert s.targets == ["ig", "x"]
    assert s.caption == "We shipped: it's live"


def test_targets_colon_without_to() -> None:
    s = p("ig,x: hello there")
    assert (s.targets, s.caption) == (["ig", "x"], "hello there")


def test_unquoted_caption_after_target_words_keeps_spacing() -> None:
    s = p("ig x Line one\nline  two")
    assert s.targets == ["ig", "x"]
    assert s.caption == "Line one\nline  two"


def test_caption_starting_with_a_word_like_in_is_not_a_target() -> None:
    s = p("x in two hours we launch")
    assert s.targets == ["x"]
    assert s.caption == "in two hours we launch"


def test_connectors_between_targets() -> None:
    s = p('ig and x "hi"')
    assert s.targets == ["ig", "x"]


def test_smart_quotes_and_dashes() -> None:
    s = p("ig “Caption — with a dash” —type reel")
    assert s.caption == "Caption — with a dash"
    assert s.post_type == "reel"


def test_key_value_forms() -> None:
    s = p('"c" to:ig,@acme --type=reel --media ' + URL + " media=" + URL)
    assert s.targets == ["ig", "@acme"]
    assert s.post_type == "reel"
    assert s.media == [URL, URL]


def test_per_platform_captions() -> None:
    s = p('ig,li "Default" ig:"Casual ✨" caption.linkedin:"Professional" text.x:"Short"')
    assert s.caption == "Default"
    assert s.captions == {"ig": "Casual ✨", "linkedin": "Professional", "x": "Short"}


def test_platform_word_with_colon_in_caption_is_text_not_option() -> None:
    s = p('x "Reminder" ')
    assert s.captions == {}
    s = p("to x: Reminder x: 3 days left")
    assert s.caption == "Reminder x: 3 days left"


@pytest.mark.parametrize(
    "text",
    [
        'x thread:"1/ a" | "2/ b" | "3/ c"',
        'x --thread "1/ a" "2/ b" "3/ c"',
        "x thread: 1/ a | 2/ b | 3/ c",
        'x "1/ a" | "2/ b" | "3/ c"',
    ],
)
def test_thread_forms(text: str) -> None:
    assert p(text).thread == ["1/ a", "2/ b", "3/ c"]


def test_article_with_title_and_description() -> None:
    s = p(
        'li "Our write-up" article:https://blog.example.com/post title:"How we shipped it" desc:"Short"'
    )
    assert s.article == "https://blog.example.com/post"
    assert s.title == "How we shipped it"
    assert s.description == "Short"


def test_reel_cover_link_privacy_draft() -> None:
    s = p(
        f'ig "New" type:reel cover:{URL} cover-offset:1500 link:https://x.co privacy:unlisted draft'
    )
    assert (s.cover, s.cover_offset, s.link, s.privacy, s.draft) == (
        URL,
        "1500",
        "https://x.co",
        "unlisted",
        True,
    )


def test_draft_word_inside_an_unquoted_caption_is_text() -> None:
    s = p("x we finished the first draft")
    assert s.caption == "we finished the first draft"
    assert not s.draft


def test_draft_flag_forms() -> None:
    assert p('x "a" --draft').draft
    assert p('x "a" draft:yes').draft
    assert not p('x "a" draft:no').draft
    with pytest.raises(UsageError):
        p('x "a" draft:maybe')


def test_schedule_time_after_quoted_caption() -> None:
    s = p('ig,x "We shipped" tomorrow 9am draft', "schedule")
    assert (s.targets, s.caption, s.when, s.draft) == (
        ["ig", "x"],
        "We shipped",
        "tomorrow 9am",
        True,
    )


def test_schedule_time_before_targets() -> None:
    s = p("tomorrow 9am to ig,x: Big news", "schedule")
    assert (s.when, s.targets, s.caption) == ("tomorrow 9am", ["ig", "x"], "Big news")


def test_schedule_time_before_quoted_caption() -> None:
    s = p('next monday 14:30 ig "Launch"', "schedule")
    assert (s.when, s.targets, s.caption) == ("next monday 14:30", ["ig"], "Launch")


def test_schedule_time_keys_and_per_platform_times() -> None:
    s = p('ig,x "c" at:tomorrow 9am x@"tomorrow 12:00" at.ig:"friday 10:00"', "schedule")
    assert s.when == "tomorrow 9am"
    assert s.times == {"x": "tomorrow 12:00", "ig": "friday 10:00"}


def test_quoted_time_after_caption() -> None:
    s = p('li "Q3 update" "9am Europe/Berlin"', "schedule")
    assert (s.caption, s.when) == ("Q3 update", "9am Europe/Berlin")


def test_post_extra_words_after_quoted_caption_are_reported() -> None:
    s = p('x "hello" blah')
    assert s.extra_words == ["blah"]


def test_url_before_or_after_a_quoted_caption_is_media() -> None:
    s = p(f'ig {URL} "c" {URL}')
    assert s.media == [URL, URL]


def test_edit_takes_the_id_first() -> None:
    s = p('pst_1 caption:"new" when:"tomorrow 10am"', "edit")
    assert (s.post_id, s.caption, s.when) == ("pst_1", "new", "tomorrow 10am")


def test_unknown_long_option_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as e:
        p('x "c" --colour red')
    assert "--colour" in e.value.title


def test_option_without_value() -> None:
    with pytest.raises(UsageError):
        p('x "c" --type')


def test_structured_options() -> None:
    s = apply_options(
        PostSpec(),
        [
            ("targets", "ig, x"),
            ("caption", "Hello"),
            ("captions", "instagram: Casual\nlinkedin: Pro"),
            ("type", "image"),
            ("when", "tomorrow 9am"),
            ("times", "x: tomorrow 12:00"),
            ("draft", "true"),
            ("media", f"{URL}\n{URL}"),
            ("thread", "one\n---\ntwo\n  ---  \nthree"),
            ("link", "https://l"),
            ("article", "https://a"),
            ("title", "T"),
            ("privacy", "private"),
            ("cover", URL),
            ("id", "pst_1"),
            ("what", "post"),
        ],
    )
    assert s.targets == ["ig", "x"]
    assert s.captions == {"instagram": "Casual", "linkedin": "Pro"}
    assert s.times == {"x": "tomorrow 12:00"}
    assert s.thread == ["one", "two", "three"]
    assert s.media == [URL, URL]
    assert (s.caption, s.post_type, s.when, s.draft, s.link, s.article, s.title) == (
        "Hello", "image", "tomorrow 9am", True, "https://l", "https://a", "T"
    )  # fmt: skip
    assert (s.privacy, s.cover, s.post_id) == ("private", URL, "pst_1")


def test_structured_option_errors_name_the_field() -> None:
    with pytest.raises(UsageError) as e:
        apply_options(PostSpec(), [("captions", "nonsense line")])
    assert e.value.field_errors[0][0] == "captions"
    with pytest.raises(UsageError) as e:
        apply_options(PostSpec(), [("bogus", "x")])
    assert e.value.field_errors[0][0] == "bogus"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["post", "schedule", "edit"]))
def test_any_text_parses_or_is_a_usage_error(text: str, command: str) -> None:
    try:
        spec = parse(normalize(text), command)
    except UsageError:
        return
    assert isinstance(spec, PostSpec)


_PIECES = st.sampled_from(
    ["ig", "x,ig", "to", ":", '"', "“", "”", "—", "--", "--thread", "thread:", "|", "draft",
     "type:", "media:", "ig:\"", "x@\"", "at:", "caption.li:", "tomorrow", "9am", "https://a.b/c.jpg",
     "<@U1|bob>", "<https://x.co|x>", " ", "\n", "=", "@acme", "all", "cover-offset:", "—type"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map(" ".join), st.sampled_from(["post", "schedule"]))
def test_command_like_noise_parses_or_is_a_usage_error(text: str, command: str) -> None:
    try:
        parse(normalize(text), command)
    except UsageError:
        pass


def test_unclosed_quotes_are_errors_that_say_where() -> None:
    import pytest

    from commands.errors import UsageError

    with pytest.raises(UsageError) as e:
        parse('x "unbalanced')
    assert "character 3" in e.value.problems[0]
    assert e.value.hint is not None and e.value.hint.startswith('/post x "unbalanced"')
    with pytest.raises(UsageError):
        parse("x 'single", "schedule")
    with pytest.raises(UsageError):
        parse('x "ok" ig:"casual')


def test_single_quotes_quote_and_apostrophes_stay() -> None:
    assert parse("x 'It's done'").caption == "It's done"
    assert parse("x We're live").caption == "We're live"
    spec = parse("x \"ok\" ig:'Casual ✨'")
    assert spec.caption == "ok"
    assert spec.captions == {"ig": "Casual ✨"}
