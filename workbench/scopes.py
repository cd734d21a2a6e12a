"""What each focus scope matches in an analysis: paths exactly, topics by meaning.

A path (`/team/`, `/clients/*.md`) matches as `workbench.topics` says: whole segments, globs.
A topic phrase matches the notes that are about it (`match_topic`):

- by its words: every content word of the phrase, in any order and inflection (Snowball stems,
  "hypotheses" ~ "hypothesis"), in the note's text, its headings and parent items or its path words;
- by its meaning: the phrase, embedded like a note (`analysis.embed`), is at least the measured bar
  (`TOPIC_BARS`) close to the note itself, to its place (path words, headings and parent items
  embedded together), to its document (the mean of the document's notes), or, when the map's label
  of the note's topic names a word of the phrase, to that topic of the map.

A phrase of generic words only ("notes", "stuff") matches nothing and says why. Results are
memoized per analysis (`workbench.analysis.memoized`): the tuner asks on every keystroke.

    scope_matches(analysis, focus)   # {"weight 2: coding preferences": frozenset({...}), ...}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .analysis import Analysis, memoized, memory_centroids
from .focus import Focus, Scopes
from .topics import PathPattern, about_words, is_path, matcher, phrase_stems, phrase_text, stems

# The similarity bar of a topic per embedder family, measured by `python -m benchmarks focus` on the
# 69 labelled rows of tests/data/focus_topics.jsonl (six stores, 740 labelled notes; benchmarks/focus.py):
# the bar with the highest F1 among those with precision ≥ 0.9. tfidf: 0.66 (P 0.957, R 0.810, F1 0.878;
# at 0.50 P 0.90, R 0.83; at 0.80 P 0.98, R 0.78); minilm: 0.38 (P 0.944, R 0.861, F1 0.901; at 0.30 P 0.85,
# R 0.92; at 0.50 P 0.98, R 0.78). `python -m benchmarks focus` prints the whole curve. Other families
# take minilm's.
TOPIC_BARS = {"tfidf": 0.66, "minilm": 0.38}
_BAG_OF_WORDS = {"tfidf"}  # embedder families that see only the words of the store
_PREFIX = 5  # inflections the stemmer leaves apart ("hypothes" / "hypothesi") share at least 5 letters …
_SUFFIX = 2  # … and differ by at most 2 after them


@dataclass(frozen=True)
class TopicMatch:
    """The notes (and session statements) a topic or path is about, and why it matched nothing."""

    topic: str
    notes: frozenset[str] = frozenset()
    statements: frozenset[str] = frozenset()
    why: str = ""


@dataclass(frozen=True)
class ScopeSets:
    """The notes under each kind of scope, as the planner reads them."""

    protected: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()  # ignored or forgotten: no operation, no question
    forgotten: dict[str, str] = field(default_factory=dict)  # note id -> the topic that asks to forget it
    included: frozenset[str] | None = None  # None: no include scope
    weights: dict[str, float] = field(default_factory=dict)  # note id -> its strongest weight (≠ 1)
    statement_weights: dict[str, float] = field(default_factory=dict)
    excluded_statements: frozenset[str] = frozenset()

    def weight(self, note_ids: Iterable[str]) -> float:
        """The strongest weight among the notes (furthest from 1), else 1."""
        found = [self.weights[i] for i in note_ids if i in self.weights]
        return max(found, key=lambda w: abs(w - 1.0)) if found else 1.0


def topic_bar(analysis: Analysis) -> float:
    """The measured similarity bar for the analysis's embedder family."""
    return TOPIC_BARS.get(analysis.embedder_id.split("-", 1)[0], TOPIC_BARS["minilm"])


def scope_labels(scopes: Scopes) -> list[tuple[str, str, float | None, str]]:
    """(kind, target, value, label) of every topic and path scope; kind is protect, include, exclude,
    forget or weight, and the label is the one `Scope.label` and `Scopes.describe` show."""
    out = [("protect", t, None, f"protect: {t}") for t in scopes.protect]
    out += [("include", t, None, f"include only: {t}") for t in scopes.include]
    out += [("forget" if t in scopes.forget else "exclude", t, None, f"exclude: {t}") for t in scopes.exclude]
    out += [("weight", t, w, f"weight {w:g}: {t}") for t, w in scopes.weights]
    return out


def scope_matches(analysis: Analysis, focus: Focus) -> dict[str, frozenset[str]]:
    """The note ids each topic or path scope of the focus matches, by scope label."""
    scopes = focus.scopes
    return memoized(analysis, ("scopes:matches", scopes),
                    lambda: {label: match_topic(analysis, target).notes for _, target, _, label in scope_labels(scopes)})


def scope_sets(analysis: Analysis, focus: Focus) -> ScopeSets:
    """The notes and statements under each kind of scope of the focus (memoized per analysis and scopes)."""
    return memoized(analysis, ("scopes:sets", focus.scopes), lambda: _sets(analysis, focus.scopes))


