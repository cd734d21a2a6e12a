"""Candidates: what a judge must decide, found by the analysis with recall in mind.

A candidate carries the notes (and session sentences) it is about and the structure that makes
it one: how two texts differ (`workbench.compare`), whether they share a context, whether they
can be ordered in time, which date governs a note. Three judges read the same candidates — the
offline rules (`workbench.dream.rules`), Claude (`workbench.dream.claude`) and a person in the
review UI — and write the same `Verdict`s.

Kinds:

- `pair`: two notes alike enough to be one fact, or one fact with two values;
- `session`: a note and a later user sentence about it that says something else;
- `note`: a note that may no longer hold (an expiry or deadline, an old one-off, off focus);
- `insight`: a statement made in several sessions that no note holds.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .analysis import Analysis, complete_link, memoized, memory_centroids, nearest
from .compare import FUNCTION_WORDS, Profile, key_of, relate
from .note_labels import (
    document_notes,
    is_attribute,
    is_list_item,
    label_subjects_differ,
    one_record,
)
from .note_labels import label_of as label_of  # importable from here, where it was first
from .records import EPOCH, Note
from .statements import (
    LIFETIME_DAYS,
    anchor_date,
    clean_fact,
    closed_marker,
    deadline,
    episodic,
    expiry,
    lifetime,
    open_heading,
    open_marker,
    placeholder,
    relative_time,
    transient_time,
    wait_deadline,
    waiting_since,
    without_placeholder,
)
from .text import CHANGE_MARKERS, DateMention, find_dates

if TYPE_CHECKING:
    from .focus import Focus

PAIR_KINDS = ("verbatim", "same_words", "subset", "negation", "value", "words", "different", "reordered")  # not "subject": never one fact
SESSION_KINDS = ("negation", "value", "words", "different")


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something to judge: notes (older first), sentences, similarity and the structure found."""

    id: str
    kind: str  # pair | session | note | insight
    notes: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    similarity: float = 0.0
    signals: Mapping[str, Any] = field(default_factory=dict)


# --- pairs of notes ------------------------------------------------------------------------


def pair_candidates(analysis: Analysis, floor: float) -> list[Candidate]:
    """Neighbouring notes at or above `floor` whose structure makes them one fact or two values of one."""
    return list(iter_pair_candidates(analysis, floor))


def iter_pair_candidates(analysis: Analysis, floor: float) -> Iterator[Candidate]:
    """`pair_candidates` one at a time (at 100,000 notes the whole list holds a million signal dicts)."""
    hits = _pair_rows(analysis, floor)
    if hits.empty:
        return
    notes = analysis.corpus.note_by_id
    closest = _closest(hits)
    facts = _NoteFacts(analysis)
    for row in _rows(hits):
        older, newer = notes[row.older], notes[row.newer]
        ordered_by, ordered_how = ("time", "time") if row.ordered else ("", "")
        if not ordered_by:
            later, ordered_by = text_order(older, newer)
            ordered_how = "marker" if ordered_by.startswith("the text says") else "dates" if ordered_by else ""
            if later == older.id:
                older, newer = newer, older
        fo, fn = facts[older], facts[newer]
        signals = {"relation": row.kind, "detail": row.detail, "aligned": float(row.aligned),
                   "ordered": bool(ordered_by), "ordered_by": ordered_by, "ordered_how": ordered_how,
                   "placeholder": fo.placeholder or fn.placeholder,
                   "title": "title" in (older.kind, newer.kind),
                   "attributes": fo.attribute and fn.attribute,
                   "subjects": label_subjects_differ(older, newer, analysis),
                   "one_record": one_record(analysis, older, newer),
                   "list_key": fo.list_item or fn.list_item,
                   "standalone": fo.standalone and fn.standalone,
                   "same_context": bool(row.same_context), "same_document": older.path == newer.path,
                   "parallel": bool(row.parallel),
                   "specific": fo.named and fn.named,
                   "parents_differ": bool(row.parents_differ),
                   "subjects_differ": bool(row.subjects_differ),
                   "self_contained": fo.self_contained and fn.self_contained,
                   "fields": fo.key is not None and fo.key == fn.key,
                   "older_at": older.updated_at, "newer_at": newer.updated_at,
                   "structural": bool(row.structural)}
        signals["closest"] = float(row.similarity) >= closest[newer.id]  # what a restatement most likely replaces
        yield Candidate(f"pair:{older.id}|{newer.id}", "pair", (older.id, newer.id), (), float(row.similarity), signals)


