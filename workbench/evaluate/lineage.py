"""Lineage: which input notes each note of a changed store descends from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ..dream.plan import Operation
from ..records import Note, Store


def note_key(path: str, text: str) -> tuple[str, str]:
    """A note as lineage matches it: its path and its text with whitespace collapsed."""
    return path, " ".join(text.split())


def lineage(before: Store, after: Store | Sequence[Note], operations: Iterable[Operation],
            edits: Mapping[str, str] | None = None) -> list[frozenset[str]]:
    """For each note of `after` (a store or its notes), in order, the input notes it descends from:
    the same text at the same path, or the targets of the operation whose result it is."""
    after_notes = after.notes if isinstance(after, Store) else after
    origin: dict[tuple[str, str], set[str]] = defaultdict(set)
    for note in before.notes:
        origin[note_key(note.path, note.text)].add(note.id)
    whole: dict[str, set[str]] = defaultdict(set)
    for op in operations:
        if op.result is None:
            continue
        if op.result.whole_memory:  # platform plans rewrite documents: a note comes from the documents read
            paths = {t.path for t in op.targets} | {op.result.path}
            whole[op.result.path].update(n.id for n in before.notes if n.path in paths)
            continue
        text = (edits or {}).get(op.id, op.result.text)
        origin[note_key(op.result.path, text)].update(t.id for t in op.targets if t.is_note)
    return [frozenset(origin.get(note_key(n.path, n.text), set()) | whole.get(n.path, set())) for n in after_notes]
