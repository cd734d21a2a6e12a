"""Plotly figures of the memory space and of a plan: pure functions that return `go.Figure`.

    fig = embedding_map(analysis, color_by="fate", plan=plan, links_for=["mem_3#0"])

The map draws every note in ONE `Scattergl` trace: ids in `customdata`, a short title
(≤ 60 characters) as hover text, colours and sizes as arrays, never the full text, so a
50,000-note store stays responsive. Duplicate (grey) and conflict (red) links are drawn only
for the notes asked for, capped, one lines trace per kind.

A few small data-preparation helpers live here too (marked in the section headers); they are
pure functions over an `Analysis` or a `Plan` and may move to those modules later.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .records import parse_time

if TYPE_CHECKING:
    from .analysis import Analysis
    from .dream.plan import Operation, Plan
    from .records import Corpus

FATES = ("kept", "merged", "updated", "pruned", "created")
FATE_COLORS = {"kept": "#9aa0a6", "merged": "#1f77b4", "updated": "#ff7f0e", "pruned": "#d62728",
               "created": "#2ca02c"}
LINK_COLORS = {"duplicate": "#8c8c8c", "conflict": "#d62728"}
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#86bcb6", "#d4a6c8", "#8cd17d", "#499894", "#f1ce63", "#a0cbe8", "#ffbe7d")
NOISE_COLOR = "#c9ccd1"
TITLE_LIMIT = 60
COLOR_BY = ("cluster", "path", "age", "fate")
FONT = dict(family="Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color="#1f2328")
NOTES_TRACE = "notes"


def short_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """The first line of a text, whitespace collapsed, cut to `limit` characters with an ellipsis."""
    line = " ".join(str(text).strip().split("\n", 1)[0].split())
    line = re.sub(r"^[#>*\-+\s]+", "", line)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _layout(fig: go.Figure, **extra) -> go.Figure:
    fig.update_layout(font=FONT, plot_bgcolor="white", paper_bgcolor="white",
                      margin=dict(l=10, r=10, t=40, b=10), hoverlabel=dict(font_size=12), **extra)
    return fig


# --- the map: data preparation ---------------------------------------------------------------


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
    frame["folder"] = ["/" + p.lstrip("/").split("/", 1)[0] if p.count("/") > 1 else "/" for p in frame.path]
    if len(analysis.clusters):
        frame["cluster"] = analysis.clusters["cluster"].reindex(ids).fillna(-1).astype(int).to_numpy()
        frame["cluster_label"] = analysis.clusters["label"].reindex(ids).fillna("unclustered").to_numpy()
    else:
        frame["cluster"], frame["cluster_label"] = -1, "unclustered"
    status = analysis.notes
    for column, default in (("age_days", 0.0), ("support_sessions", 0)):
        values = status[column].reindex(ids) if column in getattr(status, "columns", ()) else None
        frame[column] = values.fillna(default).to_numpy() if values is not None else default
    return frame


@dataclass(frozen=True)
class Coloring:
    """Colours of the notes trace as numbers plus a colorscale (fast to send and to validate).

    Categorical colourings use integer codes into `categories`/`colors`; `age` is continuous.
    """

    by: str
    values: np.ndarray
    categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    continuous: bool = False
    title: str = ""

    def colorscale(self) -> list[list]:
        if self.continuous:
            return [[0.0, "#1a9850"], [0.5, "#fee08b"], [1.0, "#b2182b"]]
        k = max(1, len(self.colors))
        scale = []
        for i, color in enumerate(self.colors or (NOISE_COLOR,)):
            scale += [[i / k, color], [(i + 1) / k, color]]
        return scale

    def marker(self) -> dict:
        """The `marker` properties that carry these colours."""
        if self.continuous:
            high = float(np.nanmax(self.values)) if len(self.values) else 1.0
            return dict(color=self.values, colorscale=self.colorscale(), cmin=0.0, cmax=max(high, 1.0),
                        showscale=True, colorbar=dict(title=dict(text=self.title), thickness=10, len=0.6))
        return dict(color=self.values, colorscale=self.colorscale(), cmin=-0.5,
                    cmax=max(len(self.colors), 1) - 0.5, showscale=False)

    def color_of(self, values: Iterable[float]) -> list[str]:
        """The hex colour each categorical code stands for (what the reader sees)."""
        return [self.colors[int(v)] for v in values]

    def legend(self) -> list[tuple[str, str, int]]:
        """(category, colour, count) for a categorical colouring, in order."""
        if self.continuous:
            return []
        counts = Counter(int(v) for v in self.values)
        return [(c, col, counts.get(i, 0)) for i, (c, col) in enumerate(zip(self.categories, self.colors, strict=True))]


def _categorical(by: str, labels: Sequence[str], order: Sequence[str], colors: Sequence[str], title: str) -> Coloring:
    code = {c: i for i, c in enumerate(order)}
    values = np.fromiter((code[v] for v in labels), dtype=np.int16, count=len(labels))
    return Coloring(by, values, tuple(order), tuple(colors), False, title)


def point_colors(analysis: Analysis, color_by: str = "cluster", plan: Plan | None = None,
                 points: pd.DataFrame | None = None) -> Coloring:
    """The colour of every note by cluster, top-level folder, age in days, or fate under `plan`."""
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_BY)}, got {color_by!r}")
    points = map_points(analysis) if points is None else points
    if color_by == "age":
        return Coloring("age", points["age_days"].to_numpy(dtype=float), continuous=True, title="age (days)")
    if color_by == "fate":
        if plan is None:
            raise ValueError("color_by='fate' needs a plan")
        fates = plan.fates()
        labels = [fates.get(i, "kept") for i in points.index]
        return _categorical("fate", labels, FATES, [FATE_COLORS[f] for f in FATES], "fate")
    if color_by == "path":
        counts = Counter(points["folder"])
        top = [f for f, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        if len(top) > len(PALETTE):
            top = top[: len(PALETTE) - 1]
            keep = set(top)
            labels = [f if f in keep else "other" for f in points["folder"]]
            return _categorical("path", labels, [*top, "other"], [*PALETTE[: len(top)], NOISE_COLOR], "folder")
        return _categorical("path", list(points["folder"]), top, PALETTE[: len(top)], "folder")
    names = analysis.cluster_labels
    clusters = sorted({int(c) for c in points["cluster"] if c >= 0})
    order = [f"{c}: {names.get(c, '')}" for c in clusters] + ["unclustered"]
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(clusters))] + [NOISE_COLOR]
    by_code = dict(zip(clusters, order[:-1], strict=True))
    labels = [by_code.get(int(c), "unclustered") for c in points["cluster"]]
    return _categorical("cluster", labels, order, colors, "cluster")


def point_sizes(points: pd.DataFrame) -> np.ndarray:
    """Marker sizes: larger for notes that more sessions support; smaller base size for big maps."""
    base = 7.0 if len(points) <= 2_000 else 5.0 if len(points) <= 20_000 else 3.5
    support = np.sqrt(points["support_sessions"].to_numpy(dtype=float).clip(0, 25))
    return (base + 1.6 * support).round(2)


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


def link_pairs(analysis: Analysis, ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Duplicate (representative → member) and conflict (older → newer) pairs touching `ids`."""
    wanted = set(ids)
    duplicates = [(g.representative, m) for g in analysis.duplicates if wanted.intersection(g.notes)
                  for m in g.notes if m != g.representative]
    conflicts = [(c.older, c.newer) for c in analysis.conflicts if c.older in wanted or c.newer in wanted]
    return {"duplicate": duplicates, "conflict": conflicts}


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
    """Candidate insights and session fact sentences placed near the notes they resemble.

    A point sits at the similarity-weighted mean of its five most similar notes, which works
    for any layout (PCA or UMAP) without refitting it.
    """
    from .analysis import top_matches

    coords = analysis.coords if coords is None else coords
    columns = ["x", "y", "kind", "title"]
    if not len(analysis.note_ids):
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    row = {s.id: i for i, s in enumerate(analysis.statements)}
    ids, kinds, titles, vectors = [], [], [], []
    if insights:
        for candidate in analysis.insights:
            rows = [row[s] for s in candidate.statements if s in row]
            if rows:
                ids.append(candidate.id)
                kinds.append("insight")
                titles.append(short_title(candidate.text))
                vectors.append(analysis.statement_vectors[rows].mean(axis=0))
    if statements:
        in_conflict = {c.newer for c in analysis.conflicts if c.source == "session"}
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
    index, sims = top_matches(matrix / norms, analysis.vectors, k=5)
    note_xy = coords[["x", "y"]].reindex(analysis.note_ids).to_numpy(dtype=float)
    weights = np.clip(sims, 1e-3, None)
    xy = (note_xy[index] * weights[..., None]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "kind": kinds, "title": titles},
                        index=pd.Index(ids, name="id"))


