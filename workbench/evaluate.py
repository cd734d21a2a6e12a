"""Evaluating a dream: scoring a plan against labels, and asking the store questions before and after.

Two instruments live here:

- `score(plan, labels)`: precision and recall per phase against ground-truth labels (the
  `sample-data/labels.json` schema: duplicate groups, near-misses, conflicts, stale and
  low-value notes, notes to keep, facts missing from the store) and every contradicted operation.
- `Evaluator(analysis, probes).report(plan, review)`: each probe (`workbench.probes`) is asked by
  retrieval (the analysis's embedder, the top k notes) of the store before and after the
  approved operations; a probe is *answered* when a retrieved note is backed by its evidence
  (a note it descends from, its path, or a provenance turn) and contains an acceptable answer.
  Every regression (answered before, not after) is attributed to the operations that cause it,
  exactly: applying all operations except the attributed ones answers every probe again.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .dream.plan import Operation, Plan, apply_operations
from .errors import WorkbenchError
from .probes import Probe, contains_answer
from .records import Memory, Note, Store, split_notes

if TYPE_CHECKING:
    import pandas as pd

    from .analysis import Analysis
    from .review import Review


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
WHY = {"answer changed": "a note backed by its evidence is retrieved but no longer holds the answer",
       "displaced": "a note backed by its evidence and holding the answer is still there, not among the top k",
       "lost": "no note backed by its evidence holds the answer any more"}


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
    """How a store answered one probe: answered (backed and holding the answer), or only retrieved."""

    answered: bool
    retrieved: bool  # a note backed by the evidence is among the top k
    notes: tuple[str, ...] = ()  # those notes (ids in the store asked)


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
    """A store as retrieval sees it: notes, their vectors, and the input notes each descends from."""

    notes: tuple[Note, ...]
    vectors: np.ndarray
    lineage: tuple[frozenset[str], ...]


class Evaluator:
    """Asks probes of a store and of its dreamt versions, in the analysis's embedding space.

        evaluator = Evaluator(analysis, probes, k=5)
        report = evaluator.report(plan, review)      # review=None: every operation applied
    """

    def __init__(self, analysis: Analysis, probes: Sequence[Probe] | None = None, *, k: int = 5) -> None:
        from .probes import generate_probes

        if k < 1:
            raise WorkbenchError(f"k must be at least 1, got {k}", field="k")
        self.analysis = analysis
        self.store = analysis.corpus.store
        self.probes = list(generate_probes(self.store) if probes is None else probes)
        self.k = k
        ids = {n.id for n in self.store.notes}
        self._evidence = [_Evidence.of(p, ids) for p in self.probes]
        self._vectors = {n.text: analysis.vectors[i] for i, n in enumerate(analysis.corpus.notes)}
        self._dim = int(analysis.vectors.shape[1]) if analysis.vectors.ndim == 2 else 0
        self._queries = self._embed_new([p.question for p in self.probes])
        self._views: dict[tuple, tuple[Store, _View]] = {}
        self._notes: dict[tuple, tuple[Note, ...]] = {}
        notes = tuple(self.store.notes)
        self.before_view = _View(notes, self._embed([n.text for n in notes]), tuple(frozenset({n.id}) for n in notes))
        self.before = self.answer(self.before_view)
        self.tokens_before = store_tokens(self.store)

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
        out = []
        for row, hits in zip(rows, self.top(view, rows)):
            probe, evidence = self.probes[row], self._evidence[row]
            backed = [j for j in hits if self._backed(view, j, evidence)]
            good = [j for j in backed if not probe.answers or contains_answer(view.notes[j].text, probe.answers)]
            out.append(Answer(bool(good), bool(backed), tuple(view.notes[j].id for j in good or backed)))
        return out

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
            self._views[key] = (store, _View(notes, self._embed([n.text for n in notes]),
                                             tuple(lineage(self.store, notes, operations, edits))))
        return self._views[key]

    def _split(self, memory: Memory) -> tuple[Note, ...]:
        """A memory's notes, split once per (id, path, content, time, provenance): trials share most documents."""
        key = (memory.id, memory.path, memory.content, memory.updated_at,
               tuple(sorted((k, tuple(v)) for k, v in memory.provenance.items())))
        if key not in self._notes:
            self._notes[key] = tuple(split_notes(memory))
        return self._notes[key]

    # -- the report
    def report(self, plan: Plan, review: Review | None = None, *, attribute: bool = True) -> Report:
        """Probes answered before and after the approved operations (all of the plan's without a
        review), regressions attributed to the operations that cause them, notes and tokens."""
        start = time.perf_counter()
        operations = review.approved_operations() if review is not None else list(plan.operations)
        edits = review.edits() if review is not None else {}
        store, view = self.after(operations, edits)
        after = self.answer(view)
        rows = [i for i, (b, a) in enumerate(zip(self.before, after)) if b.answered and not a.answered]
        broken = _Attribution(self, operations, edits).run(rows) if attribute else {}
        results = [ProbeResult(p, b, a, broken.get(i, ()), self._why(view, i, a) if i in rows else "")
                   for i, (p, b, a) in enumerate(zip(self.probes, self.before, after))]
        return Report(self.k, results, (len(self.store.notes), len(store.notes)),
                      (len(self.store.memories), len(store.memories)), (self.tokens_before, store_tokens(store)),
                      {op.id: op for op in operations}, round(time.perf_counter() - start, 4), attribute)

    def _why(self, view: _View, row: int, answer: Answer) -> str:
        """Which of `WHY` describes a regression."""
        if answer.retrieved:
            return "answer changed"
        probe, evidence = self.probes[row], self._evidence[row]
        present = any(self._backed(view, j, evidence) and (not probe.answers or contains_answer(n.text, probe.answers))
                      for j, n in enumerate(view.notes))
        return "displaced" if present else "lost"


