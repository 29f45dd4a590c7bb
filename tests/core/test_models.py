from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.api.errors import (
    ContentInvalid,
    NotFound,
    RateLimited,
    ServerError,
    error_from_response,
)
from bot.api.models import (
    NewPost,
    Platform,
    Post,
    PostStatus,
    PostType,
    parse_time,
)
from bot.secret import Secret


def test_post_parses_and_tolerates_unknown_fields() -> None:
    p = Post.from_json(
        {
            "postId": "pst_1",
            "status": "published",
            "postType": "image",
            "platforms": ["instagram", "mastodon"],
            "newField": {"x": 1},
            "scheduledAt": "2026-07-01T09:00:00+0000",
        },
        targets=[{"accountId": "a", "platform": "x", "status": "published", "permalink": "u"}],
    )
    assert p.status is PostStatus.PUBLISHED and p.post_type is PostType.IMAGE
    assert p.platforms == (Platform.INSTAGRAM, "mastodon")
    assert p.targets[0].platform is Platform.X and p.targets[0].permalink == "u"
    assert p.scheduled_at == datetime(2026, 7, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw", ["2026-07-01T09:00:00Z", "2026-07-01T09:00:00+00:00", "2026-07-01T11:00:00+02:00"]
)
def test_parse_time_offsets(raw: str) -> None:
    assert parse_time(raw) == datetime(2026, 7, 1, 9, tzinfo=UTC)


def test_times_sent_always_carry_an_offset() -> None:
    body = NewPost(
        account_ids=("a",),
        content="hi",
        scheduled_at=datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=2))),
        platform_schedules={Platform.X: datetime(2026, 7, 1, 12, tzinfo=UTC)},
    ).to_json()
    assert body["scheduledAt"] == "2026-07-01T09:00:00+02:00"
    assert body["platformSchedules"] == {"twitter": "2026-07-01T12:00:00+00:00"}
    with pytest.raises(ValueError):
        NewPost(account_ids=("a",), scheduled_at=datetime(2026, 7, 1, 9)).to_json()


def test_error_mapping_never_keyerrors() -> None:
    assert isinstance(
        error_from_response(404, {"error": {"code": "not_found", "message": "m"}}), NotFound
    )
    e = error_from_response(422, {"error": {"code": "content_invalid", "message": "too long"}})
    assert isinstance(e, ContentInvalid) and e.status == 422 and e.message == "too long"
    r = error_from_response(429, {"error": {"code": "rate_limited", "message": "slow"}}, 7.0)
    assert isinstance(r, RateLimited) and r.retry_after == 7.0
    bodies: list[object] = [
        "<html>oops</html>",
        None,
        {"error": "flat"},
        {"error": {"code": "brand_new"}},
        [],
    ]
    for body in bodies:
        err = error_from_response(502, body)
        assert isinstance(err, ServerError) and err.status == 502


def test_secret_never_shows() -> None:
    s = Secret("sk_live_abcdef123456")
    assert "abcdef" not in repr(s) and "abcdef" not in str(s) and "abcdef" not in f"{s}"
    assert s.reveal() == "sk_live_abcdef123456"
    assert len(s.fingerprint) == 12
