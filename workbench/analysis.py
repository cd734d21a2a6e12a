"""The numeric core: neighbours, duplicates, conflicts, clusters, the map, staleness and support.

`analyze(corpus)` embeds every note and every sentence of the sessions once, then derives
everything else with pure functions over arrays. The bar-dependent parts (`duplicate_groups`,
`conflict_pairs`, `note_status`, `insight_candidates`) are separate functions, so a dream can
re-run them under other bars in milliseconds without embedding anything again.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from .compare import Profile, compare, proper_nouns
from .compare import profile as make_profile
from .embed import Embedder, EmbeddingCache, cache_dir, get_embedder
from .records import Corpus, Note, iso, sha256
from .statements import (
    DURABLE_CUES,
    EPISODIC_CUES,
    SMALL_TALK,
    Statement,
    clean_fact,
    dated,
    expiry,
    extract_statements,
    has_cue,
)

EXACT_LIMIT = 20_000

# Bars per embedder family: TF-IDF cosines run far lower than sentence-embedding cosines.
DEFAULT_BARS = {
    "tfidf": {"floor": 0.3, "duplicate": 0.6, "conflict": 0.35, "support": 0.55, "insight": 0.5, "semantic": 0.72},
    "minilm": {"floor": 0.35, "duplicate": 0.6, "conflict": 0.45, "support": 0.55, "insight": 0.55, "semantic": 0.78},
    "voyage": {"floor": 0.4, "duplicate": 0.7, "conflict": 0.55, "support": 0.6, "insight": 0.6, "semantic": 0.85},
}


def default_bars(embedder_id: str) -> dict[str, float]:
    """The similarity bars that suit an embedder (by the family its id starts with)."""
    family = embedder_id.split("-", 1)[0]
    return dict(DEFAULT_BARS.get(family, DEFAULT_BARS["minilm"]))


@dataclass(frozen=True)
class DuplicateGroup:
    """Notes that say the same thing; `representative` has the clearest (most complete) wording."""

    id: str
    notes: tuple[str, ...]
    representative: str
    similarity: float
    why: str


@dataclass(frozen=True)
class ConflictPair:
    """The same subject with two values; `winner` is the later one (None when they cannot be ordered)."""

    older: str
    newer: str
    winner: str | None
    similarity: float
    difference: str
    detail: str
    source: str = "store"  # "store": two notes; "session": a later turn contradicts a note
    turn_id: str | None = None
    session_id: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class InsightCandidate:
    """A fact stated in several sessions that no note holds."""

    id: str
    text: str
    kind: str
    statements: tuple[str, ...]
    sessions: tuple[str, ...]
    quotes: tuple[tuple[str, str, str], ...]  # (session id, turn id, quote)
    similarity: float
    best_memory: str | None
    best_memory_similarity: float


@dataclass
class Analysis:
    """Everything the engines and the UI need about a corpus, keyed by ids."""

    corpus: Corpus
    embedder_id: str
    bars: dict[str, float]
    note_ids: list[str]
    vectors: np.ndarray
    statements: list[Statement]
    statement_vectors: np.ndarray
    neighbours: np.ndarray
    neighbour_similarity: np.ndarray
    pairs: pd.DataFrame
    mentions: pd.DataFrame
    profiles: dict[str, Profile] = field(repr=False)
    weights: dict[str, float] = field(default_factory=dict, repr=False)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    conflicts: list[ConflictPair] = field(default_factory=list)
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    cluster_labels: dict[int, str] = field(default_factory=dict)
    coords: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: pd.DataFrame = field(default_factory=pd.DataFrame)
    insights: list[InsightCandidate] = field(default_factory=list)
    embedder: Embedder | None = field(default=None, repr=False)
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def memoized(self, key: tuple, compute: Any) -> Any:
        """A bar-dependent result, computed once per (key, sessions in view)."""
        full = (key, frozenset(s.id for s in self.corpus.sessions))
        if full not in self.memo:
            self.memo[full] = compute()
        return self.memo[full]

    @property
    def row(self) -> dict[str, int]:
        return {note_id: i for i, note_id in enumerate(self.note_ids)}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed new texts (a focus instruction, a query) in the same space as the notes."""
        if self.embedder is None:
            self.embedder = get_embedder(self.embedder_id.split("-", 1)[0])
        return self.embedder.embed(list(texts))

    def to_dict(self) -> dict[str, Any]:
        """Duplicates, conflicts (winner marked), clusters, coordinates and staleness as JSON data."""
        notes = self.notes.reset_index().replace({np.nan: None})
        for column in notes.columns:
            if pd.api.types.is_datetime64_any_dtype(notes[column]):
                notes[column] = notes[column].map(lambda t: None if pd.isna(t) else iso(t.to_pydatetime()))
        return {
            "embedder": self.embedder_id,
            "bars": self.bars,
            "counts": {"notes": len(self.note_ids), "sessions": len(self.corpus.sessions),
                       "statements": len(self.statements), "duplicate_groups": len(self.duplicates),
                       "conflicts": len(self.conflicts), "clusters": len(self.cluster_labels),
                       "insight_candidates": len(self.insights)},
            "duplicates": [asdict(g) for g in self.duplicates],
            "conflicts": [asdict(c) for c in self.conflicts],
            "clusters": {str(k): v for k, v in self.cluster_labels.items()},
            "insights": [asdict(i) for i in self.insights],
            "notes": notes.to_dict("records"),
            "coords": self.coords.reset_index().round(5).to_dict("records"),
        }