def _sets(analysis: Analysis, scopes: Scopes) -> ScopeSets:
    of = lambda targets: frozenset().union(*(match_topic(analysis, t).notes for t in targets))  # noqa: E731
    forgotten: dict[str, str] = {}
    for topic in scopes.forget:
        for note_id in sorted(match_topic(analysis, topic).notes):
            forgotten.setdefault(note_id, topic)
    weights: dict[str, float] = {}
    statement_weights: dict[str, float] = {}
    for topic, w in scopes.weights:
        match = match_topic(analysis, topic)
        for table, ids in ((weights, match.notes), (statement_weights, match.statements)):
            for i in ids:
                if abs(w - 1.0) > abs(table.get(i, 1.0) - 1.0):
                    table[i] = w
    excluded_statements = frozenset().union(*(match_topic(analysis, t).statements for t in scopes.exclude))
    return ScopeSets(of(scopes.protect), of(scopes.exclude), forgotten,
                     of(scopes.include) if scopes.include else None, weights, statement_weights, excluded_statements)


# --- one topic -------------------------------------------------------------------------------


def match_topic(analysis: Analysis, topic: str) -> TopicMatch:
    """What a topic phrase or path matches in the analysis (memoized per analysis and topic)."""
    return memoized(analysis, ("scopes:topic", topic.strip()), lambda: _match(analysis, topic.strip()))


def _match(analysis: Analysis, topic: str) -> TopicMatch:
    if is_path(topic):
        pattern = matcher(topic)
        assert isinstance(pattern, PathPattern)
        found = frozenset(n.id for n in analysis.corpus.notes if pattern.matches(n))
        return TopicMatch(topic, found, why="" if found else f"no note lies under {topic}")
    words = phrase_stems(topic)
    if not words:
        return TopicMatch(topic, why=f"“{topic}” is generic: it names no topic (say what the notes are about)")
    rows = lexical_rows(analysis, words)
    if comparable(analysis, words):
        rows |= set(np.flatnonzero(topic_scores(analysis, topic) >= topic_bar(analysis)))
    notes = frozenset(analysis.note_ids[i] for i in rows)
    statements = _statements(analysis, topic, words)
    why = "" if notes or statements else f"no note is about “{topic}”"
    return TopicMatch(topic, notes, statements, why)


def comparable(analysis: Analysis, words: tuple[str, ...]) -> bool:
    """Whether the embedding can stand for the phrase: a bag-of-words embedder (tfidf) knows only the words of
    the store, so a phrase with a word no note uses ("small talk" where only "small PRs" is written) is
    matched by its words alone."""
    if analysis.embedder_id.split("-", 1)[0] not in _BAG_OF_WORDS:
        return True
    index = _word_index(analysis)
    return all(_variants(index, w) for w in words)


def topic_scores(analysis: Analysis, topic: str) -> np.ndarray:
    """Per note, how close a topic phrase is to it: the highest cosine to the note, its place, its document,
    or its topic on the map when that topic's label names a word of the phrase (0 for a generic phrase)."""
    words = phrase_stems(topic)
    n = len(analysis.note_ids)
    if not words or not n:
        return np.zeros(n)
    query = _query(analysis, topic)
    views = _views(analysis)
    best = np.maximum.reduce([analysis.vectors @ query, views.places @ query, views.documents @ query])
    for cluster in _named_clusters(views, words):
        rows = views.clusters == cluster
        best[rows] = np.maximum(best[rows], float(views.centroids[cluster] @ query))
    return best


def lexical_rows(analysis: Analysis, words: tuple[str, ...]) -> set[int]:
    """The rows of notes that hold every word of a phrase (any order, any inflection) in what they are about."""
    return _holding(_word_index(analysis), words)


def _holding(index: _WordIndex, words: tuple[str, ...]) -> set[int]:
    rows: set[int] | None = None
    for word in words:
        hits = set().union(*(index.rows[w] for w in _variants(index, word)))
        rows = hits if rows is None else rows & hits
        if not rows:
            return set()
    return rows or set()


def nearest_topics(analysis: Analysis, topic: str, k: int = 3) -> list[tuple[str, int]]:
    """The map's topics closest to a phrase by embedding similarity: (label, notes), closest first."""
    if not phrase_stems(topic) or not len(analysis.clusters):
        return []
    views = _views(analysis)
    query = _query(analysis, topic)
    order = np.argsort(-(views.centroids @ query), kind="stable")
    sizes = np.bincount(views.clusters[views.clusters >= 0], minlength=len(views.centroids))
    return [(views.labels[int(c)], int(sizes[c])) for c in order if sizes[c]][:k]


# --- what is computed once per analysis ----------------------------------------------------------


def warm(analysis: Analysis) -> None:
    """Compute what the first topic phrase would: the word indexes of the notes and the statements, and the
    notes' places and documents embedded (which fits a TF-IDF embedder read back from a cache)."""
    _word_index(analysis), _statement_index(analysis), _views(analysis)


