"""Where `analyze` spends its time: the real function, with its steps wrapped by timers.

`analyze` looks its helpers up in `workbench.analysis.core` at call time, so wrapping those names
times each step of the real code path (exclusive time: a step called inside another counts
once, for itself). Steps that do not exist (the package changed) are simply not timed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from workbench import embed as E
from workbench.analysis import core as A

STEPS = {
    "extract_statements": "statements", "proper_nouns": "profiles", "make_profile": "profiles",
    "atom_weights": "profiles", "nearest": "neighbours", "note_pairs": "note pairs (compare)",
    "relate_statements": "statement ↔ note (compare)", "topics": "topics", "project": "PCA map",
}


@contextmanager
def timing_phases() -> Iterator[dict[str, float]]:
    """Within the block, `analyze` steps add their exclusive seconds to the yielded dict."""
    totals: dict[str, float] = defaultdict(float)
    stack: list[float] = []  # time spent in children of the frame being timed

    def wrap(fn, label):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                children = stack.pop()
                totals[label] += elapsed - children
                if stack:
                    stack[-1] += elapsed
        return timed

    saved = []
    for name, label in STEPS.items():
        if callable(getattr(A, name, None)):
            saved.append((A, name, getattr(A, name)))
            setattr(A, name, wrap(getattr(A, name), label))
    for cls, name, label in ((E.EmbeddingCache, "embed", "embed (transform)"),
                             (E.TfidfEmbedder, "_fit_now", "tfidf fit (vocabulary + SVD)")):
        if callable(getattr(cls, name, None)):
            saved.append((cls, name, getattr(cls, name)))
            setattr(cls, name, wrap(getattr(cls, name), label))
    try:
        yield totals
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)