_ROW_COLUMNS = ("older", "newer", "similarity", "kind", "detail", "aligned", "ordered", "same_context", "parallel",
                "parents_differ", "subjects_differ", "structural")
_Row = namedtuple("_Row", _ROW_COLUMNS)


def _rows(hits: pd.DataFrame) -> Iterator[_Row]:
    """The rows of `hits` as named tuples of Python values (column lists zipped: `itertuples` walked the
    Arrow-backed text columns one element at a time)."""
    return map(_Row._make, zip(*(hits[column].tolist() for column in _ROW_COLUMNS)))


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the pair signals read of one note by itself."""

    placeholder: bool
    attribute: bool
    list_item: bool
    standalone: bool
    named: bool
    self_contained: bool
    key: tuple[str, ...] | None


class _NoteFacts:
    """Note → its `_Facts`, worked out the first time a note is met (a note is in many pairs)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.known: dict[str, _Facts] = {}

    def __getitem__(self, note: Note) -> _Facts:
        facts = self.known.get(note.id)
        if facts is None:
            analysis, profile = self.analysis, self.analysis.profiles[note.id]
            facts = _Facts(bool(placeholder(note.text)), is_attribute(analysis, note), is_list_item(analysis, note),
                           _standalone(analysis, note), bool(profile.names), profile.self_contained, key_of(note.text))
            self.known[note.id] = facts
        return facts


def _closest(hits: pd.DataFrame) -> dict[str, float]:
    """Each note's highest similarity among the candidate pairs it is in (at least 0)."""
    ids = pd.concat([hits["older"], hits["newer"]], ignore_index=True)
    sims = pd.concat([hits["similarity"], hits["similarity"]], ignore_index=True).astype(float)
    return sims.groupby(ids.to_numpy(dtype=object), sort=False).max().clip(lower=0.0).to_dict()


def _pair_rows(analysis: Analysis, floor: float) -> pd.DataFrame:
    """The rows of `analysis.pairs` that are pair candidates at `floor`."""
    pairs = analysis.pairs
    if pairs.empty:
        return pairs
    return pairs[((pairs.similarity >= floor) | pairs.structural) & pairs.kind.isin(PAIR_KINDS)]


def pair_similarities(analysis: Analysis) -> np.ndarray:
    """The similarities of the pair candidates down to the analysis's floor: what the tuner's bars cut
    (memoized per analysis)."""
    floor = analysis.bars.get("floor", min(analysis.bars["duplicate"], analysis.bars["conflict"]))
    return memoized(analysis, ("candidates:similarities", floor),
                    lambda: _pair_rows(analysis, floor)["similarity"].to_numpy(dtype=float) if len(analysis.pairs)
                    else np.zeros(0))


def _standalone(analysis: Analysis, note: Note) -> bool:
    """A statement that says what it means wherever it sits: four content words or values or more, not an
    attribute line, a title or a placeholder."""
    return (len(analysis.profiles[note.id].atoms) >= 4 and not is_attribute(analysis, note) and note.kind != "title"
            and not placeholder(note.text))


# What says a note is the later statement: the change words of the text layer, an opening "New:" / "Edit:", or a
# parenthesised update ("(updated …)", "(was …)").
_CORRECTION = re.compile(CHANGE_MARKERS.pattern + r"|^\W*(?:edit(?:ed)?|revised|new)\b"
                         r"|[(\[]\s*(?:updated?|corrected|revised|formerly|previously|was|now)\b", re.IGNORECASE)


