"""What becomes of each note: fates and flows of a plan, two plans compared, the export preview."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from ..review import apply
from .titles import FATES, short_title

if TYPE_CHECKING:
    from ..dream.plan import Plan


def decided_plan(plan: Plan, review) -> Plan:
    """`plan` restricted to what `review` would apply: approved, unblocked operations, edits in their results.

    The fates, flows and counts of this plan describe exactly what an export writes.
    """
    edits = review.edits()
    ops = []
    for op in review.approved_operations():
        if op.id in edits and op.result is not None:
            op = replace(op, result=replace(op.result, text=edits[op.id]))
        ops.append(op)
    return replace(plan, operations=ops)


@dataclass(frozen=True)
class ExportPreview:
    """What an export of the current decisions writes: the applied store's size and what went into it."""

    memories_in: int
    notes_in: int
    memories: int
    notes: int
    applied: dict[str, int]  # approved (unblocked) operations by kind, answered questions' included
    pending: int
    rejected: int
    blocked: int
    plan: Plan  # the plan restricted to the applied operations (`decided_plan`)
    answered: int = 0  # of the applied operations, those of answered questions
    answers: int = 0  # questions answered (an answer that keeps the notes applies no operation)

    @property
    def operations(self) -> int:
        return sum(self.applied.values())


def export_preview(store, plan: Plan, review) -> ExportPreview:
    """Apply the approved operations (in memory) and say what the snapshot will hold."""
    out = apply(store, plan, review)
    counts = review.counts()
    approved = review.approved_operations()
    applied = Counter(op.kind for op in approved)
    by_question = {op.id for q in plan.questions for c in q.choices if c.operation is not None for op in [c.operation]}
    return ExportPreview(len(store.memories), len(store.notes), len(out.memories), len(out.notes),
                         dict(sorted(applied.items())), counts["pending"], counts["reject"], counts["blocked"],
                         decided_plan(plan, review), sum(1 for op in approved if op.id in by_question),
                         counts["answered"])


def fate_counts(plan: Plan) -> dict[str, int]:
    """How many input notes are kept, merged, updated, pruned, and how many notes are created."""
    counts = Counter(plan.fates().values())
    out = {fate: counts.get(fate, 0) for fate in FATES}
    out["created"] = sum(1 for op in plan.operations if op.kind == "create")
    return out


def fate_flows(plan: Plan) -> list[tuple[str, str, int]]:
    """(source, target, count) flows: input notes → fate → output notes (or removed / folded in)."""
    counts = fate_counts(plan)
    fates = plan.fates()
    flows = [("input notes", fate, counts[fate]) for fate in ("kept", "merged", "updated", "pruned")]
    flows.append(("sessions", "created", counts["created"]))
    survivors: dict[str, set[str]] = {"merged": set(), "updated": set()}
    for op in plan.operations:
        if op.kind in ("merge", "update") and op.result is not None and op.result.note_id:
            survivors["merged" if op.kind == "merge" else "updated"].add(op.result.note_id)
    for fate in ("merged", "updated"):
        kept = sum(1 for note_id in survivors[fate] if fates.get(note_id) == fate)
        flows.append((fate, "output notes", kept))
        flows.append((fate, "folded into another note", counts[fate] - kept))
    flows.append(("kept", "output notes", counts["kept"]))
    flows.append(("created", "output notes", counts["created"]))
    flows.append(("pruned", "removed", counts["pruned"]))
    return [f for f in flows if f[2] > 0]


def fate_differences(plan_a: Plan, plan_b: Plan) -> pd.DataFrame:
    """Notes whose fate differs between two plans, and insights only one of them creates."""
    fa, fb = plan_a.fates(), plan_b.fates()
    notes = {n.id: n for n in plan_a.input_notes or plan_b.input_notes}
    rows = [{"id": i, "title": short_title(notes[i].text) if i in notes else i, "a": fa.get(i, "kept"),
             "b": fb.get(i, "kept")} for i in sorted(set(fa) | set(fb)) if fa.get(i, "kept") != fb.get(i, "kept")]
    created_a = {op.result.text: op.id for op in plan_a.operations if op.kind == "create" and op.result}
    created_b = {op.result.text: op.id for op in plan_b.operations if op.kind == "create" and op.result}
    for text in sorted(set(created_a) ^ set(created_b)):
        rows.append({"id": created_a.get(text) or created_b.get(text), "title": short_title(text),
                     "a": "created" if text in created_a else "—", "b": "created" if text in created_b else "—"})
    return pd.DataFrame(rows, columns=["id", "title", "a", "b"]).set_index("id")
