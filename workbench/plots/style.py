"""What every figure shares: the fate colours, the font, and the white layout around a figure."""

from __future__ import annotations

import plotly.graph_objects as go

FATE_COLORS = {"kept": "#9aa0a6", "merged": "#1f77b4", "updated": "#ff7f0e", "pruned": "#d62728",
               "created": "#2ca02c"}
FONT = dict(family="Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color="#1f2328")


def styled(fig: go.Figure, **extra) -> go.Figure:
    """`fig` on white in the workbench's font, with narrow margins; `extra` layout on top."""
    fig.update_layout(font=FONT, plot_bgcolor="white", paper_bgcolor="white",
                      margin=dict(l=10, r=10, t=40, b=10), hoverlabel=dict(font_size=12), **extra)
    return fig
