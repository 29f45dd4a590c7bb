"""Seeded generators of hostile input: command texts and Slack request bodies."""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import urlencode

PLATFORMS = ["x", "ig", "fb", "li", "tt", "threads", "pin", "yt", "instagram", "twitter",
             "linkedin", "youtube", "tiktok", "pinterest", "facebook", "X", "IG", "brand", "all",
             "x,ig", "ig, fb", "x/ig", "nosuchnetwork"]  # fmt: skip
SUBS = ["help", "accounts", "analytics", "cancel", "edit", "status", "queue", "approve", "reject",
        "post", "schedule", "?", "stats", "delete", "lgtm", "deny", "next"]  # fmt: skip
OPTION_WORDS = ["when:", "at:", "caption:", "text:", "media:", "to:", "id:", "type:", "draft",
                "--draft", "-x", "--", "—", "when:tomorrow", "caption:\"", "media:http://",
                "=", "::", "at", "on", "in", "every", "#tag", "@user", "<@U123>", "<#C1|x>",
                "<!here>", "&amp;", "&lt;", "&gt;"]  # fmt: skip
TIMES = ["tomorrow 9am", "in 5 minutes", "now", "yesterday", "2026-13-45 25:61", "9", "9am",
         "next friday at 17:00", "1999-01-01", "in -3 hours", "+99999 days", "noon", "midnight",
         "31/02/2026", "10:00 Europe/Berlin", "10:00 Mars/Olympus", "T+1", "١٢:٣٠", "⏰"]  # fmt: skip
QUOTES = ['"', "“", "”", "‘", "’", "«", "»", "„", "'", "`", "```", "「", "」", "‹", "›"]
UNICODE = ["🚀", "👍🏽", "👨‍👩‍👧‍👦", "\u200b", "\u200d", "\u202e", "\ufeff", "é", "e\u0301", "ß",
           "İ", "ﬁ", "Ω", "𝕏", "中文", "العربية", "עברית", "ᚠ", "\U0010ffff", "\ud7ff",
           "\u00a0", "\u2028", "\u2029", "\u3000", "ｘ", "Ｘ", "＂", "\uffff", "\u0000"]  # fmt: skip
CONTROL = [chr(c) for c in range(0, 32)] + ["\x7f", "\x85", "\x9b"]
IDS = ["p_123", "post_abc", "p-1", "p_", "_x", "x_y_z", "p_" + "9" * 60, "../../etc", "p_%2F",
       "p_🚀", "p_1;DROP TABLE requests", "P_UPPER", "p_\u200b1"]  # fmt: skip
COMMANDS = ["post", "schedule", "status", "social", "/post", "POST", "Social", " status ",
            "unknown", "", "/", "posts", "💥"]  # fmt: skip
OPTION_NAMES = ["what", "caption", "targets", "when", "id", "media", "draft", "type", "nope", ""]


def _word(rng: random.Random) -> str:
    kind = rng.randrange(12)
    if kind == 0:
        return rng.choice(PLATFORMS)
    if kind == 1:
        return rng.choice(SUBS)
    if kind == 2:
        return rng.choice(OPTION_WORDS)
    if kind == 3:
        return rng.choice(TIMES)
    if kind == 4:
        return rng.choice(QUOTES)
    if kind == 5:
        return "".join(rng.choice(UNICODE) for _ in range(rng.randint(1, 4)))
    if kind == 6:
        return "".join(rng.choice(CONTROL) for _ in range(rng.randint(1, 3)))
    if kind == 7:
        return rng.choice(IDS)
    if kind == 8:
        q1, q2 = rng.choice(QUOTES), rng.choice(QUOTES)
        return f"{q1}{_caption(rng)}{q2 if rng.random() < 0.7 else ''}"
    if kind == 9:
        return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 8)))
    if kind == 10:
        return rng.choice(OPTION_WORDS) + rng.choice(TIMES + IDS + PLATFORMS)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5))


