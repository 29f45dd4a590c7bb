"""Typed command text (and structured options) → ``PostSpec``.

The grammar is forgiving on purpose; see ``commands/help.py`` for the forms users are shown.

    /post [targets] "caption" [options]       targets: ig,x  @acme  brand  all
    /post to ig,x: caption text …             everything after the colon is the caption
    /post ig caption text …                   leading words that name targets, then the caption
    options: key:value  key:"a value"  --key value  --key=value  ig:"per-platform caption"
             x@"tomorrow 12:00" (per-platform time)  thread:"one" | "two"  draft  split

Text is normalised first (``commands.normalize``). Values with spaces need quotes, except for
``caption``, ``when``, ``thread``, ``title`` and ``description``, which take the following words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.platforms import platform_by_name
from bot.text import clip
from commands import options as opt
from commands.errors import UsageError
from commands.spec import PostSpec

# typed key (lower case, "_" → "-") → canonical option name
KEYS: dict[str, str] = {}
for _canon, _aliases in {
    opt.TARGETS: ("to", "targets", "target", "accounts", "account", "platforms", "on"),
    opt.CAPTION: ("caption", "text", "content", "message", "msg", "copy"),
    opt.CAPTIONS: ("captions",),
    opt.TYPE: ("type", "as", "kind", "post-type", "posttype", "format"),
    opt.WHEN: ("when", "at", "time", "schedule", "date"),
    opt.TIMES: ("times",),
    opt.DRAFT: ("draft",),
    opt.SPLIT: ("split", "as-thread", "auto-thread"),
    opt.MEDIA: ("media", "image", "images", "img", "photo", "video", "file", "pic", "url"),
    opt.THREAD: ("thread", "segments"),
    opt.LINK: ("link", "destination", "dest", "pin-link", "pinlink"),
    opt.ARTICLE: ("article", "share", "article-url"),
    opt.TITLE: ("title",),
    "document_title": ("doc-title", "document-title", "documenttitle", "doctitle"),
    "article_title": ("article-title",),
    opt.DESCRIPTION: ("description", "desc", "article-description"),
    opt.PRIVACY: ("privacy", "visibility", "yt-privacy", "ytprivacy"),
    opt.COVER: ("cover", "thumbnail", "thumb", "cover-image"),
    opt.COVER_OFFSET: ("cover-offset", "coveroffset", "offset", "cover-at", "thumb-offset"),
    opt.ID: ("id", "post-id", "postid"),
}.items():
    for _a in _aliases:
        KEYS[_a] = _canon

# keys whose unquoted value runs on over the following words
_GATHER = {opt.CAPTION, opt.WHEN, opt.TITLE, opt.DESCRIPTION, "document_title", "article_title"}
_CAPTION_PREFIXES = ("caption", "text")
_TIME_PREFIXES = ("at", "when", "time")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_CONNECTORS = {"and", "&", "+"}

EXAMPLE = '/post ig,x "We shipped 🚀" media:https://example.com/launch.jpg'


@dataclass(frozen=True)
class Tok:
    kind: Literal["word", "quoted", "pipe", "opt"]
    text: str  # word / quoted text; for opt the value ("" when it follows)
    start: int
    end: int
    key: str = ""  # opt: canonical name, or "caption@<platform>" / "time@<platform>"
    attached: bool = False  # opt: the value was written with the key
    quoted: bool = False  # opt: … in quotes


def _key(raw: str, sep: str, quoted: bool) -> str | None:
    """The canonical key for ``raw`` written before ``sep`` (":" "=" "@"), or None (a word)."""
    k = raw.lower().replace("_", "-")
    if sep == "@":
        return f"time@{k}" if quoted and platform_by_name(k) else None
    if "." in k:
        head, _, tail = k.partition(".")
        if platform_by_name(tail) is None:
            return None
        if head in _CAPTION_PREFIXES:
            return f"caption@{tail}"
        if head in _TIME_PREFIXES:
            return f"time@{tail}"
        return None
    if k in KEYS:
        return KEYS[k]
    if quoted and sep == ":" and platform_by_name(k) is not None:
        return f"caption@{k}"
    return None


_QUOTED_KEY = re.compile(r"""([A-Za-z][\w.\-]*)([:=@])["']""")
_BARE_KEY = re.compile(r"([A-Za-z][\w.\-]*)([:=])(\S*)")
_LONG = re.compile(r"--([A-Za-z][\w.\-]*)(=?)")