# --- neighbours -----------------------------------------------------------------------------


def nearest(vectors: np.ndarray, k: int = 15, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours by cosine (self excluded): exact in blocks up to 20k rows, else NN-descent."""
    n = len(vectors)
    k = max(0, min(k, n - 1))
    if k == 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32)
    if n > EXACT_LIMIT:
        return _approximate(vectors, k)
    index = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        scores = vectors[start:stop] @ vectors.T
        scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        index[start:stop] = np.take_along_axis(part, order, axis=1)
        sims[start:stop] = np.take_along_axis(part_scores, order, axis=1)
    return index, sims


def _approximate(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    from pynndescent import NNDescent

    n_trees = min(16, 4 + int(round(len(vectors) ** 0.5 / 40)))
    graph = NNDescent(vectors, metric="dot", n_neighbors=k + 1, random_state=0, low_memory=True, n_trees=n_trees,
                      n_iters=max(6, int(np.log2(len(vectors))) // 2), n_jobs=1, compressed=True).neighbor_graph
    index, dist = graph
    out_index = np.empty((len(vectors), k), dtype=np.int64)
    out_sims = np.empty((len(vectors), k), dtype=np.float32)
    for row in range(len(vectors)):
        keep = index[row] != row
        out_index[row] = index[row][keep][:k]
        out_sims[row] = (1.0 - dist[row][keep][:k]).astype(np.float32)
    return out_index, out_sims


def top_matches(queries: np.ndarray, vectors: np.ndarray, k: int = 5, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the k most similar rows of `vectors` (blocked; memory stays bounded)."""
    k = min(k, len(vectors))
    if k == 0 or len(queries) == 0:
        return np.zeros((len(queries), 0), dtype=np.int64), np.zeros((len(queries), 0), dtype=np.float32)
    index = np.empty((len(queries), k), dtype=np.int64)
    sims = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), block):
        scores = queries[start:start + block] @ vectors.T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        index[start:start + block] = np.take_along_axis(part, order, axis=1)
        sims[start:start + block] = np.take_along_axis(part_scores, order, axis=1)
    return index, sims


# --- pairs, duplicates, conflicts ----------------------------------------------------------


def _older_first(a: Note, b: Note) -> tuple[Note, Note]:
    return (a, b) if (a.updated_at, a.id) <= (b.updated_at, b.id) else (b, a)


def atom_weights(profiles: Iterable[Profile]) -> dict[str, float]:
    """Inverse document frequency of every atom: rare words and values weigh more in overlaps."""
    df: Counter = Counter()
    total = 0
    for p in profiles:
        df.update(p.atoms)
        total += 1
    return {atom: float(np.log(1 + total / count)) for atom, count in df.items()}