def text_order(a: Note, b: Note) -> tuple[str | None, str]:
    """Which of two notes written at the same time is the later statement, by what their texts say: a
    correction marker in one only ("Correction:", "actually", "formerly", "now", "as of"), else the latest
    date each names. (None, "") when the texts cannot tell."""
    marked_a, marked_b = _CORRECTION.search(a.text), _CORRECTION.search(b.text)
    if bool(marked_a) != bool(marked_b):
        later, marker = (a, marked_a) if marked_a else (b, marked_b)
        return later.id, f"the text says it is the later one (“{marker.group(0)}”)"
    when_a, when_b = _latest_date(a), _latest_date(b)
    if when_a is not None and when_b is not None and when_a.when != when_b.when:
        later, earlier = (a, b) if when_a.when > when_b.when else (b, a)
        latest, first = (when_a, when_b) if later is a else (when_b, when_a)
        return later.id, f"the dates in the texts say so ({latest.text} after {first.text})"
    return None, ""


def _latest_date(note: Note):
    dated = [m for m in find_dates(note.text, note.updated_at) if m.when is not None]
    return max(dated, key=lambda m: m.when) if dated else None


# --- a note and a later sentence -----------------------------------------------------------


def session_candidates(analysis: Analysis, floor: float) -> list[Candidate]:
    """Notes contradicted by a later user sentence (the latest such sentence per note)."""
    mentions = analysis.mentions
    if mentions.empty:
        return []
    late = mentions[mentions.kind.isin(SESSION_KINDS) & mentions.later & mentions.user & mentions.declarative
                    & ((mentions.similarity >= floor) | mentions.names_key)]
    latest: dict[str, Any] = {}
    for row in late.sort_values(["at", "statement"]).itertuples():
        latest[row.note] = row
    statements = analysis.statement_by_id
    out = []
    for note_id, row in sorted(latest.items()):
        s = statements[row.statement]
        if not _speaker_may_update(analysis, note_id, s):
            continue
        signals = {"relation": row.kind, "detail": row.detail, "said_at": s.at,
                   "note_at": analysis.corpus.note_by_id[note_id].updated_at}
        out.append(Candidate(f"session:{note_id}|{s.id}", "session", (note_id,), (s.id,), float(row.similarity),
                             signals))
    return out


def _speaker_may_update(analysis: Analysis, note_id: str, statement) -> bool:
    """A named speaker speaks for the notes about them: when a turn names its speaker and the note's
    context names someone, the speaker must be among them (two people in one chat are two subjects)."""
    speaker = analysis.corpus.turn_by_id[statement.turn_id].meta.get("speaker")
    names = analysis.contexts[note_id].names
    return not (speaker and names) or str(speaker).casefold() in names


# --- notes that may no longer hold ---------------------------------------------------------


def support(analysis: Analysis, bar: float) -> pd.DataFrame:
    """Per supported note (index `note`): the sessions whose sentences say it (`sessions`, sorted) and the
    time of the latest (`last_at`), counting sentences at or above `bar` that read as the same fact."""
    return memoized(analysis, ("support", bar), lambda: _support(analysis, bar))


def supporting_sessions(analysis: Analysis) -> dict[str, tuple[str, ...]]:
    """Note id → the sessions that say it, at the analysis's support bar (notes no session says are absent)."""
    return memoized(analysis, "supporting_sessions", lambda: support(analysis, analysis.bars["support"])["sessions"].to_dict())


