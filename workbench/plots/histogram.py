"""A knob's histogram: the candidates' similarities in bins with the bar on them, as a tiny inline SVG
the tuner redraws as its slider moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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