def note_pairs(notes: Sequence[Note], profiles: dict[str, Profile], index: np.ndarray,
               sims: np.ndarray, floor: float, weights: dict[str, float] | None = None,
               related_floor: float = 1.01) -> pd.DataFrame:
    """Neighbouring pairs above `floor`, older note first, with their structural relation.

    Pairs that are merely related are kept only from `related_floor` on (a sentence embedder may
    vouch for them as paraphrases); the rest would only cost memory at scale.
    """
    seen: set[tuple[int, int]] = set()
    rows = []
    for i, (row_index, row_sims) in enumerate(zip(index, sims)):
        for j, sim in zip(row_index, row_sims):
            if sim < floor:
                break
            key = (min(i, int(j)), max(i, int(j)))
            if key in seen:
                continue
            seen.add(key)
            old, new = _older_first(notes[key[0]], notes[key[1]])
            result = compare(profiles[old.id], profiles[new.id], weights)
            if result.relation == "related" and sim < related_floor:
                continue
            rows.append((old.id, new.id, round(float(sim), 4), result.relation, result.difference,
                         result.detail, round(result.overlap, 3), old.updated_at < new.updated_at))
    columns = ["older", "newer", "similarity", "relation", "difference", "detail", "overlap", "ordered"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["similarity", "older", "newer"], ascending=[False, True, True], ignore_index=True)


def _complete_link(edges: list[tuple[str, str]], share: float = 1.0) -> list[list[str]]:
    """Group ids so every two members of a group are linked (no single-link chaining).

    With `share` < 1, two groups join when at least that share of their cross pairs is linked
    (average linkage: still no chaining through a single link, but room for paraphrase).
    """
    linked = set(edges) | {(b, a) for a, b in edges}
    groups: list[set[str]] = []
    group_of: dict[str, int] = {}
    for a, b in edges:
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is None and gb is None:
            group_of[a] = group_of[b] = len(groups)
            groups.append({a, b})
        elif ga is not None and gb is not None:
            cross = [(x, y) in linked for x in groups[ga] for y in groups[gb]] if ga != gb else []
            if cross and sum(cross) >= share * len(cross):
                for member in groups[gb]:
                    group_of[member] = ga
                groups[ga] |= groups[gb]
                groups[gb] = set()
        else:
            target, new = (ga, b) if ga is not None else (gb, a)
            links = [(new, member) in linked for member in groups[target]]
            if sum(links) >= share * len(links):
                groups[target].add(new)
                group_of[new] = target
    return [sorted(g) for g in groups if g]


def _representative(members: Sequence[str], notes: dict[str, Note], profiles: dict[str, Profile]) -> str:
    """The most complete wording; ties go to the most recent, then the shortest text."""
    return min(members, key=lambda m: (-len(profiles[m].content), -notes[m].updated_at.timestamp(),
                                       len(notes[m].text), m))


def duplicate_groups(analysis: Analysis, bar: float) -> list[DuplicateGroup]:
    """Duplicate groups at a similarity bar, confirmed by structure, complete-linkage."""
    pairs = analysis.pairs
    hits = (pairs.relation == "duplicate") & (pairs.similarity >= bar)
    semantic = analysis.bars.get("semantic")
    if semantic is not None:  # high similarity may vouch for a paraphrase with less shared wording
        hits |= ((pairs.relation == "related") & (pairs.difference == "") & (pairs.overlap >= 0.34)
                 & (pairs.similarity >= max(bar, semantic)))
    hits = pairs[hits]
    notes = analysis.corpus.note_by_id
    sim_of = {(a, b): s for a, b, s in zip(hits.older, hits.newer, hits.similarity)}
    sim_of.update({(b, a): s for (a, b), s in list(sim_of.items())})
    groups = []
    for members in _complete_link(list(zip(hits.older, hits.newer))):
        rep = _representative(members, notes, analysis.profiles)
        sims = [sim_of[(a, b)] for a in members for b in members if a < b and (a, b) in sim_of]
        verbatim = len({notes[m].text.strip().lower() for m in members}) == 1
        why = "the same text" if verbatim else f"same content, no differing value (cosine ≥ {min(sims):.2f})"
        groups.append(DuplicateGroup(f"dup-{rep}", tuple(members), rep, round(min(sims), 4), why))
    return sorted(groups, key=lambda g: g.id)