def _support(analysis: Analysis, bar: float) -> pd.DataFrame:
    mentions = analysis.mentions
    if mentions.empty:
        return pd.DataFrame({"sessions": pd.Series(dtype=object), "last_at": pd.Series(dtype="datetime64[ns, UTC]")},
                            index=pd.Index([], name="note"))
    said = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= bar)]
    grouped = said.groupby("note")
    frame = pd.DataFrame({"sessions": grouped["session"].agg(lambda s: tuple(sorted(set(s)))),
                          "last_at": grouped["at"].max()})
    frame.index.name = "note"
    return frame


def note_candidates(analysis: Analysis, horizon_days: int) -> list[Candidate]:
    """Notes with a passed expiry or deadline, and old one-offs that no recent session supports."""
    as_of = analysis.corpus.as_of
    out = []
    for note, reading in memoized(analysis, "candidates:note_readings", lambda: _note_readings(analysis)):
        signals = reading if isinstance(reading, dict) else _aged(reading, as_of, horizon_days)
        if signals:
            out.append(Candidate(f"note:{note.id}", "note", (note.id,), (), 0.0, signals))
    return out


@dataclass(frozen=True)
class _Dated:
    """What a note says of time, read once per analysis; the horizon decides the rest (`_aged`)."""

    last: Any  # when a session last supported it (NaT: never)
    updated_at: datetime
    wait: DateMention | None  # a wait or request with its date
    relative: str  # "today", "this week", …
    transient: str  # the relative time of a passing condition
    anchor: DateMention | None  # the latest date it names outright
    event: DateMention | None  # the date of the event it tells
    named: bool
    temporary: bool  # words that say it holds for now ("temporarily", "for now")

    def supported_since(self, when: datetime) -> bool:
        return not pd.isna(self.last) and self.last > when


def _note_readings(analysis: Analysis) -> list[tuple[Note, dict[str, Any] | _Dated]]:
    """Per note: its signals when the horizon plays no part in them, else what `_aged` reads under a horizon."""
    as_of = analysis.corpus.as_of
    status = support(analysis, analysis.bars["support"])
    return [(note, _note_reading(analysis, note, as_of, status)) for note in analysis.corpus.notes]


def _note_reading(analysis: Analysis, note: Note, as_of: datetime, status: pd.DataFrame) -> dict[str, Any] | _Dated:
    """A note's signals that hold under any horizon (a placeholder, a closed item, a passed expiry or
    deadline; {} for a note never stale), or its dates for `_aged`."""
    if note.id in analysis.parent_ids or note.kind == "title":
        return {}
    empty = placeholder(note.text)
    if empty:
        label = note.text.rsplit(":", 1)[0] if ":" in note.text else ""
        named = len(label.split()) > 3 or any(c in label for c in "(—–")  # "Coach (Coach Ruiz) phone: (unknown)"
        if named and (kept := without_placeholder(note.text)):
            return {"why": "placeholder_detail", "detail": empty, "kept": kept}
        return {"why": "placeholder_named" if named else "placeholder", "detail": empty}
    profile = analysis.profiles[note.id]
    if not profile.parsed:
        return {}
    closed = _closed(analysis, note)
    if closed:
        return closed
    last = status.at[note.id, "last_at"] if note.id in status.index else pd.NaT
    supported_since = lambda when: not pd.isna(last) and last > when  # noqa: E731
    ends = expiry(note.text, note.updated_at)
    if ends is not None and ends.when < as_of and not supported_since(ends.when):
        renewal = _renewal(analysis, note, ends.when)
        if renewal:
            return {"why": "renewed", "date": ends.text, "when": ends.when, "by": renewal}
        return {"why": "expired", "date": ends.text, "when": ends.when}
    due = deadline(note.text, note.updated_at) or wait_deadline(note.text, note.updated_at)
    if due is not None and due.when < as_of and not supported_since(due.when):
        return {"why": "deadline", "date": due.text, "when": due.when}
    relative, transient = relative_time(note.text), transient_time(note.text)
    anchor = anchor_date(note.text, note.updated_at)  # what "today" means in a note that names its date
    return _Dated(last, note.updated_at, waiting_since(note.text, note.updated_at), relative, transient, anchor,
                  episodic(note.text, note.updated_at) or (anchor if transient else None), bool(profile.names),
                  bool(_TEMPORARY.search(note.text)))


