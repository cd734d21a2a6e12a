"""Offline dreams over more than 100 sessions: a chain of windows, told as one plan.

The platform reads at most 100 sessions a dream and chains dreams past that: the sessions in time
order, in windows of at most 100, each dream's output store the next one's input
(`workbench.dream.platform.run_dream_chain`). The offline engine does the same, window by window
on the evolving store, and then tells the whole chain as one plan against the ORIGINAL store, so a
review, an export or a push applies it as it applies any plan:

- every operation of a window is traced back to the original notes behind its targets;
- an operation on a note that an earlier window wrote (merged, updated or created) takes that
  earlier operation in: its original targets become this one's, the earlier one leaves the plan;
- so a note created in window 1 and merged with an original note in window 3 is one merge of the
  original note into the final text (placed where that original note was); a note created and
  then deleted is no operation at all; a note updated twice is one update to the last text.

The plan's output store equals the last window's output store note for note (tested), with one
difference of place: a text that an earlier window wrote as a new note and a later one merged
with original notes stands where the first of those original notes stood.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from typing import Any

from ..focus import Focus, chain_sessions
from ..records import Corpus, Note, Session, Store, iso
from .check import enforce
from .plan import Operation, Plan, Question, Result, Target, apply_operations


@dataclass
class _Written:
    """A chain of window operations told as one: the original notes it reads and its last result."""

    targets: list[Target]
    steps: list[Operation] = field(default_factory=list)
    anchor: str | None = None  # the original note whose place the text keeps
    absorbed: bool = False


@dataclass
class _Lineage:
    """Where each note of the current store comes from: an original note id, or a `_Written` index."""

    original: dict[str, Note]
    written: list[_Written] = field(default_factory=list)
    origin: dict[str, str | int] = field(default_factory=dict)

    @classmethod
    def of(cls, store: Store) -> _Lineage:
        notes = {n.id: n for n in store.notes}
        return cls(notes, origin={note_id: note_id for note_id in notes})


def dream_chain(corpus: Corpus, focus: Focus, dream_window: Any) -> Plan:
    """Dream over the corpus's sessions (under the focus) in windows of ≤ 100, oldest first, each
    window's output store the next one's input; one plan against the original store.

    `dream_window(corpus, focus) -> Plan` dreams one window (the offline engine's `dream_offline`).
    """
    started = time.perf_counter()
    windows = chain_sessions(corpus.sessions, focus)
    window_focus = replace(focus.resolved(), session_ids=[], max_sessions=None)
    lineage, store, plans, asked = _Lineage.of(corpus.store), corpus.store, [], []
    for sessions in windows:
        plan = dream_window(Corpus(store, tuple(sessions)), window_focus)
        asked += _asked(plan, lineage)
        _follow(lineage, plan)
        store = plan.output_store
        plans.append(plan)
    plan = _chain_plan(corpus, focus, windows, plans, lineage)
    plan.questions = _open_questions(asked, lineage)[:max(len(p.questions) for p in plans)]  # one window's budget
    plan.questions_found = sum(p.questions_found for p in plans)
    plan.timings = {"windows": sum(p.timings.get("total", 0.0) for p in plans), "total": time.perf_counter() - started}
    return plan


def _follow(lineage: _Lineage, plan: Plan) -> None:
    """Take one window's operations into the lineage, then key it by the window's output notes."""
    produced: dict[tuple[str, str], deque] = defaultdict(deque)
    consumed: set[str] = set()
    where = {note.id: note.path for note in plan.input_store.notes}
    for op in plan.operations:
        index = _take(lineage, op, consumed)
        if index is not None and op.result is not None:  # the text stands in its note's document, or is added
            path = where.get(op.result.note_id, op.result.path) if op.kind != "create" else op.result.path
            produced[(path, op.result.text.strip())].append(index)
    kept: dict[tuple[str, str], deque] = defaultdict(deque)
    for note in plan.input_store.notes:
        if note.id not in consumed:
            kept[(note.path, note.text.strip())].append(lineage.origin[note.id])
    lineage.origin = _match(plan.output_store, kept, produced)


def _take(lineage: _Lineage, op: Operation, consumed: set[str]) -> int | None:
    """One window operation as a `_Written` over original notes; its index (None: it leaves nothing)."""
    targets: list[Target] = []
    steps: list[Operation] = []
    for target in op.targets:
        origin = lineage.origin.get(target.id)
        consumed.add(target.id)
        if isinstance(origin, str):
            note = lineage.original[origin]
            targets.append(Target(note.id, note.path, note.text))
        elif isinstance(origin, int) and not lineage.written[origin].absorbed:
            earlier = lineage.written[origin]
            earlier.absorbed = True
            targets += earlier.targets
            steps += earlier.steps
    lineage.written.append(_Written(targets, [*steps, op], _anchor(lineage, op)))
    if op.kind == "delete" and not targets:
        lineage.written[-1].absorbed = True  # a note written in the chain and deleted in it: nothing at all
        return None
    return len(lineage.written) - 1


def _match(store: Store, kept: dict[tuple[str, str], deque],
           produced: dict[tuple[str, str], deque]) -> dict[str, str | int]:
    """Each note of the window's output store → its origin: a note left as it was, or what wrote it.

    Notes are matched by path and text, in order, each kept note once; a note a result was split
    into (a multi-line text) belongs to the result at its path that holds its text.
    """
    origin: dict[str, str | int] = {}
    for note in store.notes:
        key = (note.path, note.text.strip())
        if kept.get(key):
            origin[note.id] = kept[key].popleft()
        elif produced.get(key):
            found = produced[key]
            origin[note.id] = found.popleft() if len(found) > 1 else found[0]
        else:
            origin[note.id] = _part_of(note, produced)
    return origin


def _part_of(note: Note, produced: dict[tuple[str, str], deque]) -> int:
    for (path, text), found in produced.items():
        if path == note.path and note.text.strip() in text and found:
            return found[0]
    raise AssertionError(f"a note of a window's output has no origin in the chain: {note.path}: {note.text[:80]!r}")


def _operations(lineage: _Lineage) -> list[Operation]:
    """The chain's operations against the original store, in the order they were first made."""
    return [op for written in lineage.written if not written.absorbed
            for op in [_told(written)] if op is not None]


def _told(written: _Written) -> Operation | None:
    """A chain of steps as one operation on the original notes (see the module's docstring)."""
    last = written.steps[-1]
    targets = tuple(dict.fromkeys(written.targets))
    if last.kind == "delete" or last.result is None:
        return replace(last, targets=targets, id="", depends_on=()) if targets else None
    anchor = next((t for t in targets if t.id == written.anchor), targets[0] if targets else None)
    if anchor is None:
        result, kind = Result(last.result.path, last.result.text), "create"
    else:
        result = Result(anchor.path, last.result.text, note_id=anchor.id)
        kind = last.kind if len(written.steps) == 1 else "merge" if len(targets) > 1 else "update"
    evidence = tuple(dict.fromkeys(e for step in written.steps for e in step.evidence))
    provenance = tuple(dict.fromkeys(p for step in written.steps for p in step.provenance))
    rationale = last.rationale if len(written.steps) == 1 else \
        f"{last.rationale} (the last of {len(written.steps)} steps of the chain on these notes)"
    return replace(last, kind=kind, targets=targets, result=result, evidence=evidence, provenance=provenance,
                   rationale=rationale, confidence=min(step.confidence for step in written.steps), id="",
                   depends_on=())


def _anchor(lineage: _Lineage, op: Operation) -> str | None:
    """The original note at whose place `op` keeps its text (through the notes earlier windows wrote)."""
    origin = lineage.origin.get(op.result.note_id) if op.result is not None and op.result.note_id else None
    return lineage.written[origin].anchor if isinstance(origin, int) else origin


def _chain_plan(corpus: Corpus, focus: Focus, windows: list[list[Session]], plans: list[Plan],
                lineage: _Lineage) -> Plan:
    operations = _operations(lineage)
    first = plans[0]
    plan = Plan(engine=first.engine, engine_version=first.engine_version, focus=focus,
                inputs={**first.inputs, "store_digest": corpus.store.digest, "store_id": corpus.store.id,
                        "sessions": [s.id for w in windows for s in w], "as_of": iso(corpus.as_of),
                        "notes": len(corpus.notes), "memories": len(corpus.memories),
                        "windows": _window_rows(windows, plans)},
                operations=operations, input_store=corpus.store,
                output_store=apply_operations(corpus.store, operations, at=corpus.as_of),
                notes=_chain_notes(windows, plans))
    return enforce(plan, focus)


def _window_rows(windows: list[list[Session]], plans: list[Plan]) -> list[dict[str, Any]]:
    """Where each window began and ended, what it read and proposed."""
    return [{"window": number, "sessions": len(sessions), "first_session": sessions[0].id,
             "last_session": sessions[-1].id, "began": iso(sessions[0].started_at) if sessions[0].started_at else None,
             "ended": iso(sessions[-1].ended_at or sessions[-1].started_at) if sessions[-1].started_at else None,
             "store_digest": plan.inputs["store_digest"], "operations": len(plan.operations)}
            for number, (sessions, plan) in enumerate(zip(windows, plans, strict=True), start=1)]


def _chain_notes(windows: list[list[Session]], plans: list[Plan]) -> list[str]:
    total = sum(len(w) for w in windows)
    notes = [f"{total} sessions dreamt as a chain of {len(windows)} windows of at most 100, oldest first; each "
             "window's output store is the next one's input, and the operations are told against the original store"]
    for row, plan in zip(_window_rows(windows, plans), plans, strict=True):
        notes.append(f"window {row['window']} began at session {row['first_session']} ({row['began'] or 'undated'}) "
                     f"and read {row['sessions']} sessions: {row['operations']} operations")
        notes += [f"window {row['window']}: {remark}" for remark in plan.notes]
    return notes


def _asked(plan: Plan, lineage: _Lineage) -> list[tuple[Question, set[str]]]:
    """A window's questions about original notes, told with their original ids, and those ids."""
    names = {note_id: origin for note_id, origin in lineage.origin.items() if isinstance(origin, str)}
    return [(_renamed(q, names), {names[i] for i in ids}) for q in plan.questions
            for ids in [_note_ids(q)] if ids <= names.keys()]


def _open_questions(asked: list[tuple[Question, set[str]]], lineage: _Lineage) -> list[Question]:
    """The questions of every window about notes the chain's plan leaves as they were (each once)."""
    written = {t.id for w in lineage.written if not w.absorbed for t in w.targets}
    found = {q.id: q for q, ids in asked if not ids & written}
    return sorted(found.values(), key=lambda q: -q.value)


def _note_ids(question: Question) -> set[str]:
    ids = {t.id for t in question.targets}
    for choice in question.choices:
        if choice.operation is not None:
            ids |= {t.id for t in choice.operation.targets}
            if choice.operation.result is not None and choice.operation.result.note_id:
                ids.add(choice.operation.result.note_id)
    return ids


def _renamed(question: Question, names: dict[str, str]) -> Question:
    """The question with every note id renamed to its original note's id."""
    def target(t: Target) -> Target:
        return replace(t, id=names.get(t.id, t.id))

    def operation(op: Operation | None) -> Operation | None:
        if op is None:
            return None
        result = op.result and replace(op.result, note_id=names.get(op.result.note_id, op.result.note_id))
        evidence = tuple(replace(e, note_id=names.get(e.note_id, e.note_id)) if e.note_id else e for e in op.evidence)
        return replace(op, targets=tuple(target(t) for t in op.targets), result=result, evidence=evidence, id="")

    choices = tuple(replace(c, operation=operation(c.operation)) for c in question.choices)
    return replace(question, targets=tuple(target(t) for t in question.targets), choices=choices,
                   candidates=tuple(names.get(c, c) for c in question.candidates), id="")


__all__ = ["dream_chain"]