def conflict_pairs(analysis: Analysis, bar: float) -> list[ConflictPair]:
    """Same subject, different value: between notes, and between notes and later session turns."""
    pairs = analysis.pairs
    hits = pairs[(pairs.relation == "conflict") & (pairs.similarity >= bar)]
    out = [
        ConflictPair(row.older, row.newer, row.newer if row.ordered else None, row.similarity,
                     row.difference, row.detail)
        for row in hits.itertuples()
    ]
    mentions = analysis.mentions
    late = mentions[(mentions.relation == "conflict") & mentions.later & mentions.fact & (mentions.similarity >= bar)]
    by_note: dict[str, Any] = {}
    for row in late.sort_values(["at", "statement"]).itertuples():
        by_note[row.note] = row  # the latest statement about the note wins
    statement = {s.id: s for s in analysis.statements}
    for note_id, row in sorted(by_note.items()):
        s = statement[row.statement]
        out.append(ConflictPair(note_id, s.id, s.id, row.similarity, row.difference, row.detail, "session",
                                s.turn_id, s.session_id, s.text))
    return out


# --- statements: support, supersession, insights -------------------------------------------


def relate_statements(notes: Sequence[Note], vectors: np.ndarray, statements: Sequence[Statement],
                      statement_vectors: np.ndarray, profiles: dict[str, Profile], floor: float,
                      k: int = 3, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """For each sentence of the sessions, the notes it is close to and how it relates to them."""
    index, sims = top_matches(statement_vectors, vectors, k)
    rows = []
    for s_row, statement in enumerate(statements):
        for j, sim in zip(index[s_row], sims[s_row]):
            if sim < floor:
                break
            note = notes[int(j)]
            result = compare(profiles[note.id], profiles[statement.id], weights)
            later = statement.at is not None and statement.at > note.updated_at
            rows.append((statement.id, note.id, statement.session_id, round(float(sim), 4), result.relation,
                         result.difference, result.detail, later, bool(statement.kind), statement.at))
    columns = ["statement", "note", "session", "similarity", "relation", "difference", "detail", "later", "fact", "at"]
    return pd.DataFrame(rows, columns=columns)


def _note_facts(analysis: Analysis) -> list[dict[str, Any]]:
    """What each note says about itself (bar-independent): age, durability, expiry words."""
    as_of = analysis.corpus.as_of
    rows = []
    for note in analysis.corpus.notes:
        ends = expiry(note.text, note.updated_at)
        rows.append({
            "id": note.id, "path": note.path, "updated_at": note.updated_at,
            "age_days": round((as_of - note.updated_at).total_seconds() / 86400, 1),
            "durable": bool(has_cue(note.text, DURABLE_CUES)),
            "episodic": bool(has_cue(note.text, EPISODIC_CUES)) or dated(note.text),
            "small_talk": has_cue(note.text, SMALL_TALK).strip(),
            "temporary": ends[1] if ends else "",
            "expires_at": ends[0] if ends else pd.NaT,
            "expired": bool(ends and ends[0] < as_of),
        })
    return rows


def note_status(analysis: Analysis, bars: dict[str, float]) -> pd.DataFrame:
    """Per note: age, durability, expiry, sessions supporting it, what supersedes it, isolation."""
    key = ("status", bars["support"], bars["conflict"])
    return analysis.memoized(key, lambda: _note_status(analysis, bars))


def _note_status(analysis: Analysis, bars: dict[str, float]) -> pd.DataFrame:
    if "facts" not in analysis.memo:
        analysis.memo["facts"] = _note_facts(analysis)
    facts = analysis.memo["facts"]
    mentions = analysis.mentions
    support = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= bars["support"])]
    sessions_of = support.groupby("note")["session"].agg(lambda s: tuple(sorted(set(s))))
    last_at = support.groupby("note")["at"].max()
    superseded: dict[str, str] = {}
    for pair in conflict_pairs(analysis, bars["conflict"]):
        if pair.winner is not None:
            superseded.setdefault(pair.older, pair.winner)
    isolated = (analysis.neighbour_similarity[:, 0] < bars["conflict"]) if analysis.neighbour_similarity.shape[1] \
        else np.ones(len(analysis.note_ids), dtype=bool)
    rows = []
    for i, fact in enumerate(facts):
        note_id = fact["id"]
        supported = sessions_of.get(note_id, ())
        rows.append({**fact, "support_sessions": len(supported), "supported_by": list(supported),
                     "last_support_at": last_at.get(note_id, pd.NaT),
                     "superseded_by": superseded.get(note_id), "isolated": bool(isolated[i])})
    return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


