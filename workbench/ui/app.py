"""The Workbench: explorer, focus tuner, review, conflicts and export in one set of tabs.

    from workbench.ui import Workbench
    wb = Workbench.from_paths("store.json", "sessions/")
    wb                      # Explore / Tune focus / Review / Conflicts / Export
    wb.selection = ["mem_3#0"]; wb.review.counts()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import ipywidgets as w
import pandas as pd

from .. import plots
from ..analysis import Analysis, analyze, layout_umap
from ..dream.plan import Plan
from ..focus import Focus
from ..io import load_corpus
from ..launch import widget_check
from ..records import MAX_SESSIONS, Corpus
from ..review import Review
from . import _html, _static
from .conflicts import ConflictTimeline
from .explorer import Explorer
from .review import ReviewPanel
from .tuner import FocusTuner

TABS = ("Explore", "Tune focus", "Review", "Conflicts", "Export")


def _default_focus(corpus: Corpus) -> Focus:
    """The platform reads at most 100 sessions: take the latest 100 when there are more."""
    return Focus(max_sessions=MAX_SESSIONS) if len(corpus.sessions) > MAX_SESSIONS else Focus()


class _Progress:
    """An IntProgress shown while the notebook cell runs (nothing outside IPython).

    It is displayed with a display id and, when done, that display is replaced by an empty
    output: the saved notebook (or Voila's page) then holds no reference to a widget that no
    longer exists, so nothing says "Error displaying widget: model not found".
    """

    def __init__(self, steps: int, enabled: bool = True) -> None:
        self.bar = w.IntProgress(value=0, min=0, max=steps, description="starting",
                                 style={"description_width": "initial"}, layout=w.Layout(width="480px"))
        self.handle = None
        if enabled:
            try:
                from IPython import get_ipython
                from IPython.display import display
            except ImportError:  # pragma: no cover
                return
            if get_ipython() is not None:
                self.handle = display(self.bar, display_id=True)

    @property
    def shown(self) -> bool:
        return self.handle is not None

    def step(self, text: str) -> None:
        self.bar.description = text
        self.bar.value = min(self.bar.max, self.bar.value + 1)

    def close(self) -> None:
        """Clear the bar's display (then drop the model, which nothing shows any more)."""
        if self.handle is not None:
            self.handle.update({"text/plain": ""}, raw=True)
            self.handle = None
        self.bar.close()


class Workbench:
    """The one-line entry point; a thin façade over the widgets, which each call the package."""

    def __init__(self, analysis: Analysis, plan: Plan | None = None, *, focus: Focus | None = None,
                 layout: Callable[[Analysis], pd.DataFrame] | None = layout_umap,
                 title: str = "Dream Workbench") -> None:
        self.analysis = analysis
        self.title = title
        self.problem = widget_check()
        self.tuner = FocusTuner(analysis, focus or _default_focus(analysis.corpus), on_review=self.use_plan)
        plan = plan or self.tuner.plan
        if plan is None:
            raise ValueError(f"no plan under the default focus: {self.tuner.error}")
        self._review = Review(plan)
        self.explorer = Explorer(analysis, plan=plan, layout=layout)
        self.review_panel = ReviewPanel(self._review, analysis=analysis, on_change=self._on_decisions)
        self.conflicts = ConflictTimeline(analysis, self._review, on_change=self._on_conflict_pinned)
        self.header = w.HTML()
        self.banner = w.HTML(_html.notice(f"<b>Widgets may not work here.</b> {_html.esc(self.problem)}", "error")
                             if self.problem else "")
        # plain figures (no callbacks needed): only the two maps are FigureWidgets
        self.sankey = _static.figure_output(plots.fate_sankey(plan))
        self.timeline = _static.figure_output(plots.timeline(analysis.corpus, plan=plan))
        self.heatmap = _static.figure_output(plots.support_heatmap(analysis))

        context = w.Accordion(children=[self.timeline, self.heatmap],
                              titles=("Timeline: memory writes and sessions", "Support: clusters × sessions"))
        export = w.VBox([self.review_panel.summary, self.sankey, w.HTML("<b>Write the approved result</b>"),
                         self.review_panel.export_box.widget])
        self.tabs = w.Tab(children=[w.VBox([self.explorer.widget, context]), self.tuner.widget,
                                    self.review_panel.widget, self.conflicts.widget, export], titles=TABS)
        self.widget = w.VBox([w.HTML(_html.CSS), self.banner, self.header, self.tabs],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
        self._render_header()

    @classmethod
    def from_paths(cls, store: str | Path, sessions: str | Path | Iterable[str | Path] | None = None, *,
                   embedder: str | None = None, focus: Focus | None = None,
                   layout: Callable[[Analysis], pd.DataFrame] | None = layout_umap,
                   progress: bool = True) -> Workbench:
        """Load, analyse (the first map is PCA, drawn at once) and plan with the default focus."""
        bar = _Progress(3, progress)
        try:
            bar.step("loading the store and sessions")
            corpus = load_corpus(store, sessions)
            bar.step(f"analysing {len(corpus.notes):,} notes and {len(corpus.sessions):,} sessions")
            analysis = analyze(corpus, embedder)
            bar.step("planning with the default focus")
            return cls(analysis, focus=focus, layout=layout)
        finally:
            bar.close()

    # -- the façade -------------------------------------------------------------------------
    @property
    def review(self) -> Review:
        """The decisions on the plan under review."""
        return self._review

    @property
    def plan(self) -> Plan:
        """The plan under review (the tuner's plan once you press "Review this plan")."""
        return self._review.plan

    @property
    def focus(self) -> Focus:
        """The focus the tuner's controls stand for now."""
        return self.tuner.focus

    @focus.setter
    def focus(self, focus: Focus) -> None:
        self.tuner.focus = focus

    @property
    def selection(self) -> pd.DataFrame:
        """The notes selected on the map (settable with a list of note ids)."""
        return self.explorer.selection

    @selection.setter
    def selection(self, ids) -> None:
        self.explorer.selection = ids

    def use_plan(self, plan: Plan) -> Workbench:
        """Review `plan` from now on (a fresh set of decisions)."""
        self._review = Review(plan)
        self.review_panel.review = self._review
        self.conflicts.review = self._review
        self.explorer.plan = plan
        _static.show(self.sankey, plots.fate_sankey(plan))
        self.tabs.selected_index = TABS.index("Review")
        self._render_header()
        return self

    # -- events ------------------------------------------------------------------------------
    def _on_decisions(self, review: Review) -> None:
        self.conflicts.review = review
        self._render_header()

    def _on_conflict_pinned(self, review: Review) -> None:
        self.review_panel.refresh()
        self._render_header()

    def _render_header(self) -> None:
        a = self.analysis
        counts = self._review.counts()
        self.header.value = _html.header(self.title, {
            "memories": len(a.corpus.memories), "notes": len(a.note_ids), "sessions": len(a.corpus.sessions),
            "duplicate groups": len(a.duplicates), "conflicts": len(a.conflicts),
            "operations": counts["operations"], "pending": counts["pending"],
            "approved": counts["approve"] + counts["edit"],
        })

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