@dataclass(frozen=True)
class _Views:
    places: np.ndarray  # per note: its path words, headings and parent items, embedded
    documents: np.ndarray  # per note: its document's mean vector
    clusters: np.ndarray  # per note: its topic number on the map (-1: none)
    centroids: np.ndarray  # per topic number: the mean vector of its notes
    labels: dict[int, str]
    label_words: dict[int, frozenset[str]]


def _views(analysis: Analysis) -> _Views:
    return memoized(analysis, "scopes:views", lambda: _make_views(analysis))


def _make_views(analysis: Analysis) -> _Views:
    notes = analysis.corpus.notes
    places = [" ".join([*_path_words(n.path), *n.context]) for n in notes]
    unique = sorted(set(places))
    vectors = _embed(analysis, unique) if unique else np.zeros((0, analysis.vectors.shape[1]))
    place_of = dict(zip(unique, vectors))
    centroids, memory_ids = memory_centroids(analysis)
    row = {m: i for i, m in enumerate(memory_ids)}
    clusters = _cluster_numbers(analysis)
    labels = analysis.topic_names
    size = max(labels, default=-1) + 1
    means = np.zeros((size, analysis.vectors.shape[1]), dtype=np.float32)
    for c in range(size):
        members = analysis.vectors[clusters == c]
        if len(members):
            mean = members.mean(axis=0)
            means[c] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return _Views(np.array([place_of[p] for p in places]).reshape(len(notes), -1),
                  centroids[[row[n.memory_id] for n in notes]] if notes else centroids,
                  clusters, means, labels, {c: frozenset(stems(label)) for c, label in labels.items()})


def _cluster_numbers(analysis: Analysis) -> np.ndarray:
    if not len(analysis.clusters):
        return np.full(len(analysis.note_ids), -1)
    return analysis.clusters["cluster"].reindex(list(analysis.note_ids)).fillna(-1).to_numpy(dtype=int)


def _path_words(path: str) -> list[str]:
    return [w for w in path.replace("_", " ").replace("-", " ").replace(".", "/").split("/") if w and w != "md"]


def _query(analysis: Analysis, topic: str) -> np.ndarray:
    """The phrase embedded like a note (its words as written, generic ends trimmed)."""
    text = phrase_text(topic)
    return memoized(analysis, ("scopes:query", text), lambda: _embed(analysis, [text])[0])


def _embed(analysis: Analysis, texts: list[str]) -> np.ndarray:
    """Texts embedded like the notes, on one BLAS thread as `analyze` does (two pools thrash on 2 cores)."""
    with _threads().limit(limits=1):
        return analysis.embed(texts)


@lru_cache(maxsize=1)
def _threads():
    """The BLAS and OpenMP pools, found once (finding them takes tens of milliseconds)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _named_clusters(views: _Views, words: tuple[str, ...]) -> list[int]:
    return [c for c, label in views.label_words.items() if any(_akin(w, x) for w in words for x in label)]


@dataclass(frozen=True)
class _WordIndex:
    rows: dict[str, set[int]]  # stem -> rows of the notes about it
    by_prefix: dict[str, list[str]]  # first letters -> stems


def _word_index(analysis: Analysis) -> _WordIndex:
    return memoized(analysis, "scopes:words", lambda: _make_word_index(analysis))


def _statement_index(analysis: Analysis) -> _WordIndex:
    return memoized(analysis, "scopes:statement_words", lambda: _make_word_index(analysis, True))


def _make_word_index(analysis: Analysis, statements: bool = False) -> _WordIndex:
    rows: dict[str, set[int]] = defaultdict(set)
    words = (about_words(note) for note in analysis.corpus.notes) if not statements else \
        (set(stems(s.text)) for s in analysis.statements)
    for i, found in enumerate(words):
        for word in found:
            rows[word].add(i)
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for word in rows:
        by_prefix[word[:_PREFIX]].append(word)
    return _WordIndex(dict(rows), dict(by_prefix))


def _variants(index: _WordIndex, word: str) -> list[str]:
    """The stems of the index that are `word` or an inflection the stemmer left apart."""
    if len(word) < _PREFIX:
        return [word] if word in index.rows else []
    return [w for w in index.by_prefix.get(word[:_PREFIX], ()) if _akin(word, w)]


def _akin(a: str, b: str) -> bool:
    """The same stem, or one a short extension of the other ("hypothes" / "hypothesi")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= _PREFIX and long_.startswith(short) and len(long_) - len(short) <= _SUFFIX


def _statements(analysis: Analysis, topic: str, words: tuple[str, ...]) -> frozenset[str]:
    """Session statements about the topic: every word of it, or the phrase as close as the bar."""
    if not len(analysis.statements):
        return frozenset()
    rows = _holding(_statement_index(analysis), words)
    if comparable(analysis, words):
        rows |= set(np.flatnonzero(analysis.statement_vectors @ _query(analysis, topic) >= topic_bar(analysis)))
    return frozenset(analysis.statements[i].id for i in rows)


__all__ = ["TOPIC_BARS", "ScopeSets", "TopicMatch", "lexical_rows", "match_topic", "nearest_topics", "scope_labels",
           "scope_matches", "scope_sets", "topic_bar", "topic_scores", "warm"]