def _closing(text: str, i: int) -> int:
    """Index of the quote that closes the one at ``text[i]``, or -1.

    ``"`` closes at the next ``"``. ``'`` quotes only when it opens a word, and closes at a
    ``'`` that ends a word (so the apostrophe in ``'It's done'`` stays in the text)."""
    q = text[i]
    if q == '"':
        return text.find('"', i + 1)
    j = i + 1
    while (j := text.find("'", j)) >= 0:
        if j + 1 >= len(text) or text[j + 1].isspace() or text[j + 1] == "|":
            return j
        j += 1
    return -1


def unclosed_quote(text: str, i: int) -> UsageError:
    """The error for a quote opened at ``text[i]`` and never closed: where, and the right form."""
    q = text[i]
    shown = text[i : i + 30] + ("…" if len(text) > i + 30 else "")
    name = "double" if q == '"' else "single"
    fixed = text.rstrip() + q
    return UsageError(
        f"A {name} quote is never closed",
        problems=[
            f"The {q} at character {i + 1} ({shown}) has no closing {q}, so I can't tell "
            "where the text ends. Nothing was sent."
        ],
        hint=f'{clip(fixed, 100)}   (close the quote; for an apostrophe, put the text in "…")',
    )


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted string starting at ``text[i]`` (``"`` or ``'``); an unclosed quote is a
    ``UsageError`` that says where it opened."""
    j = _closing(text, i)
    if j < 0:
        raise unclosed_quote(text, i)
    return text[i + 1 : j], j + 1


def _run(text: str, i: int) -> int:
    j = i
    while j < len(text) and not text[j].isspace():
        j += 1
    return j


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "|":
            toks.append(Tok("pipe", "|", i, i + 1))
            i += 1
            continue
        if c == '"' or (c == "'" and (i == 0 or text[i - 1].isspace() or text[i - 1] == "|")):
            value, j = _quoted(text, i)
            toks.append(Tok("quoted", value, i, j))
            i = j
            continue
        m = _LONG.match(text, i)
        if m:
            key = _key(m.group(1), ":", True) or _key(m.group(1), "@", True)
            if key is None:
                raise UsageError(
                    f"Unknown option --{m.group(1)}",
                    problems=[f"I know these options: {', '.join(sorted(set(KEYS)))}"],
                    hint=EXAMPLE,
                )
            j = m.end()
            if m.group(2):  # --key=value
                quoted = j < n and text[j] in "\"'"
                if quoted:
                    value, j = _quoted(text, j)
                else:
                    e = _run(text, j)
                    value, j = text[j:e], e
                toks.append(Tok("opt", value, i, j, key=key, attached=True, quoted=quoted))
            else:
                toks.append(Tok("opt", "", i, j, key=key))
            i = j
            continue
        m = _QUOTED_KEY.match(text, i)
        if m:
            key = _key(m.group(1), m.group(2), True)
            if key is not None:
                value, j = _quoted(text, m.end() - 1)
                toks.append(Tok("opt", value, i, j, key=key, attached=True, quoted=True))
                i = j
                continue
        m = _BARE_KEY.match(text, i)
        if m:
            key = _key(m.group(1), m.group(2), False)
            if key is not None:
                toks.append(Tok("opt", m.group(3), i, m.end(), key=key, attached=bool(m.group(3))))
                i = m.end()
                continue
        j = _run(text, i)
        toks.append(Tok("word", text[i:j], i, j))
        i = j
    return toks


def _span(text: str, toks: Sequence[Tok]) -> str:
    """The original text covered by consecutive tokens (quotes of a lone quoted token dropped)."""
    if not toks:
        return ""
    if len(toks) == 1 and toks[0].kind == "quoted":
        return toks[0].text
    return text[toks[0].start : toks[-1].end].strip()


# bare words that switch something on: "draft", "split" (post a too-long caption as a thread)
_FLAGS = {"draft": "draft", "split": "split"}


def _is_draft(t: Tok) -> bool:
    """A flag word (``draft`` or ``split``); named for the first of them."""
    return t.kind == "word" and t.text.lower() in _FLAGS


def _set_flag(spec: PostSpec, t: Tok) -> None:
    setattr(spec, _FLAGS[t.text.lower()], True)


def _is_url(word: str) -> bool:
    return bool(re.match(r"https?://\S+$", word, re.IGNORECASE))


def _thread(text: str, toks: list[Tok], i: int, first: str | None) -> tuple[list[str], int]:
    """Segments of a thread option whose tokens start at ``toks[i]``; returns (segments, next).

    ``thread:"a" | "b"`` / ``--thread "a" "b"`` / ``thread: a | b``: groups split by ``|``; a
    group of quoted strings gives one segment each, a group of words one segment.
    """
    segments = [first] if first is not None else []
    if first is not None and not (i < len(toks) and toks[i].kind in ("pipe", "quoted")):
        return segments, i
    groups: list[list[Tok]] = [[]]
    while i < len(toks) and toks[i].kind != "opt" and not _is_draft(toks[i]):
        if toks[i].kind == "pipe":
            groups.append([])
        else:
            groups[-1].append(toks[i])
        i += 1
    for g in groups:
        if g and all(t.kind == "quoted" for t in g):
            segments.extend(t.text for t in g)
        elif g:
            segments.append(_span(text, g))
    return [s.strip() for s in segments if s.strip()], i


# Options that simply set one text field of the spec: option name → PostSpec attribute.
_TEXT_FIELDS = {
    opt.CAPTION: "caption",
    opt.TYPE: "post_type",
    opt.WHEN: "when",
    opt.LINK: "link",
    opt.ARTICLE: "article",
    opt.TITLE: "title",
    "document_title": "document_title",
    "article_title": "article_title",
    opt.DESCRIPTION: "description",
    opt.PRIVACY: "privacy",
    opt.COVER: "cover",
    opt.COVER_OFFSET: "cover_offset",
    opt.ID: "post_id",
}


def _apply(spec: PostSpec, key: str, value: str) -> None:
    value = value.strip()
    if key in _TEXT_FIELDS:
        setattr(spec, _TEXT_FIELDS[key], value)
    elif key.startswith("caption@"):
        spec.captions[key.split("@", 1)[1]] = value
    elif key.startswith("time@"):
        spec.times[key.split("@", 1)[1]] = value
    elif key == opt.TARGETS:
        spec.targets.extend(p for p in re.split(r"[\s,]+", value) if p)
    elif key == opt.DRAFT:
        spec.draft = parse_bool(value, opt.DRAFT)
    elif key == opt.SPLIT:
        spec.split = parse_bool(value, opt.SPLIT)
    elif key == opt.MEDIA:
        spec.media.extend(split_media(value))
    elif key == opt.THREAD:
        spec.thread.append(value)
    elif key == opt.CAPTIONS:
        spec.captions.update(parse_lines(value, opt.CAPTIONS))
    elif key == opt.TIMES:
        spec.times.update(parse_lines(value, opt.TIMES))


def parse_bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v == "" or v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise UsageError(
        f"{name} must be yes or no", problems=[f"got {value!r}"], hint=f"{name}:yes", field=name
    )


def split_media(value: str) -> list[str]:
    parts = [p for p in re.split(r"\s+", value.strip()) if p]
    out: list[str] = []
    for p in parts:
        pieces = [x for x in p.split(",") if x]
        out.extend(pieces if all(_is_url(x) for x in pieces) else [p])
    return out


def parse_lines(value: str, name: str) -> dict[str, str]:
    """``platform: text`` lines (captions / times)."""
    out: dict[str, str] = {}
    for line in value.splitlines():
        if not line.strip():
            continue
        head, sep, tail = line.partition(":")
        if not sep or platform_by_name(head) is None or not tail.strip():
            raise UsageError(
                f"I couldn't read a line of {name}",
                problems=[f"{line.strip()!r}: expected 'platform: text'"],
                hint="instagram: Casual caption ✨"
                if name == opt.CAPTIONS
                else "x: tomorrow 12:00",
                field=name,
            )
        out[head.strip().lower()] = tail.strip()
    return out


def default_is_target(word: str) -> bool:
    w = word.lower()
    return w in ("all", "everywhere") or w.startswith("@") or platform_by_name(w) is not None


def _target_names(word: str) -> list[str]:
    return [p for p in re.split(r"[,;]+", word.rstrip(":")) if p]


# short names that are also common English words: a target only in a list ("in,x") or "in:"
_WORDLIKE = {"in"}


def _targetish(word: str, is_target: Callable[[str], bool]) -> bool:
    names = _target_names(word)
    if len(names) == 1 and names[0].lower() in _WORDLIKE and not word.endswith((":", ",")):
        return False
    return bool(names) and all(is_target(n) for n in names)


def parse(
    text: str,
    command: str = "post",
    is_target: Callable[[str], bool] = default_is_target,
) -> PostSpec:
    """Normalised text → ``PostSpec`` (``command`` "post", "schedule" or "edit")."""
    spec = PostSpec()
    try:
        toks = tokenize(text)
    except UsageError as e:
        if e.hint and e.title.endswith("quote is never closed"):
            e.hint = ("/social edit " if command == "edit" else f"/{command} ") + e.hint
        raise
    free: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        i += 1
        if t.kind != "opt":
            free.append(t)
            continue
        if t.key == opt.THREAD:
            segs, i = _thread(text, toks, i, t.text if t.attached else None)
            if not segs:
                raise UsageError(
                    "thread needs segments",
                    hint='thread:"1/ Kicking off" | "2/ More" | "3/ Done"',
                    field=opt.THREAD,
                )
            spec.thread.extend(segs)
            continue
        value = t.text
        if t.key in (opt.DRAFT, opt.SPLIT) and not t.attached:
            if i < len(toks) and toks[i].kind == "word" and toks[i].text.lower() in _TRUE | _FALSE:
                value = toks[i].text
                i += 1
            _apply(spec, t.key, value)
            continue
        gather = t.key in _GATHER or t.key.startswith(("caption@", "time@"))
        if not t.attached or (gather and not t.quoted):
            taken: list[Tok] = []
            if not t.attached and i < len(toks) and toks[i].kind in ("word", "quoted"):
                taken.append(toks[i])
                i += 1
            if gather and not (taken and taken[0].kind == "quoted"):
                timeish = t.key == opt.WHEN or t.key.startswith("time@")
                while i < len(toks) and toks[i].kind == "word":
                    if timeish and _is_draft(toks[i]):
                        break
                    taken.append(toks[i])
                    i += 1
            if taken:
                rest = _span(text, taken)
                value = f"{value} {rest}" if t.attached else rest
            if not value.strip():
                raise UsageError(
                    f"{t.key.split('@')[0]} needs a value",
                    hint=EXAMPLE,
                    field=t.key.split("@")[0],
                )
        _apply(spec, t.key, value)
    _interpret_free(text, free, spec, command, is_target)
    return spec


def _interpret_free(
    text: str, free: list[Tok], spec: PostSpec, command: str, is_target: Callable[[str], bool]
) -> None:
    """Targets, caption, thread and (for /schedule) the time among the words without a key."""
    if command == "edit":
        if free and spec.post_id is None and free[0].kind == "word":
            spec.post_id = free.pop(0).text
        if free and spec.caption is None:
            spec.caption = _span(text, free) if len(free) > 1 else free[0].text
        return

    time_words: list[Tok] = []
    i = 0
    has_quote = any(t.kind == "quoted" for t in free)

    # "to ig,x: caption" / "ig,x: caption" / leading target words
    explicit_to = bool(free) and free[0].kind == "word" and free[0].text.lower() == "to"
    if explicit_to:
        i = 1
    while i < len(free):
        t = free[i]
        if t.kind != "word":
            break
        w = t.text
        if w.lower() in _CONNECTORS and i + 1 < len(free) and free[i + 1].kind == "word":
            i += 1
            continue
        if _targetish(w, is_target) or (explicit_to and w.endswith(":")):
            spec.targets.extend(_target_names(w))
            i += 1
            if w.endswith(":"):
                break
            continue
        if has_quote:  # before a quoted caption every word is a target, a URL, draft or a time
            if _is_draft(t):
                _set_flag(spec, t)
            elif _is_url(w):
                spec.media.append(w)
            elif command == "schedule":
                time_words.append(t)
            elif w.lower() != "to":
                spec.targets.extend(_target_names(w))
            i += 1
            continue
        break

    rest = free[i:]
    if command == "schedule" and not has_quote and not time_words and spec.when is None:
        # "/schedule tomorrow 9am to ig,x: caption"
        for k, t in enumerate(rest):
            if t.kind == "word" and t.text.lower() == "to" and k > 0:
                j = k + 1
                names: list[str] = []
                while j < len(rest) and rest[j].kind == "word":
                    w = rest[j].text
                    if not (_targetish(w, is_target) or w.endswith(":")):
                        break
                    names.extend(_target_names(w))
                    j += 1
                    if w.endswith(":"):
                        break
                if names:
                    time_words = rest[:k]
                    spec.targets.extend(names)
                    rest = rest[j:]
                break

    if rest and rest[0].kind == "quoted":
        # "caption" [| "segment" ...] then trailing words
        first = rest[0]
        j = 1
        segments = [first.text]
        while j + 1 < len(rest) and rest[j].kind == "pipe" and rest[j + 1].kind == "quoted":
            segments.append(rest[j + 1].text)
            j += 2
        if len(segments) > 1:
            spec.thread.extend(s.strip() for s in segments if s.strip())
        elif spec.caption is None:
            spec.caption = first.text
        else:
            spec.extra_words.append(first.text)
        _trailing(rest[j:], spec, command, is_target, time_words)
    elif rest:
        words = [t for t in rest]
        if spec.caption is None:
            spec.caption = _joined(text, words)
        else:
            spec.extra_words.extend(t.text for t in words)
    if time_words and spec.when is None:
        spec.when = " ".join(t.text for t in time_words)
    elif time_words:
        spec.extra_words.extend(t.text for t in time_words)


def _trailing(
    toks: list[Tok],
    spec: PostSpec,
    command: str,
    is_target: Callable[[str], bool],
    time_words: list[Tok],
) -> None:
    k = 0
    while k < len(toks):
        t = toks[k]
        k += 1
        if t.kind == "pipe":
            spec.extra_words.append("|")
            continue
        if t.kind == "quoted":
            if command == "schedule" and spec.when is None and not time_words:
                spec.when = t.text
            else:
                spec.extra_words.append(f'"{t.text}"')
            continue
        w = t.text
        if _is_draft(t):
            _set_flag(spec, t)
        elif w.lower() in ("to", *_CONNECTORS):
            continue
        elif _targetish(w, is_target):
            spec.targets.extend(_target_names(w))
        elif _is_url(w):
            spec.media.append(w)
        elif command == "schedule":
            time_words.append(t)
        else:
            spec.extra_words.append(w)


def _joined(text: str, toks: list[Tok]) -> str:
    """Caption from free tokens: contiguous runs of the original text, joined by a space."""
    runs: list[list[Tok]] = []
    for t in toks:
        if runs and _contiguous(text, runs[-1][-1], t):
            runs[-1].append(t)
        else:
            runs.append([t])
    return " ".join(text[r[0].start : r[-1].end] for r in runs).strip()


def _contiguous(text: str, a: Tok, b: Tok) -> bool:
    return text[a.end : b.start].strip() == ""


def apply_options(spec: PostSpec, options: Sequence[tuple[str, str]]) -> PostSpec:
    """Structured options (Discord / Slack modal) on top of what the text said."""
    for name, raw in options:
        value = raw.strip()
        if not value or name == opt.WHAT:
            continue
        if name == opt.TARGETS:
            spec.targets = [p for p in re.split(r"[\s,]+", value) if p]
        elif name == opt.MEDIA:
            spec.media.extend(split_media(value))
        elif name == opt.THREAD:
            segs = [s.strip() for s in re.split(r"(?m)^\s*---\s*$", value)]
            spec.thread = [s for s in segs if s]
        elif name in opt.ALL:
            _apply(spec, name, value)
        else:
            raise UsageError(f"Unknown option {name!r}", field=name)
    return spec
