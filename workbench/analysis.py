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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .candidates import Context, context_signals, insight_candidates, note_context, statement_kinds
from .compare import Profile, proper_nouns, relate
from .compare import profile as make_profile
from .embed import Embedder, EmbeddingCache, cache_dir, get_embedder
from .records import KEY_VALUE, Corpus, Note, iso, sha256
from .statements import Statement, declarative, episodic, expiry, extract_statements

EXACT_LIMIT = 20_000

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
    contexts: dict[str, Context] = field(default_factory=dict, repr=False)
    parent_ids: frozenset[str] = frozenset()
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

    @cached_property
    def sessions_in_view(self) -> frozenset[str]:
        return frozenset(s.id for s in self.corpus.sessions)

    def memoized(self, key: tuple, compute: Any) -> Any:
        """A bar-dependent result, computed once per (key, sessions in view)."""
        full = (key, self.sessions_in_view)
        if full not in self.memo:
            self.memo[full] = compute()
        return self.memo[full]

    @cached_property
    def statement_by_id(self) -> dict[str, Statement]:
        return {s.id: s for s in self.statements}

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
        index[start:stop], sims[start:stop] = _top_k(scores, k)
    return index, sims


SCORE_DIGITS = 6  # scores are ranked rounded to 1e-6: a last-bit difference (another BLAS kernel) reorders nothing
_SCORE_BOUND = 1e4  # |score| ranked at most (cosines are within 1; a ranking key must fit an int64)
_SPARE = 8  # candidates taken beyond k before ranking them by rounded score


def _rank_keys(scores: np.ndarray, columns: np.ndarray, width: int) -> np.ndarray:
    """int64 keys, lower ranks first: the score rounded to `SCORE_DIGITS` decimals (higher first), then the column."""
    bound = _SCORE_BOUND * 10.0 ** SCORE_DIGITS
    scaled = np.nan_to_num(scores * np.float32(10.0 ** SCORE_DIGITS), nan=-bound, posinf=bound, neginf=-bound)
    key = np.rint(np.clip(scaled, -bound, bound, out=scaled), out=scaled).astype(np.int64)
    key *= -width
    key += columns
    return key


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the k highest scores and those scores: ranked by the score rounded to
    `SCORE_DIGITS` decimals, ties by the lower column, so the same columns come out whatever block or
    machine computed the scores. The k + `_SPARE` highest are ranked; a row whose last candidate still
    ties the k-th is ranked whole."""
    rows, width = scores.shape
    take = min(width, k + _SPARE)
    part = np.argpartition(-scores, take - 1, axis=1)[:, :take] if take < width else \
        np.broadcast_to(np.arange(width), (rows, width)).copy()
    keys = _rank_keys(np.take_along_axis(scores, part, axis=1), part, width)
    order = np.argsort(keys, axis=1)
    part, keys = np.take_along_axis(part, order, axis=1), np.take_along_axis(keys, order, axis=1)
    index = part[:, :k].copy()
    unsure = np.flatnonzero(keys[:, -1] // width == keys[:, k - 1] // width) if take < width else []
    for row in unsure:  # many equal scores (duplicate notes): rank the whole row
        whole = _rank_keys(scores[row], np.arange(width, dtype=np.int64), width)
        best = np.argpartition(whole, k - 1)[:k]
        index[row] = best[np.argsort(whole[best])]
    return index, np.take_along_axis(scores, index, axis=1)


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


BLOCK_BYTES = 64 * 2**20  # a block of scores: with argpartition's int64 copy, ~3× this at once


def top_matches(queries: np.ndarray, vectors: np.ndarray, k: int = 5, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the k most similar rows of `vectors` (blocked; memory stays bounded).

    A block holds at most `block` queries and `BLOCK_BYTES` of scores (at 100,000 notes, 2,048
    queries a block took 3 GB at once). Each row's neighbours are the same whatever the block size:
    scores are ranked rounded to 1e-6, ties by the lower row (see `_top_k`).
    """
    k = min(k, len(vectors))
    if k == 0 or len(queries) == 0:
        return np.zeros((len(queries), 0), dtype=np.int64), np.zeros((len(queries), 0), dtype=np.float32)
    block = max(1, min(block, BLOCK_BYTES // (4 * max(1, len(vectors)))))
    index = np.empty((len(queries), k), dtype=np.int64)
    sims = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), block):
        scores = queries[start:start + block] @ vectors.T
        index[start:start + block], sims[start:start + block] = _top_k(scores, k)
    return index, sims


