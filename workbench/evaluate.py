"""Evaluating a dream: scoring a plan against labels, and asking the store questions before and after.

Two instruments live here:

- `score(plan, labels)`: precision and recall per phase against ground-truth labels (the
  `sample-data/labels.json` schema: duplicate groups, near-misses, conflicts, stale and
  low-value notes, notes to keep, facts missing from the store) and every contradicted operation.
- `Evaluator(analysis, probes).report(plan, review)`: each probe (`workbench.probes`) is asked by
  retrieval (the analysis's embedder, the top k notes) of the store before and after the
  approved operations. Two nets watch it: the *answer* (held by the top k, matched by the rules
  of `workbench.answers` or, with a judge, by Claude) and the *evidence* (a retrieved note backed
  by it: a note it descends from, its path, or a provenance turn). A regression is a net that
  held before and does not after; each is attributed to the operations that cause it, exactly:
  applying all operations except the attributed ones restores every probe.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .answers import F1_THRESHOLD, RULES, held, holders
from .dream.plan import Operation, Plan, apply_operations
from .errors import WorkbenchError
from .probes import Probe
from .records import Memory, Note, Store, split_notes

if TYPE_CHECKING:
    import pandas as pd

    from .analysis import Analysis
    from .review import Review



class AnswerDecider(Protocol):
    """A judge of the probes the rules leave unanswered (`workbench.judge.AnswerJudge` is one)."""

    def holds(self, probe: Probe, memories: Sequence[str]) -> bool: ...

    def summary(self) -> dict[str, Any]: ...


def load_labels(path: str | Path, dataset: str) -> dict[str, Any]:
    """One dataset's labels from a labels file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["datasets"][dataset]


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def _pairs(groups) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in combinations(sorted(g), 2)}


def score(plan: Plan, labels: Mapping[str, Any]) -> dict[str, Any]:
    """Per phase: precision and recall of what the plan did against the labels, plus contradictions."""
    notes = labels["notes"]
    merges = [op for op in plan.operations if op.kind == "merge"]
    updates = [op for op in plan.operations if op.kind == "update"]
    deletes = {t.id: op for op in plan.operations if op.kind == "delete" for t in op.targets}
    creates = [op for op in plan.operations if op.kind == "create"]
    removed_by = {t.id: op for op in merges + updates for t in op.targets
                  if op.result is None or op.result.note_id != t.id}

    true_dup = _pairs(g["notes"] for g in labels["duplicates"])
    found_dup = _pairs([t.id for t in op.targets] for op in merges)
    dup_hits = len(true_dup & found_dup)

    conflicts = labels["conflicts"]
    resolved = 0
    conflict_ops = set()
    for c in conflicts:
        value = c["latest_value"].lower()
        for op in updates:
            if c["old"] in {t.id for t in op.targets} and op.result is not None:
                text = op.result.text.lower()
                if value in text or any(w in text for w in _value_words(value)) or (c["new"] and op.result.note_id == c["new"]):
                    resolved += 1
                    conflict_ops.add(op.id)
                    break
    conflict_targets = {c["old"] for c in conflicts} | {c["new"] for c in conflicts if c["new"]}
    update_precision_hits = sum(1 for op in updates if {t.id for t in op.targets} & conflict_targets)

    stale = {s["note"] for s in labels["stale"]}
    low = set(labels["low_value"])
    pruned_ok = {n for n in deletes if n in stale | low or notes.get(n, {}).get("label") in ("stale", "low_value", "conflict_old", "duplicate")}

    keep = set(labels["keep"])
    lost_keep = sorted(n for n in keep if n in deletes or (n in removed_by and not _carried(n, removed_by[n], labels)))

    facts = labels["missing_facts"]
    found_facts = 0
    matched_creates = set()
    for fact in facts:
        for op in creates:
            text = op.result.text.lower()
            turns = {e.turn_id for e in op.evidence}
            if sum(k.lower() in text for k in fact["keywords"]) * 2 >= len(fact["keywords"]) or turns & set(fact["turns"]):
                found_facts += 1
                matched_creates.add(op.id)
                break

    contradictions = []
    for pair in labels["near_misses"]:
        for op in merges + updates:
            ids = {t.id for t in op.targets}
            if set(pair["notes"]) <= ids:
                contradictions.append(f"{op.id} {op.kind}s a near-miss pair ({pair['why']})")
    contradictions += [f"{deletes[n].id} deletes keep-note {n}" for n in sorted(keep & set(deletes))]
    contradictions += [f"{removed_by[n].id} removes keep-note {n} without carrying it" for n in lost_keep if n not in deletes]

    return {
        "duplicates": {"precision": _ratio(dup_hits, len(found_dup)), "recall": _ratio(dup_hits, len(true_dup)),
                       "groups_merged": _ratio(sum(1 for g in labels["duplicates"] if _pairs([g["notes"]]) <= found_dup),
                                               len(labels["duplicates"]))},
        "conflicts": {"precision": _ratio(update_precision_hits, len(updates)),
                      "recall": _ratio(resolved, len(conflicts))},
        "stale": {"precision": _ratio(len(set(deletes) & stale), len(set(deletes) - low) or 0) if deletes else None,
                  "recall": _ratio(len(set(deletes) & stale), len(stale))},
        "low_value": {"recall": _ratio(len(set(deletes) & low), len(low))},
        "prune": {"precision": _ratio(len(pruned_ok), len(deletes)), "recall": _ratio(len(set(deletes) & (stale | low)), len(stale | low))},
        "keep": {"kept": _ratio(len(keep) - len(lost_keep) - len(keep & set(deletes) - set(lost_keep)), len(keep))},
        "insights": {"precision": _ratio(len(matched_creates), len(creates)), "recall": _ratio(found_facts, len(facts))},
        "contradictions": contradictions,
    }