def _aged(d: _Dated, as_of: datetime, horizon_days: int) -> dict[str, Any]:
    """A note waiting past its span, or telling an event older than the horizon that no session supports since."""
    overdue = as_of - timedelta(days=min(horizon_days, LIFETIME_DAYS["wait"]))
    if d.wait is not None and d.wait.when < overdue and not d.supported_since(d.wait.when):
        return {"why": "waiting", "date": d.wait.text, "when": d.wait.when, "age_days": (as_of - d.wait.when).days}
    if d.event is None:
        return {}
    when = min(d.updated_at, d.anchor.when) if d.anchor is not None else d.updated_at
    age = (as_of - when).days
    days = min(horizon_days, LIFETIME_DAYS[lifetime(d.relative)]) if d.transient else horizon_days
    if age > days and not d.supported_since(as_of - timedelta(days=days)):
        temporary = bool(d.temporary or d.transient) or bool(d.relative) and age > horizon_days
        return {"why": "episodic", "date": (d.anchor or d.event).text, "when": when, "age_days": age,
                "named": d.named, "temporary": temporary}
    return {}


def _renewal(analysis: Analysis, note: Note, ended: datetime) -> str:
    """The id of an alike note or one of its document that says the term was extended ("renewed …; new expiry 2027-10-31"): a change
    word, a word of the expired note's besides its values, a later date. Then the expired note holds an older
    value, not nothing."""
    pairs = analysis.pairs
    mine = analysis.profiles[note.id]
    alike = [*pairs.newer[pairs.older == note.id], *pairs.older[pairs.newer == note.id]]
    for other in dict.fromkeys([*alike, *(n.id for n in document_notes(analysis, note.memory_id) if n.id != note.id)]):
        text, theirs = analysis.corpus.note_by_id[other].text, analysis.profiles[other]
        later = any(m.when is not None and m.when > ended for m in find_dates(text, note.updated_at))
        if later and CHANGE_MARKERS.search(text) and (mine.atoms & theirs.atoms) - mine.values - theirs.values:
            return str(other)
    return ""


_TEMPORARY = re.compile(r"\b(?:temporar(?:y|ily)|for\s+now|for\s+the\s+time\s+being|for\s+a\s+(?:\d+|one|two|few)"
                        r"[\s-](?:hour|day|week|month)s?(?:[\s-]long)?\s+period)\b", re.IGNORECASE)


def _answered(text: str) -> bool:
    """A closed question that carries its answer ("Is X comparable? ✅ resolved: yes — same waypoints"): the
    answer is a fact, so the item is history to keep or move, not clutter."""
    asked, _, after = text.partition("?")
    return bool(after) and len(re.findall(r"[^\W\d_]{3,}", after)) >= 4


def _closed(analysis: Analysis, note: Note) -> dict[str, Any]:
    """A closed item (✅, [x], ~~struck~~, DONE) left in a list of open items — under an open-items heading
    ("Known issues", "TODO", "Follow-ups"), or beside items marked open ("why": "closed"); or a closed record —
    a note under a heading marked closed ("(DEPRECATED)"), or of a section whose status line says closed while
    open records sit beside it ("why": "closed_record", a question: history to keep, or clutter)."""
    memory = analysis.corpus.store.by_id.get(note.memory_id)
    raw = (lambda n: memory.content[n.start:n.end] if memory is not None else "")  # noqa: E731
    document = document_notes(analysis, note.memory_id)
    marker = closed_marker(note.text, raw(note))
    where = "the item itself"
    if not marker and note.section:
        marker = next((m for n in document if n.section == note.section and n.id != note.id
                       for m in [closed_marker(n.text)] if m.startswith("status:")), "")
        where = f"the status line of its section “{note.section}”"
    if marker:  # a closed item in an open list is clutter; a closed record is history, or clutter: a judge says
        stem = note.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("_", " ").replace("-", " ")
        headings = [stem, *note.section.split(" / "), *note.parents]  # a document named "open_questions" too
        siblings = [n for n in document if n.section == note.section and n.parent == note.parent and n.id != note.id]
        open_list = any(open_heading(h) for h in headings if h) or any(open_marker(n.text, raw(n)) for n in siblings)
        if where == "the item itself" and open_list and not marker.startswith("status:") and not _answered(note.text):
            return {"why": "closed", "marker": marker, "where": f"{where}, among open items"}
        if open_list or any(open_marker(n.text) for n in document if n.section != note.section):
            return {"why": "closed_record", "marker": marker, "where": where}
    for context in (note.section.split(" / ")[-1] if note.section else "", *note.parents):
        marker = closed_marker(context) if context else ""
        if marker:
            return {"why": "closed_record", "marker": marker, "where": f"its heading “{context}”"}
    return {}


