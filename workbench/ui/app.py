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
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import ipywidgets as w
import pandas as pd

from .. import plots, views
from ..analysis import Analysis, layout_umap_aside, load_or_analyze
from ..dream.plan import Plan
from ..errors import WorkbenchError
from ..files import move_aside
from ..findings import findings
from ..focus import Focus
from ..io import load_corpus
from ..launch import project_dir, widget_check
from ..progress import ANALYSIS_STAGES, Progress
from ..records import MAX_SESSIONS, Corpus
from ..review import Review, plan_digest
from ..session import (
    CarryOver,
    WorkSession,
    autosave_path,
    carry_over,
    load_session,
    save_session,
    stage_uploads,
)
from . import _html, _static
from ._progress import StepBar, Ticker
from .conflicts import ConflictTimeline
from .explorer import Explorer, _in_kernel
from .review import ReviewPanel
from .tuner import FocusTuner

TABS = ("Explore", "Tune focus", "Review", "Conflicts", "Export", "Open & save")
LATE = frozenset({"tuner", "review_panel", "conflicts", "timeline", "heatmap", "sankey", "_review"})  # built after the map
BUILD_WAIT = 600.0  # s: the most a caller waits for the plan


def _default_focus(corpus: Corpus) -> Focus:
    """The platform reads at most 100 sessions: take the latest 100 when there are more."""
    return Focus(max_sessions=MAX_SESSIONS) if len(corpus.sessions) > MAX_SESSIONS else Focus()


