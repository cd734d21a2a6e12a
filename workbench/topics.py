"""What a scope names, and whether a note falls under it: a path pattern or a topic phrase.

Paths (anything starting with `/`) match whole segments, case-sensitively:

    /people/          /people/alice.md, /people/team/x.md      never /peoplesoft/a.md
    /notes/lunch      /notes/lunch, /notes/lunch.md, /notes/lunch/x.md
    /a/b.md           /a/b.md only (the extension is kept: never /a/b.mdx)
    /clients/*.md     one segment: /clients/acme.md, not /clients/acme/x.md
    /**/todo.md       any depth

Topics match as phrases on word boundaries after Snowball stemming, in a note's text, its
section title or its path words: "old lunch notes" matches "Old lunch spot was Gino's" but not
"the old CI box" or "lunch is at noon". Generic words at the edges of a phrase ("notes",
"anything", "stuff", "the", "about") are not the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from .records import Note

GENERIC = frozenset(
    "note notes memory memories entry entries stuff thing things fact facts info information item items "
    "detail details bit bits anything everything something all any every each topic topics content "
    "contents record records data piece pieces part parts".split()
)
EDGE_WORDS = frozenset(
    "a an the of about on for with to in at by from into regarding concerning around re this that these "
    "those my our your their its some other and or".split()
)
_STEMMER = Stemmer.Stemmer("english")
_WORD = re.compile(r"[^\W_]+")
_SEPARATOR = " | "


def words(text: str) -> list[str]:
    """Lower-case word tokens: letters and digits, split at punctuation, hyphens and underscores."""
    return _WORD.findall(text.lower())


@lru_cache(maxsize=65536)
def stems(text: str) -> tuple[str, ...]:
    """The Snowball stems of a text's words, in order."""
    return tuple(_STEMMER.stemWords(words(text)))


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

    @property
    def needle(self) -> str:
        return f" {' '.join(self.stems)} "

    def matches(self, note: Note) -> bool:
        return bool(self.stems) and self.needle in _haystack(note.path, note.section, note.text)


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


def phrase_stems(topic: str) -> tuple[str, ...]:
    """The stems a topic phrase matches on: generic and function words trimmed from both ends."""
    tokens = words(topic)
    while tokens and (tokens[0] in GENERIC or tokens[0] in EDGE_WORDS):
        tokens.pop(0)
    while tokens and (tokens[-1] in GENERIC or tokens[-1] in EDGE_WORDS):
        tokens.pop()
    return tuple(_STEMMER.stemWords(tokens))


@lru_cache(maxsize=8192)
def matcher(topic: str) -> PathPattern | Phrase:
    """The compiled form of a topic or path (cached: the tuner asks on every keystroke)."""
    topic = topic.strip()
    if is_path(topic):
        return PathPattern(topic, path_regex(topic))
    return Phrase(topic, phrase_stems(topic))


@lru_cache(maxsize=131072)
def _haystack(path: str, section: str, text: str) -> str:
    fields = (" ".join(stems(path)), " ".join(stems(section)), " ".join(stems(text)))
    return " " + _SEPARATOR.join(fields) + " "


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