def cluster_annotations(points: pd.DataFrame, *, limit: int = 40) -> list[dict]:
    """A label at the median position of each cluster (at most `limit`, largest first)."""
    real = points[points["cluster"] >= 0]
    if real.empty:
        return []
    sizes = real.groupby("cluster").size().sort_values(ascending=False).head(limit)
    centres = real[real["cluster"].isin(sizes.index)].groupby("cluster")[["x", "y"]].median()
    labels = real.groupby("cluster")["cluster_label"].first()
    return [dict(x=float(c.x), y=float(c.y), text=html.escape(short_title(labels[k], 28)), showarrow=False,
                 font=dict(size=11, color="#444"), bgcolor="rgba(255,255,255,0.7)")
            for k, c in centres.iterrows()]


# --- the map: figure ---------------------------------------------------------------------------


def embedding_map(analysis: Analysis, *, color_by: str = "cluster", plan: Plan | None = None,
                  links_for: Iterable[str] | None = None, max_links: int = 300,
                  coords: pd.DataFrame | None = None, insights: bool = False, statements: bool = False,
                  selected: Iterable[str] | None = None, legend: bool = True, height: int = 560) -> go.Figure:
    """The notes as points on a 2-D layout (PCA by default, or `coords`), coloured by `color_by`.

    Trace order is fixed: notes, duplicate links, conflict links, then (when asked) candidate
    insights and session facts, then legend keys.
    """
    coords = analysis.coords if coords is None else coords
    points = map_points(analysis, coords)
    coloring = point_colors(analysis, color_by, plan, points)
    ids = points.index.to_numpy(dtype=object)
    notes = go.Scattergl(
        x=points["x"].to_numpy(), y=points["y"].to_numpy(), mode="markers", name=NOTES_TRACE,
        customdata=ids, hovertext=points["title"].to_numpy(dtype=object),
        hovertemplate="<b>%{customdata}</b><br>%{hovertext}<extra></extra>",
        marker=dict(size=point_sizes(points), opacity=0.85, line=dict(width=0), **coloring.marker()),
        selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=0.25)),
        showlegend=False, meta=dict(role="notes", color_by=color_by),
    )
    if selected is not None:
        position = {note_id: i for i, note_id in enumerate(ids)}
        notes.selectedpoints = [position[i] for i in selected if i in position]
    extra = extra_points(analysis, coords, insights=insights, statements=statements) \
        if insights or statements else None
    link_coords = coords if extra is None or extra.empty else pd.concat([coords[["x", "y"]], extra[["x", "y"]]])
    links = link_segments(analysis, links_for, link_coords, max_links=max_links)
    traces = [notes]
    for kind in ("duplicate", "conflict"):
        seg = links[kind]
        traces.append(go.Scattergl(
            x=list(seg.x), y=list(seg.y), mode="lines", name=seg.name, hoverinfo="skip",
            line=dict(color=LINK_COLORS[kind], width=1.2 if kind == "duplicate" else 1.6,
                      dash="solid" if kind == "duplicate" else "dot"),
            showlegend=bool(seg.total), meta=dict(role=f"{kind}_links", total=seg.total),
        ))
    for kind, flag, symbol, color in (("insight", insights, "star", FATE_COLORS["created"]),
                                      ("session", statements, "diamond-open", "#6f42c1")):
        if not flag:
            continue
        part = extra[extra["kind"] == kind]
        traces.append(go.Scattergl(
            x=part["x"].to_numpy(), y=part["y"].to_numpy(), mode="markers",
            name="candidate insights" if kind == "insight" else "session facts",
            customdata=part.index.to_numpy(dtype=object), hovertext=part["title"].to_numpy(dtype=object),
            hovertemplate="<b>%{customdata}</b><br>%{hovertext}<extra></extra>",
            marker=dict(symbol=symbol, size=11 if kind == "insight" else 6, color=color, opacity=0.9),
            visible=True if kind == "insight" else "legendonly", meta=dict(role=f"{kind}_points"),
        ))
    if legend:
        for category, color, count in [c for c in coloring.legend() if c[2]][:24]:
            traces.append(go.Scatter(x=[None], y=[None], mode="markers", name=f"{category} ({count})",
                                     marker=dict(size=9, color=color), hoverinfo="skip",
                                     meta=dict(role="legend")))
    fig = go.Figure(traces)
    _layout(fig, height=height, dragmode="lasso", hovermode="closest", uirevision="map",
            title=dict(text=f"{len(points):,} notes · colour: {coloring.title or color_by}", x=0.01, font_size=14),
            legend=dict(orientation="v", x=1.0, xanchor="left", y=1, font_size=11, itemsizing="constant"),
            annotations=cluster_annotations(points) if color_by == "cluster" else [])
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, title=None)
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False, title=None, scaleanchor=None)
    return fig


