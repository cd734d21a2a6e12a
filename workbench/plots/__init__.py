"""Plotly figures of the memory space and of a plan: free functions that only draw and return `go.Figure`.

    fig = embedding_map(analysis, color_by="fate", plan=plan, links_for=["mem_3#0"])

`notes_map` draws the notes (one trace however many; colours, sizes, selection rings, topic labels),
`charts` the figures beside it (timeline, fate flows, support, evaluation, a subject's values over
time), `style` what they share. The tables behind the figures (points, links, flows, histories) come
from `workbench.views`. Two draw HTML instead: `diff.diff_html` (a word diff) and
`histogram.similarity_histogram(...).svg()` (a knob's histogram, a tiny SVG the tuner redraws as its
slider moves). Every name is importable from `workbench.plots` itself.
"""

from ..views import FATES
from .charts import conflict_figure, evaluation_bars, fate_sankey, support_heatmap, timeline
from .diff import diff_html
from .histogram import Histogram, similarity_histogram
from .notes_map import (
    COLOR_BY,
    CONTINUOUS_STEPS,
    HAIRLINE,
    LINK_COLORS,
    NOISE_COLOR,
    NOTES_TRACE,
    OUTLINE,
    PALETTE,
    POINT_OPACITY,
    RING,
    SCATTERGL_ABOVE,
    UNSELECTED_OPACITY,
    Coloring,
    cluster_annotations,
    cluster_labels,
    embedding_map,
    point_colors,
    point_sizes,
    scale_color,
    selection_outline,
)
from .style import FATE_COLORS, FONT

__all__ = [
    "FATES", "FATE_COLORS", "FONT", "LINK_COLORS", "PALETTE", "NOISE_COLOR", "COLOR_BY", "CONTINUOUS_STEPS",
    "SCATTERGL_ABOVE", "NOTES_TRACE", "OUTLINE", "POINT_OPACITY", "UNSELECTED_OPACITY", "HAIRLINE", "RING",
    "Coloring", "point_colors", "point_sizes", "selection_outline", "cluster_labels", "cluster_annotations",
    "embedding_map", "scale_color", "timeline", "fate_sankey", "support_heatmap", "evaluation_bars",
    "conflict_figure", "diff_html", "Histogram", "similarity_histogram",
]
