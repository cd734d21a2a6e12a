"""What a scope names, and whether a note falls under it: a path pattern or a topic phrase.

Paths (anything starting with `/`) match whole segments, case-sensitively:

    /people/          /people/alice.md, /people/team/x.md      never /peoplesoft/a.md
    /notes/lunch      /notes/lunch, /notes/lunch.md, /notes/lunch/x.md
    /a/b.md           /a/b.md only (the extension is kept: never /a/b.mdx)
    /clients/*.md     one segment: /clients/acme.md, not /clients/acme/x.md
    /**/todo.md       any depth

On their own (`matches`, for a note an analysis has not seen, such as an insight's text) topics
match as phrases on word boundaries after Snowball stemming (the tokens of
`workbench.text`), in a note's text, its headings and parent items, or its path words: "old lunch notes" matches "Old lunch spot was Gino's" but not
"the old CI box" or "lunch is at noon". Generic words at the edges of a phrase ("notes",
"anything", "stuff", "the", "about") are not the topic. Over an analysis a topic matches by
meaning: `workbench.scopes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .records import Note
from .text import ARTICLES, tokens

GENERIC = frozenset(
    "note notes memory memories entry entries stuff thing things fact facts info information item items "
    "detail details bit bits anything everything something all any every each topic topics content "
    "contents record records data piece pieces part parts".split()
)
EDGE_WORDS = frozenset(
    "a an the of about on for with to in at by from into regarding concerning around re this that these "
    "those my our your their its some other and or".split()
)
_SEPARATOR = "\x1f"


@lru_cache(maxsize=65536)
def stems(text: str) -> tuple[str, ...]:
    """A text's comparable tokens in order (`workbench.text`): Snowball stems of words, values such
    as paths, numbers and identifiers whole, articles dropped."""
    return tuple(t.norm for t in tokens(text) if not (t.kind == "word" and t.norm in ARTICLES))


def is_path(topic: str) -> bool:
    return topic.startswith("/")


@dataclass(frozen=True)
class PathPattern:
    """A path or glob matched segment by segment (`*` within a segment, `**` across segments)."""

    pattern: str
    regex: re.Pattern[str]

    def matches(self, note: Note) -> bool:
        return self.regex.match(note.path) is not None


@dataclass(frozen=True)
class Phrase:
    """A topic: stems that must appear next to each other, in order, in one field of a note."""

    topic: str
    stems: tuple[str, ...]
    needle: str = ""  # the stems as they appear in a haystack line: " a b c "

    def matches(self, note: Note) -> bool:
        return bool(self.needle) and self.needle in _haystack(note.path, note.context, note.text)


def _segment_regex(segment: str) -> str:
    if segment == "**":
        return "(?:/[^/]+)*"
    body = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment)
    return "/" + body


def path_regex(pattern: str) -> re.Pattern[str]:
    """The regex a path pattern stands for; it matches the path itself or anything below it."""
    segments = [s for s in pattern.strip("/").split("/") if s]
    if not segments:
        return re.compile(r"/")
    last = segments[-1]
    bare_name = not pattern.endswith("/") and "." not in last and "*" not in last and "?" not in last
    extension = r"(?:\.[^/]+)?" if bare_name else ""
    return re.compile("".join(_segment_regex(s) for s in segments) + extension + r"(?:/.*)?\Z")


def _trimmed(topic: str) -> list:
    """A topic's tokens without articles, and without generic and function words at either end."""
    found = [t for t in tokens(topic) if not (t.kind == "word" and t.norm in ARTICLES)]
    edge = lambda t: t.kind == "word" and t.text.lower() in GENERIC | EDGE_WORDS  # noqa: E731
    while found and edge(found[0]):
        found.pop(0)
    while found and edge(found[-1]):
        found.pop()
    return found


def phrase_stems(topic: str) -> tuple[str, ...]:
    """The tokens a topic phrase matches on: generic and function words trimmed from both ends."""
    return tuple(t.norm for t in _trimmed(topic))


def phrase_text(topic: str) -> str:
    """The words of a topic phrase as written, trimmed like its stems ("old debugging notes" → "old debugging")."""
    found = _trimmed(topic)
    return topic[found[0].start:found[-1].end] if found else ""


def about_words(note: Note) -> frozenset[str]:
    """The stems a note is about: its text, its headings and parent items and its path words, with the
    parts of joined words too ("double-billed" → double, bill)."""
    fields = [note.text, *note.context, note.path]
    return frozenset(s for f in fields for s in (*stems(f), *stems(_WORD_JOINS.sub(" ", f))))


_WORD_JOINS = re.compile(r"[/._\-]+")


@lru_cache(maxsize=8192)
def matcher(topic: str) -> PathPattern | Phrase:
    """The compiled form of a topic or path (cached: the tuner asks on every keystroke)."""
    topic = topic.strip()
    if is_path(topic):
        return PathPattern(topic, path_regex(topic))
    found = phrase_stems(topic)
    return Phrase(topic, found, f" {' '.join(found)} " if found else "")


@lru_cache(maxsize=131072)
def _haystack(path: str, context: tuple[str, ...], text: str) -> str:
    """A note's path words, its headings and parent items, and its text, as one searchable line;
    the separator keeps a phrase from spanning two of them."""
    path_words = " ".join(re.split(r"[/._\-]+", path))
    fields = [" ".join(stems(path_words)), *(" ".join(stems(c)) for c in context), " ".join(stems(text))]
    return " " + f" {_SEPARATOR} ".join(fields) + " "


def matches(topic: str, note: Note) -> bool:
    """True when a note falls under a topic phrase or a path pattern."""
    return matcher(topic).matches(note)


def topic_key(topic: str) -> str:
    """What makes two topics the same: the path without its trailing slash, or the phrase's stems."""
    found = matcher(topic)
    if isinstance(found, PathPattern):
        return found.pattern.rstrip("/") or "/"
    return " ".join(found.stems)


def covers(broad: str, narrow: str) -> bool:
    """True when every note under `narrow` is also under `broad` (decided on the patterns alone)."""
    a, b = matcher(broad), matcher(narrow)
    if isinstance(a, Phrase) and isinstance(b, Phrase):
        return bool(a.stems) and a.needle in b.needle
    if isinstance(a, PathPattern) and isinstance(b, PathPattern):
        concrete = not any(c in b.pattern for c in "*?")
        return topic_key(broad) == topic_key(narrow) or (concrete and a.regex.match(b.pattern.rstrip("/")) is not None)
    return False
