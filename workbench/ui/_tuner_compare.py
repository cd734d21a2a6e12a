"""The tuner's A/B compare: a focus and its plan pinned as A, the current ones as B.

Shown side by side: each one's fate counts, scopes and knobs; the operations and questions only in
A, only in B and in both (`focus_diff`); the notes whose fate differs.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from .. import views
from ..dream.effects import PlanDiff
from ..dream.plan import Plan
from ..focus import Focus
from ..views.focus import focus_diff
from . import _html


class FocusCompare:
    """A pinned focus and plan (A) against the current ones (B): the `html`, and Pin and Clear buttons."""

    def __init__(self) -> None:
        self.pinned: tuple[Focus, Plan] | None = None
        self.html = w.HTML()
        self.pin_button = w.Button(description="Pin as A", icon="thumb-tack", tooltip="compare another focus with this one",
                                   layout=w.Layout(width="auto"))
        self.clear_button = w.Button(description="Clear A", icon="times", disabled=True, layout=w.Layout(width="auto"))

    @property
    def plan_a(self) -> Plan | None:
        return self.pinned[1] if self.pinned else None

    def diff(self, plan_b: Plan | None) -> PlanDiff | None:
        """Operations and questions only in A (`added`), only in B (`removed`), and in both."""
        if self.pinned is None or plan_b is None:
            return None
        return focus_diff(self.pinned[1], plan_b)

    def differences(self, plan_b: Plan | None) -> pd.DataFrame:
        """Notes whose fate differs between the pinned plan A and `plan_b`."""
        if self.pinned is None or plan_b is None:
            return pd.DataFrame(columns=["title", "a", "b"], index=pd.Index([], name="id"))
        return views.fate_differences(self.pinned[1], plan_b)

    def pin(self, focus: Focus, plan: Plan) -> None:
        self.pinned = (focus, plan)
        self.clear_button.disabled = False

    def clear(self) -> None:
        self.pinned = None
        self.clear_button.disabled = True

    def show(self, focus_b: Focus | None, plan_b: Plan | None) -> None:
        """A beside B (`focus_b`, `plan_b`), what differs, the notes that change fate; a hint until A is pinned."""
        if self.pinned is None:
            self.html.value = _html.notice("Pin the current focus as <b>A</b>, change the settings, and the notes "
                                           "whose fate differs are listed here.", "info")
            return
        focus_a, plan_a = self.pinned
        column = lambda name, focus, plan: (  # noqa: E731
            f'<div style="flex:1;min-width:260px"><b>{name}</b>'
            f'<div style="display:flex;gap:2px;flex-wrap:wrap;margin:4px 0">{_html.fate_stats(views.fate_counts(plan))}</div>'
            f'{_html.scopes(focus.describe())}'
            f'<div class="wb-small wb-muted">{_html.esc(_knobs_text(focus))}</div></div>')
        diff = self.differences(plan_b)
        listing = (_html.table(diff.rename(columns={"a": "fate in A", "b": "fate in B"}), text_columns=("title",))
                   if len(diff) else '<div class="wb-muted">A and B give every note the same fate.</div>')
        self.html.value = (f'<div style="display:flex;gap:16px;flex-wrap:wrap">{column("A (pinned)", focus_a, plan_a)}'
                           f'{column("B (current)", focus_b, plan_b)}</div>'
                           f'{_ab_html(self.diff(plan_b), plan_a, plan_b) if plan_b is not None else ""}'
                           f'<div class="wb-small" style="margin-top:6px"><b>{len(diff):,}</b> notes change fate</div>{listing}')


def _knobs_text(focus: Focus) -> str:
    """A focus's bars, horizon, minimum sessions and kinds, in one line."""
    bars = ", ".join(f"{name} bar {getattr(focus, name + '_bar'):.2f}" for name in ("duplicate", "conflict")
                     if getattr(focus, name + "_bar") is not None) or "default bars"
    return f"{bars}; horizon {focus.horizon_days} d; min sessions {focus.min_sessions}; kinds {', '.join(focus.kinds)}"


def _ab_html(diff: PlanDiff | None, plan_a: Plan, plan_b: Plan) -> str:
    """How many operations and questions are only in A, only in B and in both; those only in one listed."""
    if diff is None:
        return ""
    counts = "".join(f'<div class="wb-small"><b>{what}</b>: {len(change.added):,} only in A, '
                     f'{len(change.removed):,} only in B, {len(both):,} in both</div>'
                     for what, change, both in (("operations", diff.operations, diff.operations_in_both),
                                                ("questions", diff.questions, diff.questions_in_both)))
    lists = [_only_html(f"only in {side}", plan, ids_ops, ids_questions)
             for side, plan, ids_ops, ids_questions in (("A", plan_a, diff.operations.added, diff.questions.added),
                                                        ("B", plan_b, diff.operations.removed, diff.questions.removed))]
    return f'<div class="wb-ab-diff" style="margin-top:8px">{counts}{"".join(lists)}</div>'


def _only_html(title: str, plan: Plan, op_ids: tuple[str, ...], question_ids: tuple[str, ...], limit: int = 40) -> str:
    if not op_ids and not question_ids:
        return ""
    ops, questions = set(op_ids), set(question_ids)
    items = [f"<li>{_html.esc(op.kind)} <b>{_html.esc(op.reason)}</b> {_html.clip(op.rationale, 120)}</li>"
             for op in plan.operations if op.id in ops]
    items += [f"<li>question ({_html.esc(q.kind)}) {_html.clip(q.reading, 120)}</li>"
              for q in plan.questions if q.id in questions]
    more = f"<li class='wb-muted'>… and {len(items) - limit:,} more</li>" if len(items) > limit else ""
    return (f'<details class="wb-details" open><summary class="wb-small"><b>{_html.esc(title)}</b> '
            f'({len(items):,})</summary><ul style="padding-left:18px;margin:0">{"".join(items[:limit])}{more}</ul>'
            f'</details>')