class _Attribution:
    """Per regression, a 1-minimal set of operations whose omission answers the probe again;
    then widened until omitting the union of all of them answers every regressed probe."""

    def __init__(self, evaluator: Evaluator, operations: Sequence[Operation], edits: Mapping[str, str]) -> None:
        self.ev = evaluator
        self.ops = list(operations)
        self.edits = edits

    def answers(self, rows: Sequence[int], excluded: frozenset[str]) -> list[Answer]:
        _, view = self.ev.after([op for op in self.ops if op.id not in excluded], self.edits)
        return self.ev.answer(view, rows)

    def holds(self, row: int, excluded: frozenset[str]) -> bool:
        return self.answers([row], excluded)[0].answered

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
        """Drop suspects (halves, then quarters, … then one at a time) while omitting the rest still answers."""
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
            failing = [r for r, a in zip(rows, self.answers(rows, union)) if not a.answered]
            if not failing:
                break
            rest = [i for i in everything if i not in union]
            broken[failing[0]] += self.shrink(failing[0], rest, base=union)
        return {row: tuple(i for i in everything if i in set(ids)) for row, ids in broken.items()}


@dataclass(frozen=True)
class ProbeResult:
    """One probe before and after; `broken_by` names the operations behind a regression."""

    probe: Probe
    before: Answer
    after: Answer
    broken_by: tuple[str, ...] = ()
    why: str = ""

    @property
    def regression(self) -> bool:
        return self.before.answered and not self.after.answered

    @property
    def gain(self) -> bool:
        return self.after.answered and not self.before.answered

    def to_dict(self) -> dict[str, Any]:
        return {**self.probe.to_dict(), "answered_before": self.before.answered,
                "answered_after": self.after.answered, "retrieved_before": self.before.retrieved,
                "retrieved_after": self.after.retrieved, "broken_by": list(self.broken_by), "why": self.why,
                "notes_before": list(self.before.notes), "notes_after": list(self.after.notes)}


@dataclass
class Report:
    """Probes answered before and after a set of operations, regressions with their causes, size."""

    k: int
    results: list[ProbeResult]
    notes: tuple[int, int]
    memories: tuple[int, int]
    tokens: tuple[int, int]
    operations: dict[str, Operation] = field(default_factory=dict)
    seconds: float = 0.0
    attributed: bool = True

    @property
    def regressions(self) -> list[ProbeResult]:
        return [r for r in self.results if r.regression]

    @property
    def gains(self) -> list[ProbeResult]:
        return [r for r in self.results if r.gain]

    @property
    def answered(self) -> tuple[int, int]:
        return (sum(r.before.answered for r in self.results), sum(r.after.answered for r in self.results))

    @property
    def breaks(self) -> dict[str, list[str]]:
        """Operation id → the probes it breaks (what review cards show and automatic approval skips)."""
        out: dict[str, list[str]] = {}
        for r in self.results:
            for op_id in r.broken_by:
                out.setdefault(op_id, []).append(r.probe.id)
        return out

    def _side(self, i: int) -> dict[str, int]:
        side = [(r.before if i == 0 else r.after) for r in self.results]
        return {"answered": sum(a.answered for a in side), "retrieved": sum(a.retrieved for a in side),
                "probes": len(self.results), "notes": self.notes[i], "memories": self.memories[i],
                "tokens": self.tokens[i]}

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON: before/after counts, tokens, operations that break probes, every probe."""
        ops = self.operations
        return {
            "k": self.k, "probes_total": len(self.results),
            "sources": dict(sorted(Counter(r.probe.source for r in self.results).items())),
            "before": self._side(0), "after": self._side(1),
            "tokens": {"before": self.tokens[0], "after": self.tokens[1], "saved": self.tokens[0] - self.tokens[1],
                       "method": TOKEN_METHOD},
            "regressions": [r.probe.id for r in self.regressions], "gains": [r.probe.id for r in self.gains],
            "operations_applied": len(ops), "attributed": self.attributed,
            "operations": {op_id: {"kind": ops[op_id].kind, "reason": ops[op_id].reason, "breaks": ids}
                           for op_id, ids in self.breaks.items()},
            "seconds": self.seconds,
            "probes": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def summary(self) -> dict[str, Any]:
        """The numbers a header shows."""
        before, after = self.answered
        return {"probes": len(self.results), "answered_before": before, "answered_after": after,
                "regressions": len(self.regressions), "gains": len(self.gains),
                "tokens_before": self.tokens[0], "tokens_after": self.tokens[1],
                "notes_before": self.notes[0], "notes_after": self.notes[1]}

    def frame(self) -> pd.DataFrame:
        """One row per probe, indexed by probe id."""
        import pandas as pd

        rows = [{"id": r.probe.id, "question": r.probe.question, "answer": " | ".join(r.probe.answers),
                 "source": r.probe.source, "category": r.probe.category,
                 "answered_before": r.before.answered, "answered_after": r.after.answered,
                 "why": r.why, "broken_by": list(r.broken_by)} for r in self.results]
        return pd.DataFrame(rows, columns=["id", "question", "answer", "source", "category", "answered_before",
                                           "answered_after", "why", "broken_by"]).set_index("id")

    def regressions_frame(self) -> pd.DataFrame:
        """The regressions with what broke them: operation ids, kinds and reasons, and why."""
        frame = self.frame()
        frame = frame[frame.answered_before & ~frame.answered_after].drop(columns=["answered_before", "answered_after"])
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