# --- insights ------------------------------------------------------------------------------


def insight_candidates(analysis: Analysis, bar: float, support_bar: float, min_sessions: int = 2) -> list[Candidate]:
    """Standalone user statements (or tool failures) made in `min_sessions` sessions or more, held by no note."""
    mentions = analysis.mentions
    held = set(mentions[(mentions.similarity >= support_bar) & (mentions.relation == "duplicate")].statement) \
        if len(mentions.columns) else set()
    pool = [i for i, s in enumerate(analysis.statements)
            if s.id not in held and (s.kind in ("failure", "statement") or s.role == "user" and _said(s, analysis))]
    if len(pool) < 2:
        return []
    statements = [analysis.statements[i] for i in pool]
    vectors = analysis.statement_vectors[pool]
    edges = memoized(analysis, ("candidates:restated", bar, support_bar), lambda: _restatements(analysis, pool, bar))
    by_id = {s.id: s for s in statements}
    vector_of = {s.id: v for s, v in zip(statements, vectors)}
    centroids, memory_ids = memory_centroids(analysis)
    out = []
    for members in complete_link(sorted(edges)):
        group = [by_id[m] for m in members]
        sessions = sorted({s.session_id for s in group})
        if len(sessions) < min_sessions:
            continue
        standalone = [s for s in group if s.kind in ("statement", "failure")]
        if not standalone:
            continue
        links = {edges.get((x, y)) or edges.get((y, x)) for x in members for y in members if x < y}
        verified = links <= {"restated", "failure"}
        best = min(standalone, key=lambda s: (len(analysis.profiles[s.id].sequence), str(s.at), s.id))
        how = "failure" if group[0].kind == "failure" else "restated" if verified else "paraphrased"
        text = (f"`{best.text.removesuffix(' failed')}` failed in {len(sessions)} separate sessions; treat it as a "
                "known flaky or recurring failure.") if how == "failure" else clean_fact(best.text)
        block = np.stack([vector_of[m] for m in members])
        where, where_sim = None, 0.0
        if len(centroids):
            scores = centroids @ block.mean(axis=0)
            where, where_sim = memory_ids[int(np.argmax(scores))], float(scores.max())
        quotes = tuple((s.session_id, s.turn_id, s.text) for s in sorted(group, key=lambda s: (str(s.at), s.id)))
        signals = {"sessions": tuple(sessions), "how": how, "text": text, "quotes": quotes,
                   "best_memory": where, "best_memory_similarity": round(where_sim, 4),
                   "centrality": round(float((block @ block.T).mean()), 4)}
        out.append(Candidate(f"insight:{best.id}", "insight", (), tuple(members), 0.0, signals))
    return sorted(out, key=lambda c: (-len(c.signals["sessions"]), c.id))


