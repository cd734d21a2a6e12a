"""Plotly figures of the memory space and of a plan: free functions that only draw and return `go.Figure`.

    fig = embedding_map(analysis, color_by="fate", plan=plan, links_for=["mem_3#0"])

The map draws every note in ONE trace (`Scattergl` above `SCATTERGL_ABOVE` notes): ids in
`customdata`, a short title (≤ 60 characters) as hover text, colours and sizes as arrays, never
the full text, so a 50,000-note store stays responsive. Duplicate (grey) and conflict (red)
links are drawn for the notes asked for (or all), capped, one lines trace per kind. The
Workbench's own maps are the `workbench.ui` map widget, fed by the same functions.

The tables behind the figures (points, links, flows, histories) come from `workbench.views`.
Two draw HTML instead: `diff_html` (a word diff) and `similarity_histogram(...).svg()` (a knob's
histogram, a tiny SVG the tuner redraws as its slider moves).
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .records import parse_time
from .views import (
    FATES,
    diff_rows,
    extra_points,
    fate_flows,
    link_segments,
    map_points,
    short_title,
    support_matrix,
    top_folder,
)

if TYPE_CHECKING:
    from .analysis import Analysis
    from .dream.plan import Plan
    from .records import Corpus

FATE_COLORS = {"kept": "#9aa0a6", "merged": "#1f77b4", "updated": "#ff7f0e", "pruned": "#d62728",
               "created": "#2ca02c"}
LINK_COLORS = {"duplicate": "#8c8c8c", "conflict": "#d62728"}
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#86bcb6", "#d4a6c8", "#8cd17d", "#499894", "#f1ce63", "#a0cbe8", "#ffbe7d")
NOISE_COLOR = "#b4b9c0"
CONTINUOUS_STEPS = 32
SCATTERGL_ABOVE = 1_500  # notes: above this the map is drawn with WebGL (Scattergl), below as SVG (Scatter)
COLOR_BY = ("cluster", "path", "age", "fate")
FONT = dict(family="Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color="#1f2328")
NOTES_TRACE = "notes"
OUTLINE = "#1f2328"  # a hairline around every note (light colours stay visible), a ring around selected ones
POINT_OPACITY, UNSELECTED_OPACITY = 0.9, 0.5
HAIRLINE, RING = 0.5, 2.5


def _layout(fig: go.Figure, **extra) -> go.Figure:
    fig.update_layout(font=FONT, plot_bgcolor="white", paper_bgcolor="white",
                      margin=dict(l=10, r=10, t=40, b=10), hoverlabel=dict(font_size=12), **extra)
    return fig


# --- the map: colours, sizes, selection rings ------------------------------------------------------


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def scale_color(scale: Sequence[Sequence], at: float) -> str:
    """The hex colour at `at` (0–1) of a plotly-style colorscale of hex stops."""
    at = min(1.0, max(0.0, at))
    for (p0, c0), (p1, c1) in zip(scale, scale[1:]):
        if p0 <= at <= p1:
            f = 0.0 if p1 == p0 else (at - p0) / (p1 - p0)
            a, b = _rgb(c0), _rgb(c1)
            return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))
    return scale[-1][1]


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

    def codes(self, steps: int = CONTINUOUS_STEPS) -> tuple[np.ndarray, list[str]]:
        """(uint8 code per point, palette): categories as they are, a continuous scale in `steps` bins."""
        if not self.continuous:
            return np.asarray(self.values, dtype=np.uint8), list(self.colors or (NOISE_COLOR,))
        values = np.nan_to_num(np.asarray(self.values, dtype=float))
        high = max(float(values.max()) if len(values) else 1.0, 1.0)
        codes = np.clip(np.floor(values / high * (steps - 1) + 0.5), 0, steps - 1).astype(np.uint8)
        return codes, [scale_color(self.colorscale(), k / (steps - 1)) for k in range(steps)]

    def legend_items(self, limit: int = 24) -> list[dict]:
        """Legend entries for the map widget: a swatch per category (with counts), or the scale's range."""
        if self.continuous:
            values = np.asarray(self.values, dtype=float)
            high = float(np.nanmax(values)) if len(values) else 0.0
            stops = ", ".join(color for _, color in self.colorscale())
            return [{"label": f"{self.title}: 0 (new) – {high:,.0f} (old)", "color": stops, "shape": "gradient"}]
        return [{"label": _fitted(category, 40), "color": color, "count": count, "shape": "dot"}
                for category, color, count in self.legend() if count][:limit]


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
    names = {int(c): str(label) for c, label in zip(points["cluster"], points["cluster_label"]) if c >= 0}
    clusters = sorted({int(c) for c in points["cluster"] if c >= 0})
    order = [f"{c}: {names.get(c, '')}" for c in clusters] + ["unclustered"]
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(clusters))] + [NOISE_COLOR]
    by_code = dict(zip(clusters, order[:-1], strict=True))
    labels = [by_code.get(int(c), "unclustered") for c in points["cluster"]]
    return _categorical("cluster", labels, order, colors, "cluster")


