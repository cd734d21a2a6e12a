"""Plain plotly figures inside an `ipywidgets.Output`, for plots that need no Python callbacks.

A `FigureWidget` is a whole anywidget model (a multi-megabyte front-end module each); a figure
that is only looked at is lighter as plotly's own mime type, which JupyterLab, Voila and
nbconvert draw with the `jupyterlab-plotly` renderer. Redrawing replaces the output, so a view
made later (Voila, a re-displayed cell) always shows the current figure.
"""

from __future__ import annotations

import json

import ipywidgets as w
import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_MIME = "application/vnd.plotly.v1+json"
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def bundle(fig: go.Figure) -> dict:
    """The display_data output that shows `fig` (plotly JSON, with a text fallback)."""
    data = json.loads(pio.to_json(fig, validate=False))
    data["config"] = CONFIG
    title = fig.layout.title.text or "figure"
    return {"output_type": "display_data", "metadata": {},
            "data": {PLOTLY_MIME: data, "text/plain": f"<plotly figure: {title}>"}}


def figure_output(fig: go.Figure | None = None, **layout) -> w.Output:
    """An Output showing `fig` (or empty until `show` is called)."""
    out = w.Output(layout=w.Layout(width="100%", **layout))
    if fig is not None:
        show(out, fig)
    return out


def show(out: w.Output, fig: go.Figure) -> None:
    """Replace what `out` shows with `fig` (from any thread; no IPython display hook involved)."""
    out.outputs = (bundle(fig),)
