"""Resuming a review: decisions already made on a plan are continued, never overwritten.

A person's decisions are worth more than any automatic pass, so a review about to be written to
a file that already holds decisions on the same plan starts from them::

    resumed = resume_review(plan, "decisions.json")          # the file's decisions, if it has any
    resumed.review.auto()                                      # decides only what is still pending
    resumed.review.save("decisions.json")

A file that exists but holds no decisions on this plan (another plan's, or not decisions at all)
is refused rather than replaced. `workbench review` does exactly this before deciding anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .dream.plan import Plan
from .errors import WorkbenchError
from .files import quote
from .review import Guardrail, Review


class Resumed(NamedTuple):
    """The review to continue, and the file it was resumed from without being named (None otherwise)."""

    review: Review
    resumed_from: str | None = None


def resume_review(plan: Plan, out: str | Path, *, decisions: str | Path | None = None,
                  guardrail: Guardrail | None = None) -> Resumed:
    """The review to continue on `plan` before writing it to `out`.

    `decisions` given: the review saved there (refused if made on another plan). Otherwise an
    existing `out` holding decisions on this plan is resumed, and anything else at `out` is
    refused; with no file there, a new review under `guardrail` (a resumed review keeps its own).
    """
    if decisions:
        return Resumed(Review.load(plan, decisions))
    if not os.path.exists(out):
        return Resumed(Review(plan, guardrail=guardrail or Guardrail()))
    try:
        review = Review.load(plan, out)
    except WorkbenchError as exc:
        raise WorkbenchError(f"{quote(out)} exists and holds no decisions on this plan ({exc.message}); write to "
                             "another file, or name it as the decisions to resume (--decisions, decisions=)") from None
    return Resumed(review, str(out))


__all__ = ["Resumed", "resume_review"]