_Progress = StepBar  # the name the tests knew


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
        self._build_open_tab()
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
        self.tabs.children = [self._explore_box, *[w.VBox([waiting]) for _ in TABS[1:-1]], self.open_tab]
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
            if self.__dict__.pop("_save_later", False):
                self._ready.set()
                self._save()
        except Exception as exc:  # noqa: BLE001  (the map stays; say what failed)
            self._planning.stop(_html.notice(f"<b>Could not plan this store:</b> {_html.esc(exc)}", "error"))
        finally:
            self._ready.set()
        if self.tabs.selected_index not in (None, 0):
            self._on_tab({"new": self.tabs.selected_index})

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
        stamp = self._stamp()  # before reading: a save while this builds is caught when the page is shown
        self._damaged, self._autosave_paused = "", ""
        session = self._saved_session() if resume and plan is None else None
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
                              self.open_tab]
        for i, name in enumerate(TABS):
            self.tabs.set_title(i, name)
        if session is not None and session.selection:
            known = [i for i in session.selection if i in set(analysis.note_ids)]
            if known:
                self.explorer.selection = known
        self.notice.value = self._damaged + (self._resumed_notice(session, resumed) if resumed is not None else "")
        # a page served later (Voila pre-heats kernels) may find newer decisions in the autosave: take them then
        self._autosave_stamp = stamp
        self._resume_allowed = resume
        self.explorer.map.observe(self._on_shown, "rendered")
        if self._background and self.explorer.map.rendered:  # drawn before the plan was ready
            self._on_shown(None)
        self._render_header()
        self._render_drift()
        self._render_session_status()

    def _build_open_tab(self) -> None:
        wide = w.Layout(width="520px")
        self.store_path = w.Text(placeholder="a store: folder, .json, .jsonl, .csv …", description="store",
                                 layout=wide, style={"description_width": "70px"})
        self.sessions_path = w.Text(placeholder="sessions: a folder or file (optional)", description="sessions",
                                    layout=wide, style={"description_width": "70px"})
        self.open_button = w.Button(description="Open", icon="folder-open", button_style="primary",
                                    layout=w.Layout(width="auto"))
        self.store_upload = w.FileUpload(description="Upload a store file", multiple=False, accept="",
                                         layout=w.Layout(width="auto"))
        self.sessions_upload = w.FileUpload(description="Upload session files", multiple=True, accept="",
                                            layout=w.Layout(width="auto"))
        self.open_upload_button = w.Button(description="Open the uploaded files", icon="upload",
                                           layout=w.Layout(width="auto"))
        self.open_status = w.HTML()
        self.session_file = w.Text(placeholder="my-review.session.json", description="session file", layout=wide,
                                   style={"description_width": "90px"})
        self.save_button = w.Button(description="Save session", icon="save", layout=w.Layout(width="auto"))
        self.load_button = w.Button(description="Load session", icon="folder-open", layout=w.Layout(width="auto"))
        self.fresh_button = w.Button(description="Start fresh", icon="eraser", layout=w.Layout(width="auto"),
                                     tooltip="forget the decisions on this store (the autosave is kept as .bak)")
        self.session_status = w.HTML()
        self._open_ticker = Ticker(self.open_status, delay=0.0)
        self.open_button.on_click(lambda _: self._open_paths())
        self.open_upload_button.on_click(lambda _: self._open_uploads())
        self.save_button.on_click(lambda _: self._save_to_file())
        self.load_button.on_click(lambda _: self._load_from_file())
        self.fresh_button.on_click(lambda _: self.start_fresh())
        label = lambda text: w.HTML(f"<b>{text}</b>")  # noqa: E731
        self.open_tab = w.VBox([
            label("Open your own store and sessions"),
            w.HTML('<div class="wb-small wb-muted">A path on the machine that runs the kernel, or upload files '
                   "(a store file and any number of session files).</div>"),
            self.store_path, self.sessions_path, w.HBox([self.open_button]),
            w.HBox([self.store_upload, self.sessions_upload, self.open_upload_button],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
            self.open_status,
            label("Your session: focus, decisions, selection"),
            self.session_status,
            w.HBox([self.session_file, self.save_button, self.load_button, self.fresh_button],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
        ])

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

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.session_path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _on_shown(self, change) -> None:
        """The map was drawn in a page: if the autosave changed since this Workbench was built, resume it now."""
        self.explorer.map.unobserve(self._on_shown, "rendered")
        if not (self.autosave and self._resume_allowed) or self._stamp() == self._autosave_stamp:
            return
        self._damaged = ""
        session = self._saved_session()
        if session is None:
            if self._damaged:
                self.notice.value = self._damaged
            return
        try:
            restored = self._resume(session)
        except WorkbenchError as exc:
            self.notice.value = _html.notice(f"Could not resume the newer autosave: {_html.esc(exc)}", "warn")
            return
        self.notice.value = self._resumed_notice(session, restored)
        self._autosave_stamp = self._stamp()

    @staticmethod
    def _resumed_notice(session: WorkSession, resumed: CarryOver) -> str:
        if not session.decisions:
            return ""
        return _html.notice(
            f"Resumed your session of {_html.esc(_short_time(session.saved_at))} on this store "
            f"({len(resumed.review.current):,} decisions). {_html.esc(resumed.message)} Start fresh from the "
            "<b>Open &amp; save</b> tab.", "warn" if resumed.dropped else "info")

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
        cache), planned; its session resumed.

        `source` names it in the header (default: the store's path, from the project folder).
        """
        corpus = load_corpus(store, sessions)
        analysis = load_or_analyze(corpus, embedder, progress=progress or False)
        self._session_path = None
        self.source = source or shown_path(store)
        self._build(analysis, None, None, resume=True)
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

    def _open_paths(self) -> None:
        store, sessions = self.store_path.value.strip(), self.sessions_path.value.strip()
        if not store:
            self.open_status.value = _html.notice("Type the path of a store first.", "error")
            return
        self._open(store, sessions or None)

    def _open_uploads(self) -> None:
        stores = [(f["name"], f["content"]) for f in self.store_upload.value]
        sessions = [(f["name"], f["content"]) for f in self.sessions_upload.value]
        if not stores:
            self.open_status.value = _html.notice("Upload a store file first.", "error")
            return
        folder = Path(tempfile.mkdtemp(prefix="workbench-upload-"))
        try:
            [store] = stage_uploads(stores, folder / "store")
            staged = stage_uploads(sessions, folder / "sessions") if sessions else None
        except WorkbenchError as exc:
            self.open_status.value = _html.notice(_html.esc(exc), "error")
            return
        self._open(store, staged, f"{stores[0][0]} (uploaded)")

    def _open(self, store, sessions, source: str | None = None) -> None:
        """Open from the Open tab: in a kernel on a thread of its own, so the map in view keeps answering."""
        self._open_ticker.start(f"opening {Path(str(store)).name}: loading, analysing, planning")
        if _in_kernel():
            threading.Thread(target=self._open_now, args=(store, sessions, source), daemon=True,
                             name="workbench-open").start()
        else:
            self._open_now(store, sessions, source)

    def _open_now(self, store, sessions, source: str | None = None) -> None:
        ticker = self._open_ticker
        progress = Progress("analysis", ANALYSIS_STAGES, on_update=lambda p: setattr(ticker, "text", p.text))
        try:
            self.open(store, sessions, source=source, progress=progress)
        except (WorkbenchError, OSError) as exc:
            self._open_ticker.stop(_html.notice(f"<b>Cannot open it:</b> {_html.esc(exc)}", "error"))
            return
        a = self.analysis
        opened = _html.notice(f"Opened {_html.esc(store)}: {len(a.corpus.memories):,} memories, "
                              f"{len(a.note_ids):,} notes, {len(a.corpus.sessions):,} sessions.", "ok")
        self._open_ticker.stop(opened)
        self.notice.value = opened + self.notice.value  # the tabs now show the new store, from Explore

    def _save_to_file(self) -> None:
        path = self.session_file.value.strip()
        if not path:
            self.session_status.value = _html.notice("Type a file name to save the session to.", "error")
            return
        try:
            written = self.save_session(_in_project(path))
        except WorkbenchError as exc:
            self.session_status.value = _html.notice(_html.esc(exc), "error")
            return
        self.session_status.value = _html.notice(f"Saved to <code>{_html.esc(written.resolve())}</code>.", "ok")

    def _load_from_file(self) -> None:
        path = self.session_file.value.strip()
        if not path:
            self.session_status.value = _html.notice("Type the file name of a saved session.", "error")
            return
        try:
            restored = self.load_session(_in_project(path))
        except WorkbenchError as exc:
            self.session_status.value = _html.notice(_html.esc(exc), "error")
            return
        self.session_status.value = _html.notice(f"Loaded {_html.esc(path)}: {_html.esc(restored.message)}",
                                                 "warn" if restored.dropped else "ok")

    def _saved_session(self) -> WorkSession | None:
        path = self.session_path
        if not path.is_file():
            return None
        try:
            session = load_session(path)
        except WorkbenchError as exc:
            self._damaged = self._set_aside(path, exc)
            return None
        if session.store_digest and session.store_digest != self.store_digest:
            return None
        return session

    def _set_aside(self, path: Path, problem: WorkbenchError) -> str:
        """Keep an unreadable autosave beside as `.damaged-<time>` (autosave pauses if it cannot be moved);
        the notice that says so."""
        why = f"The autosaved session could not be read ({_html.esc(problem)})"
        try:
            kept = move_aside(path, "damaged-" + datetime.now().strftime("%Y%m%d-%H%M%S"))
        except OSError as exc:
            self._autosave_paused = f"the damaged autosave could not be moved aside ({exc.strerror or exc})"
            return _html.notice(f"{why}; it is left as it was and autosave is paused, so nothing overwrites it "
                                f"({_html.esc(self._autosave_paused)}). Save the session to a file instead.",
                                "warn")
        return _html.notice(f"{why}; it is kept as <code>{_html.esc(kept)}</code>, and this Workbench starts "
                            "fresh.", "warn")

    def _save(self) -> None:
        if not self.autosave or not hasattr(self, "explorer"):
            return
        if not self._built:  # the saved session is not read yet: never write over it; saved once built
            self._save_later = True
            return
        if self._autosave_paused:
            self.session_status.value = _html.notice(f"Autosave is paused: {_html.esc(self._autosave_paused)}.",
                                                     "warn")
            return
        try:
            save_session(self.session(), self.session_path)
        except WorkbenchError as exc:
            self.session_status.value = _html.notice(f"Autosave failed: {_html.esc(exc)}", "error")
            return
        self._autosave_stamp = self._stamp()
        self._render_session_status()

    # -- drawing ----------------------------------------------------------------------------
    def _render_header(self) -> None:
        a = self.analysis
        if "_review" not in self.__dict__:  # the map is drawn, the plan is not ready yet
            self.header.value = _html.header(self.title, source=self.source, counts={
                "memories": len(a.corpus.memories), "notes": len(a.note_ids), "sessions": len(a.corpus.sessions)})
            return
        found = findings(a)
        counts = self._review.counts()
        self.header.value = _html.header(self.title, source=self.source, counts={
            "memories": len(a.corpus.memories), "notes": len(a.note_ids), "sessions": len(a.corpus.sessions),
            "duplicate groups": len(found.duplicates), "conflicts": len(found.conflicts),
            "operations": counts["operations"], "pending": counts["pending"],
            "approved": counts["approve"], "edited": counts["edit"],
            **({"questions answered": f"{counts['answered']:,} of {counts['questions']:,}"} if counts["questions"] else {}),
        })

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

    def _render_session_status(self) -> None:
        if not self.autosave:
            self.session_status.value = '<div class="wb-small wb-muted">Autosave is off.</div>'
            return
        path = self.session_path
        when = datetime.now().strftime("%H:%M:%S") if path.exists() else None
        self.session_status.value = (
            f'<div class="wb-small wb-muted">Autosaved after each decision to <code>{_html.esc(path)}</code>'
            + (f" (last at {when})" if when else "") + "; a Workbench opened on this store later resumes it.</div>")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def shown_path(path: str | Path) -> str:
    """A path as the header names it: from the project folder when inside it, else its last two parts."""
    full = Path(path).resolve()
    try:
        return full.relative_to(project_dir().resolve()).as_posix()
    except (ValueError, OSError):
        return "…/" + "/".join(full.parts[-2:]) if len(full.parts) > 2 else str(path)


def _in_project(path: str) -> Path:
    """A path typed in the app: relative ones start in the project folder (as snapshot folders do)."""
    typed = Path(path).expanduser()
    return typed if typed.is_absolute() else project_dir() / typed


def _short_time(iso_time: str) -> str:
    try:
        return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso_time or "an earlier time"