# --- pairs, duplicates, conflicts ----------------------------------------------------------


def _older_first(a: Note, b: Note) -> tuple[Note, Note]:
    return (a, b) if (a.updated_at, a.id) <= (b.updated_at, b.id) else (b, a)


COARSE = {"verbatim": "duplicate", "same_words": "duplicate", "subset": "duplicate", "negation": "conflict",
          "value": "conflict", "words": "conflict", "reordered": "distinct", "subject": "distinct"}


def key_of(note_text: str) -> tuple[str, ...] | None:
    """The key of a `Key: value` note as comparable words ("First name: Sarah" → ("first", "name")), or None."""
    if not KEY_VALUE.match(note_text):
        return None
    key = make_profile(note_text.split(":", 1)[0])
    return tuple(s for s, k in zip(key.sequence, key.kinds) if k != "negation") or None


def same_key_pairs(notes: Sequence[Note], limit: int = 50) -> list[tuple[int, int]]:
    """Index pairs of `Key: value` notes with the same key (whatever their similarity); a key held by more
    than `limit` notes is a list, not a slot, and gives no pairs."""
    by_key: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        key = key_of(note.text)
        if key is not None:
            by_key[key].append(i)
    return [(a, b) for members in by_key.values() if len(members) <= limit
            for x, a in enumerate(members) for b in members[x + 1:]]


def key_mentions(notes: Sequence[Note], statements: Sequence[Statement], profiles: dict[str, Profile]
                 ) -> list[tuple[int, int]]:
    """(statement, note) index pairs where a user sentence names every word of a `Key: value` note's key."""
    keys = [(i, set(key)) for i, n in enumerate(notes) if (key := key_of(n.text)) is not None]
    if not keys:
        return []
    out = []
    for s_row, statement in enumerate(statements):
        if statement.role != "user":
            continue
        words = set(profiles[statement.id].sequence)
        out.extend((s_row, i) for i, key in keys if key <= words)
    return out