# --- timeline, sankey, heatmap -------------------------------------------------------------


def timeline(corpus: Corpus, *, plan: Plan | None = None, height: int = 360) -> go.Figure:
    """Memory writes (per top-level folder) and sessions (sized by turns) along time."""
    memories = sorted(corpus.memories, key=lambda m: m.updated_at)
    folder = lambda p: "/" + p.lstrip("/").split("/", 1)[0] if p.count("/") > 1 else "/"  # noqa: E731
    scatter = go.Scattergl if len(memories) > 2_000 else go.Scatter
    traces = [scatter(
        x=[m.updated_at for m in memories], y=[folder(m.path) for m in memories], mode="markers",
        name="memory writes", customdata=[m.id for m in memories],
        hovertext=[f"{m.path} · {len(m.content):,} chars" for m in memories],
        hovertemplate="%{x|%Y-%m-%d}<br>%{hovertext}<extra></extra>",
        marker=dict(size=8, color="#4e79a7", symbol="square", opacity=0.75),
    )]
    sessions = [s for s in corpus.sessions if s.started_at is not None]
    if sessions:
        xs, ys = [], []
        for s in sessions:
            xs += [s.started_at, s.ended_at or s.started_at, None]
            ys += ["sessions", "sessions", None]
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#6f42c1", width=6),
                                 hoverinfo="skip", showlegend=False))
        traces.append(go.Scatter(
            x=[s.started_at for s in sessions], y=["sessions"] * len(sessions), mode="markers", name="sessions",
            customdata=[s.id for s in sessions], hovertext=[f"{short_title(s.title)} · {len(s.turns)} turns"
                                                             for s in sessions],
            hovertemplate="%{x|%Y-%m-%d %H:%M}<br>%{hovertext}<extra></extra>",
            marker=dict(size=[6 + min(14, len(s.turns) ** 0.5 * 2) for s in sessions], color="#6f42c1"),
        ))
    fig = go.Figure(traces)
    if plan is not None and plan.inputs.get("as_of"):
        as_of = parse_time(plan.inputs["as_of"])
        fig.add_vline(x=as_of, line=dict(color=FATE_COLORS["created"], dash="dash"))
        fig.add_annotation(x=as_of, y=1, yref="paper", text="dream as of", showarrow=False,
                           font=dict(size=11, color=FATE_COLORS["created"]), xanchor="left")
    _layout(fig, height=height, title=dict(text="Memory writes and sessions", x=0.01, font_size=14),
            legend=dict(orientation="h", y=-0.15))
    fig.update_yaxes(type="category", categoryorder="category descending", title=None)
    fig.update_xaxes(showgrid=True, gridcolor="#eee")
    return fig


