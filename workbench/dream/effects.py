"""What each focus scope did to a plan, against the same analysis planned with no focus.

Every topic and path scope states its effect (`EFFECTS`) and records, on the plan, the notes it
matches and the operations and questions it added, removed or reordered: those of the difference
between the plan and the same analysis planned with `Focus()` and the same knobs (bars, horizon,
sessions) that touch a note the scope matches, or cite a session turn about its topic.

    plan.scope_effects[0].operations.added   # ('op_…', …)
    plan_diff(plan, baseline).operations      # Change(added=…, removed=…, reordered=…)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class Plan(Protocol):
    """What a diff reads of a plan (`workbench.dream.plan.Plan`): its operations and questions, in order."""

    operations: Sequence[Any]
    questions: Sequence[Any]

EFFECTS = {
    "protect": "never read, removed or written",
    "include": "the only notes the dream may change: every other note gets no operation and no question",
    "exclude": "left alone: no operation, no question, and no insight from session statements about it",
    "forget": "left alone, and each of its notes proposed for deletion (a suggestion below the automatic bar)",
    "up": "first in the review order, questions worth ×{w:g}, rules measured right ≥ {floor:.0%} propose inside it "
          "(elsewhere ≥ {suggest:.0%}), insights need one session less (never fewer than two)",
    "down": "last in the review order, questions worth ×{w:g}",
}


@dataclass(frozen=True)
class Change:
    """Ids added (only in the focused plan), removed (only in the plan without focus) and reordered (in both,
    at another rank among the ids they share)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reordered: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.reordered)

    def to_dict(self) -> dict[str, list[str]]:
        return {"added": list(self.added), "removed": list(self.removed), "reordered": list(self.reordered)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Change:
        data = data or {}
        return cls(*(tuple(data.get(k, ())) for k in ("added", "removed", "reordered")))

    def within(self, keep: set[str]) -> Change:
        return Change(*(tuple(i for i in ids if i in keep) for ids in (self.added, self.removed, self.reordered)))


def id_change(focused: Sequence[str], plain: Sequence[str]) -> Change:
    """How the ids of a focused plan differ from the same plan without focus; the reordered ones are the
    fewest that moved (those outside the longest run of shared ids kept in the same order)."""
    shared = set(focused) & set(plain)
    rank = {i: r for r, i in enumerate(i for i in plain if i in shared)}
    kept = _longest_increasing([i for i in focused if i in shared], rank)
    return Change(tuple(i for i in focused if i not in shared), tuple(i for i in plain if i not in shared),
                  tuple(i for i in focused if i in shared and i not in kept))


def _longest_increasing(ids: list[str], rank: Mapping[str, int]) -> set[str]:
    """The longest subsequence of `ids` whose ranks increase (patience sorting, O(n log n))."""
    from bisect import bisect_left

    tails: list[int] = []  # tails[k]: the smallest rank ending an increasing run of length k + 1
    ends: list[int] = []  # the index in `ids` of that run's last id
    before = [-1] * len(ids)
    for index, item in enumerate(ids):
        k = bisect_left(tails, rank[item])
        if k == len(tails):
            tails.append(rank[item])
            ends.append(index)
        else:
            tails[k], ends[k] = rank[item], index
        before[index] = ends[k - 1] if k else -1
    out, at = set(), ends[-1] if ends else -1
    while at >= 0:
        out.add(ids[at])
        at = before[at]
    return out


@dataclass(frozen=True)
class Outline:
    """The ids of a plan's operations and questions in order, and the notes and turns each touches."""

    operations: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    touches: Mapping[str, frozenset[str]] = field(default_factory=dict)  # id -> note ids and turn ids


def outline(plan: Plan) -> Outline:
    touches = {op.id: _touched(op.targets, op.evidence, op.result) for op in plan.operations}
    touches.update({q.id: _touched(q.targets, q.evidence, None) for q in plan.questions})
    return Outline(tuple(op.id for op in plan.operations), tuple(q.id for q in plan.questions), touches)


def _touched(targets, evidence, result) -> frozenset[str]:
    found = {t.id for t in targets} | {e.turn_id for e in evidence if e.turn_id}
    return frozenset(found | ({result.note_id} if result is not None and result.note_id else set()))


@dataclass(frozen=True)
class PlanDiff:
    """Two plans' operations and questions: only in A (`added`), only in B (`removed`), reordered, in both."""

    operations: Change
    questions: Change
    operations_in_both: tuple[str, ...] = ()
    questions_in_both: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"operations": {**self.operations.to_dict(), "both": list(self.operations_in_both)},
                "questions": {**self.questions.to_dict(), "both": list(self.questions_in_both)}}


def plan_diff(a: Plan | Outline, b: Plan | Outline) -> PlanDiff:
    """The difference between plan A and plan B (a pure function of their ids and order)."""
    a, b = _as_outline(a), _as_outline(b)
    return PlanDiff(id_change(a.operations, b.operations), id_change(a.questions, b.questions),
                    tuple(i for i in a.operations if i in set(b.operations)),
                    tuple(i for i in a.questions if i in set(b.questions)))


def _as_outline(plan: Plan | Outline) -> Outline:
    return plan if isinstance(plan, Outline) else outline(plan)


@dataclass(frozen=True)
class ScopeEffect:
    """What one topic or path scope did: its stated effect, the notes it matches, and the operations and
    questions it added, removed or reordered against the plan without focus."""

    label: str
    kind: str  # protect | include | exclude | forget | weight
    target: str
    value: float | None = None
    source: str = "setting"
    effect: str = ""
    notes: tuple[str, ...] = ()
    operations: Change = Change()
    questions: Change = Change()
    relaxed: tuple[str, ...] = ()  # insights admitted with one session less (a prioritized topic)
    why: str = ""  # why it matches nothing

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "target": self.target, "value": self.value,
                "source": self.source, "effect": self.effect, "notes": list(self.notes),
                "operations": self.operations.to_dict(), "questions": self.questions.to_dict(),
                "relaxed": list(self.relaxed), "why": self.why}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScopeEffect:
        return cls(label=str(data.get("label", "")), kind=str(data.get("kind", "")), target=str(data.get("target", "")),
                   value=data.get("value"), source=str(data.get("source", "setting")),
                   effect=str(data.get("effect", "")), notes=tuple(data.get("notes", ())),
                   operations=Change.from_dict(data.get("operations")),
                   questions=Change.from_dict(data.get("questions")), relaxed=tuple(data.get("relaxed", ())),
                   why=str(data.get("why", "")))


def stated_effect(kind: str, value: float | None, floor: float, suggest: float) -> str:
    """A scope kind's effect on the dream, in the words the plan and the CLI show."""
    if kind == "weight":
        return EFFECTS["up" if (value or 1.0) > 1 else "down"].format(w=value or 1.0, floor=floor, suggest=suggest)
    return EFFECTS[kind]


__all__ = ["EFFECTS", "Change", "Outline", "PlanDiff", "ScopeEffect", "id_change", "outline", "plan_diff",
           "stated_effect"]
