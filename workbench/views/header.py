"""What the workbench's header counts: the store, what analysis found, and the review's decisions."""

from __future__ import annotations

from ..analysis import Analysis
from ..findings import findings
from ..review import Review


def header_counts(analysis: Analysis, review: Review | None = None) -> dict[str, int | str]:
    """Memories, notes and sessions; with a review, also duplicate groups, conflicts and its decisions
    (edited operations apart from approved ones, as the review counts them)."""
    corpus = analysis.corpus
    counts: dict[str, int | str] = {"memories": len(corpus.memories), "notes": len(analysis.note_ids),
                                    "sessions": len(corpus.sessions)}
    if review is None:
        return counts
    found = findings(analysis)
    decided = review.counts()
    counts.update({"duplicate groups": len(found.duplicates), "conflicts": len(found.conflicts),
                   "operations": decided["operations"], "pending": decided["pending"],
                   "approved": decided["approve"], "edited": decided["edit"]})
    if decided["questions"]:
        counts["questions answered"] = f"{decided['answered']:,} of {decided['questions']:,}"
    return counts