def point_sizes(points: pd.DataFrame) -> np.ndarray:
    """Marker sizes: larger for notes that more sessions support; smaller base size for big maps."""
    base = 8.0 if len(points) <= 2_000 else 5.5 if len(points) <= 20_000 else 3.5
    support = np.sqrt(points["support_sessions"].to_numpy(dtype=float).clip(0, 25))
    return (base + 1.6 * support).round(2)


def selection_outline(n: int, positions: Iterable[int]) -> dict:
    """`marker.line` that rings the notes at `positions` (of `n`); the others keep a hairline."""
    hairline = HAIRLINE if n <= 20_000 else 0.0  # on a crowded map, lines would only add ink
    positions = [p for p in positions if 0 <= p < n]
    if not positions:
        return dict(width=hairline, color=OUTLINE)
    width = np.full(n, hairline, dtype=np.float32)
    width[positions] = RING
    return dict(width=width, color=OUTLINE)


def cluster_labels(points: pd.DataFrame, *, limit: int = 40) -> list[dict]:
    """{x, y, text} at the median position of each topic, largest topic first (at most `limit`).

    Labels are whole terms ("Priya / unit tests"): the last terms are left out until the label
    fits, a single term too long is cut at a word boundary; the map widget leaves out a label that
    would overlap a larger topic's.
    """
    real = points[points["cluster"] >= 0]
    if real.empty:
        return []
    sizes = real.groupby("cluster").size().sort_values(ascending=False, kind="stable").head(limit)
    centres = real[real["cluster"].isin(sizes.index)].groupby("cluster")[["x", "y"]].median()
    labels = real.groupby("cluster")["cluster_label"].first()
    return [dict(x=float(centres.at[k, "x"]), y=float(centres.at[k, "y"]), text=_fitted(labels[k], 34),
                 size=int(size)) for k, size in sizes.items()]


def _fitted(label: str, limit: int) -> str:
    """A topic label of at most `limit` characters: its first terms that fit ("Priya / unit tests")."""
    terms = label.split(" / ")
    while len(terms) > 1 and len(" / ".join(terms)) > limit:
        terms.pop()
    return short_title(" / ".join(terms), limit)


def cluster_annotations(points: pd.DataFrame, *, limit: int = 40) -> list[dict]:
    """Plotly annotations for `cluster_labels` (static figures)."""
    return [dict(x=label["x"], y=label["y"], text=html.escape(label["text"]), showarrow=False,
                 font=dict(size=11, color="#444"), bgcolor="rgba(255,255,255,0.7)")
            for label in cluster_labels(points, limit=limit)]


# --- the map: figure ---------------------------------------------------------------------------


