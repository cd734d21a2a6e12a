"""Notes in full: a selection as a table, and what a reader needs beside a note (twins, rivals, sessions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis import Analysis, computed, memoized
from ..candidates import supporting_sessions
from ..findings import findings
from .titles import _when

if TYPE_CHECKING:
    from ..dream.plan import Plan


def search_notes(analysis: Analysis, query: str) -> list[str]:
    """Ids of notes whose text or path contains every word of `query` (case-insensitive)."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return []
    return [n.id for n in analysis.corpus.notes
            if all(w in f"{n.path} {n.text}".lower() for w in words)]


def ages(analysis: Analysis, ids: Iterable[str]) -> list[float]:
    """How many days before the corpus's last time each note was written (one decimal)."""
    as_of, notes = analysis.corpus.as_of, analysis.corpus.note_by_id
    return [round((as_of - notes[i].updated_at).total_seconds() / 86400, 1) for i in ids]


LOOKUPS = ("note_twins", "note_rivals", "note_sessions", "note_mentions", "note_conflicts", "supporting_sessions")


def selection_ready(analysis: Analysis) -> bool:
    """True when what a selection's table looks up is computed (`warm_selection`): a table is then quick."""
    return all(computed(analysis, key) for key in LOOKUPS)


def notes_table(analysis: Analysis, ids: Iterable[str], plan: Plan | None = None, *,
                complete: bool = True) -> pd.DataFrame:
    """Full notes for `ids` (in map order): path, text, cluster, age, support, duplicates, conflicts, sessions, fate.

    `complete=False` while the lookups are not computed yet: support, duplicates, conflicts and sessions
    are left empty rather than waited for (the app's table while the builder computes them)."""
    wanted = [i for i in dict.fromkeys(ids) if i in analysis.corpus.note_by_id]
    columns = ["path", "text", "cluster", "age_days", "support_sessions", "duplicates", "conflicts", "sessions"]
    if plan is not None:
        columns.append("fate")
    if not wanted:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    notes = analysis.corpus.note_by_id
    looked_up = complete or selection_ready(analysis)
    twins, rivals, sessions = (_twins(analysis), _rivals(analysis), _sessions_by_note(analysis)) if looked_up \
        else ({}, {}, {})
    label = analysis.clusters["label"].reindex(wanted).fillna("unclustered").tolist()
    age = ages(analysis, wanted)
    supported = supporting_sessions(analysis) if looked_up else {}
    support = [len(supported.get(i, ())) for i in wanted]
    fates = plan.fates() if plan is not None else {}
    rows = []
    for k, i in enumerate(wanted):
        row = {"id": i, "path": notes[i].path, "text": notes[i].text, "cluster": label[k], "age_days": age[k],
               "support_sessions": support[k], "duplicates": twins.get(i, []), "conflicts": rivals.get(i, []),
               "sessions": sessions.get(i, [])}
        if plan is not None:
            row["fate"] = fates.get(i, "kept")
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", *columns]).set_index("id")


def _twins(analysis: Analysis) -> dict[str, list[str]]:
    """Note id → the other notes of its duplicate groups (once per analysis: a selection only looks up)."""
    def compute() -> dict[str, list[str]]:
        twins: dict[str, list[str]] = defaultdict(list)
        for group in findings(analysis).duplicates:
            for m in group.notes:
                twins[m] += [o for o in group.notes if o != m]
        return dict(twins)
    return memoized(analysis, "note_twins", compute)


def _rivals(analysis: Analysis) -> dict[str, list[str]]:
    """Note id → the notes it conflicts with, in the order of the conflicts."""
    def compute() -> dict[str, list[str]]:
        rivals: dict[str, list[str]] = defaultdict(list)
        for pair in findings(analysis).conflicts:
            rivals[pair.older].append(pair.newer)
            rivals[pair.newer].append(pair.older)
        return dict(rivals)
    return memoized(analysis, "note_rivals", compute)


def _sessions_by_note(analysis: Analysis) -> dict[str, list[str]]:
    """Note id → the sessions whose sentences are close to it, sorted."""
    def compute() -> dict[str, list[str]]:
        near = analysis.mentions.drop_duplicates(["note", "session"]).sort_values("session")
        sessions: dict[str, list[str]] = defaultdict(list)  # a plain loop: groupby(...).agg(list) is 20× slower
        for note, session in zip(near["note"].tolist(), near["session"].tolist(), strict=True):
            sessions[note].append(session)
        return dict(sessions)
    return memoized(analysis, "note_sessions", compute)


MENTION_FIELDS = ("statement", "session", "relation", "similarity")  # what a note's card shows of a mention


def _mentions_by_note(analysis: Analysis, note_id: str, most: int) -> list[dict]:
    """A note's closest session sentences (at most `most`), most similar first, as plain records of
    `MENTION_FIELDS` (read column by column: a frame's `to_dict` costs milliseconds per note)."""
    near, rows = memoized(analysis, "note_mentions", lambda: _mention_rows(analysis.mentions))
    start, stop = rows.get(note_id, (0, 0))
    part = near.iloc[start:min(stop, start + most)]
    columns = [part[name].tolist() for name in MENTION_FIELDS]
    return [dict(zip(MENTION_FIELDS, values, strict=True)) for values in zip(*columns, strict=True)]


