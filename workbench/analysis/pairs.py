"""Pairs of texts that sit close in the embedding space, and how they differ: the structure candidates read.

`note_pairs` relates neighbouring notes (and notes paired by structure: the same `Key:`, "from X to
Y"); `relate_statements` relates each session sentence to the notes it is close to. Both are
bar-independent: they are computed once per analysis, down to its floor similarity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta

import numpy as np
import pandas as pd

from ..compare import Profile, key_of, old_values, profile, relate
from ..context import Context, context_signals
from ..markdown import label_body
from ..records import Note
from ..statements import Statement, declarative
from ..text import CHANGE_MARKERS, value_shape
from .neighbours import top_matches


def _older_first(a: Note, b: Note) -> tuple[Note, Note]:
    return (a, b) if (a.updated_at, a.id) <= (b.updated_at, b.id) else (b, a)


# Notes written within a minute of each other were written at the same time: a folder checked out or copied
# gets file times a few milliseconds apart, which say nothing about which fact is newer.
SAME_TIME = timedelta(minutes=1)

COARSE = {"verbatim": "duplicate", "same_words": "duplicate", "subset": "duplicate", "negation": "conflict",
          "value": "conflict", "words": "conflict", "reordered": "distinct", "subject": "distinct"}


def same_key_pairs(notes: Sequence[Note], limit: int = 50) -> list[tuple[int, int]]:
    """Index pairs of `Key: value` notes with the same key (whatever their similarity); a key held by more
    than `limit` notes is a list, not a slot, and gives no pairs."""
    by_key: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        key = key_of(note.text)
        if key is not None:
            by_key[key].append(i)
    return [(a, b) for members in by_key.values() if len(members) <= limit
            for x, a in enumerate(members) for b in members[x + 1:]]


def key_mentions(notes: Sequence[Note], statements: Sequence[Statement], profiles: dict[str, Profile]
                 ) -> list[tuple[int, int]]:
    """(statement, note) index pairs where a user sentence names every word of a `Key: value` note's key."""
    keys = [(i, set(key)) for i, n in enumerate(notes) if (key := key_of(n.text)) is not None]
    if not keys:
        return []
    out = []
    for s_row, statement in enumerate(statements):
        if statement.role != "user":
            continue
        words = set(profiles[statement.id].sequence)
        out.extend((s_row, i) for i, key in keys if key <= words)
    return out


