"""The map of the notes: their colours, sizes, selection rings and topic labels, and the figure.

The map draws every note in ONE trace (`Scattergl` above `SCATTERGL_ABOVE` notes): ids in
`customdata`, a short title (≤ 60 characters) as hover text, colours and sizes as arrays, never
the full text, so a 50,000-note store stays responsive. Duplicate (grey) and conflict (red)
links are drawn for the notes asked for (or all), capped, one lines trace per kind. The
Workbench's own maps are the `workbench.ui` map widget, fed by the same functions.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..views import FATES, extra_points, link_segments, map_points, short_title
from .style import FATE_COLORS, styled

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..dream.plan import Plan

LINK_COLORS = {"duplicate": "#8c8c8c", "conflict": "#d62728"}
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#86bcb6", "#d4a6c8", "#8cd17d", "#499894", "#f1ce63", "#a0cbe8", "#ffbe7d")
NOISE_COLOR = "#b4b9c0"
CONTINUOUS_STEPS = 32
SCATTERGL_ABOVE = 1_500  # notes: above this the map is drawn with WebGL (Scattergl), below as SVG (Scatter)
COLOR_BY = ("cluster", "path", "age", "fate")
NOTES_TRACE = "notes"
OUTLINE = "#1f2328"  # a hairline around every note (light colours stay visible), a ring around selected ones
POINT_OPACITY, UNSELECTED_OPACITY = 0.9, 0.5
HAIRLINE, RING = 0.5, 2.5


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
    styled(fig, height=height, dragmode="lasso", hovermode="closest", uirevision="map",
            title=dict(text=f"{len(points):,} notes · colour: {coloring.title or color_by}", x=0.01, font_size=14),
            legend=dict(orientation="h", x=0, xanchor="left", y=-0.01, yanchor="top", font_size=11,
                        itemsizing="constant"),
            annotations=cluster_annotations(points) if color_by == "cluster" else [])
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, title=None)
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False, title=None, scaleanchor=None)
    return fig