def from_to_pairs(notes: Sequence[Note], profiles: dict[str, Profile], limit: int = 20) -> list[tuple[int, int]]:
    """Index pairs (a note saying "from X to Y", a note saying X), whatever their similarity."""
    holding: dict[str, list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        for atom in profiles[note.id].atoms:
            holding[atom].append(i)
    out = []
    for i, note in enumerate(notes):
        seq = profiles[note.id].sequence
        if "from" not in seq or "to" not in seq:
            continue
        start = seq.index("from") + 1
        stop = next((k for k in range(start, min(start + 6, len(seq))) if seq[k] == "to"), None)
        was = [w for w in seq[start:stop or start] if w in holding]
        if not was:
            continue
        sharing = set.intersection(*(set(holding[w]) for w in was)) - {i}
        out.extend((min(i, j), max(i, j)) for j in sorted(sharing)[:limit])
    return out


def note_pairs(notes: Sequence[Note], profiles: dict[str, Profile], contexts: dict[str, Context],
               index: np.ndarray, sims: np.ndarray, floor: float,
               forced: Sequence[tuple[int, int, float]] = (), duplicate_bar: float = 0.0) -> pd.DataFrame:
    """Neighbouring pairs at or above `floor`, older note first, with how they differ and where they sit.

    Below `duplicate_bar` a pair can only be a conflict, so it is aligned only when its polarity or
    its values differ (or it was paired by structure: the same key, "from X to Y").

    `relation` is the coarse reading (duplicate, conflict, distinct, related); `kind` the exact
    difference (`workbench.compare.relate`); the context columns say whether both notes share a
    document, section and parent item, or name different subjects in their context.
    """
    seen: set[tuple[int, int]] = set()
    rows = []
    neighbours = ((i, j, sim) for i, (row_index, row_sims) in enumerate(zip(index, sims))
                  for j, sim in zip(row_index, row_sims) if sim >= floor)
    keyed = {(min(i, j), max(i, j)) for i, j, _ in forced}
    for i, j, sim in [*neighbours, *forced]:
        key = (min(i, int(j)), max(i, int(j)))
        if key in seen:
            continue
        seen.add(key)
        old, new = _older_first(notes[key[0]], notes[key[1]])
        pa, pb = profiles[old.id], profiles[new.id]
        if sim < duplicate_bar and key not in keyed and pa.negated == pb.negated \
                and not (pa.values - pb.values and pb.values - pa.values):
            continue  # no duplicate at this similarity, and nothing that could make a conflict
        relation = relate(pa, pb)
        if relation.kind == "different" and relation.detail == "little in common" and key not in keyed:
            continue  # too little in common to be a candidate of any kind
        where = context_signals(contexts[old.id], contexts[new.id])
        rows.append((old.id, new.id, round(float(sim), 4), COARSE.get(relation.kind, "related"), relation.kind,
                     relation.detail, round(relation.aligned, 3), old.updated_at < new.updated_at,
                     where["same_context"], where["parents_differ"], where["subjects_differ"], where["parallel"],
                     key in keyed))
    columns = ["older", "newer", "similarity", "relation", "kind", "detail", "aligned", "ordered", "same_context",
               "parents_differ", "subjects_differ", "parallel", "structural"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["similarity", "older", "newer"], ascending=[False, True, True], ignore_index=True)


def complete_link(edges: Sequence[tuple[str, str]], share: float = 1.0) -> list[list[str]]:
    """Group ids so every two members of a group are linked (no single-link chaining).

    With `share` < 1, two groups join when at least that share of their cross pairs is linked.
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


def representative(members: Sequence[str], notes: dict[str, Note], profiles: dict[str, Profile]) -> str:
    """The most complete wording; ties go to the most recent, then the shortest text."""
    return min(members, key=lambda m: (-len(profiles[m].atoms), -notes[m].updated_at.timestamp(),
                                       len(notes[m].text), m))


def duplicate_groups(analysis: Analysis, bar: float) -> list[DuplicateGroup]:
    """Notes that may say the same thing (same words or one containing the other), complete-linkage.

    These are candidates for the map and the review; whether a group may be merged is a verdict.
    """
    return analysis.memoized(("duplicates", bar), lambda: _duplicate_groups(analysis, bar))


def _duplicate_groups(analysis: Analysis, bar: float) -> list[DuplicateGroup]:
    pairs = analysis.pairs
    hits = pairs[(pairs.relation == "duplicate") & (pairs.similarity >= bar) & ~pairs.parents_differ
                 & ~pairs.subjects_differ]
    notes = analysis.corpus.note_by_id
    sim_of = {(a, b): s for a, b, s in zip(hits.older, hits.newer, hits.similarity)}
    sim_of.update({(b, a): s for (a, b), s in list(sim_of.items())})
    groups = []
    for members in complete_link(list(zip(hits.older, hits.newer))):
        rep = representative(members, notes, analysis.profiles)
        sims = [sim_of[(a, b)] for a in members for b in members if a < b and (a, b) in sim_of]
        verbatim = len({" ".join(notes[m].text.split()).casefold() for m in members}) == 1
        why = "the same text" if verbatim else f"the same words or one contains the other (cosine ≥ {min(sims):.2f})"
        groups.append(DuplicateGroup(f"dup-{rep}", tuple(members), rep, round(min(sims), 4), why))
    return sorted(groups, key=lambda g: g.id)


def conflict_pairs(analysis: Analysis, bar: float) -> list[ConflictPair]:
    """Same slot, another value: between notes, and between notes and later user sentences."""
    return analysis.memoized(("conflicts", bar), lambda: _conflict_pairs(analysis, bar))


def _conflict_pairs(analysis: Analysis, bar: float) -> list[ConflictPair]:
    """Conflict candidates the rules would resolve (winner set), or that no rule can order (winner None)."""
    from .candidates import pair_candidates, session_candidates
    from .dream.rules import judged

    out = []
    for c in pair_candidates(analysis, bar):
        s = c.signals
        verdict = judged(c, analysis)
        if "update" in (verdict.action, verdict.withheld) or (verdict.action == "none" and not s["ordered"]
                                          and s["relation"] in ("negation", "value", "words")
                                          and not (s["parents_differ"] or s["subjects_differ"])):
            winner = verdict.keep if "update" in (verdict.action, verdict.withheld) else None
            out.append(ConflictPair(c.notes[0], c.notes[1], winner, c.similarity, s["relation"], s["detail"]))
    statements = analysis.statement_by_id
    for c in session_candidates(analysis, bar):
        verdict = judged(c, analysis)
        if "update" not in (verdict.action, verdict.withheld):
            continue
        st = statements[c.statements[0]]
        out.append(ConflictPair(c.notes[0], st.id, st.id, c.similarity, c.signals["relation"], verdict.reason,
                                "session", st.turn_id, st.session_id, st.text))
    return out


# --- statements: support, supersession, insights -------------------------------------------


def relate_statements(notes: Sequence[Note], vectors: np.ndarray, statements: Sequence[Statement],
                      statement_vectors: np.ndarray, profiles: dict[str, Profile], floor: float,
                      k: int = 3) -> pd.DataFrame:
    """For each sentence of the sessions, the notes it is close to (and the `Key: value` notes whose key
    it names) and how it relates to them."""
    index, sims = top_matches(statement_vectors, vectors, k)
    close = [(s_row, int(j), float(sim)) for s_row in range(len(statements))
             for j, sim in zip(index[s_row], sims[s_row]) if sim >= floor]
    seen = {(a, b) for a, b, _ in close}
    named = [(a, b, float(statement_vectors[a] @ vectors[b])) for a, b in key_mentions(notes, statements, profiles)
             if (a, b) not in seen]
    keyed = {(a, b) for a, b, _ in named}
    rows = []
    for s_row, j, sim in sorted(close + named):
        statement, note = statements[s_row], notes[j]
        relation = relate(profiles[note.id], profiles[statement.id], trim=True)
        later = statement.at is not None and statement.at > note.updated_at
        rows.append((statement.id, note.id, statement.session_id, round(sim, 4),
                     COARSE.get(relation.kind, "related"), relation.kind, relation.detail, later,
                     statement.role == "user", statement.kind == "statement",
                     declarative(statement.text, profiles[statement.id]), (s_row, j) in keyed, statement.at))
    columns = ["statement", "note", "session", "similarity", "relation", "kind", "detail", "later", "user", "fact",
               "declarative", "names_key", "at"]
    return pd.DataFrame(rows, columns=columns)


def _note_facts(analysis: Analysis) -> list[dict[str, Any]]:
    """What each note says about itself (bar-independent): age, expiry and event dates."""
    as_of = analysis.corpus.as_of
    rows = []
    for note in analysis.corpus.notes:
        ends = expiry(note.text, note.updated_at)
        event = episodic(note.text, note.updated_at)
        rows.append({
            "id": note.id, "path": note.path, "updated_at": note.updated_at,
            "age_days": round((as_of - note.updated_at).total_seconds() / 86400, 1),
            "named": bool(analysis.profiles[note.id].names),
            "episodic": event.text if event else "",
            "temporary": ends.text if ends else "",
            "expires_at": ends.when if ends else pd.NaT,
            "expired": bool(ends and ends.when < as_of),
        })
    return rows


def note_status(analysis: Analysis, bars: dict[str, float]) -> pd.DataFrame:
    """Per note: age, dates, sessions supporting it, what supersedes it, isolation."""
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
        if pair.winner is not None and pair.winner != pair.older:
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


def insight_groups(analysis: Analysis, bar: float, support_bar: float, min_sessions: int = 2) -> list[InsightCandidate]:
    """Statements made in several sessions that no note holds, for the map and the review."""
    return analysis.memoized(("insights", bar, support_bar, min_sessions),
                             lambda: _insight_groups(analysis, bar, support_bar, min_sessions))


def _insight_groups(analysis: Analysis, bar: float, support_bar: float, min_sessions: int) -> list[InsightCandidate]:
    out = []
    for candidate in insight_candidates(analysis, bar, support_bar, min_sessions):
        s = candidate.signals
        out.append(InsightCandidate(candidate.id.replace("insight:", "ins-"), s["text"], s["how"], candidate.statements,
                                    s["sessions"], s["quotes"], s["centrality"], s["best_memory"],
                                    s["best_memory_similarity"]))
    return out


def memory_centroids(analysis: Analysis) -> tuple[np.ndarray, list[str]]:
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
    statements = statement_kinds(statements, profiles)
    contexts = {n.id: note_context(n, names) for n in notes}
    clock.lap("profiles")
    index, sims = nearest(vectors, k if len(notes) <= EXACT_LIMIT else min(k, 10))
    clock.lap("neighbours")
    analysis = Analysis(
        corpus=corpus, embedder_id=embedder.id, bars=bars, note_ids=[n.id for n in notes], vectors=vectors,
        statements=statements, statement_vectors=statement_vectors, neighbours=index, neighbour_similarity=sims,
        pairs=note_pairs(notes, profiles, contexts, index, sims, min(bars["duplicate"], bars["conflict"]),
                         [(i, j, float(vectors[i] @ vectors[j]))
                          for i, j in [*same_key_pairs(notes), *from_to_pairs(notes, profiles)]],
                         duplicate_bar=bars["duplicate"]),
        mentions=pd.DataFrame(), profiles=profiles, contexts=contexts,
        parent_ids=frozenset(n.parent for n in notes if n.parent), embedder=embedder,
    )
    clock.lap("pairs")
    analysis.mentions = relate_statements(notes, vectors, statements, statement_vectors, profiles, bars["floor"])
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
    analysis.insights = insight_groups(analysis, bars["insight"], bars["support"])
    clock.lap("insights")
    analysis.timings = clock.times
    return analysis


def layout_umap(analysis: Analysis, *, n_neighbors: int = 15, random_state: int = 0,
                cache: bool = True, in_subprocess: bool = False) -> pd.DataFrame:
    """A UMAP layout fed the k-NN graph the analysis already holds (much faster first fit).

    Layouts are cached on disk keyed by the note texts, the embedder and the parameters, and
    numba keeps its compiled code in the cache folder, so the second start is quick.
    `in_subprocess` fits in a fresh child process, so the caller's interpreter (a kernel that
    answers the browser) never waits on the GIL that numba holds while UMAP runs.
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
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))  # a child process inherits it
    k = min(n_neighbors, analysis.neighbours.shape[1] + 1)
    knn_index = np.column_stack([np.arange(n), analysis.neighbours[:, : k - 1]])
    knn_dist = np.column_stack([np.zeros(n), 1.0 - analysis.neighbour_similarity[:, : k - 1]]).clip(0)
    args = (np.asarray(analysis.vectors), knn_index, knn_dist, k, random_state)
    if in_subprocess:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            xy = pool.submit(_umap_xy, *args).result()
    else:
        xy = _umap_xy(*args)
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


def layout_umap_aside(analysis: Analysis) -> pd.DataFrame:
    """`layout_umap` fitted in a child process: what the widgets compute in the background."""
    return layout_umap(analysis, in_subprocess=True)


def _umap_xy(vectors: np.ndarray, knn_index: np.ndarray, knn_dist: np.ndarray, k: int,
             random_state: int) -> np.ndarray:
    import umap

    reducer = umap.UMAP(n_neighbors=k, metric="cosine", random_state=random_state,
                        precomputed_knn=(knn_index, knn_dist, None), n_jobs=1, init="pca")
    return reducer.fit_transform(vectors)


def as_of(analysis: Analysis) -> datetime:
    """The reference 'now' of the analysis (the latest time in the corpus)."""
    return analysis.corpus.as_of
