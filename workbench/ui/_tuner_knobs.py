"""The tuner's knobs that explain themselves.

Beside each bar, the candidate pairs' similarities as a small histogram with the bar on it and the
operations the bar adds or removes against its default; under the horizon, the notes older than it.
"""

from __future__ import annotations

import ipywidgets as w

from .. import plots
from ..analysis import Analysis
from ..candidates import pair_similarities
from ..dream.effects import Change
from ..dream.plan import Plan
from ..focus import Focus
from ..views.focus import bar_change, change_text, notes_past_horizon

BAR_COLORS = {"duplicate": "#1f77b4", "conflict": "#d62728"}


class KnobNotes:
    """The HTML beside the duplicate and conflict bars and under the horizon, redrawn as the sliders move."""

    def __init__(self, analysis: Analysis, defaults: dict[str, float]) -> None:
        self.analysis = analysis
        self.defaults = defaults
        self.similarities = pair_similarities(analysis)
        self.changes: dict[str, Change] = {}  # per bar: the operations it adds or removes against its default
        self.duplicate, self.conflict, self.horizon = w.HTML(), w.HTML(), w.HTML()

    def explain(self, view: Analysis, focus: Focus, plan: Plan) -> None:
        """What each bar of `focus` adds or removes against its default (a plan per bar away from it)."""
        self.changes = {name: bar_change(view, focus, plan, name) for name in BAR_COLORS}

    def show(self, duplicate_bar: float, conflict_bar: float, *, floor: float, days: int) -> None:
        """The bars' histograms from `floor` and what each changes; the notes older than `days`."""
        for name, bar, info in (("duplicate", duplicate_bar, self.duplicate), ("conflict", conflict_bar, self.conflict)):
            histogram = plots.similarity_histogram(self.similarities, bar, low=floor)
            info.value = _bar_html(histogram, BAR_COLORS[name], self.changes.get(name), self.defaults.get(name))
        self.horizon.value = (f'<div class="wb-small wb-muted wb-horizon"><b>{notes_past_horizon(self.analysis, days):,}'
                              f'</b> of {len(self.analysis.note_ids):,} notes are older than {days:,} days</div>')


def _bar_html(histogram: plots.Histogram, color: str, change: Change | None, default: float | None) -> str:
    """A bar's histogram, the candidate pairs at or above it, and the operations it adds or removes."""
    total = int(histogram.counts.sum())
    if default is None or round(histogram.bar, 3) == round(default, 3):
        moved = " · the default bar"
    elif change is None:
        moved = ""
    else:
        moved = f" · operations {change_text(change)} against the default {default:.2f}"
    return (f'<div class="wb-bar-info" style="margin:0 0 6px 124px">{histogram.svg(width=220, color=color)}'
            f'<div class="wb-small wb-muted"><b>{histogram.above:,}</b> of {total:,} candidate pairs at or above the '
            f'bar{moved}</div></div>')
