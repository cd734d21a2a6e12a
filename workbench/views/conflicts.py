"""Conflicts as subjects: the values one subject took over time, and the operations that settle them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..analysis import Analysis
from ..candidates import supporting_sessions
from ..findings import findings
from .titles import short_title

if TYPE_CHECKING:
    from ..dream.plan import Operation, Plan


@dataclass(frozen=True)
class ConflictSubject:
    """Notes and session sentences that give one subject different values (a connected group)."""

    id: str
    label: str
    members: tuple[str, ...]
    details: tuple[str, ...]


def conflict_subjects(analysis: Analysis) -> list[ConflictSubject]:
    """Conflict pairs grouped into subjects (connected components), newest value's title as label."""
    found = findings(analysis)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in found.conflicts:
        parent[find(pair.older)] = find(pair.newer)
    groups: dict[str, list[str]] = defaultdict(list)
    for member in list(parent):
        groups[find(member)].append(member)
    details: dict[str, list[str]] = defaultdict(list)
    for pair in found.conflicts:
        details[find(pair.older)].append(pair.detail)
    out = []
    for root, members in groups.items():
        frame = conflict_history(analysis, members)
        newest = frame.iloc[-1]
        first_note = next((m for m in frame.index if m in analysis.corpus.note_by_id), frame.index[0])
        out.append(ConflictSubject(f"subject-{first_note}", short_title(newest["text"], 70), tuple(frame.index),
                                   tuple(dict.fromkeys(details[root]))))
    return sorted(out, key=lambda s: (-len(s.members), s.id))


def conflict_history(analysis: Analysis, members: Iterable[str]) -> pd.DataFrame:
    """The values of one subject over time: source (note/session), text, time, path, sessions stating it."""
    notes = analysis.corpus.note_by_id
    statements = {s.id: s for s in analysis.statements}
    titles = {s.id: s.title for s in analysis.corpus.sessions}
    turn_session = {t.id: t.session_id for t in analysis.corpus.turns}
    supported = supporting_sessions(analysis)
    rows = []
    for m in members:
        if m in notes:
            note = notes[m]
            stated = set(supported.get(m, ()))
            stated |= {turn_session[t] for t in note.evidence if t in turn_session}
            rows.append({"id": m, "source": "note", "text": note.text, "at": note.updated_at, "path": note.path,
                         "sessions": sorted(stated), "session_titles": [titles.get(s, s) for s in sorted(stated)]})
        elif m in statements:
            s = statements[m]
            rows.append({"id": m, "source": "session", "text": s.text, "at": s.at, "path": "",
                         "sessions": [s.session_id], "session_titles": [titles.get(s.session_id, s.session_id)]})
    frame = pd.DataFrame(rows, columns=["id", "source", "text", "at", "path", "sessions", "session_titles"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame = frame.sort_values(["at", "id"], na_position="first").set_index("id")
    frame["latest"] = False
    if len(frame):
        frame.iloc[-1, frame.columns.get_loc("latest")] = True
    return frame


def resolving_operations(plan: Plan, members: Iterable[str]) -> list[Operation]:
    """The update operations of `plan` that settle a conflict among `members`."""
    wanted = set(members)
    return [op for op in plan.operations if op.kind == "update" and op.reason == "conflict"
            and (wanted & {t.id for t in op.targets} or (op.result is not None and op.result.note_id in wanted))]