def _restatements(analysis: Analysis, pool: list[int], bar: float) -> dict[tuple[str, str], str]:
    """Pairs of pooled statements from two sessions that say the same thing, and how ("restated", …)."""
    statements = [analysis.statements[i] for i in pool]
    index, sims = nearest(analysis.statement_vectors[pool], k=min(20, len(pool) - 1))
    edges: dict[tuple[str, str], str] = {}
    for a, (row_index, row_sims) in enumerate(zip(index, sims)):
        for b, sim in zip(row_index, row_sims):
            sa, sb = statements[a], statements[int(b)]
            if sa.session_id == sb.session_id or sa.id >= sb.id:
                continue
            pa, pb = analysis.profiles[sa.id], analysis.profiles[sb.id]
            if sa.kind != "failure" and len(pa.atoms & pb.atoms) < 3:
                continue  # too little in common to restate anything
            how = _restated(pa, pb, sa.kind == "failure")
            if how == "restated" or how and sim >= bar:  # the same words need no similarity bar
                edges[(sa.id, sb.id)] = how
    return edges


def _said(statement, analysis: Analysis) -> bool:
    """A user sentence that may restate a fact: not a question, not a dated one-off, with words to compare."""
    profile = analysis.profiles[statement.id]
    return (not statement.text.rstrip().endswith("?") and profile.parsed
            and episodic(statement.text, statement.at or EPOCH) is None)


def _restated(a: Profile, b: Profile, failure: bool) -> str:
    """How two statements say the same thing: "restated" (same words, or one says the other's whole
    statement inside it), "paraphrased" (alike, nothing specific differs), or ""."""
    if failure:
        return "failure" if a.text == b.text else ""
    relation = relate(a, b)
    if relation.kind in ("verbatim", "same_words") or _common_statement(a, b):
        return "restated"
    if relation.kind in ("subset", "different") and relation.aligned < 0.5 and a.names == b.names \
            and a.values == b.values and a.negated == b.negated and len(a.atoms & b.atoms) >= 2:
        return "paraphrased"
    return ""


def _common_statement(a: Profile, b: Profile) -> bool:
    """One unbroken run of tokens that is most of the shorter sentence: three content tokens or more and no
    negator before it in either sentence ("Ada is allergic to peanuts" inside "Ada is allergic to peanuts,
    so no satay at her party")."""
    match = SequenceMatcher(None, a.sequence, b.sequence, autojunk=False).find_longest_match()
    run = a.sequence[match.a:match.a + match.size]
    kinds = a.kinds[match.a:match.a + match.size]
    shorter = min(len(a.sequence), len(b.sequence))
    content = [s for s, k in zip(run, kinds) if k != "negation" and s not in FUNCTION_WORDS]
    negated_before = "negation" in a.kinds[:match.a] or "negation" in b.kinds[:match.b]
    return match.size >= 0.6 * shorter and len(content) >= 3 and not negated_before


def find_candidates(analysis: Analysis, focus: Focus) -> list[Candidate]:
    """Every candidate under the focus's bars and horizon, in a stable order (each part memoized on what it
    depends on, so a focus change recomputes only what it changes)."""
    bars = dict(analysis.bars)
    for name in ("duplicate", "conflict", "support"):
        value = getattr(focus, f"{name}_bar", None)
        if value is not None:
            bars[name] = value
    floor = min(bars["duplicate"], bars["conflict"])
    insight_bar = bars.get("insight", bars["support"])
    return [*memoized(analysis, ("candidates:pairs", floor), lambda: pair_candidates(analysis, floor)),
            *memoized(analysis, ("candidates:sessions", bars["conflict"]),
                      lambda: session_candidates(analysis, bars["conflict"])),
            *memoized(analysis, ("candidates:notes", focus.horizon_days),
                      lambda: note_candidates(analysis, focus.horizon_days)),
            *memoized(analysis, ("candidates:insights", insight_bar, bars["support"], focus.min_sessions),
                      lambda: insight_candidates(analysis, insight_bar, bars["support"], focus.min_sessions))]