def insight_candidates(analysis: Analysis, bar: float, support_bar: float) -> list[InsightCandidate]:
    """Durable facts and failures stated in two or more sessions that no note already holds."""
    return analysis.memoized(("insights", bar, support_bar, analysis.bars["duplicate"]),
                             lambda: _insight_candidates(analysis, bar, support_bar))


def _insight_candidates(analysis: Analysis, bar: float, support_bar: float) -> list[InsightCandidate]:
    mentions = analysis.mentions
    known = set(mentions[((mentions.similarity >= support_bar) & mentions.relation.isin(["duplicate", "conflict"]))
                         | (mentions.similarity >= analysis.bars["duplicate"])].statement)
    facts = [i for i, s in enumerate(analysis.statements)
             if (s.kind or s.role == "user") and s.id not in known and _self_contained(s, analysis.profiles[s.id])]
    if not facts:
        return []
    vectors = analysis.statement_vectors[facts]
    statements = [analysis.statements[i] for i in facts]
    index, sims = nearest(vectors, k=min(20, len(facts) - 1))
    edges = []
    for a, (row_index, row_sims) in enumerate(zip(index, sims)):
        for b, sim in zip(row_index, row_sims):
            b = int(b)
            sa, sb = statements[a], statements[b]
            if sim < bar or a > b or sa.session_id == sb.session_id:
                continue
            if sa.kind == "failure" or sb.kind == "failure":
                ok = sa.text == sb.text
            else:
                ok = compare(analysis.profiles[sa.id], analysis.profiles[sb.id], analysis.weights).relation == "duplicate"
            if ok:
                edges.append((sa.id, sb.id))
    by_id = {s.id: (s, v) for s, v in zip(statements, vectors)}
    centroids, memory_ids = _memory_centroids(analysis)
    out = []
    for members in _complete_link(sorted(edges), share=0.5):
        group = [by_id[m][0] for m in members]
        sessions = tuple(sorted({s.session_id for s in group}))
        stated = [s for s in group if s.kind]
        if len(sessions) < 2 or not stated and len(sessions) < 3:
            continue
        block = np.stack([by_id[m][1] for m in members])
        centrality = (block @ block.T).mean(axis=1) + np.array([0.5 if s.kind else 0.0 for s in group])
        best = group[int(np.argmax(centrality))]
        kind = Counter(s.kind for s in stated).most_common(1)[0][0] if stated else "pattern"
        text = _insight_text(best, len(sessions))
        where, where_sim = None, 0.0
        if len(centroids):
            scores = centroids @ block.mean(axis=0)
            where, where_sim = memory_ids[int(np.argmax(scores))], float(scores.max())
        quotes = tuple((s.session_id, s.turn_id, s.text) for s in sorted(group, key=lambda s: (s.at or 0, s.id)))
        out.append(InsightCandidate(f"ins-{best.id}", text, kind, tuple(members), sessions, quotes,
                                    round(float(centrality.mean()), 4), where, round(where_sim, 4)))
    return sorted(out, key=lambda c: (-len(c.sessions), c.id))


_PRONOUN_START = ("it ", "it's ", "this ", "that ", "they ", "these ", "those ", "i don't want it", "do it", "same ")


def _self_contained(statement: Statement, profile: Profile) -> bool:
    """A sentence that can stand as a note: enough content, a question it is not, no dangling 'it'."""
    text = statement.text.strip().lower()
    return (len(profile.atoms) >= 3 and not text.endswith("?") and not text.startswith(_PRONOUN_START))


def _insight_text(statement: Statement, sessions: int) -> str:
    if statement.kind == "failure":
        return f"`{statement.text.removesuffix(' failed')}` failed in {sessions} separate sessions; treat it as a known flaky or recurring failure."
    return clean_fact(statement.text)


