"""What a focus does, as the tuner and `workbench focus --store` show it: per scope, the notes it matches
and what it changes in the plan; and the difference between two plans.

    report = scope_report(analysis, Focus("Prioritize coding preferences. Ignore small talk."))
    report.scopes[0].notes, report.diff.operations.added, report.scopes[1].nearest
    focus_diff(plan_a, plan_b).operations    # only in A (added), only in B (removed), reordered
    compare_focus(analysis, focus, "Forget anything about lunch.")   # the same, from two focuses
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..analysis import Analysis
from ..dream.effects import PlanDiff, ScopeEffect, plan_diff
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


def scope_report(analysis: Analysis, focus: Focus, *, texts: int = 3) -> ScopeReport:
    """Each scope of `focus` over `analysis`: the notes it matches (a few texts), what it adds, removes or
    reorders against the same analysis with no focus, and the nearest topics of the map when it matches none."""
    plan = plan_from_analysis(analysis, focus)
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
    """“nearest: greetings (4 notes), …” for a scope that matches nothing."""
    return ", ".join(f"{label} ({n} note{'s' if n != 1 else ''})" for label, n in line.nearest)


__all__ = ["ScopeLine", "ScopeReport", "compare_focus", "focus_diff", "nearest_text", "scope_report"]
