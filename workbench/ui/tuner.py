"""The Focus tuner: instructions and knobs on the left, a live preview of the plan on the right.

A change after a quiet spell re-plans at once, and changes that follow within 150 ms (a slider
being dragged) re-plan once they stop (on a timer thread, so the kernel keeps answering). The analysis is computed once; each update is one `dream_offline(corpus, focus,
analysis=...)` call, which restricts the analysis to the chosen sessions and runs the four phases.

Beside the text box, the scopes the instructions compile to are listed with the words each came
from, each with a ✕ that removes it (the removal is kept in `Focus.removed_scopes`, so editing the
text does not bring it back), the notes it matches (or, matching none, the map's nearest topics) and
what it added, removed or reordered against no focus (`workbench.views.focus.scope_report`); then
what was not understood, contradictions, and the whole plan against no focus. A scope's "show"
button selects its notes on the map and lists them under the scopes (`tuner.selection`).

Beside each bar, the candidate pairs' similarities as a small histogram with the bar on it and the
operations the bar adds or removes against its default; under the horizon, the notes older than it
(`_tuner_knobs.KnobNotes`). Pinning A compares two focuses: the notes whose fate differs, and the
operations and questions only in A, only in B and in both (`_tuner_compare.FocusCompare`).

    tuner = FocusTuner(analysis)
    tuner.duplicate_bar.value = 0.9
    tuner.refresh().plan.summary()
    tuner.report.diff.operations; tuner.select_scope("exclude: small talk"); tuner.selection
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace

import ipywidgets as w
import pandas as pd

from .. import plots, views
from ..analysis import Analysis
from ..dream.effects import Change, PlanDiff
from ..dream.offline import dream_offline, session_view
from ..dream.plan import Plan
from ..focus import KINDS, MAX_INSTRUCTIONS, Focus
from ..instructions import Scope
from ..records import MAX_SESSIONS
from ..views.focus import ScopeLine, ScopeReport, diff_text, reach_text, scope_report
from . import _html
from ._debounce import Debouncer
from ._map import MapWidget
from ._payloads import FocusForm
from ._progress import Ticker
from ._tuner_compare import FocusCompare
from ._tuner_knobs import KnobNotes

TOPICAL = ("protect", "include", "exclude", "weight")  # the scope kinds that match notes
EXAMPLE = ("e.g. Prioritize coding style and client preferences. Never touch /people/. "
           "Ignore one-off debugging notes.")


class FocusTuner:
    """Focus controls with a debounced live preview: counts per kind, the map by fate, the changes."""

    def __init__(self, analysis: Analysis, focus: Focus | None = None, *, wait: float = 0.15,
                 on_review: Callable[[Plan], None] | None = None, height: int = 440,
                 on_plan: Callable[[Plan], None] | None = None) -> None:
        self.analysis = analysis
        self.defaults = dict(analysis.bars)
        self.on_review = on_review
        self.on_plan = on_plan  # called after every re-plan (the Workbench shows the review's drift)
        self.error: str | None = None
        self.last_seconds: float | None = None
        self.replans = 0  # plans made so far (the status carries the count, for the browser to see a new one)
        self._base = focus or Focus()
        self._plan: Plan | None = None
        self._report: ScopeReport | None = None
        self._selection: tuple[str, ...] = ()
        self._selected_scope: str | None = None
        self.knobs = KnobNotes(analysis, self.defaults)
        self._similarities = self.knobs.similarities
        self.compare = FocusCompare()
        self._holding = False
        self._debounce = Debouncer(self._update, wait, leading=True)
        self._points = views.map_points(analysis)
        form = FocusForm.from_focus(self._base, self.defaults)
        n_sessions = len(analysis.corpus.sessions)

        # -- controls
        wide = w.Layout(width="100%")
        self.instructions = w.Textarea(value=form.instructions, placeholder=EXAMPLE, rows=7,
                                       layout=w.Layout(width="100%"), continuous_update=True)
        self.scope_list = w.VBox(layout=w.Layout(width="100%"))
        self._no_scopes = w.HTML('<span class="wb-muted wb-small">no scopes from the text</span>')  # one, kept
        self.unclear = w.HTML()
        self.restore_button = w.Button(description="Restore removed scopes", icon="undo", layout=w.Layout(
            width="auto", display="none"))
        self.restore_button.on_click(lambda _: self.restore_scopes())
        self._scope_rows: dict[tuple[str, str, str], w.HBox] = {}
        self.effect = w.HTML()  # the whole plan against no focus
        self.matched = w.HTML()  # the notes of the scope shown
        self.instructions_count = w.HTML()
        self.include = w.Text(value=form.include, placeholder="topics or /paths/, comma-separated", layout=wide,
                              continuous_update=False)
        self.exclude = w.Text(value=form.exclude, placeholder="e.g. small talk, /journal/", layout=wide,
                              continuous_update=False)
        self.protect = w.Text(value=form.protect, placeholder="e.g. /people/", layout=wide, continuous_update=False)
        floor = round(self.defaults.get("floor", 0.0), 2)
        slider = dict(continuous_update=True, layout=wide, style={"description_width": "120px"})
        self.duplicate_bar = w.FloatSlider(value=form.duplicate_bar, min=floor, max=1.0, step=0.01,
                                           description="duplicate bar", readout_format=".2f", **slider)
        self.conflict_bar = w.FloatSlider(value=form.conflict_bar, min=floor, max=1.0, step=0.01,
                                          description="conflict bar", readout_format=".2f", **slider)
        self.horizon_days = w.IntSlider(value=form.horizon_days, min=0, max=730, step=5,
                                        description="staleness (days)", **slider)
        self.duplicate_info, self.conflict_info = self.knobs.duplicate, self.knobs.conflict
        self.horizon_info = self.knobs.horizon
        self.min_sessions = w.IntSlider(value=form.min_sessions, min=1, max=max(2, min(10, n_sessions or 2)),
                                        description="min sessions", **slider)
        most = min(MAX_SESSIONS, max(1, n_sessions))
        self.max_sessions = w.IntSlider(value=form.max_sessions or most, min=1, max=most,
                                        description="latest sessions", **slider)
        self._all_sessions = n_sessions <= MAX_SESSIONS
        self.kinds = {k: w.Checkbox(value=k in form.kinds, description=k, indent=False,
                                    layout=w.Layout(width="auto")) for k in KINDS}

        # -- preview
        self.status = w.HTML()
        self.counts = w.HTML()
        self.scopes = w.HTML()
        self.changes = w.HTML(layout=w.Layout(max_height="360px", overflow="auto"))
        self.map = MapWidget(height=height, mode="pan", show_links=False, show_extras=False)
        self.set_layout("PCA", analysis.coords)
        self._ticker = Ticker(self.status, delay=0.25)
        self.pin_button, self.clear_button, self.ab = self.compare.pin_button, self.compare.clear_button, self.compare.html
        self.review_button = w.Button(description="Review this plan →", button_style="primary", icon="check",
                                      disabled=on_review is None, layout=w.Layout(width="auto"))
        self.pin_button.on_click(lambda _: self.pin_a())
        self.clear_button.on_click(lambda _: self.clear_a())
        self.review_button.on_click(self._on_review)

        for control in self._controls():
            control.observe(self._changed, "value")

        label = lambda text: w.HTML(f'<b class="wb-small">{text}</b>')  # noqa: E731
        compiled = w.VBox([label("Compiled scopes (✕ removes one, “show” finds its notes)"), self.scope_list,
                           self.unclear, self.restore_button, self.effect],
                          layout=w.Layout(flex="1 1 360px", min_width="260px", padding="0 0 0 12px"))
        text = w.VBox([label("Instructions"), self.instructions, self.instructions_count],
                      layout=w.Layout(flex="1 1 420px", min_width="300px"))
        instructions = w.HBox([text, compiled], layout=w.Layout(flex_flow="row wrap", width="100%"))
        controls = w.VBox([
            label("Include only"), self.include, label("Exclude"), self.exclude, label("Protect (never change)"),
            self.protect, label("Bars and horizon"), self.duplicate_bar, self.duplicate_info, self.conflict_bar,
            self.conflict_info, self.horizon_days, self.horizon_info, self.min_sessions, *([] if self._all_sessions else [self.max_sessions]),
            label("Operation kinds"), w.HBox(list(self.kinds.values())),
            label("Scopes in force"), self.scopes,
        ], layout=w.Layout(flex="0 0 360px", width="360px", padding="0 12px 0 0"))
        preview = w.VBox([self.status, self.counts, self.map,
                          w.HBox([self.pin_button, self.clear_button, self.review_button])],
                         layout=w.Layout(flex="1 1 480px"))
        lower = w.Tab(children=[self.changes, self.ab])
        lower.set_title(0, "Changes")
        lower.set_title(1, "A / B")
        self.lower = lower
        self.widget = w.VBox([w.HTML(_html.CSS), instructions, self.matched,
                              w.HBox([controls, preview], layout=w.Layout(flex_flow="row wrap")), lower],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
        self.refresh()

    # -- public state -----------------------------------------------------------------------
    @property
    def focus(self) -> Focus:
        """The Focus the controls stand for now."""
        return self._form().to_focus(self.defaults, self._base)

    @focus.setter
    def focus(self, focus: Focus) -> None:
        self._base = focus
        form = FocusForm.from_focus(focus, self.defaults)
        with self._hold():
            for name in ("instructions", "include", "exclude", "protect", "duplicate_bar", "conflict_bar",
                         "horizon_days", "min_sessions"):
                getattr(self, name).value = getattr(form, name)
            self.max_sessions.value = form.max_sessions or self.max_sessions.max
            for kind, box in self.kinds.items():
                box.value = kind in form.kinds
        self.refresh()

    @property
    def plan(self) -> Plan | None:
        """The plan for the current focus (None until the first refresh succeeds)."""
        return self._plan

    @property
    def report(self) -> ScopeReport | None:
        """Per scope, the notes it matches and what it changed; the plan against no focus (with the plan)."""
        return self._report

    @property
    def selection(self) -> tuple[str, ...]:
        """The ids of the notes of the scope shown (selected on the map and listed under the scopes)."""
        return self._selection

    @property
    def bar_changes(self) -> dict[str, Change]:
        """Per bar ("duplicate", "conflict"): the operations it adds or removes against its default."""
        return dict(self.knobs.changes)

    @property
    def plan_a(self) -> Plan | None:
        return self.compare.plan_a

    @property
    def ab_diff(self) -> PlanDiff | None:
        """Operations and questions only in A (`added`), only in B (`removed`), and in both."""
        return self.compare.diff(self._plan)

    @property
    def differences(self) -> pd.DataFrame:
        """Notes whose fate differs between the pinned plan A and the current plan B."""
        return self.compare.differences(self._plan)

    def set_layout(self, name: str, coords: pd.DataFrame) -> FocusTuner:
        """Draw the preview on this layout (the Workbench passes the Explorer's, so both maps match)."""
        self._points = views.map_points(self.analysis, coords)
        self._position = {note_id: k for k, note_id in enumerate(self._points.index)}
        hover = None if self.map.hover else [f"{i}\n{t}" for i, t in zip(self._points.index, self._points["title"])]
        self.map.set_points(self._points[["x", "y"]].to_numpy(), hover=hover, layout=name)
        self.layout_name = name
        return self

    def refresh(self) -> FocusTuner:
        """Re-plan now, on this thread (what the debounce timer does after a change)."""
        self._debounce.flush()
        return self

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until the debounced update (if any) has finished; False on timeout."""
        return self._debounce.wait(timeout)

    def pin_a(self) -> FocusTuner:
        """Keep the current focus and plan as A; further changes make B."""
        if self._plan is not None:
            self.compare.pin(self.focus, self._plan)
            self.lower.selected_index = 1
            self._render_ab()
        return self

    def remove_scope(self, label: str) -> FocusTuner:
        """Remove one compiled scope (by its label, "exclude: lunch notes") and re-plan; it stays removed."""
        self._base = self.focus.without_scope(label)
        self._show_compiled()
        self.refresh()
        return self

    def restore_scopes(self) -> FocusTuner:
        """Bring back every compiled scope removed with ✕ and re-plan."""
        self._base = replace(self.focus, removed_scopes=[])
        self._show_compiled()
        self.refresh()
        return self

    def select_scope(self, label: str | None) -> FocusTuner:
        """Select the notes a scope matches on the map and list them under the scopes (None clears)."""
        line = self._lines().get(label or "")
        self._selected_scope = label if line is not None else None
        self._selection = tuple(line.effect.notes) if line is not None else ()
        self.map.set_selected([self._position[i] for i in self._selection if i in self._position])
        self.matched.value = self._matched_html(line)
        return self

    def clear_a(self) -> FocusTuner:
        self.compare.clear()
        self._render_ab()
        return self

    # -- events ------------------------------------------------------------------------------
    def _controls(self) -> list[w.ValueWidget]:
        return [self.instructions, self.include, self.exclude, self.protect, self.duplicate_bar, self.conflict_bar,
                self.horizon_days, self.min_sessions, self.max_sessions, *self.kinds.values()]

    @contextlib.contextmanager
    def _hold(self):
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def _changed(self, change) -> None:
        self.instructions_count.value = self._count_html()
        if change.get("owner") is self.instructions:
            self._show_compiled()
        if change.get("owner") in (self.duplicate_bar, self.conflict_bar, self.horizon_days):
            self._show_knobs()
        if not self._holding:
            expected = f"the last took {self.last_seconds:.2f} s" if self.last_seconds is not None else \
                "the first re-plan also fills the caches"
            self._ticker.start(f"re-planning {len(self.analysis.note_ids):,} notes under the new settings", expected)
            self._debounce()

    def _on_review(self, _button) -> None:
        if self.on_review is not None and self._plan is not None:
            self.on_review(self._plan)

    def _form(self) -> FocusForm:
        most = self.max_sessions.max
        return FocusForm(
            instructions=self.instructions.value, include=self.include.value, exclude=self.exclude.value,
            protect=self.protect.value, duplicate_bar=self.duplicate_bar.value, conflict_bar=self.conflict_bar.value,
            horizon_days=self.horizon_days.value, min_sessions=self.min_sessions.value,
            max_sessions=None if self._all_sessions and self.max_sessions.value == most else self.max_sessions.value,
            kinds=tuple(k for k, box in self.kinds.items() if box.value),
        )

    # -- the update (timer thread or `refresh`) -------------------------------------------------
    def _update(self) -> None:
        start = time.perf_counter()
        try:
            focus = self.focus
            plan = dream_offline(self.analysis.corpus, focus, analysis=self.analysis)
            view = session_view(self.analysis, focus)
            report = scope_report(view, focus, plan=plan)
        except Exception as exc:  # shown, never lost on the timer thread
            self.error = str(exc)
            self._ticker.stop(_html.notice(f"<b>Cannot plan with these settings:</b> {_html.esc(exc)}", "error"))
            return
        self.error = None
        self._plan, self._report = plan, report
        elapsed = time.perf_counter() - start
        self.last_seconds = elapsed
        self.replans += 1
        self._ticker.stop()
        self._render(focus, plan, elapsed)
        if self.on_plan is not None:
            self.on_plan(plan)
        self._explain_bars(view, focus, plan)

    def _explain_bars(self, view: Analysis, focus: Focus, plan: Plan) -> None:
        """What each bar adds or removes against its default: after the preview is shown, since a bar away
        from its default costs a plan of its own."""
        self.knobs.explain(view, focus, plan)
        self._show_knobs()

    def _render(self, focus: Focus, plan: Plan, elapsed: float) -> None:
        summary = plan.summary()
        kinds = " · ".join(f"{n} {k}" for k, n in summary["by_kind"].items()) or "no operations"
        self.status.value = (f'<span class="wb-small"><b>{summary["operations"]:,} operations</b> ({kinds}) · '
                             f'{summary["notes_in"]:,} → {summary["notes_out"]:,} notes · '
                             f'deletes {summary["deleted_share"]:.0%}, rewrites {summary["rewritten_share"]:.0%} · '
                             f'<span class="wb-muted" data-replan="{self.replans}">planned in {elapsed:.2f} s</span></span>')
        self.counts.value = f'<div style="display:flex;gap:4px;margin:4px 0">{_html.fate_stats(views.fate_counts(plan))}</div>'
        self.scopes.value = _html.scopes(focus.describe())
        self._show_compiled(focus)
        self._show_knobs()
        self.effect.value = _effect_html(self._report)
        self.select_scope(self._selected_scope)
        self.changes.value = _html.changes(plan, limit=150)
        self.instructions_count.value = self._count_html()
        coloring = plots.point_colors(self.analysis, "fate", plan, self._points)
        codes, palette = coloring.codes()
        with self.map.hold_sync():
            self.map.set_colors(codes, palette, plots.point_sizes(self._points))
            self.map.legend = coloring.legend_items()
            self.map.title = f"fate of every note under this focus · {self.layout_name} layout"
        self._render_ab()

    def _render_ab(self) -> None:
        self.compare.show(self.focus if self.compare.pinned else None, self._plan)

    def _show_compiled(self, focus: Focus | None = None) -> None:
        """The compiled scopes beside the text box, each with a ✕; then not understood and contradictions."""
        try:
            focus = focus or self.focus
        except Exception as exc:  # noqa: BLE001 - a bad setting is shown by the plan status
            self.unclear.value = _html.notice(_html.esc(exc), "error")
            return
        pending = self._report is None or self._report.plan.focus != focus  # re-planning: counts follow
        rows = [self._scope_row(scope, pending) for scope in focus.active_scopes]
        self.scope_list.children = rows or [self._no_scopes]
        self.unclear.value = _unclear_html(focus)
        self.restore_button.layout.display = "" if focus.removed_scopes else "none"

    def _scope_row(self, scope: Scope, pending: bool = False) -> w.HBox:
        """A scope's row: ✕, its label, reach and words, what it changed, and "show" (kept per scope)."""
        key = (scope.label, scope.source, scope.note)
        if key not in self._scope_rows:
            remove = w.Button(icon="times", tooltip=f"remove “{scope.label}”", layout=w.Layout(width="28px", height="24px"))
            remove.on_click(lambda _, label=scope.label: self.remove_scope(label))
            show = w.Button(description="show", icon="crosshairs", tooltip="select its notes on the map and list them",
                            layout=w.Layout(width="auto", height="24px", display="none"))
            show.on_click(lambda _, label=scope.label: self.select_scope(label))
            row = w.HBox([remove, w.HTML(layout=w.Layout(flex="1 1 auto")), show],
                         layout=w.Layout(align_items="flex-start"))
            row.add_class("wb-scope")
            self._scope_rows[key] = row
        row = self._scope_rows[key]
        self._fill_row(row, scope, self._lines().get(scope.label), pending)
        return row

    def _fill_row(self, row: w.HBox, scope: Scope, line: ScopeLine | None, pending: bool) -> None:
        """The row's text and "show" button from the scope's line of the report (… until it is planned)."""
        text, show = row.children[1], row.children[2]
        text.value = _scope_html(scope, line, pending and scope.kind in TOPICAL)
        show.layout.display = "" if line is not None and line.effect.notes else "none"
        if line is not None:
            show.description = f"show {len(line.effect.notes):,}"

    def _lines(self) -> dict[str, ScopeLine]:
        return {line.effect.label: line for line in self._report.scopes} if self._report is not None else {}

    def _matched_html(self, line: ScopeLine | None) -> str:
        """The notes of the scope shown, as a table (path, text, fate under the plan)."""
        if line is None:
            return ""
        frame = views.notes_table(self.analysis, line.effect.notes, self._plan)
        frame = frame[[c for c in ("path", "text", "fate") if c in frame.columns]]
        return (f'<div class="wb-small wb-matched" style="margin-top:6px"><b>{len(frame):,}</b> notes under '
                f'“{_html.esc(line.effect.label)}” (selected on the map)</div>'
                f'{_html.table(frame, max_rows=100, text_limit=160)}')

    def _show_knobs(self) -> None:
        """The bars' histograms and what each changes; the notes older than the horizon."""
        self.knobs.show(self.duplicate_bar.value, self.conflict_bar.value, floor=self.duplicate_bar.min,
                        days=self.horizon_days.value)

    def _count_html(self) -> str:
        n = len(self.instructions.value)
        color = "#cf222e" if n > MAX_INSTRUCTIONS else "#57606a"
        return f'<span class="wb-small" style="color:{color}">{n:,} / {MAX_INSTRUCTIONS:,} characters</span>'

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _unclear_html(focus: Focus) -> str:
    compiled = focus.compiled
    parts = [f'<div class="wb-small">⚠ not understood: {_html.esc(u.describe())}</div>' for u in compiled.not_understood]
    parts += [f'<div class="wb-small">⚡ contradiction: {_html.esc(c)}</div>' for c in focus.contradictions]
    parts += [f'<div class="wb-small wb-muted">{_html.esc(t)}</div>' for t in compiled.warnings]
    if focus.removed_scopes:
        parts.append(f'<div class="wb-small wb-muted">removed: {_html.esc(", ".join(focus.removed_scopes))}</div>')
    return "".join(parts)


def _scope_html(scope: Scope, line: ScopeLine | None, pending: bool) -> str:
    """A scope's label, the notes it matches (or the nearest topics), its words, and what it changed."""
    if line is not None and not line.effect.notes:
        reach = f' <span class="wb-nomatch" style="color:#9a6700">· {_html.esc(reach_text(line))}</span>'
    elif line is not None:
        reach = f' <span class="wb-muted wb-reach">· {reach_text(line)}</span>'
    else:
        reach = ' <span class="wb-muted">· …</span>' if pending else ""
    note = f'<div class="wb-muted">{_html.esc(scope.note)}</div>' if scope.note else ""
    changed = ""
    if line is not None:
        e = line.effect
        changed = (f'<div class="wb-muted wb-scope-diff" title="added, removed, reordered against no focus">'
                   f'{_html.esc(diff_text(e.operations, e.questions))}</div>')
    return (f'<div class="wb-small"><b>{_html.esc(scope.label)}</b>{reach} '
            f'<span class="wb-muted">← “{_html.esc(scope.source)}”</span>{note}{changed}</div>')


def _effect_html(report: ScopeReport | None) -> str:
    """The whole plan against the same analysis planned with no focus, with the ids that changed (nothing
    when there is no scope and nothing changed: no focus to compare)."""
    if report is None:
        return ""
    ops, questions = report.diff.operations, report.diff.questions
    if not report.scopes and not ops and not questions:
        return ""
    ids = "".join(f'<div><b>{what} {name}</b>: {_html.esc(", ".join(getattr(change, name)))}</div>'
                  for what, change in (("operations", ops), ("questions", questions))
                  for name in ("added", "removed", "reordered") if getattr(change, name))
    details = (f'<details class="wb-details"><summary class="wb-muted">which</summary>{ids}</details>'
               if ids else "")
    return (f'<div class="wb-small wb-focus-diff" style="margin-top:6px"><b>Against no focus</b>: '
            f'{_html.esc(diff_text(ops, questions))}{details}</div>')
