"""The conflict timeline: one subject's values over time, and pinning an older value as the true one.

By default the latest value wins. Pinning another value turns the operation that settles the
conflict into an edited decision (`review.edit(op_id, pinned_text)`), so the export keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from .. import plots, views
from ..analysis import Analysis
from ..review import Review
from . import _html, _static


class ConflictTimeline:
    """Pick a subject; see its values in time order with the sessions that stated them; pin one."""

    def __init__(self, analysis: Analysis, review: Review | None = None, *,
                 on_change: Callable[[Review], None] | None = None, lazy: bool = False) -> None:
        self.analysis = analysis
        self.active = not lazy  # lazy: drawn when first shown (`activate`), as the Workbench's tab does
        self.on_change = on_change
        self.subjects = views.conflict_subjects(analysis)
        self._review = review
        self.pin_buttons: dict[str, w.Button] = {}
        self.subject = w.Dropdown(
            options=[(f"{s.label}  ·  {len(s.members)} values", s.id) for s in self.subjects],
            description="subject", layout=w.Layout(width="640px"), style={"description_width": "60px"})
        self.figure = go.Figure()  # the figure on view (plain plotly: pinning is done with the buttons)
        self.plot = _static.figure_output()
        self.values = w.VBox()
        self.status = w.HTML()
        self.subject.observe(lambda _: self._render(), "value")
        intro = w.HTML(_html.notice(
            f"{len(self.subjects):,} subjects have contradicting values. The latest value wins unless you pin "
            "another one: pinning edits the operation that settles the conflict.", "info")
            if self.subjects else _html.notice("No conflicting notes in this corpus.", "ok"))
        self.widget = w.VBox([w.HTML(_html.CSS), intro, self.subject, self.plot, self.status, self.values],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("wb-root")
        self._render()

    # -- public state -----------------------------------------------------------------------
    @property
    def review(self) -> Review | None:
        return self._review

    @review.setter
    def review(self, review: Review | None) -> None:
        self._review = review
        self._render()

    @property
    def current(self) -> views.ConflictSubject | None:
        return next((s for s in self.subjects if s.id == self.subject.value), None)

    @property
    def history(self):
        """The chosen subject's values over time (a DataFrame, oldest first)."""
        subject = self.current
        return views.conflict_history(self.analysis, subject.members) if subject else None

    def pin(self, value_id: str) -> ConflictTimeline:
        """Make `value_id` (a note or session sentence of the chosen subject) the true value."""
        self.activate()
        history = self.history
        if history is None or value_id not in history.index:
            raise KeyError(f"{value_id!r} is not a value of the chosen subject")
        text = history.at[value_id, "text"]
        for op in self._operations():
            self._review.edit(op.id, text)
        self._render()
        if self.on_change is not None and self._review is not None:
            self.on_change(self._review)
        return self

    # -- drawing ----------------------------------------------------------------------------
    def _operations(self):
        subject = self.current
        if self._review is None or subject is None:
            return []
        return views.resolving_operations(self._review.plan, subject.members)

    def _pinned(self, history) -> str | None:
        """The value the current decisions keep (an edit whose text is one of the values)."""
        if self._review is None:
            return None
        for op in self._operations():
            decision = self._review.current.get(op.id)
            if decision is not None and decision.verdict == "edit":
                match = history.index[history["text"] == decision.content]
                if len(match):
                    return match[0]
        return None

    def activate(self) -> ConflictTimeline:
        if not self.active:
            self.active = True
            self._render()
        return self

    def _render(self) -> None:
        if not self.active:
            return
        subject = self.current
        if subject is None:
            self.values.children = []
            self.plot.outputs = ()
            return
        history = self.history
        pinned = self._pinned(history)
        self.figure = plots.conflict_figure(history, pinned=pinned)
        _static.show(self.plot, self.figure)
        ops = self._operations()
        if self._review is None:
            self.status.value = _html.notice("No plan under review: values are shown, pinning is off.", "warn")
        elif not ops:
            self.status.value = _html.notice("The plan has no operation settling this conflict (it may be protected, "
                                             "out of focus, or left alone); nothing to pin.", "warn")
        else:
            verdicts = [self._review.current.get(op.id) for op in ops]
            state = ", ".join(f"{op.id}: {d.verdict if d else 'pending'}" for op, d in zip(ops, verdicts, strict=True))
            self.status.value = f'<div class="wb-small wb-muted">settled by {_html.esc(state)}</div>'
        winner = pinned or history.index[-1]
        rows, self.pin_buttons = [], {}
        for value_id, row in history.iterrows():
            when = "undated" if pd.isna(row["at"]) else row["at"].strftime("%Y-%m-%d %H:%M")
            sessions = ", ".join(row["session_titles"][:4])
            stated = (f"stated in: {sessions}" if sessions else
                      f"written {when} in {row['path']}; no session restates it" if row["source"] == "note"
                      else "stated in: no session")
            tag = ("pinned" if value_id == pinned else "latest") if value_id == winner else ""
            html = (f'<div class="wb-small"><b>{_html.esc(when)}</b> · {_html.esc(row["source"])} '
                    f'<code>{_html.esc(value_id)}</code> {_html.esc(row["path"])} '
                    f'{_html.badge(tag, plots.FATE_COLORS["created"]) if tag else ""}</div>'
                    f'<div class="wb-card" style="margin:2px 0">{_html.esc(row["text"])}'
                    f'<div class="wb-small wb-muted">{_html.esc(stated)}</div></div>')
            button = w.Button(description="Pin as true" if value_id != winner else "Kept",
                              icon="thumb-tack", disabled=value_id == winner or not ops,
                              layout=w.Layout(width="auto", min_width="120px", flex="0 0 auto"))
            button.on_click(lambda _, v=value_id: self.pin(v))
            self.pin_buttons[value_id] = button
            rows.append(w.HBox([w.HTML(html, layout=w.Layout(flex="1")), button],
                               layout=w.Layout(align_items="center")))
        self.values.children = rows

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
