"""Plans: the operations a dream proposes, with evidence, and the store they would produce.

Operations work on notes (`<memory id>#<n>`) or, for the platform engine, on whole memories;
`apply_operations` applies any subset to a store and writes whole documents back
(`fit_operations` leaves out, with why, the ones that cannot apply). The input store is never
modified. The records a plan holds (`Operation`, `Question` and theirs) are in `dream.operations`
and importable from here too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ReaderError, WorkbenchError
from ..focus import Focus
from ..markdown import rewrite_content
from ..records import (
    EPOCH,
    Memory,
    Note,
    Store,
    iso,
    parse_time,
    sha256,
    split_notes,
    stable_id,
)
from .operations import Choice, Evidence, Operation, Question, Result, Target
from .operations import vars_of as vars_of

if TYPE_CHECKING:
    from .effects import ScopeEffect

PLAN_FORMAT = 1
REASONS = ("duplicate", "conflict", "stale", "temporary", "superseded", "off_focus", "low_value", "insight", "platform")


@dataclass
class Plan:
    """A dream's proposal: operations with evidence, the output store, usage and inputs."""

    engine: str
    engine_version: str
    focus: Focus
    inputs: dict[str, Any]
    operations: list[Operation]
    output_store: Store
    model: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    input_store: Store | None = field(default=None, repr=False, compare=False)
    questions: list[Question] = field(default_factory=list)
    questions_found: int = 0  # every question found, of which `questions` holds the most valuable (the budget)
    scope_effects: list[ScopeEffect] = field(default_factory=list)  # what each focus scope did (`dream.effects`)

    @property
    def by_id(self) -> dict[str, Operation]:
        return {op.id: op for op in self.operations}

    @property
    def question_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def fates(self) -> dict[str, str]:
        """What happens to each input note: kept, merged, updated or pruned (created notes are extra)."""
        fate = {n.id: "kept" for n in self.input_notes} if self.input_notes else {}
        names = {"merge": "merged", "update": "updated", "delete": "pruned"}
        for op in self.operations:
            for target in op.targets:
                if target.is_note and op.kind in names:
                    fate[target.id] = names[op.kind]
        return fate

    @property
    def input_notes(self) -> list[Note]:
        """The input store's notes, when the plan was made in this process (not kept in plan.json)."""
        return list(self.input_store.notes) if self.input_store is not None else []

    def summary(self) -> dict[str, Any]:
        """Counts by kind and reason, and the share of input notes deleted and rewritten."""
        total = max(1, int(self.inputs.get("notes", 0)))
        deleted = {t.id for op in self.operations if op.kind == "delete" for t in op.targets}
        rewritten = {t.id for op in self.operations if op.kind in ("merge", "update") for t in op.targets}
        removed_by_merge = {t.id for op in self.operations if op.kind in ("merge", "update") for t in op.targets
                            if op.result is None or t.id != op.result.note_id}
        return {
            "operations": len(self.operations),
            "by_kind": dict(sorted(Counter(op.kind for op in self.operations).items())),
            "by_reason": dict(sorted(Counter(op.reason for op in self.operations).items())),
            "deleted_share": round(len(deleted | removed_by_merge) / total, 4),
            "rewritten_share": round(len(rewritten) / total, 4),
            "notes_in": int(self.inputs.get("notes", 0)),
            "notes_out": len(self.output_store.notes),
            "memories_in": int(self.inputs.get("memories", 0)),
            "memories_out": len(self.output_store.memories),
        }

    def to_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """JSON data; byte-identical for identical inputs (timings are left out unless asked)."""
        out = {
            "format": PLAN_FORMAT, "engine": self.engine, "engine_version": self.engine_version,
            "model": self.model, "focus": self.focus.to_dict(), "inputs": self.inputs,
            "summary": self.summary(), "operations": [op.to_dict() for op in self.operations],
            "usage": self.usage, "notes": self.notes, "output_store": self.output_store.to_dict(),
        }
        if self.questions or self.questions_found:
            out["questions"] = [q.to_dict() for q in self.questions]
            out["questions_found"] = self.questions_found
        if self.scope_effects:
            out["scope_effects"] = [e.to_dict() for e in self.scope_effects]
        if timings:
            out["timings"] = self.timings
        return out

    def to_json(self, *, timings: bool = False) -> str:
        return json.dumps(self.to_dict(timings=timings), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "plan.json", text: str | None = None) -> Plan:
        """A plan from its JSON data, validated (`workbench.schema.PlanModel`); errors name the field."""
        from ..io.parsing import line_of, located
        from ..schema import PlanModel, validate, validate_focus
        from .effects import ScopeEffect

        if not isinstance(data, Mapping) or data.get("format") != PLAN_FORMAT or "operations" not in data:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise ReaderError(f"not a workbench plan (format {found!r}); write one with `workbench dream`",
                              source=source)
        model = validate(PlanModel, dict(data), source, "plan", text)

        def line(*loc: str | int):  # the line of a value, found only if an error needs it
            return (lambda: line_of(text, loc)) if text is not None else None

        operations = []
        for index, op in enumerate(model.operations):
            with located(source, line("operations", index), f"operations[{index}]"):
                operations.append(Operation._from_model(op))
        questions = []
        for index, question in enumerate(model.questions):
            with located(source, line("questions", index), f"questions[{index}]"):
                questions.append(Question._from_model(question))
        memories = []  # validated above; read from the data so every field (meta, author) is kept
        for index, memory in enumerate((data.get("output_store") or {}).get("memories", [])):
            with located(source, line("output_store", "memories", index), f"output_store.memories[{index}]"):
                memories.append(Memory.from_dict(memory))
        with located(source, line("output_store"), "output_store"):
            store = Store(tuple(memories), id=model.output_store and model.output_store.id,
                          name=model.output_store and model.output_store.name,
                          versions=tuple(model.output_store.memory_versions) if model.output_store else ())
        return cls(
            engine=model.engine, engine_version=model.engine_version,
            focus=validate_focus(model.focus, source, text), inputs=dict(model.inputs),
            operations=operations, output_store=store, model=model.model, usage=dict(model.usage),
            notes=list(model.notes), timings=dict(model.timings), questions=questions,
            questions_found=model.questions_found,
            scope_effects=[ScopeEffect.from_dict(e) for e in model.scope_effects],
        )

    @classmethod
    def from_json(cls, text: str, source: str = "plan.json") -> Plan:
        """A plan from plan.json text; any problem is one `ReaderError` naming file, line and field."""
        from ..io.parsing import parse_json

        return cls.from_dict(parse_json(text, source), source=source, text=text)

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        """The plan in a plan.json file (`from_json` of its text, errors naming the file)."""
        from ..files import read_text

        return cls.from_json(read_text(Path(path)), source=str(path))

    # -- what the plan is bound to
    @property
    def store_digest(self) -> str | None:
        """The digest of the store the plan was made for: recorded in its inputs, else its input store's."""
        recorded = self.inputs.get("store_digest")
        return recorded or (self.input_store.digest if self.input_store is not None else None)

    def check_store(self, store: Store, *, required: bool = False, source: str | None = None) -> None:
        """Refuse a store other than the one the plan was made for (compared by digest).

        A plan that records no digest passes, unless `required` (applying a plan needs one).
        """
        digest = self.store_digest
        if digest is None and required:
            raise WorkbenchError("this plan records no input store digest, so it cannot be checked against the "
                                 "store; make the plan again with `workbench dream`", source=source)
        if digest is not None and digest != store.digest:
            raise WorkbenchError("this plan was made for a different store (its input digest does not match)",
                                 source=source)


