"""The Focus tuner: instructions and knobs on the left, a live preview of the plan on the right.

A change after a quiet spell re-plans at once, and changes that follow within 150 ms (a slider
being dragged) re-plan once they stop (on a timer thread, so the kernel keeps answering). The analysis is computed once; each update is one `dream_offline(corpus, focus,
analysis=...)` call, which restricts the analysis to the chosen sessions and runs the four phases.

Beside the text box, the scopes the instructions compile to are listed with the words each came
from, each with a ✕ that removes it (the removal is kept in `Focus.removed_scopes`, so editing the
text does not bring it back), followed by what was not understood and any contradictions.

    tuner = FocusTuner(analysis)
    tuner.duplicate_bar.value = 0.9
    tuner.refresh().plan.summary()
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
from ..dream.offline import dream_offline
from ..dream.plan import Plan
from ..focus import KINDS, MAX_INSTRUCTIONS, Focus
from ..instructions import Scope
from ..records import MAX_SESSIONS
from ..topics import matches
from . import _html
from ._debounce import Debouncer
from ._map import MapWidget
from ._payloads import FocusForm
from ._progress import Ticker

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
        self._a: tuple[Focus, Plan] | None = None
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
        self.unclear = w.HTML()
        self.restore_button = w.Button(description="Restore removed scopes", icon="undo", layout=w.Layout(
            width="auto", display="none"))
        self.restore_button.on_click(lambda _: self.restore_scopes())
        self._scope_rows: dict[tuple[str, str, str], w.HBox] = {}
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
        self.pin_button = w.Button(description="Pin as A", icon="thumb-tack", tooltip="compare another focus with this one",
                                   layout=w.Layout(width="auto"))
        self.clear_button = w.Button(description="Clear A", icon="times", disabled=True, layout=w.Layout(width="auto"))
        self.review_button = w.Button(description="Review this plan →", button_style="primary", icon="check",
                                      disabled=on_review is None, layout=w.Layout(width="auto"))
        self.ab = w.HTML()
        self.pin_button.on_click(lambda _: self.pin_a())
        self.clear_button.on_click(lambda _: self.clear_a())
        self.review_button.on_click(self._on_review)

        for control in self._controls():
            control.observe(self._changed, "value")

        label = lambda text: w.HTML(f'<b class="wb-small">{text}</b>')  # noqa: E731
        compiled = w.VBox([label("Compiled scopes (✕ removes one)"), self.scope_list, self.unclear, self.restore_button],
                          layout=w.Layout(flex="1 1 360px", min_width="260px", padding="0 0 0 12px"))
        text = w.VBox([label("Instructions"), self.instructions, self.instructions_count],
                      layout=w.Layout(flex="1 1 420px", min_width="300px"))
        instructions = w.HBox([text, compiled], layout=w.Layout(flex_flow="row wrap", width="100%"))
        controls = w.VBox([
            label("Include only"), self.include, label("Exclude"), self.exclude, label("Protect (never change)"),
            self.protect, label("Bars and horizon"), self.duplicate_bar, self.conflict_bar, self.horizon_days,
            self.min_sessions, *([] if self._all_sessions else [self.max_sessions]),
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
        self.widget = w.VBox([w.HTML(_html.CSS), instructions,
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
    def plan_a(self) -> Plan | None:
        return self._a[1] if self._a else None

    @property
    def differences(self) -> pd.DataFrame:
        """Notes whose fate differs between the pinned plan A and the current plan B."""
        if self._a is None or self._plan is None:
            return pd.DataFrame(columns=["title", "a", "b"], index=pd.Index([], name="id"))
        return views.fate_differences(self._a[1], self._plan)

    def set_layout(self, name: str, coords: pd.DataFrame) -> FocusTuner:
        """Draw the preview on this layout (the Workbench passes the Explorer's, so both maps match)."""
        self._points = views.map_points(self.analysis, coords)
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
            self._a = (self.focus, self._plan)
            self.clear_button.disabled = False
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

    def clear_a(self) -> FocusTuner:
        self._a = None
        self.clear_button.disabled = True
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
        except Exception as exc:  # shown, never lost on the timer thread
            self.error = str(exc)
            self._ticker.stop(_html.notice(f"<b>Cannot plan with these settings:</b> {_html.esc(exc)}", "error"))
            return
        self.error = None
        self._plan = plan
        elapsed = time.perf_counter() - start
        self.last_seconds = elapsed
        self.replans += 1
        self._ticker.stop()
        self._render(focus, plan, elapsed)
        if self.on_plan is not None:
            self.on_plan(plan)

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
        if self._a is None:
            self.ab.value = _html.notice("Pin the current focus as <b>A</b>, change the settings, and the notes "
                                         "whose fate differs are listed here.", "info")
            return
        focus_a, plan_a = self._a
        plan_b, focus_b = self._plan, self.focus
        column = lambda name, focus, plan: (  # noqa: E731
            f'<div style="flex:1;min-width:260px"><b>{name}</b>'
            f'<div style="display:flex;gap:2px;flex-wrap:wrap;margin:4px 0">{_html.fate_stats(views.fate_counts(plan))}</div>'
            f'{_html.scopes(focus.describe())}'
            f'<div class="wb-small wb-muted">{_html.esc(_knobs(focus))}</div></div>')
        diff = self.differences
        listing = (_html.table(diff.rename(columns={"a": "fate in A", "b": "fate in B"}), text_columns=("title",))
                   if len(diff) else '<div class="wb-muted">A and B give every note the same fate.</div>')
        self.ab.value = (f'<div style="display:flex;gap:16px;flex-wrap:wrap">{column("A (pinned)", focus_a, plan_a)}'
                         f'{column("B (current)", focus_b, plan_b)}</div>'
                         f'<div class="wb-small" style="margin-top:6px"><b>{len(diff):,}</b> notes change fate</div>{listing}')

    def _show_compiled(self, focus: Focus | None = None) -> None:
        """The compiled scopes beside the text box, each with a ✕; then not understood and contradictions."""
        try:
            focus = focus or self.focus
        except Exception as exc:  # noqa: BLE001 - a bad setting is shown by the plan status
            self.unclear.value = _html.notice(_html.esc(exc), "error")
            return
        rows = [self._scope_row(scope) for scope in focus.active_scopes]
        self.scope_list.children = rows or [w.HTML('<span class="wb-muted wb-small">no scopes from the text</span>')]
        self.unclear.value = _unclear_html(focus)
        self.restore_button.layout.display = "" if focus.removed_scopes else "none"

    def _scope_row(self, scope: Scope) -> w.HBox:
        key = (scope.label, scope.source, scope.note)
        if key not in self._scope_rows:
            button = w.Button(icon="times", tooltip=f"remove “{scope.label}”", layout=w.Layout(width="28px", height="24px"))
            button.on_click(lambda _, label=scope.label: self.remove_scope(label))
            note = f'<div class="wb-muted">{_html.esc(scope.note)}</div>' if scope.note else ""
            text = w.HTML(f'<div class="wb-small"><b>{_html.esc(scope.label)}</b>{self._reach(scope)} '
                          f'<span class="wb-muted">← “{_html.esc(scope.source)}”</span>{note}</div>')
            row = w.HBox([button, text], layout=w.Layout(align_items="flex-start"))
            row.add_class("wb-scope")
            self._scope_rows[key] = row
        return self._scope_rows[key]

    def _reach(self, scope: Scope) -> str:
        """How many notes a topic or path scope covers: a scope that covers none is flagged."""
        if scope.kind not in ("protect", "include", "exclude", "weight"):
            return ""
        n = sum(matches(scope.target, note) for note in self.analysis.corpus.notes)
        if n == 0:
            return ' <span style="color:#9a6700" title="no note falls under this scope">· no note</span>'
        return f' <span class="wb-muted">· {n:,} note{"s" if n != 1 else ""}</span>'

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


def _knobs(focus: Focus) -> str:
    bars = ", ".join(f"{name} bar {getattr(focus, name + '_bar'):.2f}" for name in ("duplicate", "conflict")
                     if getattr(focus, name + "_bar") is not None) or "default bars"
    return f"{bars}; horizon {focus.horizon_days} d; min sessions {focus.min_sessions}; kinds {', '.join(focus.kinds)}"