def _caption(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.03:  # huge: over every platform's limit
        return rng.choice(["a", "🚀", "é", "ab "]) * rng.randint(3_000, 70_000)
    if r < 0.1:
        return "".join(rng.choice(UNICODE + CONTROL + QUOTES) for _ in range(rng.randint(1, 50)))
    words = ["We", "shipped", "🚀", "launch", "today", "#news", "@acme", "https://x.example/a?b=c"]
    return " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))


def command_text(rng: random.Random) -> str:
    """One hostile command text."""
    r = rng.random()
    if r < 0.05:
        return ""
    if r < 0.1:
        return "".join(rng.choice(CONTROL + UNICODE + QUOTES) for _ in range(rng.randint(1, 40)))
    if r < 0.2:  # a plausible post, so some reach the API
        return f'{rng.choice(PLATFORMS)} "{_caption(rng)}"' + (
            f" {rng.choice(TIMES)}" if rng.random() < 0.5 else ""
        )
    if r < 0.3:
        return f"{rng.choice(SUBS)} {rng.choice(IDS)} " + " ".join(
            _word(rng) for _ in range(rng.randint(0, 4))
        )
    return " ".join(_word(rng) for _ in range(rng.randint(1, 15)))


def command(rng: random.Random) -> str:
    return rng.choice(COMMANDS) if rng.random() < 0.3 else rng.choice(COMMANDS[:4])


def options(rng: random.Random) -> tuple[tuple[str, str], ...]:
    if rng.random() < 0.8:
        return ()
    return tuple(
        (rng.choice(OPTION_NAMES), _word(rng) if rng.random() < 0.8 else _caption(rng))
        for _ in range(rng.randint(1, 4))
    )


# ------------------------------------------------------------------ Slack request bodies


def _junk_value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.randrange(9 if depth < 3 else 6)
    if r == 0:
        return None
    if r == 1:
        return rng.choice([True, False])
    if r == 2:
        return rng.choice([0, -1, 2**63, 1.5e308, float("nan")])
    if r == 3:
        return command_text(rng)[:200]
    if r == 4:
        return rng.choice([*IDS, "", "U1", "C1", "T111", "reaction_added", "block_actions"])
    if r == 5:
        return "".join(rng.choice(UNICODE) for _ in range(3))
    if r == 6:
        return [_junk_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): _junk_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


KEYS = ["type", "event", "event_id", "team_id", "user", "channel", "item", "reaction", "ts",
        "actions", "view", "state", "values", "payload", "command", "text", "trigger_id",
        "response_url", "container", "message_ts", "channel_id", "user_id", "api_app_id",
        "authorizations", "token", "challenge", "block_id", "action_id", "value"]  # fmt: skip


def _mutate(rng: random.Random, obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    for _ in range(rng.randint(1, 4)):
        r = rng.randrange(4)
        key = rng.choice(list(out) or KEYS)
        if r == 0:
            out.pop(key, None)
        elif r == 1:
            out[key] = _junk_value(rng)
        elif r == 2:
            out[rng.choice(KEYS)] = _junk_value(rng)
        elif isinstance(out.get(key), dict):
            out[key] = _mutate(rng, out[key])
    return out


def slack_body(
    rng: random.Random, templates: list[tuple[str, str, dict[str, Any]]]
) -> tuple[str, str]:
    """(content type, body): a mutated real request, broken JSON, junk, or a huge body."""
    r = rng.random()
    kind, ctype, base = rng.choice(templates)
    if r < 0.45:
        doc = _mutate(rng, base)
        if kind == "command":
            flat = {
                k: v if isinstance(v, str) else json.dumps(v, allow_nan=True)
                for k, v in doc.items()
            }
            return ctype, urlencode(flat)
        if kind == "interactive":
            return ctype, urlencode({"payload": json.dumps(doc, allow_nan=True)})
        return ctype, json.dumps(doc, allow_nan=True)
    if r < 0.6:  # broken JSON
        text = json.dumps(base)
        cut = rng.randint(0, len(text))
        return "application/json", text[:cut] + rng.choice(["", "}", "{", '"', "\\", "\x00"])
    if r < 0.7:  # interactivity with a broken or non-object payload
        return "application/x-www-form-urlencoded", urlencode(
            {"payload": rng.choice(["{", "[]", "null", "42", '"x"', json.dumps([base]), "🚀"])}
        )
    if r < 0.78:  # a valid JSON value of the wrong type
        return "application/json", json.dumps(_junk_value(rng), allow_nan=True)
    if r < 0.84:  # wrong or odd content type
        return rng.choice(["text/plain", "application/xml", "multipart/form-data", "", "💥/x"]), (
            command_text(rng)
        )
    if r < 0.9:  # huge
        big = rng.choice(["a", "🚀", "{", "%"]) * rng.randint(200_000, 1_500_000)
        return rng.choice(["application/json", "application/x-www-form-urlencoded"]), big
    if r < 0.95:  # form soup
        pairs = [(rng.choice(KEYS), str(_junk_value(rng))) for _ in range(rng.randint(0, 8))]
        return "application/x-www-form-urlencoded", urlencode(pairs)
    # raw bytes-ish garbage as text
    return rng.choice(["application/json", "application/x-www-form-urlencoded"]), "".join(
        chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 300))
    )


# ------------------------------------------------------------------ corpus mutations

Path = tuple[str, ...]
OPS = ("remove", "null", "array")


def paths(doc: Any, prefix: Path = ()) -> list[Path]:
    """Every key / index path in ``doc`` (list indices as digit strings)."""
    out: list[Path] = []
    items: list[tuple[str, Any]] = []
    if isinstance(doc, dict):
        items = [(str(k), v) for k, v in doc.items()]
    elif isinstance(doc, list):
        items = [(str(i), v) for i, v in enumerate(doc)]
    for k, v in items:
        out.append((*prefix, k))
        out.extend(paths(v, (*prefix, k)))
    return out


def apply(doc: Any, path: Path, op: str) -> Any:
    """A copy of ``doc`` with the value at ``path`` removed, nulled or wrapped in an array."""
    if not path:
        return None if op == "null" else [doc] if op == "array" else doc
    head, rest = path[0], path[1:]
    if isinstance(doc, dict) and head in doc:
        if not rest and op == "remove":
            return {k: v for k, v in doc.items() if k != head}
        return {**doc, head: apply(doc[head], rest, op)}
    if isinstance(doc, list) and head.isdigit() and int(head) < len(doc):
        i = int(head)
        if not rest and op == "remove":
            return doc[:i] + doc[i + 1 :]
        return [*doc[:i], apply(doc[i], rest, op), *doc[i + 1 :]]
    return doc


def mutate_corpus(
    rng: random.Random, doc: dict[str, Any], documented: list[tuple[Path, str]]
) -> tuple[dict[str, Any], list[tuple[Path, str]]]:
    """1–3 mutations: from ``documented`` (the documented variations that apply to ``doc``)
    half of the time, else anywhere in the tree. Returns the new doc and what was done."""
    done: list[tuple[Path, str]] = []
    out = doc
    for _ in range(rng.randint(1, 3)):
        if documented and rng.random() < 0.5:
            path, op = rng.choice(documented)
        else:
            path, op = rng.choice(paths(out) or [("type",)]), rng.choice(OPS)
        out = apply(out, path, op)
        done.append((path, op))
    return out, done
