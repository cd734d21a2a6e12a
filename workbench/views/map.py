"""What the map draws: one point per note, duplicate and conflict links, insight and session points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis import Analysis, top_matches
from ..candidates import supporting_sessions
from ..findings import findings
from .notes import ages
from .titles import sha256_hex, short_title, top_folder


def map_points(analysis: Analysis, coords: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per note in `analysis.note_ids` order: x, y, title, path, folder, cluster, age, support."""
    coords = analysis.coords if coords is None else coords
    ids = pd.Index(analysis.note_ids, name="id")
    notes = analysis.corpus.note_by_id
    frame = pd.DataFrame(index=ids)
    frame["x"] = coords["x"].reindex(ids).to_numpy(dtype=float)
    frame["y"] = coords["y"].reindex(ids).to_numpy(dtype=float)
    frame["title"] = [short_title(notes[i].text) for i in ids]
    frame["path"] = [notes[i].path for i in ids]
    frame["folder"] = [top_folder(p) for p in frame.path]
    topics = analysis.clusters
    frame["cluster"] = topics["cluster"].reindex(ids).fillna(-1).astype(int).to_numpy()
    frame["cluster_label"] = topics["label"].reindex(ids).fillna("unclustered").to_numpy()
    frame["age_days"] = ages(analysis, ids)
    supported = supporting_sessions(analysis)
    frame["support_sessions"] = [len(supported.get(i, ())) for i in ids]
    return frame


@dataclass(frozen=True)
class Links:
    """One kind of link as None-separated x/y arrays, with how many exist and how many are drawn."""

    kind: str
    x: tuple
    y: tuple
    shown: int
    total: int

    @property
    def name(self) -> str:
        more = f", {self.shown} of {self.total}" if self.total > self.shown else ""
        return f"{self.kind} links ({self.shown}{more})" if self.total else f"{self.kind} links"


def link_pairs(analysis: Analysis, ids: Iterable[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Duplicate (representative → member) and conflict (older → newer) pairs touching `ids` (all when None)."""
    found = findings(analysis)
    if ids is None:
        return {"duplicate": [(g.representative, m) for g in found.duplicates for m in g.notes
                              if m != g.representative],
                "conflict": [(c.older, c.newer) for c in found.conflicts]}
    wanted = set(ids)
    duplicates = [(g.representative, m) for g in found.duplicates if wanted.intersection(g.notes)
                  for m in g.notes if m != g.representative]
    conflicts = [(c.older, c.newer) for c in found.conflicts if c.older in wanted or c.newer in wanted]
    return {"duplicate": duplicates, "conflict": conflicts}


def link_count(analysis: Analysis) -> int:
    """How many duplicate and conflict links the whole store has."""
    found = findings(analysis)
    return sum(len(g.notes) - 1 for g in found.duplicates) + len(found.conflicts)


def link_segments(analysis: Analysis, ids: Iterable[str] | None, coords: pd.DataFrame, *,
                  max_links: int = 300) -> dict[str, Links]:
    """Line segments for duplicate and conflict links touching `ids` (none when `ids` is None)."""
    pairs = link_pairs(analysis, ids) if ids is not None else {"duplicate": [], "conflict": []}
    x_of, y_of = coords["x"], coords["y"]
    out = {}
    for kind, found in pairs.items():
        drawable = [(a, b) for a, b in found if a in x_of.index and b in x_of.index]
        shown = drawable[:max_links]
        xs: list = []
        ys: list = []
        for a, b in shown:
            xs += [float(x_of[a]), float(x_of[b]), None]
            ys += [float(y_of[a]), float(y_of[b]), None]
        out[kind] = Links(kind, tuple(xs), tuple(ys), len(shown), len(drawable))
    return out


def extra_points(analysis: Analysis, coords: pd.DataFrame | None = None, *, insights: bool = True,
                 statements: bool = False, max_statements: int = 5_000) -> pd.DataFrame:
    """Candidate insights and session fact sentences placed beside the note they resemble most.

    A point sits next to its most similar note (a small fixed offset, the same for every layout),
    which works for any layout (PCA or UMAP) without refitting it. An average of several notes
    would pull every point that resembles notes far apart into the middle of the map, where a
    pile of stars hides the notes.
    """
    found = findings(analysis)
    coords = analysis.coords if coords is None else coords
    columns = ["x", "y", "kind", "title"]
    if not len(analysis.note_ids):
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    row = {s.id: i for i, s in enumerate(analysis.statements)}
    ids, kinds, titles, vectors = [], [], [], []
    if insights:
        for candidate in found.insights:
            rows = [row[s] for s in candidate.statements if s in row]
            if rows:
                ids.append(candidate.id)
                kinds.append("insight")
                titles.append(short_title(candidate.text))
                vectors.append(analysis.statement_vectors[rows].mean(axis=0))
    if statements:
        in_conflict = {c.newer for c in found.conflicts if c.source == "session"}
        chosen = [s for s in analysis.statements if s.kind or s.id in in_conflict][:max_statements]
        for s in chosen:
            ids.append(s.id)
            kinds.append("session")
            titles.append(short_title(s.text))
            vectors.append(analysis.statement_vectors[row[s.id]])
    if not ids:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    matrix = np.vstack(vectors).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1
    index, _sims = top_matches(matrix / norms, analysis.vectors, k=1)
    note_xy = coords[["x", "y"]].reindex(analysis.note_ids).to_numpy(dtype=float)
    span = np.nanmax(note_xy, axis=0) - np.nanmin(note_xy, axis=0) if len(note_xy) else np.ones(2)
    span = np.where(np.isfinite(span) & (span > 0), span, 1.0)
    angle = np.array([int(sha256_hex(i)[:8], 16) % 360 for i in ids], dtype=float) * np.pi / 180
    offset = np.column_stack([np.cos(angle), np.sin(angle)]) * span * 0.012
    xy = note_xy[index[:, 0]] + offset
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "kind": kinds, "title": titles},
                        index=pd.Index(ids, name="id"))


def support_matrix(analysis: Analysis, *, bar: float | None = None, max_clusters: int = 30) -> pd.DataFrame:
    """Cluster × session counts of session sentences that restate a note of the cluster."""
    bar = analysis.bars.get("support", 0.0) if bar is None else bar
    mentions = analysis.mentions
    hits = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= bar)]
    sessions = sorted(analysis.corpus.sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id))
    columns = [s.id for s in sessions]
    topics = analysis.clusters
    if hits.empty or not len(topics):
        return pd.DataFrame(index=pd.Index([], name="cluster"), columns=columns, dtype=int)
    labels = pd.Series([f"{c}: {label}" if c >= 0 else "unclustered" for c, label in
                        zip(topics["cluster"], topics["label"])], index=topics.index)
    table = pd.crosstab(hits.note.map(labels), hits.session)
    table = table.reindex(columns=columns, fill_value=0)
    order = table.sum(axis=1).sort_values(ascending=False).index[:max_clusters]
    table = table.loc[order]
    table.index.name = "cluster"
    return table
