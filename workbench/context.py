"""Where a note sits: its document, headings and parent items, and the names they carry.

The same words under different parent items, or in documents about different subjects, may be
different facts; `context_signals` says which of those holds for two notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .compare import FUNCTION_WORDS, profile
from .records import Note


@dataclass(frozen=True, slots=True)
class Context:
    """Where a note sits: its document, headings and parent items, and the names they carry."""

    path: str
    section: str
    parents: tuple[str, ...]
    names: frozenset[str]


def context_of(note: Note, names: frozenset[str]) -> Context:
    """The context of a note; `names` are the corpus's proper nouns (document titles, headings, file names)."""
    stem = note.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    found: set[str] = set()
    for text in (note.section, *note.parents, stem.replace("_", " ").replace("-", " ")):
        found |= {s for s, k in zip(profile(text, names).sequence, profile(text, names).kinds) if k == "name"}
    return Context(note.path, " ".join(note.section.lower().split()), note.parents, frozenset(found))


@lru_cache(maxsize=50_000)
def section_words(section: str) -> frozenset[str]:
    """The content words of a section's heading (as `Context.section` holds it)."""
    return frozenset(w for w in profile(section).sequence if w not in FUNCTION_WORDS)


def context_signals(a: Context, b: Context) -> dict[str, bool]:
    """Whether two notes share a context, and whether their contexts name different subjects."""
    words_a, words_b = section_words(a.section), section_words(b.section)
    return {
        "same_context": (a.section, a.parents) == (b.section, b.parents),
        "same_document": a.path == b.path,
        "parallel": words_a != words_b and bool(words_a & words_b),
        "parents_differ": a.parents != b.parents and bool(a.parents or b.parents),
        "subjects_differ": bool(a.names and b.names and not a.names & b.names),
    }
