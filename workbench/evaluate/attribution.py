"""Attribution: the operations behind each regression, exactly.

For each probe that lost a net, a 1-minimal set of operations whose omission restores it; then
widened until omitting their union restores every probe. The evaluator (`Asker`) answers the
trials: the store after a subset of the operations, asked again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from ..dream.plan import Operation
from ..records import Store
from .lineage import note_key
from .report import Answer, restored


class Asker(Protocol):
    """What attribution asks of an evaluator (`Evaluator` is one): the input store's view and answers,
    the store after some operations, and the top k of a view."""

    before: list[Answer]
    before_view: Any

    def after(self, operations: Sequence[Operation], edits: Mapping[str, str] | None = None) -> tuple[Store, Any]: ...

    def answer(self, view: Any, rows: Sequence[int] | None = None) -> list[Answer]: ...

    def top(self, view: Any, rows: Sequence[int]) -> np.ndarray: ...


class Attribution:
    """Per regression, a 1-minimal set of operations whose omission restores the probe (every net
    that held before holds again); then widened until omitting the union restores every one."""

    def __init__(self, evaluator: Asker, operations: Sequence[Operation], edits: Mapping[str, str]) -> None:
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
        placed = {note_key(view.notes[j].path, view.notes[j].text) for j in self.ev.top(view, [row])[0]}
        paths = {n.path for n in self.ev.before_view.notes if n.id in before}
        out = []
        for op in self.ops:
            touches = any(t.id in before or (not t.is_note and t.path in paths) for t in op.targets)
            lands = op.result is not None and note_key(op.result.path, self.edits.get(op.id, op.result.text)) in placed
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