def _value_words(value: str) -> list[str]:
    words = [w.strip("`.,()") for w in value.split()]
    return [w for w in words if len(w) > 3 and w not in ("every", "after", "passes", "deploys")][:1]


def _carried(note_id: str, op, labels: Mapping[str, Any]) -> bool:
    """A keep-note removed by a merge/update is fine when its group's survivor carries the fact."""
    for group in labels["duplicates"]:
        if note_id in group["notes"] and op.result is not None and op.result.note_id in group["notes"]:
            return True
    for c in labels["conflicts"]:
        if note_id in (c["old"], c["new"]) and op.result is not None:
            return True
    return False


# --- asking the store: probes before and after a dream ---------------------------------------

TOKEN_METHOD = "estimate: UTF-8 bytes / 4 (no Claude tokenizer runs offline)"
VIEWS_KEPT = 16  # changed stores kept (with their vectors) while attributing regressions
NETS = ("answer", "retrieval")
WHY = {"answer changed": "a note backed by its evidence is retrieved but the top k no longer holds the answer",
       "displaced": "a note holding the answer is still in the store, not among the top k",
       "lost": "no note holds the answer any more",
       "evidence displaced": "a note backed by its evidence is still in the store, not among the top k",
       "evidence lost": "no note descends from its evidence any more"}


def context_text(store: Store) -> str:
    """The context an agent would load from a store: every memory's path and content."""
    return "\n\n".join(f"{m.path}\n{m.content}" for m in store.memories)


def store_tokens(store: Store) -> int:
    """Tokens of `context_text(store)`, estimated (see `TOKEN_METHOD`)."""
    from .api import approx_tokens

    return approx_tokens(context_text(store))


def _key(path: str, text: str) -> tuple[str, str]:
    return path, " ".join(text.split())


def lineage(before: Store, after: Store | Sequence[Note], operations: Iterable[Operation],
            edits: Mapping[str, str] | None = None) -> list[frozenset[str]]:
    """For each note of `after` (a store or its notes), in order, the input notes it descends from:
    the same text at the same path, or the targets of the operation whose result it is."""
    after_notes = after.notes if isinstance(after, Store) else after
    origin: dict[tuple[str, str], set[str]] = defaultdict(set)
    for note in before.notes:
        origin[_key(note.path, note.text)].add(note.id)
    whole: dict[str, set[str]] = defaultdict(set)
    for op in operations:
        if op.result is None:
            continue
        if op.result.whole_memory:  # platform plans rewrite documents: a note comes from the documents read
            paths = {t.path for t in op.targets} | {op.result.path}
            whole[op.result.path].update(n.id for n in before.notes if n.path in paths)
            continue
        text = (edits or {}).get(op.id, op.result.text)
        origin[_key(op.result.path, text)].update(t.id for t in op.targets if t.is_note)
    return [frozenset(origin.get(_key(n.path, n.text), set()) | whole.get(n.path, set())) for n in after_notes]


