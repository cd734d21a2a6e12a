"""Planted damage: the instrument tested by a plan whose harm is known.

On a LoCoMo conversation: a few exact copies of notes are added to the store first; the plan then
deletes N random notes that hold a watched probe's answer, rewrites N others with a wrong value
(a number changed, a date moved, a name swapped) and merges N copies into their originals
(harmless). Built from the public records only (`Operation`, `Target`, `Result`, `Plan`).

The report must flag the probes whose answer lived only in damaged notes, blame none of them on a
harmless merge, and leaving out the blamed operations must restore every flagged probe.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from workbench.answers import holders
from workbench.dream.plan import Operation, Plan, Result, Target, apply_operations
from workbench.evaluate import Evaluator, Report, restored
from workbench.focus import Focus
from workbench.records import Memory, Note, Store

COPIES_PATH = "copies"  # under the conversation's folder: the exact copies a dream should merge


@dataclass
class Damage:
    """A damaging plan, the store it applies to, and which operation ids do what."""

    store: Store
    plan: Plan
    deleted: dict[str, str]  # operation id → note id
    rewritten: dict[str, str]
    harmless: set[str]


def with_copies(store: Store, notes: list[Note], folder: str) -> Store:
    """The store with an exact copy of each note, in a memory of its own written when the original was
    (so the copy reads its relative dates as the original does), with the same provenance."""
    copies = tuple(Memory(id=f"mem_copy_{i}_{folder.strip('/')}", path=f"{folder}/{COPIES_PATH}/{i}.md",
                          content=f"# Copy\n\n- {note.text}\n", created_at=note.created_at,
                          updated_at=note.created_at, meta={"provenance": {note.text: list(note.evidence)}})
                   for i, note in enumerate(notes))
    return replace(store, memories=(*store.memories, *copies))


def wrong_value(text: str, names: list[str]) -> str | None:
    """The note with a wrong value: every number changed, else a month moved, else a name swapped."""
    if re.search(r"\d", text):
        return re.sub(r"\d+", lambda m: str(int(m.group(0)) + 3), text)
    months = "January February March April May June July August September October November December".split()
    for i, month in enumerate(months):
        if re.search(rf"\b{month}\b", text):
            return re.sub(rf"\b{month}\b", months[(i + 5) % 12], text)
    present = [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
    others = [n for n in names if n not in present]
    if present and others:
        return re.sub(rf"\b{re.escape(present[-1])}\b", others[0], text)
    return None


def names_in(notes: list[Note]) -> list[str]:
    """Capitalized words inside notes (people, places, titles), most frequent first."""
    counts: dict[str, int] = {}
    for note in notes:
        for name in re.findall(r"(?<=[a-z,] )[A-Z][a-z]{2,}", note.text):
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))


def answer_notes(evaluator: Evaluator) -> dict[str, list[int]]:
    """Note id → the probes (rows) whose answer it holds among their top k before any dream."""
    out: dict[str, list[int]] = {}
    for row, answer in enumerate(evaluator.before):
        for note_id in answer.notes if answer.answered and answer.matched_by != "judge" else ():
            out.setdefault(note_id, []).append(row)
    return out


def _breaking_rewrite(evaluator: Evaluator, note: Note, rows: list[int], names: list[str]) -> str | None:
    """A wrong value for the note that takes away the answer of at least one probe it holds."""
    text = wrong_value(note.text, names)
    if text is None:
        return None
    lost = [r for r in rows if not holders(evaluator.probes[r].answers, [(text, note.created_at)])]
    return text if lost else None


def plant(evaluator: Evaluator, n: int, seed: int = 0) -> Damage:
    """N deletions and N wrong-value rewrites of notes that hold answers, N harmless merges of copies
    (added to the store first; evaluate on `Damage.store`)."""
    rng = random.Random(seed)
    store = evaluator.store
    holding = answer_notes(evaluator)
    order = sorted(holding)
    rng.shuffle(order)
    by_id = {note.id: note for note in store.notes}
    names = names_in(list(store.notes))
    doomed = order[:n]
    rewrites = [(i, t) for i in order[n:] if (t := _breaking_rewrite(evaluator, by_id[i], holding[i], names))][:n]
    touched = set(doomed) | {i for i, _ in rewrites}
    copied = rng.sample([note for note in store.notes if note.id not in touched], n)
    damaged_store = with_copies(store, copied, "/" + store.notes[0].path.strip("/").split("/")[0])
    copies = [note for note in damaged_store.notes if f"/{COPIES_PATH}/" in note.path]
    ops, deleted, rewritten, harmless = [], {}, {}, set()
    for note in (by_id[i] for i in doomed):
        ops.append(Operation("delete", "stale", (_target(note),), None, "planted deletion"))
        deleted[ops[-1].id] = note.id
    for note, text in ((by_id[i], t) for i, t in rewrites):
        ops.append(Operation("update", "conflict", (_target(note),), Result(note.path, text, note_id=note.id),
                             "planted wrong value"))
        rewritten[ops[-1].id] = note.id
    for original, copy in zip(copied, copies):
        ops.append(Operation("merge", "duplicate", (_target(original), _target(copy)),
                             Result(original.path, original.text, note_id=original.id), "exact copies"))
        harmless.add(ops[-1].id)
    rng.shuffle(ops)
    plan = Plan(engine="planted", engine_version="1", focus=Focus(), inputs={}, operations=ops,
                output_store=apply_operations(damaged_store, ops), input_store=damaged_store)
    return Damage(damaged_store, plan, deleted, rewritten, harmless)


def _target(note: Note) -> Target:
    return Target(note.id, note.path, note.text)


def damaged_rows(evaluator: Evaluator, damage: Damage) -> set[int]:
    """Probes answered before whose every answer-holding top-k note was deleted, or rewritten so that
    it no longer holds the answer (ground truth, decided on each note alone)."""
    rewritten = {damage.rewritten[op.id]: op.result.text for op in damage.plan.operations
                 if op.id in damage.rewritten}
    gone = set(damage.deleted.values())
    written = dict(zip((n.id for n in evaluator.before_view.notes), evaluator.before_view.written))
    out = set()
    for row, answer in enumerate(evaluator.before):
        if not answer.answered or answer.matched_by == "judge":
            continue
        probe = evaluator.probes[row]
        hit = [i for i in answer.notes if i in gone or (i in rewritten and not holders(
            probe.answers, [(rewritten[i], written[i])]))]
        if hit and len(hit) == len(answer.notes):
            out.add(row)
    return out


def check(evaluator: Evaluator, damage: Damage, report: Report) -> dict:
    """Flagged share of the damaged probes, regressions blamed on harmless merges, exactness."""
    truth = damaged_rows(evaluator, damage)
    flagged = {i for i, r in enumerate(report.results) if r.regression}
    on_harmless = [r.probe.id for r in report.regressions if set(r.broken_by) & damage.harmless]
    union = {i for r in report.regressions for i in r.broken_by}
    _, view = evaluator.after([op for op in damage.plan.operations if op.id not in union])
    rows = sorted(flagged)
    exact = all(restored(evaluator.before[i], a) for i, a in zip(rows, evaluator.answer(view, rows)))
    return {"damaged": len(truth), "flagged": len(truth & flagged), "extra": len(flagged - truth),
            "on_harmless": on_harmless, "exact": exact,
            "operations": len(damage.plan.operations)}
