import json
import logging

from bot.logs import JsonFormatter, RedactingFilter, request_id


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)


def test_registered_secret_is_redacted_in_message_and_args() -> None:
    f = RedactingFilter(["hunter2-signing-secret"])
    rec = _record("secret is %s and %s", "hunter2-signing-secret", "ok")
    assert f.filter(rec)
    assert "hunter2" not in rec.getMessage()
    assert rec.getMessage().endswith("and ok")


def test_token_shapes_are_redacted_without_registration() -> None:
    f = RedactingFilter()
    for raw in [
        "token xoxb-1234-5678-abcdef",
        "app xapp-1-A1-2-abc",
        "key sk_live_abc123DEF",
        "Authorization: Bearer abcdefgh12345678",
        "put https://bucket.example/u/md_1/a.jpg?X-Amz-Signature=deadbeef&exp=1",
        "get https://files.slack.com/files-pri/T1-F1/download/a.png",
    ]:
        rec = _record(raw)
        f.filter(rec)
        out = rec.getMessage()
        assert "[redacted]" in out, out
        for leak in (
            "5678-abcdef",
            "A1-2-abc",
            "abc123DEF",
            "abcdefgh12345678",
            "deadbeef",
            "F1/download",
        ):
            assert leak not in out


def test_exception_text_is_redacted() -> None:
    f = RedactingFilter(["s3cr3t-value"])
    try:
        raise RuntimeError("boom with s3cr3t-value")
    except RuntimeError:
        import sys

        rec = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    f.filter(rec)
    assert rec.exc_text and "s3cr3t-value" not in rec.exc_text and "boom" in rec.exc_text


def test_json_format_carries_request_id() -> None:
    f = RedactingFilter()
    token = request_id.set("dlv-42")
    try:
        rec = _record("hello %s", "world")
        f.filter(rec)
    finally:
        request_id.reset(token)
    out = json.loads(JsonFormatter().format(rec))
    assert out["msg"] == "hello world" and out["request_id"] == "dlv-42" and out["level"] == "info"