# --- applying operations ------------------------------------------------------------------


@dataclass
class _Doc:
    memory: Memory | None
    path: str
    replacements: dict[str, str | None] = field(default_factory=dict)
    additions: list[str] = field(default_factory=list)
    whole: str | None = None
    deleted: bool = False
    provenance: dict[str, list[str]] = field(default_factory=dict)


def _title(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("-", " ").replace("_", " ").capitalize() or "Notes"


def apply_operations(store: Store, operations: Iterable[Operation], *, at: datetime | None = None,
                     edits: Mapping[str, str] | None = None) -> Store:
    """The store after applying `operations` in order (edits replace an operation's result text).

    Notes are replaced or dropped in place, new notes are appended as bullets (a new document
    is created when the path does not exist), and a document left without notes is removed.
    """
    edits = edits or {}
    docs = {m.path: _Doc(m, m.path) for m in store.memories}
    notes = {n.id: n for n in store.notes}
    at = at or max((m.updated_at for m in store.memories), default=EPOCH)
    for op in operations:
        text = edits.get(op.id, op.result.text if op.result else None)
        if op.result is not None and op.result.whole_memory:
            _apply_memory_op(docs, op, text)
            continue
        for target in op.targets:
            if not target.is_note and op.kind == "delete" and target.path in docs:
                docs[target.path].deleted = True  # a whole memory
                continue
            note = notes.get(target.id)
            if note is None:
                continue
            doc = docs[note.path]
            keep_here = op.result is not None and op.result.note_id == target.id and op.kind != "delete"
            doc.replacements[target.id] = text if keep_here else None
            if keep_here:
                doc.provenance[text.strip()] = sorted(set(op.provenance) | set(note.evidence))
        if op.kind == "create" and op.result is not None:
            doc = docs.setdefault(op.result.path, _Doc(None, op.result.path))
            doc.additions.append(text)
            doc.provenance[text.strip()] = sorted(set(op.provenance))
    order = {m.path: i for i, m in enumerate(store.memories)}
    memories = [m for m in (_render(doc, at) for doc in docs.values()) if m is not None]
    memories.sort(key=lambda m: (order.get(m.path, len(order)), m.path))  # input order; new documents after, by path
    return Store(tuple(memories), id=store.id, name=store.name, versions=store.versions)


def fit_operations(store: Store, operations: Iterable[Operation], *,
                   at: datetime | None = None) -> tuple[list[Operation], Store, list[tuple[Operation, str]]]:
    """The operations that apply together, the store after them, and each one left out with why.

    Normally every one applies. When the whole set cannot (an operation would make a memory break
    a limit, such as 100 kB), each is tried in order on the memories it touches, after the ones
    kept before it that touch them too, and left out if that fails.
    """
    operations = list(operations)
    try:
        return operations, apply_operations(store, operations, at=at), []
    except WorkbenchError:
        pass
    where = {n.id: n.path for n in store.notes}
    kept: list[tuple[Operation, set[str]]] = []
    dropped: list[tuple[Operation, str]] = []
    for op in operations:
        paths = {where.get(t.id, t.path) for t in op.targets} | ({op.result.path} if op.result else set())
        part = Store(tuple(m for m in store.memories if m.path in paths), id=store.id, versions=store.versions)
        try:
            apply_operations(part, [k for k, touched in kept if touched & paths] + [op], at=at)
        except WorkbenchError as exc:
            dropped.append((op, exc.message))
            continue
        kept.append((op, paths))
    ops = [k for k, _ in kept]
    return ops, apply_operations(store, ops, at=at), dropped


def _apply_memory_op(docs: dict[str, _Doc], op: Operation, text: str | None) -> None:
    if op.kind == "delete":
        for target in op.targets:
            if target.path in docs:
                docs[target.path].deleted = True
        return
    for target in op.targets:
        if target.path in docs and target.path != op.result.path:
            docs[target.path].deleted = True
    doc = docs.setdefault(op.result.path, _Doc(None, op.result.path))
    doc.whole, doc.deleted = text, False


def _render(doc: _Doc, at: datetime) -> Memory | None:
    memory = doc.memory
    if doc.deleted:
        return None
    if doc.whole is not None:
        content = doc.whole
    elif memory is None:
        content = f"# {_title(doc.path)}\n\n"
        content = rewrite_content(content, [], {}, doc.additions)
    elif not doc.replacements and not doc.additions:
        return memory
    else:
        content = rewrite_content(memory.content, split_notes(memory), doc.replacements, doc.additions)
    provenance = dict(memory.provenance) if memory is not None else {}
    provenance.update(doc.provenance)
    draft = Memory(
        id=memory.id if memory else stable_id("mem_", doc.path), path=doc.path, content=content,
        created_at=memory.created_at if memory else at, updated_at=at,
        author=memory.author if memory else None,
        meta={**(dict(memory.meta) if memory else {}), "provenance": provenance} if provenance or memory else {},
    )
    texts = {n.text for n in split_notes(draft)}
    kept = {k: v for k, v in provenance.items() if k in texts and v}
    meta = {k: v for k, v in draft.meta.items() if k != "provenance"}
    if kept:
        meta["provenance"] = kept
    if not texts:
        return None
    return replace(draft, meta=meta)


def content_digest(memories: Sequence[Memory]) -> str:
    return sha256("\n".join(f"{m.path}\x1f{m.sha256}" for m in sorted(memories, key=lambda m: m.path)))


def plan_time(data: Mapping[str, Any]) -> datetime:
    return parse_time(data.get("as_of") or EPOCH)


__all__ = ["Target", "Result", "Evidence", "Operation", "Choice", "Question", "Plan", "apply_operations",
           "fit_operations", "iso"]
