"""Operations as a reviewer reads them: tables, filters, evidence lines and before/after texts."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..dream.plan import apply_operations
from .titles import _when, cut_words

if TYPE_CHECKING:
    from ..dream.plan import Operation, Plan


def plan_frame(plan: Plan) -> pd.DataFrame:
    """One row per operation, in plan order: kind, reason, confidence, target ids, result text, rationale."""
    rows = [{"id": op.id, "kind": op.kind, "reason": op.reason, "confidence": op.confidence,
             "targets": [t.id for t in op.targets], "result": op.result.text if op.result is not None else None,
             "rationale": op.rationale} for op in plan.operations]
    return pd.DataFrame(rows, columns=["id", "kind", "reason", "confidence", "targets", "result",
                                       "rationale"]).set_index("id")


SORTS = {"reason": "grouped by reason", "confidence": "confidence, lowest first",
         "-confidence": "confidence, highest first", "plan": "plan order"}


@dataclass(frozen=True)
class OperationQuery:
    """Which operations a reviewer wants to see, and in what order (empty tuples mean "any")."""

    text: str = ""  # words that must all appear in the rationale, the targets, the result or the evidence
    path: str = ""  # a part of a target's or the result's path
    kinds: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    confidence: tuple[float, float] = (0.0, 1.0)
    pending_only: bool = False
    breaks_only: bool = False
    sort: str = "reason"

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}")


def _haystack(op: Operation) -> str:
    parts = [op.rationale, op.reason, op.kind, op.rule, op.id]
    parts += [f"{t.path} {t.text}" for t in op.targets]
    if op.result is not None:
        parts.append(f"{op.result.path} {op.result.text}")
    parts += [e.quote for e in op.evidence]
    return " ".join(parts).lower()


def select_operations(plan: Plan, query: OperationQuery = OperationQuery(), *, decided: Iterable[str] = (),
                      breaks: Mapping[str, Sequence[str]] | None = None) -> list[Operation]:
    """The operations of `plan` that match `query`, in its order.

    `decided`: ids of operations that have a decision (left out with `pending_only`); `breaks`:
    operation id → probes it breaks (only those kept with `breaks_only`).
    """
    words = query.text.lower().split()
    path = query.path.strip().lower()
    low, high = query.confidence
    done = set(decided) if query.pending_only else set()
    breaking = breaks or {}
    out = []
    for op in plan.operations:
        if query.kinds and op.kind not in query.kinds:
            continue
        if query.reasons and op.reason not in query.reasons:
            continue
        if query.rules and op.rule not in query.rules:
            continue
        if not (low - 1e-9 <= op.confidence <= high + 1e-9):
            continue
        if op.id in done or (query.breaks_only and not breaking.get(op.id)):
            continue
        if path and not any(path in p.lower() for p in [*(t.path for t in op.targets),
                                                         *([op.result.path] if op.result else [])]):
            continue
        if words:
            hay = _haystack(op)
            if not all(w in hay for w in words):
                continue
        out.append(op)
    if query.sort == "confidence":
        out.sort(key=lambda op: op.confidence)
    elif query.sort == "-confidence":
        out.sort(key=lambda op: -op.confidence)
    elif query.sort == "reason":
        counts = Counter(op.reason for op in plan.operations)
        rank = {r: i for i, (r, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))}
        out.sort(key=lambda op: rank.get(op.reason, len(rank)))
    return out


@dataclass(frozen=True)
class EvidenceLine:
    """One piece of evidence as a reader sees it: where it comes from, when, and the whole quote."""

    where: str  # "Planning the Q3 launch · 2025-05-02 14:10 · turn 7 of 24" or "note … · /path · 2025-04-28"
    quote: str
    session_id: str | None = None
    turn_id: str | None = None
    note_id: str | None = None


def _note_place(note_id: str, corpus=None, store=None) -> tuple[str, str]:
    """(path, date written) of a note or memory id, from the corpus or the store."""
    notes = corpus.note_by_id if corpus is not None else ({n.id: n for n in store.notes} if store is not None else {})
    note = notes.get(note_id)
    if note is not None:
        return note.path, _when(note.updated_at)
    memories = store.by_id if store is not None and hasattr(store, "by_id") else {}
    memory = memories.get(note_id.split("#")[0]) if memories else None
    if memory is not None:
        return memory.path, _when(memory.updated_at)
    return "", "undated"


def evidence_lines(op: Operation, corpus=None, store=None) -> list[EvidenceLine]:
    """The evidence of `op` with session title, date and turn number, or the note's path and date."""
    sessions = {s.id: s for s in corpus.sessions} if corpus is not None else {}
    out = []
    for e in op.evidence:
        if e.session_id:
            session = sessions.get(e.session_id)
            title = (session.title or e.session_id) if session is not None else e.session_id
            where = [cut_words(title, 60)]
            turn = None
            if session is not None:
                position = next((k for k, t in enumerate(session.turns) if t.id == e.turn_id), None)
                if position is not None:
                    turn = session.turns[position]
                    where += [_when(turn.at or session.started_at), f"turn {position + 1} of {len(session.turns)}"]
                else:
                    where.append(_when(session.started_at))
            if turn is None and e.turn_id:
                where.append(f"turn {e.turn_id}")
            out.append(EvidenceLine(" · ".join(where), e.quote, e.session_id, e.turn_id, e.note_id))
        elif e.note_id:
            path, when = _note_place(e.note_id, corpus, store)
            out.append(EvidenceLine(" · ".join(x for x in (f"note {e.note_id}", path, f"written {when}") if x),
                                    e.quote, None, None, e.note_id))
        else:
            out.append(EvidenceLine("", e.quote))
    return out


def target_dates(op: Operation, corpus=None, store=None) -> list[tuple[str, str, str]]:
    """(note id, path, date written) of every target of `op`: what a conflict between two notes shows."""
    return [(t.id, t.path or _note_place(t.id, corpus, store)[0], _note_place(t.id, corpus, store)[1])
            for t in op.targets]


def diff_rows(before: str, after: str) -> list[tuple[str, str, str]]:
    """Side-by-side rows (tag, left, right): tag is equal, removed, added or changed."""
    a, b = before.splitlines(), after.splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [("equal", x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        elif tag == "delete":
            rows += [("removed", x, "") for x in a[i1:i2]]
        elif tag == "insert":
            rows += [("added", "", y) for y in b[j1:j2]]
        else:
            old, new = a[i1:i2], b[j1:j2]
            for k in range(max(len(old), len(new))):
                x, y = (old[k] if k < len(old) else ""), (new[k] if k < len(new) else "")
                rows.append(("changed" if x and y else "removed" if x else "added", x, y))
    return rows


def operation_texts(op: Operation) -> tuple[str, str]:
    """Before and after of one operation at note level: the targets' texts, then the result."""
    before = "\n".join(t.text for t in op.targets)
    after = op.result.text if op.result is not None and op.kind != "delete" else ""
    return before, after


def operation_documents(plan: Plan, op: Operation, content: str | None = None) -> list[tuple[str, str, str]]:
    """(path, before, after) of every document the operation alone changes (with an edited result)."""
    store = plan.input_store
    if store is None:
        return []
    after = apply_operations(store, [op], at=None, edits={op.id: content} if content else None)
    paths = {t.path for t in op.targets} | ({op.result.path} if op.result is not None else set())
    out = []
    for path in sorted(paths):
        old = store.by_path.get(path)
        new = after.by_path.get(path)
        before, after_text = (old.content if old else ""), (new.content if new else "")
        if before != after_text:
            out.append((path, before, after_text))
    return out
