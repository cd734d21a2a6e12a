"""What a focus does, as the tuner and `workbench focus --store` show it: per scope, the notes it matches
and what it changes in the plan; the difference between two plans; what a knob does.

    report = scope_report(analysis, Focus("Prioritize coding preferences. Ignore small talk."))
    report.scopes[0].notes, report.diff.operations.added, report.scopes[1].nearest
    focus_diff(plan_a, plan_b).operations    # only in A (added), only in B (removed), reordered
    compare_focus(analysis, focus, "Forget anything about lunch.")   # the same, from two focuses
    bar_change(analysis, focus, plan, "duplicate")   # operations the bar adds or removes against its default
    notes_past_horizon(analysis, 120)                # notes older than the horizon
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Any

from ..analysis import Analysis, memoized
from ..dream.effects import Change, Outline, PlanDiff, ScopeEffect, id_change, outline, plan_diff
from ..dream.offline import plain_outline, plan_from_analysis
from ..dream.plan import Plan
from ..focus import Focus
from ..instructions import Unclear
from ..scopes import nearest_topics

focus_diff = plan_diff  # the difference between two plans: operations and questions only in A, only in B, both


@dataclass(frozen=True)
class ScopeLine:
    """One scope as the report shows it: what it did, a few of its notes' texts, and, when it matches
    nothing, the map's topics nearest to it."""

    effect: ScopeEffect
    texts: tuple[str, ...] = ()
    nearest: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.effect.kind, "value": self.effect.value, "target": self.effect.target,
                "source": self.effect.source, "label": self.effect.label, "effect": self.effect.effect,
                "notes": list(self.effect.notes), "texts": list(self.texts), "why": self.effect.why,
                "nearest": [{"label": label, "notes": n} for label, n in self.nearest],
                "operations": self.effect.operations.to_dict(), "questions": self.effect.questions.to_dict()}


@dataclass(frozen=True)
class ScopeReport:
    """The scopes of a focus over one analysis, what was not understood, and the plan against no focus."""

    scopes: tuple[ScopeLine, ...]
    not_understood: tuple[Unclear, ...]
    diff: PlanDiff
    plan: Plan

    def to_dict(self) -> dict[str, Any]:
        ops, questions = self.diff.operations, self.diff.questions
        return {"scopes": [s.to_dict() for s in self.scopes],
                "not_understood": [{"text": u.text, "reason": u.reason} for u in self.not_understood],
                "diff": {"added": [*ops.added, *questions.added], "removed": [*ops.removed, *questions.removed],
                         "reordered": [*ops.reordered, *questions.reordered]},
                "operations": ops.to_dict(), "questions": questions.to_dict()}


def scope_report(analysis: Analysis, focus: Focus, *, plan: Plan | None = None, texts: int = 3) -> ScopeReport:
    """Each scope of `focus` over `analysis`: the notes it matches (a few texts), what it adds, removes or
    reorders against the same analysis with no focus, and the nearest topics of the map when it matches none.
    `plan`: the plan of `focus` over `analysis` when it is made already (the tuner's)."""
    plan = plan or plan_from_analysis(analysis, focus)
    notes = analysis.corpus.note_by_id
    lines = tuple(ScopeLine(e, tuple(notes[i].text for i in e.notes[:texts]),
                            tuple(nearest_topics(analysis, e.target)) if not e.notes else ())
                  for e in plan.scope_effects)
    diff = plan_diff(plan, plain_outline(analysis, focus.resolved()))
    return ScopeReport(lines, focus.compiled.not_understood, diff, plan)


def compare_focus(analysis: Analysis, a: Focus, b: Focus | str) -> PlanDiff:
    """The plans of two focuses over one analysis compared: operations and questions only in A, only
    in B, in both. `b` as text is `a` with these instructions (its other knobs kept)."""
    from dataclasses import replace

    other = replace(a, instructions=b) if isinstance(b, str) else b
    return plan_diff(plan_from_analysis(analysis, a), plan_from_analysis(analysis, other))


def nearest_text(line: ScopeLine) -> str:
    """“greetings (4 notes), …”: the map's topics nearest to a scope that matches nothing."""
    return ", ".join(f"{label} ({_notes(n)})" for label, n in line.nearest)


def reach_text(line: ScopeLine) -> str:
    """What a scope matches, in a few words: “12 notes”, or “no note is about “small talk”; nearest: …”."""
    if line.effect.notes:
        return _notes(len(line.effect.notes))
    near = nearest_text(line)
    return (line.effect.why or "no note falls under it") + (f"; nearest: {near}" if near else "")


def change_text(change: Change) -> str:
    """“+3 −1 ↕2”: ids added, removed and reordered."""
    return f"+{len(change.added)} −{len(change.removed)} ↕{len(change.reordered)}"


def diff_text(operations: Change, questions: Change) -> str:
    """“operations +3 −1 ↕2, questions +0 −1 ↕0”, as the CLI prints a focus against no focus."""
    return f"operations {change_text(operations)}, questions {change_text(questions)}"


def bar_change(analysis: Analysis, focus: Focus, plan: Plan, name: str) -> Change:
    """The operations the focus's `name` bar ("duplicate", "conflict") adds to `plan` or removes from it against
    the same focus at the analysis's default bar (no change when the bar is the default)."""
    bar = getattr(focus, f"{name}_bar")
    if bar is None or round(bar, 3) == round(analysis.bars.get(name, -1.0), 3):
        return Change()
    default = planned_outline(analysis, replace(focus, **{f"{name}_bar": None}))
    return id_change(outline(plan).operations, default.operations)


def planned_outline(analysis: Analysis, focus: Focus) -> Outline:
    """The outline of the plan of `focus` over `analysis` (memoized per analysis and focus)."""
    key = json.dumps(focus.to_dict(), sort_keys=True, default=str)
    return memoized(analysis, ("plan:outline", key), lambda: outline(plan_from_analysis(analysis, focus)))


def notes_past_horizon(analysis: Analysis, days: int) -> int:
    """How many notes were last written more than `days` days before the corpus's last time."""
    ages = memoized(analysis, "focus:ages", lambda: sorted(
        (analysis.corpus.as_of - n.updated_at).total_seconds() / 86400 for n in analysis.corpus.notes))
    return len(ages) - bisect_right(ages, days)


def _notes(n: int) -> str:
    return f"{n:,} note{'s' if n != 1 else ''}"


__all__ = ["ScopeLine", "ScopeReport", "bar_change", "change_text", "compare_focus", "diff_text", "focus_diff",
           "nearest_text",
           "notes_past_horizon", "planned_outline", "reach_text", "scope_report"]
