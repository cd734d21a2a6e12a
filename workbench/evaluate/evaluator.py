"""The evaluator: probes asked of a store and of its dreamt versions, in the analysis's embedding space.

    evaluator = Evaluator(analysis, probes, k=5)
    report = evaluator.report(plan, review)      # a `Report`; review=None: every operation applied
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..answers import held, holders
from ..dream.plan import Operation, Plan, apply_operations
from ..errors import WorkbenchError
from ..probes import Probe
from ..records import Memory, Note, Store, split_notes
from .attribution import Attribution
from .lineage import lineage
from .report import Answer, ProbeResult, Report, restored, store_tokens

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..review import Review

VIEWS_KEPT = 16  # changed stores kept (with their vectors) while attributing regressions
WHY = {"answer changed": "a note backed by its evidence is retrieved but the top k no longer holds the answer",
       "displaced": "a note holding the answer is still in the store, not among the top k",
       "lost": "no note holds the answer any more",
       "evidence displaced": "a note backed by its evidence is still in the store, not among the top k",
       "evidence lost": "no note descends from its evidence any more"}


class AnswerDecider(Protocol):
    """A judge of the probes the rules leave unanswered (`workbench.judge.AnswerJudge` is one)."""

    def holds(self, probe: Probe, memories: Sequence[str]) -> bool: ...

    def summary(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _Evidence:
    notes: frozenset[str]
    paths: frozenset[str]
    turns: frozenset[str]

    @classmethod
    def of(cls, probe: Probe, note_ids: set[str]) -> _Evidence:
        items = set(probe.evidence)
        notes = {i for i in items if i in note_ids}
        paths = {i for i in items - notes if i.startswith("/")}
        return cls(frozenset(notes), frozenset(paths), frozenset(items - notes - paths))


@dataclass(frozen=True)
class _View:
    """A store as retrieval sees it: notes, their vectors, the input notes each descends from, and
    when each was written (an input note's time; a changed note's earliest ancestor's)."""

    notes: tuple[Note, ...]
    vectors: np.ndarray
    lineage: tuple[frozenset[str], ...]
    written: tuple[datetime | None, ...]


class Evaluator:
    """Asks probes of a store and of its dreamt versions, in the analysis's embedding space.

        evaluator = Evaluator(analysis, probes, k=5)   # stores its inputs; the work is done when asked
        report = evaluator.report(plan, review)      # review=None: every operation applied

    Two nets watch each probe: the answer (held by the top k notes, `workbench.answers`; with a
    `judge`, Claude decides what the rules leave unanswered) and its evidence (a backed note among
    the top k). A probe without an answer is watched by its evidence only, one without evidence by
    its answer only.
    """

    def __init__(self, analysis: Analysis, probes: Sequence[Probe] | None = None, *, k: int = 5,
                 judge: AnswerDecider | None = None) -> None:
        if k < 1:
            raise WorkbenchError(f"k must be at least 1, got {k}", field="k")
        self.analysis = analysis
        self.store = analysis.corpus.store
        self.k = k
        self.judge = judge
        self._given = None if probes is None else list(probes)
        self._views: dict[tuple, tuple[Store, _View]] = {}
        self._notes: dict[tuple, tuple[Note, ...]] = {}

    @cached_property
    def probes(self) -> list[Probe]:
        """The probes given, or one generated per note that states a value."""
        from ..probes import generate_probes

        return generate_probes(self.store) if self._given is None else self._given

    @cached_property
    def _evidence(self) -> list[_Evidence]:
        ids = {n.id for n in self.store.notes}
        return [_Evidence.of(p, ids) for p in self.probes]

    @cached_property
    def _vectors(self) -> dict[str, np.ndarray]:
        return {n.text: self.analysis.vectors[i] for i, n in enumerate(self.analysis.corpus.notes)}

    @cached_property
    def _dim(self) -> int:
        return int(self.analysis.vectors.shape[1]) if self.analysis.vectors.ndim == 2 else 0

    @cached_property
    def _queries(self) -> np.ndarray:
        return self._embed_new([p.question for p in self.probes])

    @cached_property
    def before_view(self) -> _View:
        """The input store as retrieval sees it."""
        notes = tuple(self.store.notes)
        return _View(notes, self._embed([n.text for n in notes]), tuple(frozenset({n.id}) for n in notes),
                     tuple(n.created_at for n in notes))

    @cached_property
    def before(self) -> list[Answer]:
        """How the input store answers each probe."""
        return self.answer(self.before_view)

    @cached_property
    def tokens_before(self) -> int:
        return store_tokens(self.store)

    # -- embedding and retrieval
    def _embed_new(self, texts: list[str]) -> np.ndarray:
        """New texts in the analysis's space, on one BLAS thread as `analyze` (no thrashing)."""
        from threadpoolctl import threadpool_limits

        from ..analysis import EXACT_LIMIT

        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        with threadpool_limits(limits=1 if len(self.analysis.note_ids) < EXACT_LIMIT else None):
            return self.analysis.embed(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self._vectors})
        self._vectors.update(zip(missing, self._embed_new(missing)))
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, self._dim), dtype=np.float32)

    def top(self, view: _View, rows: Sequence[int]) -> np.ndarray:
        """The indices of the top-k notes of `view` for each probe row."""
        from ..analysis import top_matches

        return top_matches(self._queries[list(rows)], view.vectors, self.k)[0]

    def _backed(self, view: _View, j: int, evidence: _Evidence) -> bool:
        note = view.notes[j]
        return bool(view.lineage[j] & evidence.notes or note.path in evidence.paths
                    or evidence.turns.intersection(note.evidence))

    def answer(self, view: _View, rows: Iterable[int] | None = None) -> list[Answer]:
        """How `view` answers each probe (all, or the given rows)."""
        rows = list(range(len(self.probes)) if rows is None else rows)
        if not rows:
            return []
        return [self._ask(view, row, [int(j) for j in hits]) for row, hits in zip(rows, self.top(view, rows))]

    def _ask(self, view: _View, row: int, hits: list[int]) -> Answer:
        """One probe against its top-k notes: both nets, and the rule that found the answer."""
        probe = self.probes[row]
        backed = [j for j in hits if self._backed(view, j, self._evidence[row])]
        if not probe.answers:
            return Answer(bool(backed), bool(backed), self._ids(view, backed), "evidence" if backed else "")
        notes = [(view.notes[j].text, view.written[j]) for j in hits]
        rule = held(probe.answers, notes)
        if rule is None and self.judge is not None:
            rule = "judge" if self.judge.holds(probe, [text for text, _ in notes]) else None
        holding = [j for j, note in zip(hits, notes) if holders(probe.answers, [note])] if rule else []
        return Answer(rule is not None, bool(backed), self._ids(view, holding or backed), rule or "")

    @staticmethod
    def _ids(view: _View, rows: Iterable[int]) -> tuple[str, ...]:
        return tuple(view.notes[j].id for j in rows)

    def after(self, operations: Sequence[Operation], edits: Mapping[str, str] | None = None) -> tuple[Store, _View]:
        """The store after `operations` (edits replace results) and its view; recent ones are kept."""
        applied = {op.id for op in operations}
        edits = {k: v for k, v in (edits or {}).items() if k in applied}
        key = (tuple(op.id for op in operations), tuple(sorted(edits.items())))
        if key not in self._views:
            if len(self._views) >= VIEWS_KEPT:
                self._views.pop(next(iter(self._views)))
            store = apply_operations(self.store, operations, edits=edits)
            notes = tuple(n for m in store.memories for n in self._split(m))
            origins = tuple(lineage(self.store, notes, operations, edits))
            self._views[key] = (store, _View(notes, self._embed([n.text for n in notes]), origins,
                                             tuple(self._written(n, o) for n, o in zip(notes, origins))))
        return self._views[key]

    @cached_property
    def _times(self) -> dict[str, datetime]:
        return {n.id: n.created_at for n in self.store.notes}

    def _written(self, note: Note, origin: frozenset[str]) -> datetime:
        """When a note of a changed store was written: its earliest input ancestor's time, else its own."""
        times = [self._times[i] for i in origin if i in self._times]
        return min(times) if times else note.created_at

    def _split(self, memory: Memory) -> tuple[Note, ...]:
        """A memory's notes, split once per (id, path, content, time, provenance): trials share most documents."""
        key = (memory.id, memory.path, memory.content, memory.updated_at,
               tuple(sorted((k, tuple(v)) for k, v in memory.provenance.items())))
        if key not in self._notes:
            self._notes[key] = tuple(split_notes(memory))
        return self._notes[key]

    # -- the report
    def report(self, plan: Plan, review: Review | None = None, *, attribute: bool = True) -> Report:
        """Probes answered and retrieved before and after the approved operations (all of the plan's
        without a review), regressions of either net attributed to the operations that cause them."""
        start = time.perf_counter()
        operations = review.approved_operations() if review is not None else list(plan.operations)
        edits = review.edits() if review is not None else {}
        store, view = self.after(operations, edits)
        after = self.answer(view)
        rows = [i for i, (b, a) in enumerate(zip(self.before, after)) if not restored(b, a)]
        broken = Attribution(self, operations, edits).run(rows) if attribute else {}
        regressed = set(rows)
        results = [ProbeResult(p, b, a, broken.get(i, ()), self._why(view, i, b, a) if i in regressed else "")
                   for i, (p, b, a) in enumerate(zip(self.probes, self.before, after))]
        return Report(self.k, results, (len(self.store.notes), len(store.notes)),
                      (len(self.store.memories), len(store.memories)), (self.tokens_before, store_tokens(store)),
                      {op.id: op for op in operations}, round(time.perf_counter() - start, 4), attribute,
                      self.judge.summary() if self.judge is not None else None)

    def _why(self, view: _View, row: int, before: Answer, answer: Answer) -> str:
        """Which of `WHY` describes a regression (of the answer when it was lost, else of the evidence)."""
        probe, evidence = self.probes[row], self._evidence[row]
        if before.answered and not answer.answered:
            if answer.retrieved:
                return "answer changed"
            present = held(probe.answers, list(zip((n.text for n in view.notes), view.written))) \
                if probe.answers else any(self._backed(view, j, evidence) for j in range(len(view.notes)))
            return "displaced" if present else "lost"
        present = any(self._backed(view, j, evidence) for j in range(len(view.notes)))
        return "evidence displaced" if present else "evidence lost"