def from_to_pairs(notes: Sequence[Note], profiles: dict[str, Profile], limit: int = 20) -> list[tuple[int, int]]:
    """Index pairs (a note saying "from X to Y", a note saying X), whatever their similarity."""
    holding: dict[str, list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        for atom in profiles[note.id].atoms:
            holding[atom].append(i)
    out = []
    for i, note in enumerate(notes):
        seq = profiles[note.id].sequence
        if "from" not in seq or "to" not in seq:
            continue
        start = seq.index("from") + 1
        stop = next((k for k in range(start, min(start + 6, len(seq))) if seq[k] == "to"), None)
        was = [w for w in seq[start:stop or start] if w in holding]
        if not was:
            continue
        sharing = set.intersection(*(set(holding[w]) for w in was)) - {i}
        out.extend((min(i, j), max(i, j)) for j in sorted(sharing)[:limit])
    return out


def changed_value_pairs(notes: Sequence[Note], profiles: dict[str, Profile],
                        contexts: dict[str, Context] | None = None, limit: int = 5) -> list[tuple[int, int]]:
    """Index pairs (a note with a change word and a value, a note that may hold its old value), whatever their
    similarity: a changed value is often said in few shared words. The other note is one

    - with the same rare name and another value of the same shape ("GreenLeaf is now $65 a visit" ↔ "Lawn
      service: GreenLeaf, $55/visit"), or a line of a record titled with that name that shares a word and
      holds such a value ("Ninefold now has 215 technicians" ↔ "Seats: 180 technicians" under **Ninefold**);
    - holding a rare value the note names as the old one ("Noor is B1 now (was A2)" ↔ "Level: A2").

    A name held by more than `limit` notes with such a value (or by ten times as many in all), or a value named as
    old that more than `limit` notes hold, pairs nothing."""
    holding: dict[str, list[int]] = defaultdict(list)
    titled: dict[str, list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        for name in _named(profiles[note.id]):
            holding[name].append(i)
        for name in contexts[note.id].names if contexts else ():
            titled[name].append(i)
    changed = [i for i, note in enumerate(notes) if profiles[note.id].values and CHANGE_MARKERS.search(note.text)]
    said_old = {i: old_values(profiles[notes[i].id]) for i in changed}
    valued = _holders(notes, profiles, set().union(*said_old.values()) if said_old else set())
    out = []
    for i in changed:
        mine = profiles[notes[i].id]
        shapes = {value_shape(v) for v in mine.values} - {""}
        for name in _named(mine):
            if len(holding[name]) > 10 * limit:
                continue
            lines = [j for j in titled[name] if mine.words & profiles[notes[j].id].words] if len(titled[name]) <= 10 * limit else []
            alike = [j for j in {*holding[name], *lines} if j != i and any(
                value_shape(v) in shapes for v in profiles[notes[j].id].values - mine.values)]
            if len(alike) <= limit:  # "EKS upgraded to 1.30" ↔ the one note naming EKS with a number
                out.extend((min(i, j), max(i, j)) for j in alike)
        for value in said_old[i]:
            if len(valued[value]) <= limit:
                out.extend((min(i, j), max(i, j)) for j in valued[value] if j != i)
    return sorted(set(out))


def _holders(notes: Sequence[Note], profiles: dict[str, Profile], values: set[str]) -> dict[str, list[int]]:
    """For each of `values`, the indices of the notes that hold it."""
    out: dict[str, list[int]] = defaultdict(list)
    if values:
        for i, note in enumerate(notes):
            for value in profiles[note.id].values & values:
                out[value].append(i)
    return out


def _named(p: Profile) -> set[str]:
    """The names and identifiers a note names (“GreenLeaf”, `ingest_hubspot`), not its numbers."""
    return {w for w in p.names | p.values if not value_shape(w) and len(w) > 2}


PAIR_COLUMNS = ["older", "newer", "similarity", "relation", "kind", "detail", "aligned", "ordered", "same_context",
                "parents_differ", "subjects_differ", "parallel", "structural"]


def note_pairs(notes: Sequence[Note], profiles: dict[str, Profile], contexts: dict[str, Context],
               index: np.ndarray, sims: np.ndarray, floor: float,
               forced: Sequence[tuple[int, int, float]] = (), duplicate_bar: float = 0.0,
               tick: Callable[[int], None] | None = None, chunk: int = 50_000) -> pd.DataFrame:
    """Neighbouring pairs at or above `floor`, older note first, with how they differ and where they sit.

    Below `duplicate_bar` a pair can only be a conflict, so it is aligned only when its polarity or
    its values differ (or it was paired by structure: the same key, "from X to Y").

    `relation` is the coarse reading (duplicate, conflict, distinct, related); `kind` the exact
    difference (`workbench.compare.relate`); the context columns say whether both notes share a
    document, section and parent item, or name different subjects in their context. `tick(n)`
    counts the notes done (a progress bar's count).
    """
    keyed = {(min(i, j), max(i, j)) for i, j, _ in forced}
    seen: set[tuple[int, int]] = set()
    rows, frames = [], []
    for i, j, sim in _candidates(index, sims, floor, forced, tick):
        key = (min(i, j), max(i, j))
        if key in seen:
            continue
        seen.add(key)
        row = _pair_row(notes[key[0]], notes[key[1]], profiles, contexts, sim, key in keyed, duplicate_bar)
        if row is not None:
            rows.append(row)
        if len(rows) == chunk:  # rows become columns as they come: a million row tuples took ~600 MB at once
            frames.append(pd.DataFrame(rows, columns=PAIR_COLUMNS))
            rows = []
    if rows or not frames:
        frames.append(pd.DataFrame(rows, columns=PAIR_COLUMNS))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frames.clear()  # the chunks go before the sort copies the whole: two copies at once, not three
    return frame.sort_values(["similarity", "older", "newer"], ascending=[False, True, True], ignore_index=True)


def _candidates(index: np.ndarray, sims: np.ndarray, floor: float, forced: Sequence[tuple[int, int, float]],
                tick: Callable[[int], None] | None, every: int = 256):
    """(i, j, similarity): each row's neighbours at or above `floor`, then the forced pairs; `tick` every
    `every` rows."""
    for i, (row_index, row_sims) in enumerate(zip(index, sims)):
        for j, sim in zip(row_index, row_sims):
            if sim >= floor:  # numpy scalars, compared as before (float32 against the bar)
                yield i, int(j), sim
        if tick is not None and (i + 1) % every == 0:
            tick(every)
    if tick is not None:
        tick(len(index) % every)
    yield from ((i, int(j), sim) for i, j, sim in forced)


def _pair_row(a: Note, b: Note, profiles: dict[str, Profile], contexts: dict[str, Context], sim: float,
              structural: bool, duplicate_bar: float) -> tuple | None:
    """One row of `note_pairs`, or None for a pair that cannot become a candidate."""
    old, new = _older_first(a, b)
    pa, pb = profiles[old.id], profiles[new.id]
    if sim < duplicate_bar and not structural and pa.negated == pb.negated \
            and not (pa.values - pb.values and pb.values - pa.values):
        return None  # no duplicate at this similarity, and nothing that could make a conflict
    relation = relate(pa, pb)
    kind, detail, aligned = relation.kind, relation.detail, relation.aligned
    if kind not in ("verbatim", "same_words"):
        kind, detail, aligned = _without_labels(old.text, new.text, relation)
    if kind == "different" and detail == "little in common" and not structural:
        return None  # too little in common to be a candidate of any kind
    where = context_signals(contexts[old.id], contexts[new.id])
    return (old.id, new.id, round(float(sim), 4), COARSE.get(kind, "related"), kind,
            detail, round(aligned, 3), new.updated_at - old.updated_at > SAME_TIME,
            where["same_context"], where["parents_differ"], where["subjects_differ"], where["parallel"],
            structural)


def _without_labels(a: str, b: str, relation) -> tuple[str, str, float]:
    """The relation of two notes once the leading bold label (`**Label:** …`) one of them has is set aside, when
    that makes them the same words ("**Synthesis:** The free cycle is …" and "The free cycle is …"); else the
    relation as is. Two notes behind two different labels (`**Ines:** …`, `**Sam:** …`) are never read so."""
    (label_a, body_a), (label_b, body_b) = label_body(a), label_body(b)
    if bool(label_a) != bool(label_b):  # one note is the other behind a label; two labels are two subjects
        bare = relate(profile(body_a), profile(body_b))
        if bare.kind in ("verbatim", "same_words") and len(profile(body_a).atoms) >= 4:
            label = label_a or label_b
            return "same_words", f"the same words once the label “{label}” is set aside", bare.aligned
    return relation.kind, relation.detail, relation.aligned


def relate_statements(notes: Sequence[Note], vectors: np.ndarray, statements: Sequence[Statement],
                      statement_vectors: np.ndarray, profiles: dict[str, Profile], floor: float,
                      k: int = 3, tick: Callable[[int], None] | None = None) -> pd.DataFrame:
    """For each sentence of the sessions, the notes it is close to (and the `Key: value` notes whose key
    it names) and how it relates to them; `tick(n)` counts the sentences done."""
    index, sims = top_matches(statement_vectors, vectors, k)
    close = [(s_row, int(j), float(sim)) for s_row in range(len(statements))
             for j, sim in zip(index[s_row], sims[s_row]) if sim >= floor]
    seen = {(a, b) for a, b, _ in close}
    named = [(a, b, float(statement_vectors[a] @ vectors[b])) for a, b in key_mentions(notes, statements, profiles)
             if (a, b) not in seen]
    keyed = {(a, b) for a, b, _ in named}
    rows, counted = [], 0
    for s_row, j, sim in sorted(close + named):
        if tick is not None and s_row - counted >= 256:
            tick(s_row - counted)
            counted = s_row
        statement, note = statements[s_row], notes[j]
        relation = relate(profiles[note.id], profiles[statement.id], trim=True)
        later = statement.at is not None and statement.at > note.updated_at
        rows.append((statement.id, note.id, statement.session_id, round(sim, 4),
                     COARSE.get(relation.kind, "related"), relation.kind, relation.detail, later,
                     statement.role == "user", statement.kind == "statement",
                     declarative(statement.text, profiles[statement.id]), (s_row, j) in keyed, statement.at))
    if tick is not None:
        tick(len(statements) - counted)
    columns = ["statement", "note", "session", "similarity", "relation", "kind", "detail", "later", "user", "fact",
               "declarative", "names_key", "at"]
    return pd.DataFrame(rows, columns=columns)
