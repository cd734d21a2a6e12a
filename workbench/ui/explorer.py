"""The Explorer: the embedding map linked to a table of the selected notes and their context.

    ex = Explorer(analysis)
    ex                                  # the map (PCA at once, UMAP when its thread finishes)
    ex.selection = ["mem_3#0"]          # select from code; the map and the table follow
    ex.selection                        # DataFrame of the selected notes
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from .. import plots, views
from ..analysis import Analysis, layout_umap
from ..dream.plan import Plan
from . import _html
from ._payloads import Picked

ALL = "all notes"
FRONT_END_WAIT = 60.0  # s: start the layout anyway if no front end reports a drawn map by then
SETTLE = 10.0  # s: after the map is drawn, let the rest of the page (other FigureWidgets) finish loading


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where a front end may still be loading the widgets)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Explorer:
    """A long-lived FigureWidget with one Scattergl trace of notes, a selection table and details.

    The UMAP layout is computed on a background thread. In a kernel it starts once the front end
    has drawn the map: a busy kernel while the page loads its widget models leaves plotly's
    FigureWidget views deaf to later updates (seen in Voila), so the layout waits its turn.
    """

    def __init__(self, analysis: Analysis, *, plan: Plan | None = None, color_by: str = "cluster",
                 layout: Callable[[Analysis], pd.DataFrame] | None = layout_umap, max_links: int = 300,
                 height: int = 560, wait_for_front_end: bool | None = None) -> None:
        self.analysis = analysis
        self.max_links = max_links
        self._plan = plan
        self._lock = threading.RLock()
        self._selected: tuple[str, ...] = ()
        self.coords = analysis.coords
        self.layouts: dict[str, pd.DataFrame] = {"PCA": analysis.coords}
        self._points = views.map_points(analysis)
        self._extra = views.extra_points(analysis, insights=True, statements=True)
        self._ids = list(self._points.index)
        self._position = {note_id: i for i, note_id in enumerate(self._ids)}

        # -- the figure (trace 0: notes, 1: duplicate links, 2: conflict links, 3: insights, 4: session facts)
        fig = plots.embedding_map(analysis, color_by=color_by, plan=plan, links_for=(), max_links=max_links,
                                  insights=True, statements=True, legend=False, height=height)
        self.figure = go.FigureWidget(fig)
        self.notes_trace = self.figure.data[0]
        self.notes_trace.on_selection(self._on_selection)
        self.notes_trace.on_click(self._on_click)
        self.notes_trace.on_deselect(self._on_deselect)

        # -- controls
        options = ["cluster", "path", "age"] + (["fate"] if plan is not None else [])
        self.color_by = w.Dropdown(options=options, value=color_by, description="colour by",
                                   layout=w.Layout(width="190px"), style={"description_width": "64px"})
        clusters = analysis.clusters.groupby("cluster").size() if len(analysis.clusters) else pd.Series(dtype=int)
        self.cluster = w.Dropdown(
            options=[(ALL, None)] + [(f"{c}: {analysis.cluster_labels.get(int(c), 'unclustered')} ({n})", int(c))
                                     for c, n in clusters.items() if c >= 0]
            + ([(f"unclustered ({clusters[-1]})", -1)] if -1 in clusters.index else []),
            value=None, description="cluster", layout=w.Layout(width="300px"), style={"description_width": "50px"})
        self.search = w.Text(placeholder="find notes: words in text or path ⏎", continuous_update=False,
                             layout=w.Layout(width="260px"))
        self.clear = w.Button(description="clear selection", icon="times", layout=w.Layout(width="auto"))
        self.layout_choice = w.ToggleButtons(options=["PCA", "UMAP"], value="PCA", disabled=True,
                                             style={"button_width": "60px"}, tooltips=["fast linear layout",
                                                                                     "neighbourhood-preserving layout"])
        self.status = w.HTML(layout=w.Layout(flex="0 0 auto", margin="0 0 0 8px"))
        self.legend = w.HTML(_html.legend(plots.point_colors(analysis, color_by, plan, self._points)))
        self.table = w.HTML()
        self.details = w.HTML(layout=w.Layout(max_height=f"{height}px", overflow="auto", width="100%"))

        self.color_by.observe(self._on_color_by, "value")
        self.cluster.observe(self._on_cluster, "value")
        self.search.observe(self._on_search, "value")
        self.clear.on_click(lambda _: self._pick(Picked((), "clear")))
        self.layout_choice.observe(self._on_layout_choice, "value")

        toolbar = w.HBox([self.color_by, self.cluster, self.search, self.clear, self.layout_choice, self.status],
                         layout=w.Layout(flex_flow="row wrap", align_items="center"))
        side = w.VBox([w.HTML("<b>Selected notes</b>"), self.details],
                      layout=w.Layout(flex="2 1 320px", min_width="300px", padding="0 0 0 10px"))
        main = w.HBox([w.VBox([self.figure], layout=w.Layout(flex="3 1 520px")), side],
                      layout=w.Layout(flex_flow="row wrap", width="100%"))
        self.widget = w.VBox([w.HTML(_html.CSS), toolbar, self.legend, main, self.table],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
        self._render_selection()

        self.layout_thread: threading.Thread | None = None
        self._layout = layout if layout is not None and len(self._ids) >= 5 else None
        if self._layout is None:
            self.status.value = _status("PCA layout")
        elif wait_for_front_end if wait_for_front_end is not None else _in_kernel():
            self.status.value = _status("PCA layout · UMAP starts shortly")
            self.figure.observe(self._on_drawn, names=["_js2py_layoutDelta", "_js2py_traceDeltas"])
            fallback = threading.Timer(FRONT_END_WAIT, self.start_layout)
            fallback.daemon = True
            fallback.start()
        else:
            self.start_layout()

    def start_layout(self) -> Explorer:
        """Start computing the UMAP layout in the background (once; the map switches when it is ready)."""
        with self._lock:
            if self._layout is None or self.layout_thread is not None:
                return self
            self.status.value = _status("PCA layout · computing UMAP in the background…")
            self.layout_thread = threading.Thread(target=self._compute_layout, args=(self._layout,), daemon=True,
                                                  name="workbench-umap")
            self.layout_thread.start()
        return self

    # -- public state ---------------------------------------------------------------------------
    @property
    def selection(self) -> pd.DataFrame:
        """The selected notes (full text, cluster, duplicates, conflicts, sessions; fate with a plan)."""
        return views.notes_table(self.analysis, self._selected, self._plan)

    @selection.setter
    def selection(self, ids: Iterable[str] | Picked | None) -> None:
        picked = ids if isinstance(ids, Picked) else Picked.from_ids(ids)
        unknown = [i for i in picked.ids if i not in self._position]
        if unknown:
            raise KeyError(f"unknown note id(s): {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}")
        self._pick(picked)

    @property
    def selected_ids(self) -> tuple[str, ...]:
        return self._selected

    @property
    def plan(self) -> Plan | None:
        return self._plan

    @plan.setter
    def plan(self, plan: Plan | None) -> None:
        self._plan = plan
        options = ["cluster", "path", "age"] + (["fate"] if plan is not None else [])
        current = self.color_by.value if self.color_by.value in options else "cluster"
        self.color_by.options = options
        self.color_by.value = current
        self._recolor(current)
        self._render_selection()

    # -- front-end events -> Picked -------------------------------------------------------------
    def _on_selection(self, trace, points, selector=None) -> None:
        how = type(selector).__name__.replace("Selector", "").lower() if selector is not None else "select"
        self._pick(Picked.from_points(points, self._ids, how))

    def _on_click(self, trace, points, state=None) -> None:
        picked = Picked.from_points(points, self._ids, "click")
        if picked.ids:
            self._pick(picked)

    def _on_drawn(self, change) -> None:
        """The front end drew the map: start the layout after a moment (the page may still be loading)."""
        if change["new"] and self.layout_thread is None:
            self.figure.unobserve(self._on_drawn, names=["_js2py_layoutDelta", "_js2py_traceDeltas"])
            timer = threading.Timer(SETTLE, self.start_layout)
            timer.daemon = True
            timer.start()

    def _on_deselect(self, trace, points) -> None:
        self._pick(Picked((), "deselect"))

    def _pick(self, picked: Picked) -> None:
        self._selected = picked.ids
        positions = [self._position[i] for i in picked.ids]
        with self._lock, self.figure.batch_update():
            self.notes_trace.selectedpoints = positions if picked.ids else None
            self.notes_trace.marker.line = plots.selection_outline(len(self._ids), positions)
            self._draw_links()
        self._render_selection()

    # -- controls ---------------------------------------------------------------------------
    def _on_color_by(self, change) -> None:
        self._recolor(change["new"])

    def _on_cluster(self, change) -> None:
        if change["new"] is None:
            self._pick(Picked((), "cluster"))
        else:
            ids = self._points.index[self._points["cluster"] == change["new"]]
            self._pick(Picked(tuple(ids), "cluster"))

    def _on_search(self, change) -> None:
        self._pick(Picked(tuple(views.search_notes(self.analysis, change["new"])), "search"))

    def _on_layout_choice(self, change) -> None:
        self._show_layout(self.layouts[change["new"]])

    # -- drawing ----------------------------------------------------------------------------
    def _recolor(self, color_by: str) -> None:
        coloring = plots.point_colors(self.analysis, color_by, self._plan, self._points)
        with self._lock, self.figure.batch_update():
            self.notes_trace.marker.update(coloring.marker())
            self.figure.layout.annotations = plots.cluster_annotations(self._points) if color_by == "cluster" else []
            self.figure.layout.title.text = f"{len(self._ids):,} notes · colour: {coloring.title}"
        self.legend.value = _html.legend(coloring)

    def _draw_links(self) -> None:
        extra = self._extra[self._extra["kind"] == "session"]
        coords = pd.concat([self.coords[["x", "y"]], extra[["x", "y"]]]) if len(extra) else self.coords
        links = views.link_segments(self.analysis, self._selected if self._selected else None, coords,
                                    max_links=self.max_links)
        for trace, kind in ((self.figure.data[1], "duplicate"), (self.figure.data[2], "conflict")):
            seg = links[kind]
            trace.x, trace.y, trace.name, trace.showlegend = seg.x, seg.y, seg.name, bool(seg.total)

    def _render_selection(self) -> None:
        frame = self.selection
        fates = frame["fate"].to_dict() if "fate" in frame else None
        self.details.value = _html.note_cards(views.note_context(self.analysis, list(frame.index[:20])), fates)
        if frame.empty:
            self.table.value = ('<div class="wb-muted wb-small">No selection: drag a box or lasso on the map, '
                                "click a point, pick a cluster or search.</div>")
            return
        shown = frame.assign(age_days=frame["age_days"].round(0))
        self.table.value = (f'<div class="wb-small"><b>{len(frame):,}</b> selected</div>'
                            + _html.table(shown, max_rows=200))

    # -- the background layout --------------------------------------------------------------
    def _compute_layout(self, layout: Callable[[Analysis], pd.DataFrame]) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.layouts["UMAP"] = layout(self.analysis)
            self.layout_choice.disabled = False
            self.layout_choice.value = "UMAP"  # its observer draws the new layout
        except Exception as exc:  # the PCA map stays; say why
            self.status.value = (f'<span class="wb-small" style="color:#cf222e">UMAP layout failed '
                                 f"({_html.esc(exc)}); keeping PCA</span>")
            return
        self.status.value = _status("UMAP layout ready", "#1a7f37")

    def _show_layout(self, coords: pd.DataFrame) -> None:
        with self._lock:
            self.coords = coords
            self._points = views.map_points(self.analysis, coords)
            self._extra = extra = views.extra_points(self.analysis, coords, insights=True, statements=True)
            with self.figure.batch_update():
                self.notes_trace.x = self._points["x"].to_numpy()
                self.notes_trace.y = self._points["y"].to_numpy()
                for trace, kind in ((self.figure.data[3], "insight"), (self.figure.data[4], "session")):
                    part = extra[extra["kind"] == kind]
                    trace.x, trace.y = part["x"].to_numpy(), part["y"].to_numpy()
                if self.color_by.value == "cluster":
                    self.figure.layout.annotations = plots.cluster_annotations(self._points)
                self._draw_links()

    # -- display ----------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _status(text: str, color: str | None = None) -> str:
    style = f"white-space:nowrap;color:{color}" if color else "white-space:nowrap"
    return f'<span class="wb-small{"" if color else " wb-muted"}" style="{style}">{_html.esc(text)}</span>'