@dataclass(frozen=True)
class Answer:
    """How a store answered one probe: the answer held by the top k (answered, and by which rule),
    and a note backed by the probe's evidence among them (retrieved)."""

    answered: bool
    retrieved: bool  # a note backed by the evidence is among the top k
    notes: tuple[str, ...] = ()  # the notes holding the answer, else the backed ones (ids in the store asked)
    matched_by: str = ""  # exact | number | date | token_f1 | judge | evidence (no answer given); "" unanswered

    @property
    def watched(self) -> bool:
        """A net holds, so losing it would be reported: the answer is held or the evidence retrieved."""
        return self.answered or self.retrieved


def restored(before: Answer, now: Answer) -> bool:
    """Every net that held before holds now: the answer (if it was answered) and the evidence (if retrieved)."""
    return (now.answered or not before.answered) and (now.retrieved or not before.retrieved)


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
        from .probes import generate_probes

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
        """New texts in the analysis's space; one BLAS thread below 20k notes, as `analyze` (no thrashing)."""
        from threadpoolctl import threadpool_limits

        from .analysis import EXACT_LIMIT

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
        from .analysis import top_matches

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
        broken = _Attribution(self, operations, edits).run(rows) if attribute else {}
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


class _Attribution:
    """Per regression, a 1-minimal set of operations whose omission restores the probe (every net
    that held before holds again); then widened until omitting the union restores every one."""

    def __init__(self, evaluator: Evaluator, operations: Sequence[Operation], edits: Mapping[str, str]) -> None:
        self.ev = evaluator
        self.ops = list(operations)
        self.edits = edits

    def answers(self, rows: Sequence[int], excluded: frozenset[str]) -> list[Answer]:
        _, view = self.ev.after([op for op in self.ops if op.id not in excluded], self.edits)
        return self.ev.answer(view, rows)

    def holds(self, row: int, excluded: frozenset[str]) -> bool:
        return restored(self.ev.before[row], self.answers([row], excluded)[0])

    def suspects(self, row: int) -> list[str]:
        """Operations that touch a note retrieved before, or whose result is retrieved after."""
        before = {self.ev.before_view.notes[j].id for j in self.ev.top(self.ev.before_view, [row])[0]}
        _, view = self.ev.after(self.ops, self.edits)
        placed = {_key(view.notes[j].path, view.notes[j].text) for j in self.ev.top(view, [row])[0]}
        paths = {n.path for n in self.ev.before_view.notes if n.id in before}
        out = []
        for op in self.ops:
            touches = any(t.id in before or (not t.is_note and t.path in paths) for t in op.targets)
            lands = op.result is not None and _key(op.result.path, self.edits.get(op.id, op.result.text)) in placed
            if touches or lands:
                out.append(op.id)
        return out

    def shrink(self, row: int, suspects: Sequence[str], base: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Drop suspects (halves, then quarters, … then one at a time) while omitting the rest still restores."""
        needed = list(suspects)
        chunk = max(1, len(needed) // 2)
        while needed:
            for start in range(0, len(needed), chunk):
                trial = needed[:start] + needed[start + chunk:]
                if self.holds(row, base | frozenset(trial)):
                    needed = trial
                    chunk = max(1, min(chunk, len(needed) // 2))
                    break
            else:
                if chunk == 1:
                    break
                chunk = max(1, chunk // 2)
        return tuple(needed)

    def run(self, rows: Sequence[int]) -> dict[int, tuple[str, ...]]:
        broken: dict[int, tuple[str, ...]] = {}
        everything = [op.id for op in self.ops]
        for row in rows:
            suspects = self.suspects(row)
            if not (suspects and self.holds(row, frozenset(suspects))):
                suspects = everything  # omitting every operation gives back the input store
            broken[row] = self.shrink(row, suspects)
        for _ in range(len(self.ops) + 1):  # the union grows on every round, so this ends
            union = frozenset(x for ids in broken.values() for x in ids)
            failing = [r for r, a in zip(rows, self.answers(rows, union)) if not restored(self.ev.before[r], a)]
            if not failing:
                break
            rest = [i for i in everything if i not in union]
            broken[failing[0]] += self.shrink(failing[0], rest, base=union)
        return {row: tuple(i for i in everything if i in set(ids)) for row, ids in broken.items()}


@dataclass(frozen=True)
class ProbeResult:
    """One probe before and after; `broken_by` names the operations behind a regression of either net."""

    probe: Probe
    before: Answer
    after: Answer
    broken_by: tuple[str, ...] = ()
    why: str = ""

    @property
    def answer_regression(self) -> bool:
        """The top k held the answer before and does not after."""
        return self.before.answered and not self.after.answered

    @property
    def retrieval_regression(self) -> bool:
        """A note backed by the evidence was among the top k before and none is after."""
        return self.before.retrieved and not self.after.retrieved

    @property
    def regression(self) -> bool:
        return self.answer_regression or self.retrieval_regression

    @property
    def gain(self) -> bool:
        return self.after.answered and not self.before.answered

    @property
    def matched_by(self) -> str:
        """The rule that found the answer before (after, for a gain); "" when it was never found."""
        return self.before.matched_by or self.after.matched_by

    @property
    def nets(self) -> tuple[str, ...]:
        """How the probe is judged: by its answer, by its evidence, or both."""
        return tuple(net for net, has in zip(NETS, (self.probe.answers, self.probe.evidence)) if has)

    def to_dict(self) -> dict[str, Any]:
        return {**self.probe.to_dict(), "nets": list(self.nets), "matched_by": self.matched_by,
                "answered_before": self.before.answered, "answered_after": self.after.answered,
                "matched_before": self.before.matched_by, "matched_after": self.after.matched_by,
                "retrieved_before": self.before.retrieved, "retrieved_after": self.after.retrieved,
                "regression": [net for net, hit in zip(NETS, (self.answer_regression, self.retrieval_regression))
                               if hit],
                "broken_by": list(self.broken_by), "why": self.why,
                "notes_before": list(self.before.notes), "notes_after": list(self.after.notes)}


@dataclass
class Report:
    """Probes answered and retrieved before and after a set of operations, regressions with their causes, size."""

    k: int
    results: list[ProbeResult]
    notes: tuple[int, int]
    memories: tuple[int, int]
    tokens: tuple[int, int]
    operations: dict[str, Operation] = field(default_factory=dict)
    seconds: float = 0.0
    attributed: bool = True
    judge: dict[str, Any] | None = None  # the judge's calls, usage and cost, when one answered

    @property
    def regressions(self) -> list[ProbeResult]:
        """Probes that lost their answer, their evidence, or both."""
        return [r for r in self.results if r.regression]

    @property
    def answer_regressions(self) -> list[ProbeResult]:
        return [r for r in self.results if r.answer_regression]

    @property
    def retrieval_regressions(self) -> list[ProbeResult]:
        return [r for r in self.results if r.retrieval_regression]

    @property
    def gains(self) -> list[ProbeResult]:
        return [r for r in self.results if r.gain]

    @property
    def answered(self) -> tuple[int, int]:
        return (sum(r.before.answered for r in self.results), sum(r.after.answered for r in self.results))

    @property
    def retrieved(self) -> tuple[int, int]:
        return (sum(r.before.retrieved for r in self.results), sum(r.after.retrieved for r in self.results))

    @property
    def breaks(self) -> dict[str, list[str]]:
        """Operation id → the probes it breaks (what review cards show and automatic approval skips)."""
        out: dict[str, list[str]] = {}
        for r in self.results:
            for op_id in r.broken_by:
                out.setdefault(op_id, []).append(r.probe.id)
        return out

    def _side(self, i: int) -> dict[str, Any]:
        side = [(r.before if i == 0 else r.after) for r in self.results]
        rules = Counter(a.matched_by for a in side if a.answered)
        return {"answered": sum(a.answered for a in side), "retrieved": sum(a.retrieved for a in side),
                "watched": sum(a.watched for a in side), "matched_by": {rule: rules[rule] for rule in (*RULES, "evidence") if rules[rule]},
                "probes": len(self.results), "notes": self.notes[i], "memories": self.memories[i],
                "tokens": self.tokens[i]}

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON: before/after counts, both nets' regressions, tokens, breaking operations, every probe."""
        ops = self.operations
        return {
            "k": self.k, "probes_total": len(self.results),
            "sources": dict(sorted(Counter(r.probe.source for r in self.results).items())),
            "nets": {net: sum(net in r.nets for r in self.results) for net in NETS},
            "matching": {"rules": list(RULES), "f1_threshold": F1_THRESHOLD},
            "before": self._side(0), "after": self._side(1),
            "tokens": {"before": self.tokens[0], "after": self.tokens[1], "saved": self.tokens[0] - self.tokens[1],
                       "method": TOKEN_METHOD},
            "regressions": [r.probe.id for r in self.regressions],
            "answer_regressions": [r.probe.id for r in self.answer_regressions],
            "retrieval_regressions": [r.probe.id for r in self.retrieval_regressions],
            "gains": [r.probe.id for r in self.gains],
            "operations_applied": len(ops), "attributed": self.attributed,
            "operations": {op_id: {"kind": ops[op_id].kind, "reason": ops[op_id].reason, "breaks": ids}
                           for op_id, ids in self.breaks.items()},
            "judge": self.judge,
            "seconds": self.seconds,
            "probes": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def summary(self) -> dict[str, Any]:
        """The numbers a header shows."""
        before, after = self.answered
        return {"probes": len(self.results), "answered_before": before, "answered_after": after,
                "retrieved_before": self.retrieved[0], "retrieved_after": self.retrieved[1],
                "regressions": len(self.regressions), "answer_regressions": len(self.answer_regressions),
                "retrieval_regressions": len(self.retrieval_regressions), "gains": len(self.gains),
                "tokens_before": self.tokens[0], "tokens_after": self.tokens[1],
                "notes_before": self.notes[0], "notes_after": self.notes[1]}

    def frame(self) -> pd.DataFrame:
        """One row per probe, indexed by probe id."""
        import pandas as pd

        columns = ["id", "question", "answer", "source", "category", "matched_by", "answered_before",
                   "answered_after", "retrieved_before", "retrieved_after", "why", "broken_by"]
        rows = [{"id": r.probe.id, "question": r.probe.question, "answer": " | ".join(r.probe.answers),
                 "source": r.probe.source, "category": r.probe.category, "matched_by": r.matched_by,
                 "answered_before": r.before.answered, "answered_after": r.after.answered,
                 "retrieved_before": r.before.retrieved, "retrieved_after": r.after.retrieved,
                 "why": r.why, "broken_by": list(r.broken_by)} for r in self.results]
        return pd.DataFrame(rows, columns=columns).set_index("id")

    def regressions_frame(self) -> pd.DataFrame:
        """The regressions of either net with what broke them: operation ids, kinds and reasons, and why."""
        frame = self.frame()
        lost_answer = frame.answered_before & ~frame.answered_after
        lost_evidence = frame.retrieved_before & ~frame.retrieved_after
        frame = frame.assign(net=["answer and retrieval" if a and e else "answer" if a else "retrieval"
                                  for a, e in zip(lost_answer, lost_evidence)])[lost_answer | lost_evidence]
        frame = frame.drop(columns=["answered_before", "answered_after", "retrieved_before", "retrieved_after"])
        frame["operations"] = [", ".join(f"{self.operations[i].kind}/{self.operations[i].reason}" for i in ids
                                         if i in self.operations) for ids in frame.broken_by]
        return frame


def evaluate(analysis: Analysis, plan: Plan, review: Review | None = None, probes: Sequence[Probe] | None = None,
             *, k: int = 5) -> Report:
    """The report for a plan (and decisions): probes generated from the store unless given."""
    return Evaluator(analysis, probes, k=k).report(plan, review)


def compare_reports(reports: Mapping[str, Report]) -> pd.DataFrame:
    """Two or more plans on the same probes, side by side: answered before, and per plan answered after and broken_by."""
    import pandas as pd

    items = list(reports.items())
    if not items:
        raise WorkbenchError("give at least one report to compare")
    ids = [r.probe.id for r in items[0][1].results]
    for name, report in items[1:]:
        if [r.probe.id for r in report.results] != ids:
            raise WorkbenchError(f"report {name!r} was made on other probes; compare plans on the same probes")
    first = items[0][1].results
    frame = pd.DataFrame({"question": [r.probe.question for r in first],
                          "answered_before": [r.before.answered for r in first]}, index=pd.Index(ids, name="id"))
    for name, report in items:
        frame[f"{name}: after"] = [r.after.answered for r in report.results]
        frame[f"{name}: broken_by"] = [list(r.broken_by) for r in report.results]
    return frame


def summary_frame(reports: Mapping[str, Report]) -> pd.DataFrame:
    """One row per plan: probes answered before/after, regressions, gains, notes and tokens before/after."""
    import pandas as pd

    return pd.DataFrame([{"plan": name, **r.summary()} for name, r in reports.items()]).set_index("plan")
