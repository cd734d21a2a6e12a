"""The Explorer: the embedding map linked to a table of the selected notes and their context.

    ex = Explorer(analysis)
    ex                                  # the map (PCA at once, UMAP when its thread finishes)
    ex.selection = ["mem_3#0"]          # select from code; the map and the table follow
    ex.selection                        # DataFrame of the selected notes

The map is a `MapWidget` (a canvas in the browser): lasso, box, pan and zoom run there, and a
finished selection reaches the kernel on its own trait, so it always reaches `ex.selection`.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterable

import ipywidgets as w
import numpy as np
import pandas as pd

from .. import plots, views
from ..analysis import Analysis, layout_umap_aside
from ..analysis.jit import umap_compiled
from ..dream.plan import Plan
from . import _html
from ._map import MapWidget
from ._payloads import Picked
from ._progress import Ticker
from ._rows import RowsHTML

ALL = "all notes"
FRONT_END_WAIT = 60.0  # s: start the layout anyway if no front end reports a drawn map by then
SETTLE = 2.0  # s: after the map is drawn, let the rest of the page finish loading before the layout starts
ALL_LINKS_LIMIT = 3_000  # links: "show all links" is on by default up to this many
MAX_LINKS = 20_000  # links drawn at most when all are shown
SELECTED_LINKS = 300  # links drawn for a selection
FACTS_LIMIT = 5_000  # session facts placed on the map
TABLE_ROWS = 200  # selected notes listed in the table (`selection` has them all)


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where a front end may still be loading the widgets)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Explorer:
    """The map of every note, a selection table and the selected notes' context.

    The UMAP layout is computed on a background thread once the front end has drawn the PCA map;
    the switch animates, and waits while the pointer is on the map (a notice says so).
    """

    def __init__(self, analysis: Analysis, *, plan: Plan | None = None, color_by: str = "cluster",
                 layout: Callable[[Analysis], pd.DataFrame] | None = layout_umap_aside, max_links: int = SELECTED_LINKS,
                 height: int = 560, wait_for_front_end: bool | None = None, show_all_links: bool | None = None,
                 on_layout: Callable[[str, pd.DataFrame], None] | None = None, links_later: bool = False) -> None:
        self.analysis = analysis
        self.max_links = max_links
        self.on_layout = on_layout
        self._plan = plan
        self._lock = threading.RLock()
        self._selected: tuple[str, ...] = ()
        self.coords = analysis.coords
        self.layout_name = "PCA"
        self.layouts: dict[str, pd.DataFrame] = {"PCA": analysis.coords}
        self._points = views.map_points(analysis)
        self._ids = list(self._points.index)
        self._position = {note_id: i for i, note_id in enumerate(self._ids)}
        self.total_links = 0 if links_later else views.link_count(analysis)
        self._show_all_links = show_all_links
        self.picks: list[Picked] = []  # the last 50 selections made on the map, in order (what reached the kernel)

        # -- the map
        self.map = MapWidget(height=height, mode="lasso")
        self.map.observe(self._on_picked, "picked")

        # -- controls
        options = ["cluster", "path", "age"] + (["fate"] if plan is not None else [])
        self.color_by = w.Dropdown(options=options, value=color_by, description="colour by",
                                   layout=w.Layout(width="190px"), style={"description_width": "64px"})
        topics = analysis.clusters
        sizes = topics[topics["cluster"] >= 0].groupby("cluster").size()
        names = analysis.topic_names
        unclustered = int((topics["cluster"] < 0).sum())
        self.cluster = w.Dropdown(
            options=[(ALL, ALL)] + [(f"{c}: {names.get(int(c), '')} ({n})", int(c)) for c, n in sizes.items()]
            + ([(f"unclustered ({unclustered})", -1)] if unclustered else []),
            value=ALL, description="topic", layout=w.Layout(width="300px"), style={"description_width": "40px"})
        self.search = w.Text(placeholder="find notes: words in text or path ⏎", continuous_update=False,
                             layout=w.Layout(width="260px"))
        self.clear = w.Button(description="clear selection", icon="times", layout=w.Layout(width="auto"))
        self.show_links = w.Checkbox(
            value=self.total_links <= ALL_LINKS_LIMIT if show_all_links is None else show_all_links,
            description=f"all links ({self.total_links:,})", indent=False, layout=w.Layout(width="auto"),
            tooltip="every duplicate and conflict link; off: only the links of the selected notes")
        self.show_insights = w.Checkbox(value=True, description="insights", indent=False,
                                        layout=w.Layout(width="auto"), tooltip="candidate insights (stars)")
        self.layout_choice = w.ToggleButtons(options=["PCA", "UMAP"], value="PCA", disabled=layout is None,
                                             style={"button_width": "60px"}, tooltips=["fast linear layout",
                                                                                     "neighbourhood-preserving layout"])
        self.status = w.HTML(layout=w.Layout(flex="0 0 auto", margin="0 0 0 8px"))
        self.legend = w.HTML()
        self.table = RowsHTML()  # the rows in view first, the others after that paint
        self.details = w.HTML(layout=w.Layout(max_height=f"{height}px", overflow="auto", width="100%"))
        self._ticker = Ticker(self.status, delay=0.0)

        self.color_by.observe(self._on_color_by, "value")
        self.cluster.observe(self._on_cluster, "value")
        self.search.observe(self._on_search, "value")
        self.clear.on_click(lambda _: self._pick(Picked((), "clear")))
        self.show_links.observe(lambda _: self._draw_links(), "value")
        self.show_insights.observe(lambda change: setattr(self.map, "show_extras", change["new"]), "value")
        self.layout_choice.observe(self._on_layout_choice, "value")

        toolbar = w.HBox([self.color_by, self.cluster, self.search, self.clear, self.show_links, self.show_insights,
                          self.layout_choice, self.status],
                         layout=w.Layout(flex_flow="row wrap", align_items="center"))
        side = w.VBox([w.HTML("<b>Selected notes</b>"), self.details],
                      layout=w.Layout(flex="2 1 320px", min_width="300px", padding="0 0 0 10px"))
        main = w.HBox([w.VBox([self.map], layout=w.Layout(flex="3 1 520px", min_width="360px")), side],
                      layout=w.Layout(flex_flow="row wrap", width="100%"))
        self.widget = w.VBox([w.HTML(_html.CSS), toolbar, main, self.table], layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")

        self._draw_points("PCA")
        self._recolor(color_by)
        if links_later:  # `draw_links` later: duplicates, conflicts and insights take seconds on a big store
            self.show_links.description = "all links (…)"
        else:
            self._draw_extras()
            self._draw_links()
        self._render_selection()

        self.layout_thread: threading.Thread | None = None
        self._layout = layout if layout is not None and len(self._ids) >= 5 else None
        self._pca_chosen = False  # the person picked PCA: a UMAP layout that arrives later does not replace it
        self.layout_choice.disabled = self._layout is None
        if self._layout is None:
            self.status.value = _status("PCA layout")
        elif wait_for_front_end if wait_for_front_end is not None else _in_kernel():
            self.status.value = _status("PCA layout · UMAP starts once the map is drawn")
            self.map.observe(self._on_drawn, "rendered")
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
            self._ticker.start(f"{self.layout_name} layout · computing the UMAP layout of {len(self._ids):,} notes",
                               "" if umap_compiled() else "the first one on this machine also compiles UMAP: ~1 min")
            self.layout_thread = threading.Thread(target=self._compute_layout, args=(self._layout,), daemon=True,
                                                  name="workbench-umap")
            self.layout_thread.start()
        return self

    def draw_links(self) -> Explorer:
        """Count and draw the duplicate and conflict links and the insights (of an Explorer made with
        `links_later`: the map was drawn first); a selection shown without them is shown again."""
        total = views.link_count(self.analysis)
        if self._incomplete and views.selection_ready(self.analysis):
            self._render_selection()
        coords = self.coords
        extra = self._extra_points(coords)  # seconds on a big store: never while holding the lock a lasso needs
        with self._lock:
            self.total_links = total
            self.show_links.description = f"all links ({total:,})"
            self._draw_extras(extra if coords is self.coords else None)
            every = total <= ALL_LINKS_LIMIT if self._show_all_links is None else self._show_all_links
            if every != self.show_links.value:
                self.show_links.value = every  # its observer draws the links
            else:
                self._draw_links()
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
    def _on_picked(self, change) -> None:
        picked = Picked.from_front(change["new"], self._ids)
        if picked is not None:
            self.picks = [*self.picks[-49:], picked]
            self._pick(picked)

    def _on_drawn(self, change) -> None:
        """The front end drew the map: start the layout after a moment (the page may still be loading)."""
        if change["new"] and self.layout_thread is None:
            self.map.unobserve(self._on_drawn, "rendered")
            threading.Thread(target=views.warm_selection, args=(self.analysis,), daemon=True,
                             name="workbench-warm").start()
            timer = threading.Timer(SETTLE, self.start_layout)
            timer.daemon = True
            timer.start()

    def _pick(self, picked: Picked) -> None:
        with self._lock:
            self._selected = picked.ids
            self.map.set_selected([self._position[i] for i in picked.ids if i in self._position])
            if not self.show_links.value:
                self._draw_links()
        self._render_selection()

    # -- controls ---------------------------------------------------------------------------
    def _on_color_by(self, change) -> None:
        self._recolor(change["new"])

    def _on_cluster(self, change) -> None:
        if change["new"] in (ALL, None):
            self._pick(Picked((), "cluster"))
        else:
            ids = self._points.index[self._points["cluster"] == change["new"]]
            self._pick(Picked(tuple(ids), "cluster"))

    def _on_search(self, change) -> None:
        self._pick(Picked(tuple(views.search_notes(self.analysis, change["new"])), "search"))

    def _on_layout_choice(self, change) -> None:
        """PCA at any time; UMAP once computed (until then it says so and starts it, if it waits)."""
        name = change["new"]
        if self._choosing:
            return
        self._pca_chosen = name == "PCA"
        if name in self.layouts:
            self._show_layout(name)
        elif self._layout is not None:
            self.start_layout()
            self._ticker.text = f"{self.layout_name} layout · UMAP computing… (the map switches when it is ready)"

    _choosing = False  # the code, not a person, sets the toggle

    def _choose(self, name: str) -> None:
        self._choosing = True
        try:
            self.layout_choice.value = name
        finally:
            self._choosing = False

    # -- drawing ----------------------------------------------------------------------------
    def _draw_points(self, name: str) -> None:
        points = self._points
        hover = None if self.map.hover else [f"{i}\n{t}" for i, t in zip(points.index, points["title"], strict=True)]
        self.map.set_points(points[["x", "y"]].to_numpy(), hover=hover, layout=name)

    def _title(self, coloring_title: str) -> str:
        return f"{len(self._ids):,} notes · colour: {coloring_title} · {self.layout_name} layout"

    def _recolor(self, color_by: str) -> None:
        coloring = plots.point_colors(self.analysis, color_by, self._plan, self._points)
        codes, palette = coloring.codes()
        with self._lock, self.map.hold_sync():
            self.map.set_colors(codes, palette, plots.point_sizes(self._points))
            self.map.labels = plots.cluster_labels(self._points) if color_by == "cluster" else []
            self._coloring_title = coloring.title
            self.map.title = self._title(coloring.title)
            self._legend(coloring)

    def _legend(self, coloring: plots.Coloring | None = None) -> None:
        if coloring is None:
            coloring = plots.point_colors(self.analysis, self.color_by.value, self._plan, self._points)
        items = coloring.legend_items()
        links = self._link_counts
        for kind, shape in (("duplicate", "line"), ("conflict", "dash")):
            shown, total = links.get(kind, (0, 0))
            if total:
                label = f"{kind} links" + (f" ({shown:,} of {total:,} shown)" if shown < total else "")
                items.append({"label": label, "color": plots.LINK_COLORS[kind], "count": None if shown < total
                              else total, "shape": shape})
        insights = int((self._extra["kind"] == "insight").sum()) if len(self._extra) else 0
        if insights:
            items.append({"label": "candidate insights", "color": plots.FATE_COLORS["created"], "count": insights,
                          "shape": "star"})
        self.map.legend = items

    _link_counts: dict[str, tuple[int, int]] = {}
    _incomplete = False  # the selection was shown before its duplicates, conflicts and sessions were found
    _extra: pd.DataFrame = pd.DataFrame(columns=["x", "y", "kind", "title"])
    _extra_position: dict[str, int] = {}
    _coloring_title = ""

    def _extra_points(self, coords: pd.DataFrame) -> pd.DataFrame:
        """Candidate insights and session facts placed on `coords`."""
        return views.extra_points(self.analysis, coords, insights=True, statements=True, max_statements=FACTS_LIMIT)

    def _draw_extras(self, extra: pd.DataFrame | None = None) -> None:
        """Draw the extra points (`extra`, computed on the current coords; computed here when None)."""
        extra = self._extra_points(self.coords) if extra is None else extra
        self._extra = extra
        self._extra_position = {i: len(self._ids) + k for k, i in enumerate(extra.index)}
        hover = [f"{'candidate insight' if k == 'insight' else 'session fact'} {i}\n{t}"
                 for i, k, t in zip(extra.index, extra["kind"], extra["title"], strict=True)]
        self.map.set_extras(extra[["x", "y"]].to_numpy(dtype=float) if len(extra) else np.zeros((0, 2)),
                            (extra["kind"] != "insight").to_numpy(dtype=np.uint8), hover)

    def _draw_links(self) -> None:
        every = self.show_links.value
        ids = None if every else self._selected
        pairs = views.link_pairs(self.analysis, ids) if every or self._selected else {"duplicate": [], "conflict": []}
        limit = MAX_LINKS if every else self.max_links
        index, kinds, counts = [], [], {}
        where = {**self._extra_position, **self._position}
        for code, kind in enumerate(("duplicate", "conflict")):
            drawable = [(where[a], where[b]) for a, b in pairs[kind] if a in where and b in where]
            shown = drawable[:limit]
            index += shown
            kinds += [code] * len(shown)
            counts[kind] = (len(shown), len(drawable))
        self._link_counts = counts
        with self.map.hold_sync():
            self.map.set_links(np.asarray(index, dtype=np.int64).reshape(-1, 2), np.asarray(kinds, dtype=np.uint8))
            self._legend()

    def _render_selection(self) -> None:
        """The table of the first `TABLE_ROWS` selected notes, then the cards of the first 20 (what is shown)."""
        selected = self._selected
        ready = views.selection_ready(self.analysis)  # else shown at once without them, again when ready
        frame = views.notes_table(self.analysis, selected[:TABLE_ROWS], self._plan, complete=False)
        self._incomplete = not ready
        self._render_table(frame, len(selected), ready)  # first: the table is what a person waits for
        fates = frame["fate"].to_dict() if "fate" in frame else None
        self.details.value = _html.note_cards(views.note_context(self.analysis, list(frame.index[:20]),
                                                                 complete=False), fates)

    def _render_table(self, frame: pd.DataFrame, selected: int, ready: bool) -> None:
        if frame.empty:
            self.table.value = ('<div class="wb-muted wb-small">No selection: drag a lasso or a box on the map, '
                                "click a point, pick a topic or search.</div>")
            return
        shown = frame.assign(age_days=frame["age_days"].round(0))
        pending = "" if ready else ' <span class="wb-muted">· duplicates, conflicts and sessions being found…</span>'
        head, rows, tail = _html.table_parts(shown, max_rows=TABLE_ROWS, total=selected)
        self.table.show(f'<div class="wb-small"><b>{selected:,}</b> selected{pending}</div>{head}', rows, tail)

    # -- the background layout --------------------------------------------------------------
    def _compute_layout(self, layout: Callable[[Analysis], pd.DataFrame]) -> None:
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.layouts["UMAP"] = layout(self.analysis)
            if self.layout_choice.value == "UMAP" or not self._pca_chosen:
                self._choose("UMAP")
                self._show_layout("UMAP")
        except Exception as exc:  # the PCA map stays; say why
            self._ticker.stop(f'<span class="wb-small" style="color:#cf222e">UMAP layout failed '
                              f"({_html.esc(exc)}); keeping PCA</span>")
            return
        self._ticker.stop(_status(f"UMAP layout ready ({time.perf_counter() - started:.0f} s)", "#1a7f37"))

    def _show_layout(self, name: str) -> None:
        coords = self.layouts[name]
        points, extra = views.map_points(self.analysis, coords), self._extra_points(coords)  # outside the lock
        with self._lock:
            self.coords = coords
            self.layout_name = name
            self._points = points
            with self.map.hold_sync():
                self._draw_points(name)
                self._draw_extras(extra)
                if self.color_by.value == "cluster":
                    self.map.labels = plots.cluster_labels(self._points)
                self.map.title = self._title(self._coloring_title)
                self._draw_links()
        if self.on_layout is not None:
            self.on_layout(name, coords)

    # -- display ----------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _status(text: str, color: str | None = None) -> str:
    style = f"white-space:nowrap;color:{color}" if color else "white-space:nowrap"
    return f'<span class="wb-small{"" if color else " wb-muted"}" style="{style}">{_html.esc(text)}</span>'