def _mention_rows(mentions: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[int, int]]]:
    """The mentions sorted by note, then most similar first; and each note's (first row, end row) in it."""
    near = mentions.sort_values(["note", "similarity"], ascending=[True, False], ignore_index=True)
    notes = near["note"].to_numpy()
    if not len(notes):
        return near, {}
    starts = np.flatnonzero(np.r_[True, notes[1:] != notes[:-1]])
    stops = np.r_[starts[1:], len(notes)]
    return near, {str(notes[a]): (int(a), int(b)) for a, b in zip(starts, stops, strict=True)}


def _conflicts_of(analysis: Analysis) -> dict[str, list]:
    """Note id → its conflicts, in the order of the findings."""
    def compute() -> dict[str, list]:
        out: dict[str, list] = defaultdict(list)
        for c in findings(analysis).conflicts:
            out[c.older].append(c)
            if c.newer != c.older:
                out[c.newer].append(c)
        return dict(out)
    return memoized(analysis, "note_conflicts", compute)


def warm_selection(analysis: Analysis) -> None:
    """Compute what a selection looks up (the first lasso then costs no more than the next)."""
    _twins(analysis), _rivals(analysis), _sessions_by_note(analysis), _mentions_by_note(analysis, "", 0)
    _conflicts_of(analysis), supporting_sessions(analysis)


def duplicates_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per note of each duplicate group: group id, path, text, and whether it is the representative."""
    found = findings(analysis)
    notes = analysis.corpus.note_by_id
    rows = [{"id": m, "group": g.id, "path": notes[m].path if m in notes else "",
             "text": notes[m].text if m in notes else "", "representative": m == g.representative}
            for g in found.duplicates for m in g.notes]
    return pd.DataFrame(rows, columns=["id", "group", "path", "text", "representative"]).set_index("id")


@dataclass(frozen=True)
class Mention:
    """A session sentence close to a note."""

    session_id: str
    session_title: str
    turn_id: str
    quote: str
    relation: str
    similarity: float
    at: object = None  # when the turn was said
    turn: int | None = None  # its number in the session (1-based)
    turns: int | None = None  # how many turns the session has

    @property
    def where(self) -> str:
        """"2025-05-02 14:10 · turn 7 of 24"."""
        parts = [_when(self.at)] if self.at is not None else []
        if self.turn is not None:
            parts.append(f"turn {self.turn} of {self.turns}")
        return " · ".join(parts)


@dataclass(frozen=True)
class NoteContext:
    """What the reader needs next to a note: its duplicates, its conflicts, the sessions that mention it."""

    id: str
    path: str
    text: str
    duplicates: tuple[tuple[str, str], ...]  # (note id, text)
    conflicts: tuple[tuple[str, str, str], ...]  # (id, text, detail)
    mentions: tuple[Mention, ...]


def note_context(analysis: Analysis, ids: Sequence[str], *, max_mentions: int = 5,
                 complete: bool = True) -> list[NoteContext]:
    """Duplicates, conflicts and mentioning sessions of each note in `ids` (none while the lookups are not
    computed, with `complete=False`)."""
    if not ids:
        return []
    if not (complete or selection_ready(analysis)):
        notes = analysis.corpus.note_by_id
        return [NoteContext(i, notes[i].path, notes[i].text, (), (), ()) for i in ids if i in notes]
    corpus = analysis.corpus
    notes = corpus.note_by_id
    statements = analysis.statement_by_id
    titles = {s.id: s.title for s in corpus.sessions}
    text_of = lambda i: notes[i].text if i in notes else statements[i].text if i in statements else i  # noqa: E731
    duplicates_of, conflicts_of = _twins(analysis), _conflicts_of(analysis)
    out = []
    for i in ids:
        if i not in notes:
            continue
        dups = tuple((m, notes[m].text) for m in duplicates_of.get(i, ()))
        rivals = tuple(((c.newer if c.older == i else c.older), text_of(c.newer if c.older == i else c.older), c.detail)
                       for c in conflicts_of.get(i, ()))
        mentions = tuple(
            Mention(r["session"], titles.get(r["session"], r["session"]), statements[r["statement"]].turn_id,
                    statements[r["statement"]].text, r["relation"], float(r["similarity"]),
                    *_turn_place(corpus, r["session"], statements[r["statement"]].turn_id))
            for r in _mentions_by_note(analysis, i, max_mentions))
        out.append(NoteContext(i, notes[i].path, notes[i].text, dups, rivals, mentions))
    return out


def _turn_place(corpus, session_id: str, turn_id: str) -> tuple[object, int | None, int | None]:
    """(when, turn number, turns in the session) of a turn."""
    session = corpus.session_by_id.get(session_id) if hasattr(corpus, "session_by_id") else None
    if session is None:
        return None, None, None
    for k, turn in enumerate(session.turns):
        if turn.id == turn_id:
            return turn.at or session.started_at, k + 1, len(session.turns)
    return session.started_at, None, None
