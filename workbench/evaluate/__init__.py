"""Evaluating a dream: scoring a plan against labels, and asking the store questions before and after.

Two instruments live here:

- `score(plan, labels)` (`scoring`): precision and recall per phase against ground-truth labels
  (the `sample-data/labels.json` schema: duplicate groups, near-misses, conflicts, stale and
  low-value notes, notes to keep, facts missing from the store) and every contradicted operation.
- `Evaluator(analysis, probes).report(plan, review)` (`evaluator`): each probe (`workbench.probes`)
  is asked by retrieval (the analysis's embedder, the top k notes) of the store before and after
  the approved operations. Two nets watch it: the *answer* (held by the top k, matched by the
  rules of `workbench.answers` or, with a judge, by Claude) and the *evidence* (a retrieved note
  backed by it: a note it descends from (`lineage`), its path, or a provenance turn). A regression
  is a net that held before and does not after; each is attributed to the operations that cause
  it, exactly (`attribution`): applying all operations except the attributed ones restores every
  probe. The result is a `Report` (`report`).

This is the one check of "does the store still answer": probes come from a researcher's file,
LoCoMo, the store's own notes or the sessions (`workbench.probes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .evaluator import WHY, AnswerDecider, Evaluator
from .lineage import lineage
from .report import (
    NETS,
    TOKEN_METHOD,
    Answer,
    ProbeResult,
    Report,
    compare_reports,
    context_text,
    restored,
    store_tokens,
    summary_frame,
)
from .scoring import load_labels, score

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..dream.plan import Plan
    from ..probes import Probe
    from ..review import Review


def evaluate(analysis: Analysis, plan: Plan, review: Review | None = None, probes: Sequence[Probe] | None = None,
             *, k: int = 5) -> Report:
    """The report for a plan (and decisions): probes generated from the store unless given."""
    return Evaluator(analysis, probes, k=k).report(plan, review)


__all__ = ["NETS", "TOKEN_METHOD", "WHY", "Answer", "AnswerDecider", "Evaluator", "ProbeResult", "Report",
           "compare_reports", "context_text", "evaluate", "lineage", "load_labels", "restored", "score",
           "store_tokens", "summary_frame"]