def _memory_centroids(analysis: Analysis) -> tuple[np.ndarray, list[str]]:
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


# --- clusters and the map -----------------------------------------------------------------


def cluster(analysis: Analysis, min_cluster_size: int | None = None) -> tuple[pd.DataFrame, dict[int, str]]:
    """HDBSCAN clusters (-1 = noise) with a short label from each cluster's top terms."""
    n = len(analysis.note_ids)
    if n < 4:
        labels = np.full(n, -1)
    elif n > EXACT_LIMIT:
        from sklearn.cluster import MiniBatchKMeans

        labels = MiniBatchKMeans(n_clusters=max(8, int(np.sqrt(n / 4))), random_state=0, n_init=3,
                                 batch_size=4096).fit_predict(analysis.vectors)
    else:
        from sklearn.cluster import HDBSCAN

        size = min_cluster_size or max(3, min(25, n // 40))
        reduced = _reduce(analysis.vectors, 12)
        labels = HDBSCAN(min_cluster_size=size, min_samples=2, copy=True).fit_predict(reduced)
    names = _cluster_names(analysis, labels)
    frame = pd.DataFrame({"id": analysis.note_ids, "cluster": labels.astype(int)})
    frame["label"] = frame.cluster.map(lambda c: names.get(int(c), "unclustered"))
    return frame.set_index("id"), names


def _reduce(vectors: np.ndarray, dims: int) -> np.ndarray:
    if vectors.shape[1] <= dims or len(vectors) <= dims:
        return vectors
    from sklearn.decomposition import PCA

    return PCA(dims, random_state=0, svd_solver="randomized").fit_transform(vectors)


def _cluster_names(analysis: Analysis, labels: np.ndarray) -> dict[int, str]:
    """c-TF-IDF: the three words most specific to each cluster."""
    per_cluster: dict[int, Counter] = defaultdict(Counter)
    df: Counter = Counter()
    for note_id, label in zip(analysis.note_ids, labels):
        words = analysis.profiles[note_id].words | analysis.profiles[note_id].values
        df.update(words)
        if label >= 0:
            per_cluster[int(label)].update(words)
    total = max(1, len(analysis.note_ids))
    names = {}
    for label, counts in sorted(per_cluster.items()):
        scored = sorted(counts, key=lambda w: (-counts[w] * np.log(1 + total / df[w]), w))
        names[label] = " / ".join(scored[:3])
    return names


def project(vectors: np.ndarray) -> np.ndarray:
    """A 2-D PCA layout (milliseconds; the UMAP layout comes from `layout_umap`)."""
    if len(vectors) == 0:
        return np.zeros((0, 2))
    if len(vectors) < 3:
        return np.column_stack([np.arange(len(vectors), dtype=float), np.zeros(len(vectors))])
    centered = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centered[:: max(1, len(centered) // 20_000)], full_matrices=False)
    xy = centered @ vt[:2].T
    return xy * np.where(xy[np.abs(xy).argmax(axis=0), [0, 1]] < 0, -1, 1)  # a fixed orientation


# --- the whole analysis ---------------------------------------------------------------------


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
            cache: EmbeddingCache | None = None, bars: dict[str, float] | None = None) -> Analysis:
    """Embed and relate a corpus: the input every engine and view works from.

    Below 20,000 notes the maths runs on one thread: small matrices gain nothing from more, and on
    a shared 2-core machine two BLAS pools plus OpenMP thrash (measured: 42.7 s against 5.5 s).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1 if len(corpus.notes) < EXACT_LIMIT else None):
        return _analyze(corpus, embedder, k=k, cache=cache, bars=bars)


def _analyze(corpus: Corpus, embedder: Embedder | str | None, *, k: int, cache: EmbeddingCache | None,
             bars: dict[str, float] | None) -> Analysis:
    clock = _Clock()
    if not isinstance(embedder, Embedder):
        embedder = get_embedder(embedder)
    notes = list(corpus.notes)
    statements = extract_statements(corpus.sessions)
    note_texts = [n.text for n in notes]
    statement_texts = [s.text for s in statements]
    if embedder.id.endswith("unfitted"):
        embedder.fit(note_texts + statement_texts)
    cache = cache or EmbeddingCache()
    clock.lap("statements")
    vectors = cache.embed(embedder, note_texts)
    statement_vectors = cache.embed(embedder, statement_texts)
    clock.lap("embed")
    bars = {**default_bars(embedder.id), **(bars or {})}
    names = proper_nouns(note_texts + [s.text for s in statements if s.role == "user"])
    profiles = {n.id: make_profile(n.text, names) for n in notes}
    profiles.update({s.id: make_profile(s.text, names) for s in statements})
    weights = atom_weights(profiles.values())
    clock.lap("profiles")
    index, sims = nearest(vectors, k if len(notes) <= EXACT_LIMIT else min(k, 10))
    clock.lap("neighbours")
    analysis = Analysis(
        corpus=corpus, embedder_id=embedder.id, bars=bars, note_ids=[n.id for n in notes], vectors=vectors,
        statements=statements, statement_vectors=statement_vectors, neighbours=index, neighbour_similarity=sims,
        pairs=note_pairs(notes, profiles, index, sims, min(bars["duplicate"], bars["conflict"]), weights,
                         related_floor=bars.get("semantic", 1.01)),
        mentions=pd.DataFrame(), profiles=profiles, weights=weights, embedder=embedder,
    )
    clock.lap("pairs")
    analysis.mentions = relate_statements(notes, vectors, statements, statement_vectors, profiles, bars["floor"],
                                          weights=weights)
    clock.lap("mentions")
    analysis.duplicates = duplicate_groups(analysis, bars["duplicate"])
    analysis.conflicts = conflict_pairs(analysis, bars["conflict"])
    clock.lap("duplicates_conflicts")
    analysis.clusters, analysis.cluster_labels = cluster(analysis)
    clock.lap("clusters")
    xy = project(vectors)
    analysis.coords = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=pd.Index(analysis.note_ids, name="id"))
    clock.lap("projection")
    analysis.notes = note_status(analysis, bars)
    clock.lap("staleness")
    analysis.insights = insight_candidates(analysis, bars["insight"], bars["support"])
    clock.lap("insights")
    analysis.timings = clock.times
    return analysis


def layout_umap(analysis: Analysis, *, n_neighbors: int = 15, random_state: int = 0,
                cache: bool = True) -> pd.DataFrame:
    """A UMAP layout fed the k-NN graph the analysis already holds (much faster first fit).

    Layouts are cached on disk keyed by the note texts, the embedder and the parameters, and
    numba keeps its compiled code in the cache folder, so the second start is quick.
    """
    n = len(analysis.note_ids)
    if n < 5:
        return analysis.coords.copy()
    index = pd.Index(analysis.note_ids, name="id")
    key = sha256("\x1f".join([analysis.embedder_id, str(n_neighbors), str(random_state),
                               *(n.text for n in analysis.corpus.notes)]))
    path = cache_dir() / "layouts" / f"umap-{key[:32]}.npy"
    if cache and path.exists():
        try:
            xy = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):  # a torn or foreign file: compute it again
            xy = None
        if xy is not None and xy.shape == (n, 2) and np.isfinite(xy).all():
            return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=index)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
    import umap

    k = min(n_neighbors, analysis.neighbours.shape[1] + 1)
    knn_index = np.column_stack([np.arange(n), analysis.neighbours[:, : k - 1]])
    knn_dist = np.column_stack([np.zeros(n), 1.0 - analysis.neighbour_similarity[:, : k - 1]]).clip(0)
    reducer = umap.UMAP(n_neighbors=k, metric="cosine", random_state=random_state,
                        precomputed_knn=(knn_index, knn_dist, None), n_jobs=1, init="pca")
    xy = reducer.fit_transform(analysis.vectors)
    if cache:
        import io

        from .files import write_bytes

        with io.BytesIO() as fh:
            np.save(fh, xy)
            try:
                write_bytes(path, fh.getvalue())  # atomic: a kill or a full disk never leaves half a layout
            except OSError:
                pass  # the layout is still returned; it is computed again next time
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=index)


def as_of(analysis: Analysis) -> datetime:
    """The reference 'now' of the analysis (the latest time in the corpus)."""
    return analysis.corpus.as_of
