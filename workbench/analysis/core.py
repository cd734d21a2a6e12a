"""The analysis of a corpus: every note and session sentence embedded once, related to its neighbours.

`analyze(corpus)` returns a frozen, bar-independent `Analysis`: vectors, neighbours, the pairs of
texts close enough to be candidates (down to the analysis's floor), topics and a first map. What
depends on bars or judges (candidates, verdicts, duplicate groups, conflicts, note status) is
derived from it elsewhere (`workbench.candidates`, `workbench.findings`) and memoized beside it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..compare import Profile, proper_nouns
from ..compare import profile as make_profile
from ..context import Context, context_of
from ..embed import Embedder, EmbeddingCache, get_embedder
from ..progress import ANALYSIS_STAGES, Progress, report, tqdm_sink
from ..records import Corpus, Note, Session
from ..statements import Statement, extract_statements, statement_kinds
from .clusters import topics
from .memo import gc_paused, memoized
from .neighbours import EXACT_LIMIT, nearest
from .pairs import changed_value_pairs, from_to_pairs, note_pairs, relate_statements, same_key_pairs
from .projection import project

# Bars per embedder family: TF-IDF cosines run far lower than sentence-embedding cosines.
DEFAULT_BARS = {
    "tfidf": {"floor": 0.3, "duplicate": 0.6, "conflict": 0.35, "support": 0.55, "insight": 0.5},
    "minilm": {"floor": 0.35, "duplicate": 0.6, "conflict": 0.45, "support": 0.55, "insight": 0.55},
    "voyage": {"floor": 0.4, "duplicate": 0.7, "conflict": 0.55, "support": 0.6, "insight": 0.6},
}


def default_bars(embedder_id: str) -> dict[str, float]:
    """The similarity bars that suit an embedder (by the family its id starts with)."""
    family = embedder_id.split("-", 1)[0]
    return dict(DEFAULT_BARS.get(family, DEFAULT_BARS["minilm"]))


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything the candidates, the judges and the views read about a corpus, keyed by ids.

    `bars` are the defaults the analysis was made with (its floor, and the bars a plan uses unless
    the focus sets others); `clusters` holds each note's topic (`cluster`, `label`); `coords` the
    PCA map.
    """

    corpus: Corpus
    embedder_id: str
    bars: Mapping[str, float]
    note_ids: Sequence[str]
    vectors: np.ndarray
    statements: Sequence[Statement]
    statement_vectors: np.ndarray
    neighbours: np.ndarray
    neighbour_similarity: np.ndarray
    pairs: pd.DataFrame
    mentions: pd.DataFrame
    profiles: Mapping[str, Profile] = field(repr=False)
    contexts: Mapping[str, Context] = field(default_factory=dict, repr=False)
    parent_ids: frozenset[str] = frozenset()
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    coords: pd.DataFrame = field(default_factory=pd.DataFrame)
    embedder: Embedder | None = field(default=None, repr=False)
    timings: Mapping[str, float] = field(default_factory=dict, repr=False)

    @cached_property
    def sessions_in_view(self) -> frozenset[str]:
        return frozenset(s.id for s in self.corpus.sessions)

    @cached_property
    def statement_by_id(self) -> dict[str, Statement]:
        return {s.id: s for s in self.statements}

    @cached_property
    def row(self) -> dict[str, int]:
        return {note_id: i for i, note_id in enumerate(self.note_ids)}

    @property
    def topic_names(self) -> dict[int, str]:
        """Topic number → name, for the topics in `clusters`."""
        if not len(self.clusters):
            return {}
        real = self.clusters[self.clusters["cluster"] >= 0]
        return {int(c): str(label) for c, label in real.groupby("cluster")["label"].first().items()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed new texts (a focus instruction, a query) in the same space as the notes."""
        from threadpoolctl import threadpool_limits

        embedder = self.embedder or memoized(self, "embedder", lambda: get_embedder(self.embedder_id.split("-", 1)[0]))
        with threadpool_limits(limits=1):  # as `analyze`: see there
            return embedder.embed(list(texts))

    def restricted(self, session_ids: set[str] | frozenset[str]) -> Analysis:
        """The analysis as if only these sessions had been given (no re-embedding; one view per set)."""
        wanted = frozenset(session_ids)
        if wanted == self.sessions_in_view:
            return self
        return memoized(self, ("view", wanted), lambda: self._view(wanted))

    def _view(self, wanted: frozenset[str]) -> Analysis:
        keep = [i for i, s in enumerate(self.statements) if s.session_id in wanted]
        return replace(self, corpus=Corpus(self.corpus.store, tuple(s for s in self.corpus.sessions if s.id in wanted)),
                       statements=[self.statements[i] for i in keep], statement_vectors=self.statement_vectors[keep],
                       mentions=self.mentions[self.mentions.session.isin(wanted)])

    def to_dict(self) -> dict[str, Any]:
        """Embedder, bars, counts, topics and the map's coordinates as JSON data (findings: `workbench.findings`)."""
        return {
            "embedder": self.embedder_id,
            "bars": dict(self.bars),
            "counts": {"notes": len(self.note_ids), "sessions": len(self.corpus.sessions),
                       "statements": len(self.statements), "clusters": len(self.topic_names)},
            "clusters": {str(k): v for k, v in self.topic_names.items()},
            "topics": self.clusters.reset_index().to_dict("records"),
            "coords": self.coords.reset_index().round(5).to_dict("records"),
        }


class _Clock:
    """Phase timings of one analysis (what a benchmark reports when something is slow)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = round(now - self._last, 4)
        self._last = now


def analyze(corpus: Corpus, embedder: Embedder | str | None = None, *, k: int = 15,
            cache: EmbeddingCache | None = None, bars: dict[str, float] | None = None,
            progress: Progress | bool = False) -> Analysis:
    """Embed and relate a corpus: the input every engine and view works from.

    `progress`: a `Progress` over `ANALYSIS_STAGES` to report to, or True for tqdm bars (stages of
    more than a second). `load_or_analyze` keeps the result on disk, keyed by the corpus's content.

    The maths runs on one thread: on a shared 2-core machine two BLAS pools plus OpenMP thrash
    (measured below 20,000 notes: 42.7 s against 5.5 s; at 100,000 notes under load, two threads
    against one: TF-IDF fit 27.5 s against 15.5 s, faiss neighbours 51 s against 17 s, k-means 87 s
    against 5 s). Neighbours and k-means come out the same on one thread; the SVD's last bits differ.
    """
    from threadpoolctl import threadpool_limits

    if progress is True:
        progress = Progress("analysis", ANALYSIS_STAGES, on_update=tqdm_sink())
    with threadpool_limits(limits=1), gc_paused():
        analysis = _analyze(corpus, embedder, k=k, cache=cache, bars=bars, progress=progress or None)
    if progress:
        progress.finish()
    return analysis


def _statements(sessions: Sequence[Session], progress: Progress | None, chunk: int = 20) -> list[Statement]:
    tick = report(progress, "statements", len(sessions), "sessions")
    out: list[Statement] = []
    for start in range(0, len(sessions), chunk):
        out += extract_statements(sessions[start:start + chunk])
        tick(len(sessions[start:start + chunk]))
    return out


def _embed(embedder: Embedder, cache: EmbeddingCache, note_texts: list[str], statement_texts: list[str],
           progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
    tick = report(progress, "embedding", len(note_texts) + len(statement_texts), "texts")
    if embedder.id.endswith("unfitted"):
        embedder.fit(note_texts + statement_texts)
    return cache.embed(embedder, note_texts, tick), cache.embed(embedder, statement_texts, tick)


def _profiles(notes: Sequence[Note], statements: Sequence[Statement], progress: Progress | None
              ) -> tuple[dict[str, Profile], list[Statement], dict[str, Context]]:
    tick = report(progress, "profiles", len(notes) + len(statements), "texts")
    names = proper_nouns([n.text for n in notes] + [s.text for s in statements if s.role == "user"])
    profiles: dict[str, Profile] = {}
    for item in [*notes, *statements]:
        profiles[item.id] = make_profile(item.text, names)
        if len(profiles) % 500 == 0:
            tick(500)
    statements = statement_kinds(statements, profiles)
    return profiles, statements, {n.id: context_of(n, names) for n in notes}


def _analyze(corpus: Corpus, embedder: Embedder | str | None, *, k: int, cache: EmbeddingCache | None,
             bars: dict[str, float] | None, progress: Progress | None) -> Analysis:
    clock = _Clock()
    if not isinstance(embedder, Embedder):
        embedder = get_embedder(embedder)
    notes = list(corpus.notes)
    statements = _statements(corpus.sessions, progress)
    note_texts = [n.text for n in notes]
    clock.lap("statements")
    vectors, statement_vectors = _embed(embedder, cache or EmbeddingCache(), note_texts,
                                        [s.text for s in statements], progress)
    clock.lap("embed")
    bars = {**default_bars(embedder.id), **(bars or {})}
    profiles, statements, contexts = _profiles(notes, statements, progress)
    clock.lap("profiles")
    tick = report(progress, "pairs", len(notes) + len(statements), "texts")
    index, sims = nearest(vectors, k if len(notes) <= EXACT_LIMIT else min(k, 10))
    clock.lap("neighbours")
    structural = [*same_key_pairs(notes), *from_to_pairs(notes, profiles), *changed_value_pairs(notes, profiles, contexts)]
    forced = [(i, j, float(vectors[i] @ vectors[j])) for i, j in structural]
    pairs = note_pairs(notes, profiles, contexts, index, sims, min(bars["duplicate"], bars["conflict"]), forced,
                       duplicate_bar=bars["duplicate"], tick=tick)
    clock.lap("pairs")
    mentions = relate_statements(notes, vectors, statements, statement_vectors, profiles, bars["floor"], tick=tick)
    clock.lap("mentions")
    report(progress, "topics", None)
    note_ids = [n.id for n in notes]
    clusters = topics(note_ids, note_texts, vectors, index, sims, bars["floor"])
    clock.lap("clusters")
    xy = project(vectors)
    coords = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=pd.Index(note_ids, name="id"))
    clock.lap("projection")
    return Analysis(
        corpus=corpus, embedder_id=embedder.id, bars=bars, note_ids=note_ids, vectors=vectors,
        statements=statements, statement_vectors=statement_vectors, neighbours=index, neighbour_similarity=sims,
        pairs=pairs, mentions=mentions, profiles=profiles, contexts=contexts,
        parent_ids=frozenset(n.parent for n in notes if n.parent) | {n.id for n in notes if n.kind == "lead"},
        clusters=clusters, coords=coords,
        embedder=embedder, timings=clock.times)


def as_of(analysis: Analysis) -> datetime:
    """The reference 'now' of the analysis (the latest time in the corpus)."""
    return analysis.corpus.as_of


def memory_centroids(analysis: Analysis) -> tuple[np.ndarray, list[str]]:
    """The normalised mean vector of each memory's notes, and the memory ids in that order."""
    by_memory: dict[str, list[int]] = defaultdict(list)
    for i, note in enumerate(analysis.corpus.notes):
        by_memory[note.memory_id].append(i)
    memory_ids = sorted(by_memory)
    if not memory_ids:
        return np.zeros((0, analysis.vectors.shape[1] if analysis.vectors.size else 0)), []
    centroids = np.stack([analysis.vectors[by_memory[m]].mean(axis=0) for m in memory_ids])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return centroids / norms, memory_ids
