"""The Workbench: explorer, focus tuner, review, conflicts, export and your session in one set of tabs.

    from workbench.ui import Workbench
    wb = Workbench.from_paths("store.json", "sessions/")
    wb                      # Explore / Tune focus / Review / Conflicts / Export / Open & save
    wb.selection = ["mem_3#0"]; wb.review.counts()
    wb.save_session("my-review.session.json")

Every decision is autosaved (atomically) to a session file per store, and a Workbench made on the
same store later resumes it: the focus is re-planned and each decision carried over to the
identical operation, so a kernel restart loses nothing. An autosave that cannot be read (torn,
say) is said in the notice and kept beside as `<name>.damaged-<time>`, never overwritten.

The Workbench builds the tabs and keeps them in step; the Open & save tab is `open_tab.OpenTab`, and
reading and writing the autosave file is `_autosave.Autosave`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import ipywidgets as w
import pandas as pd

from .. import plots, views
from ..analysis import Analysis, layout_umap_aside, load_or_analyze
from ..dream.offline import warm
from ..dream.plan import Plan
from ..errors import WorkbenchError
from ..focus import Focus
from ..io import load_corpus
from ..launch import project_dir, widget_check
from ..progress import ANALYSIS_STAGES, Progress
from ..records import MAX_SESSIONS, Corpus
from ..review import Review, plan_digest
from ..session import CarryOver, WorkSession, autosave_path, carry_over, load_session, save_session
from . import _html, _static
from ._autosave import Autosave, resumed_notice
from ._progress import StepBar, Ticker
from .conflicts import ConflictTimeline
from .explorer import Explorer, _in_kernel
from .open_tab import OpenTab
from .review import ReviewPanel
from .tuner import FocusTuner

log = logging.getLogger(__name__)

TABS = ("Explore", "Tune focus", "Review", "Conflicts", "Export", "Open & save")
LATE = frozenset({"tuner", "review_panel", "conflicts", "timeline", "heatmap", "sankey", "_review",
                  "_autosaved"})  # built after the map
BUILD_WAIT = 600.0  # s: the most a caller waits for the plan


def _default_focus(corpus: Corpus) -> Focus:
    """The platform reads at most 100 sessions: take the latest 100 when there are more."""
    return Focus(max_sessions=MAX_SESSIONS) if len(corpus.sessions) > MAX_SESSIONS else Focus()


class Workbench:
    """The one-line entry point; a thin façade over the widgets, which each call the package."""

    def __init__(self, analysis: Analysis, plan: Plan | None = None, *, focus: Focus | None = None,
                 layout: Callable[[Analysis], pd.DataFrame] | None = layout_umap_aside,
                 title: str = "Dream Workbench", session: str | Path | None = None, autosave: bool = True,
                 resume: bool = True, folder: str | None = None, source: str = "",
                 background: bool | None = None) -> None:
        self.title = title
        self._background = _in_kernel() if background is None else background  # map first, then the rest
        self.source = source  # what is open, named in the header ("sample-data/coding-assistant/store.json")
        self.problem = widget_check()
        self.autosave = autosave
        self._saving = threading.Lock()  # a save asked for while the builder reads the autosave waits for it
        self._session_path = Path(session) if session is not None else None
        self._layout_fn = layout
        self._folder = folder
        self.carried: CarryOver | None = None  # what the last "Review this plan" (or resume) carried over
        self.header = w.HTML()
        self.banner = w.HTML(_html.notice(f"<b>Widgets may not work here.</b> {_html.esc(self.problem)}", "error")
                             if self.problem else "")
        self.notice = w.HTML()
        self._planning = Ticker(self.notice, delay=0.0)
        self.tabs = w.Tab()
        self.widget = w.VBox([w.HTML(_html.CSS), self.banner, self.header, self.notice, self.tabs],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
        self.opener = OpenTab(self)  # the Open & save tab
        self.tabs.observe(self._on_tab, "selected_index")
        self._build(analysis, plan, focus, resume=resume)

    @classmethod
    def from_paths(cls, store: str | Path, sessions: str | Path | Iterable[str | Path] | None = None, *,
                   embedder: str | None = None, focus: Focus | None = None,
                   layout: Callable[[Analysis], pd.DataFrame] | None = layout_umap_aside,
                   progress: bool = True, **options) -> Workbench:
        """Load, analyse (the first map is PCA, drawn at once) and plan with the default focus."""
        bar = StepBar(3, progress)
        try:
            bar.step("loading the store and sessions")
            corpus = load_corpus(store, sessions)
            bar.step(f"analysing {len(corpus.notes):,} notes and {len(corpus.sessions):,} sessions")
            analysis = load_or_analyze(corpus, embedder, progress=Progress("analysis", ANALYSIS_STAGES,
                                                                            on_update=bar.show))
            bar.step("planning with the default focus")
            return cls(analysis, focus=focus, layout=layout, **{"source": shown_path(store), **options})
        finally:
            bar.close()

    # -- building (again when another store is opened) ------------------------------------------
    def _build(self, analysis: Analysis, plan: Plan | None, focus: Focus | None, *, resume: bool) -> None:
        """The tabs of `analysis`. In the background (a kernel), the map first; the plan, the review and the
        other tabs on a thread of their own (what needs them waits for them: see `__getattr__`)."""
        self.analysis = analysis
        self.store_digest = analysis.corpus.store.digest
        for name in LATE:  # another store: its own plan and panels, not the last one's
            self.__dict__.pop(name, None)
        self.explorer = None
        if not self._background:
            self._build_rest(analysis, plan, focus, resume=resume)
            return
        self._ready = threading.Event()
        self.explorer = Explorer(analysis, layout=self._layout_fn, on_layout=self._on_layout, links_later=True)
        self._explore_box = w.VBox([self.explorer.widget])
        waiting = w.HTML(_html.notice("Planning with the default focus… this tab fills in when the plan is ready.",
                                      "info"))
        self.tabs.children = [self._explore_box, *[w.VBox([waiting]) for _ in TABS[1:-1]], self.opener.widget]
        for i, name in enumerate(TABS):
            self.tabs.set_title(i, name)
        self._render_header()
        self._planning.start(f"{len(analysis.note_ids):,} notes drawn · planning with the default focus")
        self._builder = threading.Thread(target=self._build_later, args=(analysis, plan, focus, resume),
                                         daemon=True, name="workbench-build")
        self._builder.start()

    def _build_later(self, analysis: Analysis, plan: Plan | None, focus: Focus | None, resume: bool) -> None:
        try:
            views.warm_selection(analysis)  # duplicates and conflicts first: what a selection's table shows
            self.explorer.draw_links()
            self._build_rest(analysis, plan, focus, resume=resume)
            self._planning.stop()
        except Exception as exc:  # noqa: BLE001  (the map stays; say what failed)
            self._planning.stop(_html.notice(f"<b>Could not plan this store:</b> {_html.esc(exc)}", "error"))
        finally:
            with self._saving:
                if self.__dict__.pop("_save_later", False) and "_autosaved" in self.__dict__:
                    self._write_autosave()  # a selection made while this built
                self._ready.set()
        if self.tabs.selected_index not in (None, 0):
            self._on_tab({"new": self.tabs.selected_index})
        self._warm(analysis)

    def _warm(self, analysis: Analysis) -> None:
        """After the plan, on the builder thread: what the tuner's first keystroke at a new topic would compute."""
        tuner = self.__dict__.get("tuner")
        plan = tuner.plan if tuner is not None and tuner.analysis is analysis else None
        if plan is None:
            return
        try:
            warm(analysis, plan.focus)
        except Exception:  # noqa: BLE001  (a head start only: the re-plan computes what is missing)
            log.warning("warming the focus tuner's caches failed", exc_info=True)

    @property
    def _built(self) -> bool:
        ready = self.__dict__.get("_ready")
        return ready is None or ready.is_set()

    def wait(self, timeout: float | None = None) -> Workbench:
        """Wait until the plan and every tab are built (at once outside a kernel, where all is built first)."""
        ready = self.__dict__.get("_ready")
        if ready is not None and threading.current_thread() is not self.__dict__.get("_builder"):
            ready.wait(timeout)
        return self

    def __getattr__(self, name: str):
        """A part built after the map (the tuner, the panels, the review) waits for the builder thread."""
        if name in LATE and "_ready" in self.__dict__:
            self.wait(BUILD_WAIT)
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _build_rest(self, analysis: Analysis, plan: Plan | None, focus: Focus | None, *, resume: bool) -> None:
        self._autosaved = autosaved = Autosave(self.session_path)
        stamp = autosaved.file_stamp()  # before reading: a save while this builds is caught when the page is shown
        session = autosaved.read(self.store_digest) if resume and plan is None else None
        start_focus = session.focus if session is not None else focus or _default_focus(analysis.corpus)
        self.tuner = FocusTuner(analysis, start_focus, on_review=self.use_plan, on_plan=self._on_tuned)
        plan = plan or self.tuner.plan
        if plan is None:
            raise ValueError(f"no plan under the default focus: {self.tuner.error}")
        self._review = Review(plan)
        resumed = None
        if session is not None:
            resumed = session.restore(plan)
            self._review = resumed.review
        if self.explorer is None:
            self.explorer = Explorer(analysis, plan=plan, layout=self._layout_fn, on_layout=self._on_layout)
        else:
            self.explorer.plan = plan
            if self.explorer.layout_name != "PCA":
                self.tuner.set_layout(self.explorer.layout_name, self.explorer.coords)
        self.review_panel = ReviewPanel(self._review, analysis=analysis, on_change=self._on_decisions,
                                        folder=self._folder, lazy=True)
        self.review_panel._export_visible = False  # the Export tab shows it (refreshed when opened)
        self.review_panel.widget.children = tuple(c for c in self.review_panel.widget.children
                                                  if c is not self.review_panel.export_section)
        self.review_panel.drift_button.on_click(lambda _: self.use_plan(self.tuner.plan))
        self.conflicts = ConflictTimeline(analysis, self._review, on_change=self._on_conflict_pinned, lazy=True)
        self.explorer.map.observe(lambda _: self._save(), "picked")
        # plain figures (no callbacks needed), drawn when first opened: the page then loads plotly.js only
        # when a person asks for one of them, not before the first map
        self.timeline = _static.figure_output()
        self.heatmap = _static.figure_output()
        box = self.review_panel.export_box
        self.sankey = box.sankey

        context = w.Accordion(children=[self.timeline, self.heatmap],
                              titles=("Timeline: memory writes and sessions", "Support: topics × sessions"))
        context.observe(self._on_context, "selected_index")
        export = w.VBox([self.review_panel.summary, box.preview, box.sankey,
                         w.HTML("<b>Write the approved result</b>"), box.widget])
        explore = self.__dict__.get("_explore_box") or w.VBox()
        explore.children = (self.explorer.widget, context)  # the same box: the map drawn first stays as it is
        self.tabs.children = [explore, self.tuner.widget, self.review_panel.widget, self.conflicts.widget, export,
                              self.opener.widget]
        for i, name in enumerate(TABS):
            self.tabs.set_title(i, name)
        if session is not None and session.selection:
            known = [i for i in session.selection if i in set(analysis.note_ids)]
            if known:
                self.explorer.selection = known
        self.notice.value = autosaved.damaged + (resumed_notice(session, resumed) if resumed is not None else "")
        # a page served later (Voila pre-heats kernels) may find newer decisions in the autosave: take them then
        autosaved.stamp = stamp
        self._resume_allowed = resume
        self.explorer.map.observe(self._on_shown, "rendered")
        if self._background and self.explorer.map.rendered:  # drawn before the plan was ready
            self._on_shown(None)
        self._render_header()
        self._render_drift()
        self.opener.session_status.value = autosaved.status(enabled=self.autosave)

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
        """The notes selected on the map, with each one's fate in the plan (waits for the plan; settable with a
        list of note ids, shown at once)."""
        self.wait(BUILD_WAIT)
        return self.explorer.selection

    @selection.setter
    def selection(self, ids) -> None:
        self.explorer.selection = ids
        self._save()

    @property
    def drifted(self) -> bool:
        """The tuner's plan is not the plan under review."""
        tuned = self.tuner.plan
        return tuned is not None and plan_digest(tuned) != plan_digest(self.plan)

    @property
    def session_path(self) -> Path:
        """Where the session is autosaved."""
        return self._session_path or autosave_path(self.store_digest)

    # the Open & save tab's widgets, reached here as before the tab had a class of its own (`wb.opener`)
    store_path = property(lambda self: self.opener.store_path)
    sessions_path = property(lambda self: self.opener.sessions_path)
    open_button = property(lambda self: self.opener.open_button)
    store_upload = property(lambda self: self.opener.store_upload)
    sessions_upload = property(lambda self: self.opener.sessions_upload)
    open_upload_button = property(lambda self: self.opener.open_upload_button)
    open_status = property(lambda self: self.opener.open_status)
    session_file = property(lambda self: self.opener.session_file)
    save_button = property(lambda self: self.opener.save_button)
    load_button = property(lambda self: self.opener.load_button)
    fresh_button = property(lambda self: self.opener.fresh_button)
    session_status = property(lambda self: self.opener.session_status)
    open_tab = property(lambda self: self.opener.widget)

    def session(self) -> WorkSession:
        """The session as it stands: the reviewed plan's focus, the decisions, the selection."""
        return WorkSession.capture(self.plan.focus, self._review, selection=self.explorer.selected_ids,
                                   store_digest=self.store_digest)

    def use_plan(self, plan: Plan) -> Workbench:
        """Review `plan` from now on; decisions on identical operations are carried over (and counted)."""
        carried = carry_over(self._review, plan)
        self.carried = carried
        self._set_review(carried.review)
        self.explorer.plan = plan
        if carried.carried or carried.dropped:
            old = {op.id: op for op in carried.dropped_operations}
            detail = (f'<details class="wb-details"><summary>the {len(old)} decisions not carried</summary><ul>'
                      + "".join(f'<li class="wb-small"><code>{_html.esc(i)}</code> {_html.esc(op.kind)} '
                                f"{_html.clip(op.rationale, 160)}</li>" for i, op in old.items())
                      + "</ul></details>") if old else ""
            self.review_panel.notice.value = _html.notice(f"New plan under review. {_html.esc(carried.message)}"
                                                          f"{detail}", "warn" if carried.dropped else "ok")
        else:
            self.review_panel.notice.value = _html.notice("New plan under review (no decisions to carry).", "ok")
        self.tabs.selected_index = TABS.index("Review")
        self.review_panel.activate()
        self._save()
        return self

    def save_session(self, path: str | Path) -> Path:
        """Write the session to `path` (atomically)."""
        return save_session(self.session(), path)

    def load_session(self, path: str | Path) -> CarryOver:
        """Restore a saved session: its focus re-planned, its decisions carried to identical operations."""
        session = load_session(path)
        if session.store_digest and session.store_digest != self.store_digest:
            raise WorkbenchError("this session was saved on another store (its store digest differs)",
                                 source=str(path))
        restored = self._resume(session, source=str(path))
        self._save()
        return restored

    def _resume(self, session: WorkSession, source: str = "") -> CarryOver:
        if session.focus.to_dict() != self.tuner.focus.to_dict():
            self.tuner.focus = session.focus
        if self.tuner.plan is None:
            raise WorkbenchError(f"cannot re-plan with the saved focus: {self.tuner.error}", source=source or None)
        restored = session.restore(self.tuner.plan)
        self._set_review(restored.review)
        self.explorer.plan = self.tuner.plan
        known = set(self.analysis.note_ids)
        self.explorer.selection = [i for i in session.selection if i in known]
        self.carried = restored
        return restored

    def _on_shown(self, change) -> None:
        """The map was drawn in a page: if the autosave changed since this Workbench was built, resume it now."""
        self.explorer.map.unobserve(self._on_shown, "rendered")
        autosaved = self._autosaved
        if not (self.autosave and self._resume_allowed) or autosaved.file_stamp() == autosaved.stamp:
            return
        session = autosaved.read(self.store_digest)
        if session is None:
            if autosaved.damaged:
                self.notice.value = autosaved.damaged
            return
        try:
            restored = self._resume(session)
        except WorkbenchError as exc:
            self.notice.value = _html.notice(f"Could not resume the newer autosave: {_html.esc(exc)}", "warn")
            return
        self.notice.value = resumed_notice(session, restored)
        autosaved.stamp = autosaved.file_stamp()

    def start_fresh(self) -> Workbench:
        """Forget the session (the autosave file is kept beside as `.bak`): the default focus, no decisions,
        no selection."""
        path = self.session_path
        if path.exists():
            path.replace(path.with_suffix(path.suffix + ".bak"))
        self.tuner.focus = _default_focus(self.analysis.corpus)
        self._set_review(Review(self.tuner.plan or self.plan))
        self.explorer.plan = self.plan
        self.explorer.selection = []
        self.notice.value = ""
        self.carried = None
        self._save()
        return self

    def open(self, store: str | Path, sessions: str | Path | Iterable[str | Path] | None = None, *,
             embedder: str | None = None, source: str | None = None,
             progress: Progress | None = None) -> Workbench:
        """Open another store (and sessions) in this Workbench: loaded, analysed (or read from the analysis
        cache), planned; its session resumed; its map shown (the Explore tab).

        `source` names it in the header (default: the store's path, from the project folder).
        """
        corpus = load_corpus(store, sessions)
        analysis = load_or_analyze(corpus, embedder, progress=progress or False)
        self._session_path = None
        self.source = source or shown_path(store)
        self._build(analysis, None, None, resume=True)
        self.tabs.selected_index = 0  # always the new store's map, never the tab it was opened from
        return self

    # -- events ------------------------------------------------------------------------------
    def _set_review(self, review: Review) -> None:
        self._review = review
        self.review_panel.review = review
        self.conflicts.review = review
        self._render_header()
        self._render_drift()
        self._refresh_export()

    def _on_decisions(self, review: Review) -> None:
        self.conflicts.review = review
        self._render_header()
        self._refresh_export()
        self._save()

    def _on_conflict_pinned(self, review: Review) -> None:
        self.review_panel.refresh()
        self._render_header()
        self._refresh_export()
        self._save()

    def _on_tuned(self, plan: Plan) -> None:
        if hasattr(self, "_review"):
            self._render_drift()

    def _on_layout(self, name: str, coords: pd.DataFrame) -> None:
        tuner = self.__dict__.get("tuner")  # none yet: the builder gives it the layout in view
        if tuner is not None:
            tuner.set_layout(name, coords)

    def _on_tab(self, change) -> None:
        if not self._built:
            return  # the builder thread opens the tab in view once it is done
        if change["new"] == TABS.index("Export"):
            if self.review_panel.measure():  # the summary shown there counts the probes
                self.review_panel.refresh()
            self.review_panel.export_box.refresh()
        elif change["new"] == TABS.index("Review"):
            self.review_panel.activate()
        elif change["new"] == TABS.index("Conflicts"):
            self.conflicts.activate()

    def _on_context(self, change) -> None:
        if change["new"] == 0 and not self.timeline.outputs:
            _static.show(self.timeline, plots.timeline(self.analysis.corpus, plan=self.plan))
        elif change["new"] == 1 and not self.heatmap.outputs:
            _static.show(self.heatmap, plots.support_heatmap(self.analysis))

    def _refresh_export(self) -> None:
        if self.tabs.selected_index == TABS.index("Export"):
            self.review_panel.export_box.refresh()

    def _save(self) -> None:
        """Autosave the session (when on); the Open & save tab says how it went."""
        if not self.autosave or not hasattr(self, "explorer"):
            return
        with self._saving:
            if not self._built:  # the saved session is not read yet: never write over it; saved once built
                self._save_later = True
                return
        self._write_autosave()

    def _write_autosave(self) -> None:
        autosaved = self._autosaved
        if autosaved.paused:
            self.opener.session_status.value = autosaved.paused_notice()
            return
        self.opener.session_status.value = autosaved.write(self.session())

    # -- drawing ----------------------------------------------------------------------------
    def _render_header(self) -> None:
        review = self.__dict__.get("_review")  # none while the plan is being built: the store's counts only
        self.header.value = _html.header(self.title, source=self.source,
                                         counts=views.header_counts(self.analysis, review))

    def _render_drift(self) -> None:
        panel = self.review_panel
        tuned = self.tuner.plan
        if tuned is None or not self.drifted:
            panel.drift.value = ""
            panel.drift_button.layout.display = "none"
            return
        mine = {op.id for op in self.plan.operations}
        theirs = {op.id for op in tuned.operations}
        panel.drift.value = _html.notice(
            f"<b>The Tune tab's plan is not the plan under review.</b> It has {len(theirs - mine):,} operations this "
            f"review does not, and lacks {len(mine - theirs):,} that it has. Decisions (and “Approve all pending”) "
            "apply to the plan under review until you review the tuned plan; decisions on identical operations "
            "are carried over.", "warn")
        panel.drift_button.layout.display = ""

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def shown_path(path: str | Path) -> str:
    """A path as the header names it: from the project folder when inside it, else its last two parts."""
    full = Path(path).resolve()
    try:
        return full.relative_to(project_dir().resolve()).as_posix()
    except (ValueError, OSError):
        return "…/" + "/".join(full.parts[-2:]) if len(full.parts) > 2 else str(path)
