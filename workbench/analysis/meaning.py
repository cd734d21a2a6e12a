"""How alike two notes are in meaning, where words alone cannot say: a sentence model's cosine.

TF-IDF sees shared words; all-MiniLM-L6-v2 (`workbench.minilm`, the `minilm` extra) also sees paraphrases that
share few ("Bins to the curb the evening before the Monday collection" ↔ "Trash and recycling go out Sunday
night"). It is read only for the notes of pairs that differ in words (`kind == "different"`, neither under
different parents nor about different subjects: those the rules settle by structure), once per analysis (and
once per text on disk, in the embedding cache), only where the extra is installed and there are at most
`MEANING_NOTES` such notes (`$WORKBENCH_MEANING_NOTES`, 0 for none); else nothing is read (None), never a part of them. With the minilm embedder the
analysis's own vectors are the reading.

    meaning_cosine(analysis, "m0#3", "m2#1")   # 0.81, or None
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from ..embed import EmbeddingCache
from ..errors import LimitError
from ..minilm import MiniLMEmbedder, minilm_available
from .core import Analysis
from .memo import memoized

# beyond this many notes to read, none is read: 4–12 s per 1,000 on 2 cores, once per text; 0 turns the reading off
MEANING_NOTES = 1_000


def meaning_limit() -> int:
    """The most notes the model may read: `$WORKBENCH_MEANING_NOTES` (a whole number ≥ 0), else `MEANING_NOTES`."""
    raw = os.environ.get("WORKBENCH_MEANING_NOTES", "").strip()
    if not raw:
        return MEANING_NOTES
    if not raw.isdigit():
        raise LimitError(f"WORKBENCH_MEANING_NOTES must be a whole number of notes (0 turns the reading off), "
                         f"not {raw!r}")
    return int(raw)


def meaning_cosine(analysis: Analysis, a: str, b: str) -> float | None:
    """The sentence model's cosine of notes `a` and `b`, or None where it is not read."""
    vectors = memoized(analysis, "meaning", lambda: _vectors(analysis))
    if vectors is None or a not in vectors or b not in vectors:
        return None
    return float(vectors[a] @ vectors[b])


def _vectors(analysis: Analysis) -> dict[str, np.ndarray] | None:
    pairs = analysis.pairs
    if pairs is None or not len(pairs):
        return None
    differ = pairs[(pairs["kind"] == "different") & ~pairs["subjects_differ"] & ~pairs["parents_differ"]]
    ids = sorted(set(differ["older"]) | set(differ["newer"]))
    if not ids or len(ids) > meaning_limit():
        return None
    if analysis.embedder_id.startswith("minilm"):
        row = {note_id: i for i, note_id in enumerate(analysis.note_ids)}
        return {i: analysis.vectors[row[i]] for i in ids}
    if not minilm_available():
        return None
    texts = [analysis.corpus.note_by_id[i].text for i in ids]
    return dict(zip(ids, EmbeddingCache().embed(_model(), texts).astype(np.float64)))  # on disk: once per text


@lru_cache(maxsize=1)
def _model() -> MiniLMEmbedder:
    """One model per process: its ONNX session is made once."""
    return MiniLMEmbedder()