def fate_counts(plan: Plan) -> dict[str, int]:
    """How many input notes are kept, merged, updated, pruned, and how many notes are created."""
    counts = Counter(plan.fates().values())
    out = {fate: counts.get(fate, 0) for fate in FATES}
    out["created"] = sum(1 for op in plan.operations if op.kind == "create")
    return out


def fate_flows(plan: Plan) -> list[tuple[str, str, int]]:
    """(source, target, count) flows: input notes → fate → output notes (or removed / folded in)."""
    counts = fate_counts(plan)
    fates = plan.fates()
    flows = [("input notes", fate, counts[fate]) for fate in ("kept", "merged", "updated", "pruned")]
    flows.append(("sessions", "created", counts["created"]))
    survivors: dict[str, set[str]] = {"merged": set(), "updated": set()}
    for op in plan.operations:
        if op.kind in ("merge", "update") and op.result is not None and op.result.note_id:
            survivors["merged" if op.kind == "merge" else "updated"].add(op.result.note_id)
    for fate in ("merged", "updated"):
        kept = sum(1 for note_id in survivors[fate] if fates.get(note_id) == fate)
        flows.append((fate, "output notes", kept))
        flows.append((fate, "folded into another note", counts[fate] - kept))
    flows.append(("kept", "output notes", counts["kept"]))
    flows.append(("created", "output notes", counts["created"]))
    flows.append(("pruned", "removed", counts["pruned"]))
    return [f for f in flows if f[2] > 0]


