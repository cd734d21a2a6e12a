"""Hand-written plans for the format tests: update, delete or create notes, approved and exported."""

from __future__ import annotations

from pathlib import Path

from workbench.dream.plan import Operation, Plan, Result, Target, apply_operations
from workbench.export import Snapshot, export_snapshot
from workbench.focus import Focus
from workbench.records import Store
from workbench.review import Guardrail, Review

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def note(store: Store, text: str):
    """The first note whose text starts with `text`."""
    return next(n for n in store.notes if n.text.startswith(text))


def update(store: Store, text: str, new: str) -> Operation:
    found = note(store, text)
    return Operation("update", "conflict", (Target(found.id, found.path, found.text),),
                     Result(found.path, new, note_id=found.id), "A later value.", confidence=0.99)


def delete(store: Store, text: str) -> Operation:
    found = note(store, text)
    return Operation("delete", "duplicate", (Target(found.id, found.path, found.text),), None, "Said twice.",
                     confidence=0.99)


def delete_memory(store: Store, path: str) -> Operation:
    memory = store.by_path[path]
    return Operation("delete", "stale", (Target(memory.id, path, ""),), None, "No longer used.", confidence=0.99)


def create(path: str, text: str) -> Operation:
    return Operation("create", "insight", (), Result(path, text), "Said in two sessions.", confidence=0.99)


def hand_plan(store: Store, operations: list[Operation]) -> Plan:
    return Plan(engine="hand", engine_version="0", focus=Focus(),
                inputs={"store_digest": store.digest, "notes": len(store.notes), "memories": len(store.memories),
                        "sessions": [], "as_of": "2026-03-01T00:00:00Z"},
                operations=list(operations), output_store=apply_operations(store, operations), input_store=store)


def export_all(store: Store, operations: list[Operation], out: Path, format: str = "dir") -> tuple[Plan, Snapshot]:
    """Approve every operation and export; the guardrail is off (the tests change small stores a lot)."""
    plan = hand_plan(store, operations)
    review = Review(plan, guardrail=Guardrail(1.0, 1.0)).approve_all(who="test")
    return plan, export_snapshot(store, plan, review, out, format=format)