def embedding_map(analysis: Analysis, *, color_by: str = "cluster", plan: Plan | None = None,
                  links_for: Iterable[str] | str | None = None, max_links: int = 300,
                  coords: pd.DataFrame | None = None, insights: bool = False, statements: bool = False,
                  selected: Iterable[str] | None = None, legend: bool = True, height: int = 560) -> go.Figure:
    """The notes as points on a 2-D layout (PCA by default, or `coords`), coloured by `color_by`.

    Links are drawn for the notes in `links_for` ("all": every note). Above `SCATTERGL_ABOVE`
    notes the traces are WebGL (`Scattergl`), below plain SVG. Trace order is fixed: notes, duplicate links, conflict links, then (when asked) candidate
    insights and session facts, then legend keys.
    """
    coords = analysis.coords if coords is None else coords
    points = map_points(analysis, coords)
    coloring = point_colors(analysis, color_by, plan, points)
    ids = points.index.to_numpy(dtype=object)
    scatter = go.Scattergl if len(ids) > SCATTERGL_ABOVE else go.Scatter
    notes = scatter(
        x=points["x"].to_numpy(), y=points["y"].to_numpy(), mode="markers", name=NOTES_TRACE,
        customdata=ids, hovertext=points["title"].to_numpy(dtype=object),
        hovertemplate="<b>%{customdata}</b><br>%{hovertext}<extra></extra>",
        marker=dict(size=point_sizes(points), opacity=POINT_OPACITY, line=selection_outline(len(ids), ()),
                    **coloring.marker()),
        selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=UNSELECTED_OPACITY)),
        showlegend=False, meta=dict(role="notes", color_by=color_by),
    )
    if selected is not None:
        position = {note_id: i for i, note_id in enumerate(ids)}
        notes.selectedpoints = [position[i] for i in selected if i in position]
        notes.marker.line = selection_outline(len(ids), notes.selectedpoints)
    extra = extra_points(analysis, coords, insights=insights, statements=statements) \
        if insights or statements else None
    link_coords = coords if extra is None or extra.empty else pd.concat([coords[["x", "y"]], extra[["x", "y"]]])
    links = link_segments(analysis, None if links_for is None else analysis.note_ids if links_for == "all"
                          else links_for, link_coords, max_links=max_links)
    traces = [notes]
    for kind in ("duplicate", "conflict"):
        seg = links[kind]
        traces.append(scatter(
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
        traces.append(scatter(
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
            legend=dict(orientation="h", x=0, xanchor="left", y=-0.01, yanchor="top", font_size=11,
                        itemsizing="constant"),
            annotations=cluster_annotations(points) if color_by == "cluster" else [])
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, title=None)
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False, title=None, scaleanchor=None)
    return fig


# --- timeline, sankey, heatmap, conflicts ---------------------------------------------------------


def timeline(corpus: Corpus, *, plan: Plan | None = None, height: int = 360) -> go.Figure:
    """Memory writes (per top-level folder) and sessions (sized by turns) along time."""
    memories = sorted(corpus.memories, key=lambda m: m.updated_at)
    scatter = go.Scattergl if len(memories) > 2_000 else go.Scatter
    traces = [scatter(
        x=[m.updated_at for m in memories], y=[top_folder(m.path) for m in memories], mode="markers",
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


def fate_sankey(plan: Plan, *, height: int = 360, title: str = "Fates of the notes") -> go.Figure:
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
    return _layout(fig, height=height, title=dict(text=title, x=0.01, font_size=14))


def _fade(color: str, alpha: float = 0.35) -> str:
    color = color.lstrip("#")
    r, g, b = (int(color[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


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


def evaluation_bars(summary: pd.DataFrame, *, height: int = 340) -> go.Figure:
    """Both nets and tokens, before and after, one group per plan (`evaluate.summary_frame`): probes
    whose answer the top k holds, probes whose evidence it retrieves, and the tokens an agent loads."""
    from plotly.subplots import make_subplots

    panels = (("answered", "probes", "Answer held (answer net)"), ("retrieved", "probes", "Evidence retrieved"),
              ("tokens", "tokens", "Tokens an agent loads"))
    fig = make_subplots(rows=1, cols=3, subplot_titles=[title for *_, title in panels], horizontal_spacing=0.08)
    plans = [str(p) for p in summary.index]
    for col, (what, unit, _) in enumerate(panels, start=1):
        after_color = {"answered": "#1f77b4", "retrieved": "#9467bd"}.get(what, "#2ca02c")
        for side, color in (("before", "#9aa0a6"), ("after", after_color)):
            values = summary[f"{what}_{side}"].tolist()
            text = [f"{v:,}" for v in values]
            if unit == "probes":
                text = [f"{v:,} of {n:,}" for v, n in zip(values, summary["probes"])]
            fig.add_trace(go.Bar(name=f"{what} {side}", x=plans, y=values, marker_color=color, text=text,
                                 textposition="outside", hovertemplate=f"%{{x}}: %{{y:,}} {unit} {side}<extra></extra>"),
                          row=1, col=col)
    return _layout(fig, height=height, barmode="group", legend=dict(orientation="h", y=-0.15))


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


# --- diffs ------------------------------------------------------------------------------------

_DIFF_STYLE = (  # tints over the page's own background and text colour: readable in light and dark themes
    "<style>.wb-diff{border-collapse:collapse;width:100%;table-layout:fixed;border:1px solid var(--jp-border-color1,#d0d7de);"
    "margin:4px 0;color:var(--jp-ui-font-color1,#1f2328)}"
    ".wb-diff td{padding:2px 8px;vertical-align:top;white-space:pre-wrap;word-break:break-word;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;line-height:1.45}"
    ".wb-diff th{text-align:left;font-size:12px;color:var(--jp-ui-font-color2,#57606a);font-weight:600;padding:2px 8px}"
    ".wb-diff td.m{width:1.2em;padding:2px 2px}.wb-diff .del{background:rgba(255,129,130,.16)}"
    ".wb-diff .add{background:rgba(74,194,107,.17)}"
    ".wb-diff td.m{font-weight:700}"  # the sign in the text colour: the tint says removed or added
    ".wb-diff del{background:rgba(255,129,130,.4);text-decoration:none}"
    ".wb-diff ins{background:rgba(74,194,107,.4);text-decoration:none}"
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


# --- a knob's histogram: a tiny inline SVG -------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """Similarities counted in equal bins from `low` to 1, and a bar among them."""

    edges: np.ndarray  # bins + 1 edges
    counts: np.ndarray  # per bin
    bar: float
    above: int  # similarities at or above the bar

    def svg(self, *, width: int = 300, height: int = 44, color: str = "#1f77b4") -> str:
        """The bins as columns (those at or above the bar in `color`, the rest grey) and the bar as a line."""
        low, high = float(self.edges[0]), float(self.edges[-1])
        x = lambda v: 1 + (width - 2) * (v - low) / max(high - low, 1e-9)  # noqa: E731
        top = max(int(self.counts.max(initial=0)), 1)
        plot = height - 11  # room for the axis labels
        cols = [f'<rect x="{x(a):.1f}" y="{plot - plot * n / top:.1f}" width="{max(x(b) - x(a) - 1, 1):.1f}" '
                f'height="{plot * n / top:.1f}" fill="{color if a >= self.bar - 1e-9 else "#c4c9d0"}"/>'
                for a, b, n in zip(self.edges[:-1], self.edges[1:], self.counts) if n]
        line = (f'<line x1="{x(self.bar):.1f}" x2="{x(self.bar):.1f}" y1="0" y2="{plot}" stroke="currentColor" '
                f'stroke-width="1.5"/>')
        total = int(self.counts.sum())
        return (f'<svg class="wb-histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                f'role="img"><title>{self.above:,} of {total:,} candidate pairs at or above {self.bar:.2f}</title>'
                f'{"".join(cols)}{line}{self._labels(x(self.bar), width, height)}</svg>')

    def _labels(self, at: float, width: int, height: int) -> str:
        """The axis's ends and the bar under its line (an end the bar's label would cover is left out)."""
        at = min(max(at, 12), width - 12)
        ends = [(1, "start", float(self.edges[0])), (width - 1, "end", float(self.edges[-1]))]
        text = lambda x, anchor, value, fill: (f'<text x="{x:.1f}" y="{height - 1}" font-size="9" fill="{fill}" '  # noqa: E731
                                               f'text-anchor="{anchor}">{value:.2f}</text>')
        return "".join(text(x, anchor, value, "#57606a") for x, anchor, value in ends if abs(x - at) > 34) + \
            text(at, "middle", self.bar, "currentColor")


def similarity_histogram(similarities: Sequence[float] | np.ndarray, bar: float, *, low: float = 0.0,
                         bins: int = 28) -> Histogram:
    """The candidates' similarities in `bins` equal bins from `low` (the slider's floor) to 1, with `bar`
    (similarities below `low` fall in the first bin)."""
    values = np.asarray(similarities, dtype=float)
    counts, edges = np.histogram(np.clip(values, low, 1.0), bins=bins, range=(low, 1.0))
    return Histogram(edges, counts, float(bar), int((values >= bar - 1e-9).sum()))


__all__ = [
    "FATES", "FATE_COLORS", "LINK_COLORS", "PALETTE", "COLOR_BY", "Coloring", "point_colors", "point_sizes",
    "selection_outline", "cluster_labels", "cluster_annotations", "embedding_map", "scale_color", "SCATTERGL_ABOVE", "timeline", "fate_sankey", "support_heatmap",
    "conflict_figure", "diff_html", "Histogram", "similarity_histogram",
]