def fate_sankey(plan: Plan, *, height: int = 360) -> go.Figure:
    """Where the notes go: input notes → kept / merged / updated / pruned, sessions → created → output."""
    flows = fate_flows(plan)
    nodes = list(dict.fromkeys([n for s, t, _ in flows for n in (s, t)]))
    node_color = {**FATE_COLORS, "input notes": "#5b6770", "sessions": "#6f42c1", "output notes": "#343a40",
                  "removed": "#f1b0b0", "folded into another note": "#a9c7e3"}
    incoming, outgoing = Counter(), Counter()
    for s, t, v in flows:
        outgoing[s] += v
        incoming[t] += v
    labels = [f"{n} ({max(incoming[n], outgoing[n]):,})" for n in nodes]
    index = {n: i for i, n in enumerate(nodes)}
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=labels, color=[node_color.get(n, "#999") for n in nodes], pad=14, thickness=14),
        link=dict(source=[index[s] for s, _, _ in flows], target=[index[t] for _, t, _ in flows],
                  value=[v for _, _, v in flows],
                  color=[_fade(node_color.get(t if s in ("input notes", "sessions") else s, "#999"))
                         for s, t, _ in flows]),
    ))
    return _layout(fig, height=height, title=dict(text="Fates of the notes", x=0.01, font_size=14))


def _fade(color: str, alpha: float = 0.35) -> str:
    color = color.lstrip("#")
    r, g, b = (int(color[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def support_matrix(analysis: Analysis, *, bar: float | None = None, max_clusters: int = 30) -> pd.DataFrame:
    """Cluster × session counts of session sentences that restate a note of the cluster."""
    bar = analysis.bars.get("support", 0.0) if bar is None else bar
    mentions = analysis.mentions
    hits = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= bar)]
    sessions = sorted(analysis.corpus.sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id))
    columns = [s.id for s in sessions]
    if hits.empty or not len(analysis.clusters):
        return pd.DataFrame(index=pd.Index([], name="cluster"), columns=columns, dtype=int)
    labels = analysis.clusters["cluster"].map(
        lambda c: f"{c}: {analysis.cluster_labels.get(int(c), '')}" if c >= 0 else "unclustered")
    table = pd.crosstab(hits.note.map(labels), hits.session)
    table = table.reindex(columns=columns, fill_value=0)
    order = table.sum(axis=1).sort_values(ascending=False).index[:max_clusters]
    table = table.loc[order]
    table.index.name = "cluster"
    return table


