"""The figures beside the map: writes and sessions along time, the fates as flows, support per
session, the evaluation's before and after, and one subject's values over time."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..records import parse_time
from ..views import fate_flows, short_title, support_matrix, top_folder
from .style import FATE_COLORS, styled

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..dream.plan import Plan
    from ..records import Corpus



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
    styled(fig, height=height, title=dict(text="Memory writes and sessions", x=0.01, font_size=14),
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
    return styled(fig, height=height, title=dict(text=title, x=0.01, font_size=14))


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
    styled(fig, height=height, title=dict(text="Support: clusters × sessions", x=0.01, font_size=14))
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
    return styled(fig, height=height, barmode="group", legend=dict(orientation="h", y=-0.15))


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
    styled(fig, height=height, showlegend=False,
            title=dict(text="Values over time (● note, ◆ session) — green wins", x=0.01, font_size=13))
    fig.update_yaxes(type="category", title=None, automargin=True)
    return fig