def support_heatmap(analysis: Analysis, *, bar: float | None = None, max_clusters: int = 30,
                    height: int = 420) -> go.Figure:
    """Which sessions support which clusters (sentences restating their notes)."""
    table = support_matrix(analysis, bar=bar, max_clusters=max_clusters)
    titles = {s.id: short_title(s.title or s.id, 30) for s in analysis.corpus.sessions}
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy(), x=[titles.get(c, c) for c in table.columns], y=list(table.index),
        customdata=np.array([list(table.columns)] * len(table), dtype=object) if len(table) else None,
        colorscale="Blues", hovertemplate="%{y}<br>%{x}<br>%{z} supporting sentences<extra></extra>",
        colorbar=dict(title=dict(text="sentences"), thickness=10),
    ))
    if table.empty:
        fig.add_annotation(text="No session restates a note at this support bar", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
    _layout(fig, height=height, title=dict(text="Support: clusters × sessions", x=0.01, font_size=14))
    fig.update_xaxes(tickangle=-40, tickfont_size=10)
    fig.update_yaxes(autorange="reversed", tickfont_size=11)
    return fig


# --- diffs ------------------------------------------------------------------------------------

_DIFF_STYLE = (
    "<style>.wb-diff{border-collapse:collapse;width:100%;table-layout:fixed;border:1px solid #d0d7de;margin:4px 0}"
    ".wb-diff td{padding:2px 8px;vertical-align:top;white-space:pre-wrap;word-break:break-word;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;line-height:1.45}"
    ".wb-diff th{text-align:left;font-size:12px;color:#57606a;font-weight:600;padding:2px 8px}"
    ".wb-diff td.m{width:1.2em;padding:2px 2px}.wb-diff .del{background:#ffebe9}.wb-diff .add{background:#e6ffec}"
    ".wb-diff .del.m{color:#cf222e}.wb-diff .add.m{color:#1a7f37}"
    ".wb-diff del{background:#ffc1bc;text-decoration:none}.wb-diff ins{background:#abf2bc;text-decoration:none}"
    "</style>"
)


def _words(before: str, after: str) -> tuple[str, str]:
    a, b = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<ins>{new}</ins>")
    return "".join(left), "".join(right)


def diff_rows(before: str, after: str) -> list[tuple[str, str, str]]:
    """Side-by-side rows (tag, left, right): tag is equal, removed, added or changed."""
    a, b = before.splitlines(), after.splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [("equal", x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        elif tag == "delete":
            rows += [("removed", x, "") for x in a[i1:i2]]
        elif tag == "insert":
            rows += [("added", "", y) for y in b[j1:j2]]
        else:
            old, new = a[i1:i2], b[j1:j2]
            for k in range(max(len(old), len(new))):
                x, y = (old[k] if k < len(old) else ""), (new[k] if k < len(new) else "")
                rows.append(("changed" if x and y else "removed" if x else "added", x, y))
    return rows


def diff_html(before: str, after: str, *, labels: tuple[str, str] = ("before", "after")) -> str:
    """A side-by-side before/after table: removed lines red on the left, added lines green on the right."""
    body = []
    for tag, left, right in diff_rows(before, after):
        if tag == "changed":
            left_html, right_html = _words(left, right)
        else:
            left_html, right_html = html.escape(left), html.escape(right)
        lc = "del" if tag in ("removed", "changed") else ""
        rc = "add" if tag in ("added", "changed") else ""
        body.append(f'<tr class="wb-diff-{tag}"><td class="m {lc}">{"−" if lc else ""}</td><td class="{lc}">{left_html}</td>'
                    f'<td class="m {rc}">{"+" if rc else ""}</td><td class="{rc}">{right_html}</td></tr>')
    if not body:
        body.append('<tr><td colspan="4" style="color:#777">(both empty)</td></tr>')
    head = (f'<colgroup><col style="width:1.2em"><col><col style="width:1.2em"><col></colgroup>'
            f'<tr><th></th><th>{html.escape(labels[0])}</th><th></th><th>{html.escape(labels[1])}</th></tr>')
    return f'{_DIFF_STYLE}<table class="wb-diff">{head}{"".join(body)}</table>'


def operation_texts(op: Operation) -> tuple[str, str]:
    """Before and after of one operation at note level: the targets' texts, then the result."""
    before = "\n".join(t.text for t in op.targets)
    after = op.result.text if op.result is not None and op.kind != "delete" else ""
    return before, after


def operation_documents(plan: Plan, op: Operation, content: str | None = None) -> list[tuple[str, str, str]]:
    """(path, before, after) of every document the operation alone changes (with an edited result)."""
    from .dream.plan import apply_operations

    store = plan.input_store
    if store is None:
        return []
    after = apply_operations(store, [op], at=None, edits={op.id: content} if content else None)
    paths = {t.path for t in op.targets} | ({op.result.path} if op.result is not None else set())
    out = []
    for path in sorted(paths):
        old = store.by_path.get(path)
        new = after.by_path.get(path)
        before, after_text = (old.content if old else ""), (new.content if new else "")
        if before != after_text:
            out.append((path, before, after_text))
    return out


# --- selections, details, conflicts, comparisons (data preparation) --------------------------


def search_notes(analysis: Analysis, query: str) -> list[str]:
    """Ids of notes whose text or path contains every word of `query` (case-insensitive)."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return []
    return [n.id for n in analysis.corpus.notes
            if all(w in f"{n.path} {n.text}".lower() for w in words)]


def notes_table(analysis: Analysis, ids: Iterable[str], plan: Plan | None = None) -> pd.DataFrame:
    """Full notes for `ids` (in map order): path, text, cluster, age, support, duplicates, conflicts, sessions, fate."""
    wanted = [i for i in dict.fromkeys(ids) if i in analysis.corpus.note_by_id]
    columns = ["path", "text", "cluster", "age_days", "support_sessions", "duplicates", "conflicts", "sessions"]
    if plan is not None:
        columns.append("fate")
    if not wanted:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    notes = analysis.corpus.note_by_id
    twins: dict[str, list[str]] = defaultdict(list)
    for group in analysis.duplicates:
        for m in group.notes:
            twins[m] += [o for o in group.notes if o != m]
    rivals: dict[str, list[str]] = defaultdict(list)
    for pair in analysis.conflicts:
        rivals[pair.older].append(pair.newer)
        rivals[pair.newer].append(pair.older)
    mentions = analysis.mentions
    near = mentions[mentions.note.isin(wanted)].drop_duplicates(["note", "session"]).sort_values("session")
    sessions = near.groupby("note")["session"].agg(list).to_dict()
    label = (analysis.clusters["label"].reindex(wanted).fillna("unclustered").tolist() if len(analysis.clusters)
             else ["unclustered"] * len(wanted))
    status = analysis.notes.reindex(wanted) if len(analysis.notes) else pd.DataFrame(index=wanted)
    age = status["age_days"].fillna(0.0).astype(float).tolist() if "age_days" in status else [0.0] * len(wanted)
    support = (status["support_sessions"].fillna(0).astype(int).tolist() if "support_sessions" in status
               else [0] * len(wanted))
    fates = plan.fates() if plan is not None else {}
    rows = []
    for k, i in enumerate(wanted):
        row = {"id": i, "path": notes[i].path, "text": notes[i].text, "cluster": label[k], "age_days": age[k],
               "support_sessions": support[k], "duplicates": twins.get(i, []), "conflicts": rivals.get(i, []),
               "sessions": sessions.get(i, [])}
        if plan is not None:
            row["fate"] = fates.get(i, "kept")
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", *columns]).set_index("id")


@dataclass(frozen=True)
class Mention:
    """A session sentence close to a note."""

    session_id: str
    session_title: str
    turn_id: str
    quote: str
    relation: str
    similarity: float


@dataclass(frozen=True)
class NoteContext:
    """What the reader needs next to a note: its duplicates, its conflicts, the sessions that mention it."""

    id: str
    path: str
    text: str
    duplicates: tuple[tuple[str, str], ...]  # (note id, text)
    conflicts: tuple[tuple[str, str, str], ...]  # (id, text, detail)
    mentions: tuple[Mention, ...]


def note_context(analysis: Analysis, ids: Sequence[str], *, max_mentions: int = 5) -> list[NoteContext]:
    """Duplicates, conflicts and mentioning sessions of each note in `ids`."""
    corpus = analysis.corpus
    notes = corpus.note_by_id
    statements = {s.id: s for s in analysis.statements}
    titles = {s.id: s.title for s in corpus.sessions}
    text_of = lambda i: notes[i].text if i in notes else statements[i].text if i in statements else i  # noqa: E731
    wanted = set(ids)
    near = analysis.mentions[analysis.mentions.note.isin(wanted)].sort_values(
        ["note", "similarity"], ascending=[True, False])
    by_note = {k: g.head(max_mentions) for k, g in near.groupby("note")}
    out = []
    for i in ids:
        if i not in notes:
            continue
        dups = tuple((m, notes[m].text) for g in analysis.duplicates if i in g.notes for m in g.notes if m != i)
        rivals = tuple(((c.newer if c.older == i else c.older), text_of(c.newer if c.older == i else c.older), c.detail)
                       for c in analysis.conflicts if i in (c.older, c.newer))
        rows = by_note.get(i)
        mentions = tuple(
            Mention(r.session, titles.get(r.session, r.session), statements[r.statement].turn_id,
                    statements[r.statement].text, r.relation, float(r.similarity))
            for r in rows.itertuples()) if rows is not None else ()
        out.append(NoteContext(i, notes[i].path, notes[i].text, dups, rivals, mentions))
    return out


@dataclass(frozen=True)
class ConflictSubject:
    """Notes and session sentences that give one subject different values (a connected group)."""

    id: str
    label: str
    members: tuple[str, ...]
    details: tuple[str, ...]


def conflict_subjects(analysis: Analysis) -> list[ConflictSubject]:
    """Conflict pairs grouped into subjects (connected components), newest value's title as label."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in analysis.conflicts:
        parent[find(pair.older)] = find(pair.newer)
    groups: dict[str, list[str]] = defaultdict(list)
    for member in list(parent):
        groups[find(member)].append(member)
    details: dict[str, list[str]] = defaultdict(list)
    for pair in analysis.conflicts:
        details[find(pair.older)].append(pair.detail)
    out = []
    for root, members in groups.items():
        frame = conflict_history(analysis, members)
        newest = frame.iloc[-1]
        first_note = next((m for m in frame.index if m in analysis.corpus.note_by_id), frame.index[0])
        out.append(ConflictSubject(f"subject-{first_note}", short_title(newest["text"], 70), tuple(frame.index),
                                   tuple(dict.fromkeys(details[root]))))
    return sorted(out, key=lambda s: (-len(s.members), s.id))


def conflict_history(analysis: Analysis, members: Iterable[str]) -> pd.DataFrame:
    """The values of one subject over time: source (note/session), text, time, path, sessions stating it."""
    notes = analysis.corpus.note_by_id
    statements = {s.id: s for s in analysis.statements}
    titles = {s.id: s.title for s in analysis.corpus.sessions}
    turn_session = {t.id: t.session_id for t in analysis.corpus.turns}
    status = analysis.notes
    rows = []
    for m in members:
        if m in notes:
            note = notes[m]
            stated = set(status.at[m, "supported_by"]) if m in status.index else set()
            stated |= {turn_session[t] for t in note.evidence if t in turn_session}
            rows.append({"id": m, "source": "note", "text": note.text, "at": note.updated_at, "path": note.path,
                         "sessions": sorted(stated), "session_titles": [titles.get(s, s) for s in sorted(stated)]})
        elif m in statements:
            s = statements[m]
            rows.append({"id": m, "source": "session", "text": s.text, "at": s.at, "path": "",
                         "sessions": [s.session_id], "session_titles": [titles.get(s.session_id, s.session_id)]})
    frame = pd.DataFrame(rows, columns=["id", "source", "text", "at", "path", "sessions", "session_titles"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame = frame.sort_values(["at", "id"], na_position="first").set_index("id")
    frame["latest"] = False
    if len(frame):
        frame.iloc[-1, frame.columns.get_loc("latest")] = True
    return frame


def conflict_figure(history: pd.DataFrame, *, pinned: str | None = None, height: int = 300) -> go.Figure:
    """The values of one subject on a time axis; the latest (or the pinned one) marked as the winner."""
    winner = pinned or (history.index[history["latest"]][0] if history["latest"].any() else None)
    y = [short_title(t, 50) for t in history["text"]]
    colors = [FATE_COLORS["created"] if i == winner else FATE_COLORS["pruned"] for i in history.index]
    symbols = ["circle" if s == "note" else "diamond" for s in history["source"]]
    hover = [f"{'note ' + i if s == 'note' else 'said in ' + ', '.join(st)}" for i, s, st
             in zip(history.index, history["source"], history["session_titles"], strict=True)]
    fig = go.Figure(go.Scatter(
        x=history["at"], y=y, mode="markers+lines", customdata=list(history.index), hovertext=hover,
        hovertemplate="%{x|%Y-%m-%d %H:%M}<br>%{y}<br>%{hovertext}<extra></extra>",
        line=dict(color="#c9ccd1", width=1), marker=dict(size=13, color=colors, symbol=symbols),
    ))
    _layout(fig, height=height, showlegend=False,
            title=dict(text="Values over time (● note, ◆ session) — green wins", x=0.01, font_size=13))
    fig.update_yaxes(type="category", title=None, automargin=True)
    return fig


def resolving_operations(plan: Plan, members: Iterable[str]) -> list[Operation]:
    """The update operations of `plan` that settle a conflict among `members`."""
    wanted = set(members)
    return [op for op in plan.operations if op.kind == "update" and op.reason == "conflict"
            and (wanted & {t.id for t in op.targets} or (op.result is not None and op.result.note_id in wanted))]


def fate_differences(plan_a: Plan, plan_b: Plan) -> pd.DataFrame:
    """Notes whose fate differs between two plans, and insights only one of them creates."""
    fa, fb = plan_a.fates(), plan_b.fates()
    notes = {n.id: n for n in plan_a.input_notes or plan_b.input_notes}
    rows = [{"id": i, "title": short_title(notes[i].text) if i in notes else i, "a": fa.get(i, "kept"),
             "b": fb.get(i, "kept")} for i in sorted(set(fa) | set(fb)) if fa.get(i, "kept") != fb.get(i, "kept")]
    created_a = {op.result.text: op.id for op in plan_a.operations if op.kind == "create" and op.result}
    created_b = {op.result.text: op.id for op in plan_b.operations if op.kind == "create" and op.result}
    for text in sorted(set(created_a) ^ set(created_b)):
        rows.append({"id": created_a.get(text) or created_b.get(text), "title": short_title(text),
                     "a": "created" if text in created_a else "—", "b": "created" if text in created_b else "—"})
    return pd.DataFrame(rows, columns=["id", "title", "a", "b"]).set_index("id")


__all__ = [
    "FATES", "FATE_COLORS", "LINK_COLORS", "Coloring", "Links", "ConflictSubject", "NoteContext", "Mention",
    "short_title", "map_points", "point_colors", "point_sizes", "link_pairs", "link_segments", "extra_points",
    "cluster_annotations", "embedding_map", "timeline", "fate_counts", "fate_flows", "fate_sankey",
    "support_matrix", "support_heatmap", "diff_rows", "diff_html", "operation_texts", "operation_documents",
    "search_notes", "notes_table", "note_context", "conflict_subjects", "conflict_history", "conflict_figure",
    "resolving_operations", "fate_differences",
]
