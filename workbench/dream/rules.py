"""The rules judge: a verdict for every candidate, precision first.

The rules decide with high confidence only what they can verify — two notes with the same words
in the same context, one slot of the same statement holding a later value, a passed expiry date —
and leave the rest as suggestions a person can accept, with the reason they read. A verdict's
confidence is not typed here: it is the precision measured for its rule
(`workbench.dream.calibration`, which also names every rule and holds the bars).

    verdict = verdict_of(candidate, analysis)   # Verdict(action="merge", rule="duplicate.same_words", ...)
    verdict = judged(candidate, analysis)       # the same, memoized beside the analysis
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis import Analysis, meaning_cosine, memoized
from ..candidates import Candidate, find_candidates
from ..compare import key_of, profile, relate, rewrite_slot
from ..context import section_words
from ..note_labels import is_attribute, label_of, labels_differ
from ..records import EPOCH
from ..statements import clean_fact
from ..text import find_dates, sentences, value_shape
from .calibration import SUGGESTION_FLOOR, confidence
from .supersede import (
    change_word,
    formerly,
    from_to,
    key_changed,
    name_changed,
    names_old,
    restated,
    with_new_value,
)

if TYPE_CHECKING:
    from ..focus import Focus

ACTIONS = ("merge", "update", "delete", "create", "none")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a judge says of a candidate: the action, the rule (or judge) behind it, and why."""

    candidate: str
    action: str  # merge | update | delete | create | none
    rule: str
    confidence: float
    reason: str
    keep: str | None = None  # merge: the note kept; update: the note that wins (or is rewritten)
    text: str | None = None  # the wording of the result, when it is not the kept note's text
    path: str | None = None  # create: the document to file it in
    judge: str = "rules"
    withheld: str = ""  # the action a rule would take but does not propose (measured below the floor)
    rewrite: bool = False  # update: rewrite `keep` to `text` and leave the other note as it is


def _verdict(candidate: Candidate, action: str, rule: str, reason: str, **extra: Any) -> Verdict:
    score = confidence(rule)
    if score < SUGGESTION_FLOOR:
        return Verdict(candidate.id, "none", rule, score,
                       f"{reason} — not proposed: rule {rule} is measured right only {score:.0%} of the time",
                       withheld=action, **extra)
    return Verdict(candidate.id, action, rule, score, reason, **extra)


def _none(candidate: Candidate, rule: str, why: str) -> Verdict:
    """No change: `rule` names why (a `distinct.*` reading, measured like any other, or `undecided.*` when no
    rule can tell); its confidence is how often that reading was measured right."""
    return Verdict(candidate.id, "none", rule, confidence(rule), why)


def judged(candidate: Candidate, analysis: Analysis) -> Verdict:
    """The rules' verdict on one candidate, judged once per analysis (a verdict depends on the candidate
    alone)."""
    verdicts = memoized(analysis, "verdicts", dict)
    if candidate.id not in verdicts:
        verdicts[candidate.id] = verdict_of(candidate, analysis)
    return verdicts[candidate.id]


def judged_candidates(analysis: Analysis, focus: Focus) -> list[tuple[Candidate, Verdict]]:
    """Every candidate under the focus with the rules' verdict (each candidate judged once per analysis)."""
    return [(candidate, judged(candidate, analysis)) for candidate in find_candidates(analysis, focus)]


def verdict_of(candidate: Candidate, analysis: Analysis) -> Verdict:
    """The rules' verdict on one candidate."""
    return {"pair": _pair, "session": _session, "note": _note, "insight": _insight}[candidate.kind](candidate, analysis)


# --- pairs ---------------------------------------------------------------------------------


def _pair(c: Candidate, analysis: Analysis) -> Verdict:
    s = c.signals
    older, newer = (analysis.corpus.note_by_id[i] for i in c.notes)
    kind = s["relation"]
    if s.get("placeholder"):
        return _none(c, "distinct.placeholder", "a placeholder holds no fact, so it is never merged or made a value")
    if s.get("title"):
        return _none(c, "distinct.title", "a title is the heading of the notes under it, never a fact to merge")
    if s.get("subjects"):
        return _none(c, "distinct.subject_label", "each opens with the name of another subject "
                                                  f"(“{label_of(older.text)}” ↔ “{label_of(newer.text)}”)")
    if s.get("attributes") and (kind in ("verbatim", "same_words", "subset")
                                or not (s["same_context"] and s["same_document"] or s.get("one_record"))):
        return _none(c, "distinct.field_other_title", "an attribute line belongs to its record: the same line in "
                                                      "another record (another title, rule or document) is another "
                                                      "fact")
    if s["parents_differ"] and not _update_beside(c, analysis, older, newer):
        return _none(c, "distinct.parents_differ", "under different parent items: the same words mean different facts")
    if s["subjects_differ"]:
        return _none(c, "distinct.subjects_differ", "in documents or sections about different subjects")
    if kind in ("reordered", "subject", "unparsed") or not (analysis.profiles[older.id].parsed
                                                            and analysis.profiles[newer.id].parsed):
        if kind == "reordered" and one_moved(analysis.profiles[older.id], analysis.profiles[newer.id]):
            keep = max(c.notes, key=lambda i: (len(analysis.corpus.note_by_id[i].text), i))
            return Verdict(c.id, "none", "duplicate.one_moved", confidence("duplicate.one_moved"),
                           "the same words with one moved (“Priya's passport” ↔ “Passport (Priya)”) — a question: "
                           "a moved word can still change the meaning", withheld="merge", keep=keep)
        if kind in ("reordered", "subject"):
            return _none(c, f"distinct.{kind}", s["detail"])
        return _none(c, "distinct.unparsed", "a note the rules cannot parse is kept")
    if older.kind == newer.kind == "numbered" and s["same_context"]:
        return _none(c, "distinct.procedure_steps", "steps of one numbered procedure: a repeated step is still a step")
    if s.get("list_key") and kind not in ("verbatim", "same_words"):
        return _none(c, "distinct.list_items", "items of one list that open with the same label: each is its own fact")
    if s["fields"] and kind not in ("verbatim", "same_words"):
        return _field(c, analysis)
    if kind in ("verbatim", "same_words"):
        return _duplicate(c, analysis, kind)
    if kind == "subset":
        richer = max(c.notes, key=lambda i: (len(analysis.profiles[i].atoms), i))
        return _verdict(c, "merge", "duplicate.subset", f"one note contains the other ({s['detail']})", keep=richer)
    if kind == "different":
        return _paraphrase(c, analysis)
    if older.id in analysis.parent_ids or newer.id in analysis.parent_ids:
        return _none(c, "distinct.parent_item", "a parent item is the context of other notes; it is never replaced")
    return _conflict(c, analysis, kind)


def _duplicate(c: Candidate, analysis: Analysis, kind: str) -> Verdict:
    s = c.signals
    keep = _kept(c, analysis)
    if s["same_context"]:
        where = "under the same headings" + (" of one document" if s["same_document"] else "")
        rule = "duplicate.same_words"
    elif s["self_contained"]:
        where = "in different places, each opening with its subject"
        rule = "duplicate.same_words_elsewhere"
    elif s["specific"] and not s["parallel"]:
        where = "under headings on other topics (not variants of one heading), naming the same code or names"
        rule = "duplicate.same_words_other_topic"
    else:
        return _none(c, "distinct.other_context", "the same words under other headings or in another document, and they do not say what they "
                        "are about: the context may make them different facts")
    what = "the same text" if kind == "verbatim" else "the same words"
    return _verdict(c, "merge", rule, f"{what} {where}", keep=keep)


def _kept(c: Candidate, analysis: Analysis) -> str:
    return keeper(analysis, c.notes)


def keeper(analysis: Analysis, ids: Sequence[str]) -> str:
    """The copy a merge keeps: a parent item if one is; else the copy in an index that is always loaded
    (`MEMORY.md`); else the copy that fits its document best (closest to the mean of that document's notes:
    the fact belongs there, not in a scratchpad); else the most recent, else the first."""
    notes = analysis.corpus.note_by_id
    memories = analysis.corpus.store.by_id
    return max(ids, key=lambda i: (i in analysis.parent_ids, bool(memories[notes[i].memory_id].meta.get("index")),
                                   round(_fit(analysis, i), 3), notes[i].updated_at, i))


def _fit(analysis: Analysis, note_id: str) -> float:
    """How close a note is to the mean of its document's other notes (1 for a document of one note)."""
    def compute() -> dict[str, float]:
        rows: dict[str, list[int]] = {}
        for i, note in enumerate(analysis.corpus.notes):
            rows.setdefault(note.memory_id, []).append(i)
        out = {}
        for members in rows.values():
            total = analysis.vectors[members].sum(axis=0)
            for i in members:
                rest = total - analysis.vectors[i]
                norm = float(np.linalg.norm(rest))
                out[analysis.note_ids[i]] = float(analysis.vectors[i] @ rest / norm) if len(members) > 1 and norm else 1.0
        return out
    return memoized(analysis, "document_fit", compute).get(note_id, 0.0)


def _paraphrase(c: Candidate, analysis: Analysis) -> Verdict:
    """Alike in other words: a paraphrase suggestion when nothing specific differs, a related-conflict
    suggestion when each names a value the other lacks (and they can be ordered), else nothing."""
    a, b = (analysis.profiles[i] for i in c.notes)
    inside = _sentence_inside(c, analysis)
    if inside is not None:
        return _verdict(c, "merge", "duplicate.sentence_inside", "the shorter note is one sentence of the longer, word "
                                                                 "for word", keep=inside)
    moved, renamed = from_to(a, b), formerly(a, b)
    if (moved or renamed) and c.signals["ordered"] and not any(i in analysis.parent_ids for i in c.notes):
        s = c.signals
        if moved:  # "moved from X to Y": X goes; the older note's other details stay (rewritten, or asked)
            return _superseded(c, a, b, "conflict.from_to", f"{_when(s)} says it changed from {moved[0]} to {moved[1]}",
                               gone=profile(moved[0]).atoms & a.atoms, rewrite=False)  # spans read loosely: asked
        reason = f"{_when(s)} says {renamed[0]} is now {renamed[1]} (a new name for the same thing)"
        if (a.atoms - set(profile(renamed[0]).atoms)) <= b.atoms or renamed[0] not in a.text:
            return _verdict(c, "update", "conflict.renamed", reason, keep=c.notes[1])
        return _verdict(c, "update", "conflict.renamed", f"{reason}; the older note says more, so it takes the new name",
                        keep=c.notes[0], text=a.text.replace(renamed[0], renamed[1], 1), rewrite=True)
    new_value = restated(a, b)
    if new_value and c.signals["ordered"] and not any(i in analysis.parent_ids for i in c.notes):
        return _superseded(c, a, b, "conflict.restated", f"the newer note says the older one's statement again with "
                                                         f"{new_value}; {_when(c.signals)} wins")
    older_note = analysis.corpus.note_by_id[c.notes[0]]
    gone = key_changed(a, b, key_of(older_note.text))
    if gone is not None and c.signals["ordered"] and _record_named(c, analysis) \
            and not any(i in analysis.parent_ids for i in c.notes):
        return _superseded(c, a, b, "conflict.key_changed", f"the newer note says “{older_note.text.split(':', 1)[0]}” "
                                                             f"again with a change word and another value; "
                                                             f"{_when(c.signals)} wins", gone=gone,
                           rewrite=not (a.values - set(key_of(older_note.text) or ())) & b.values)
    gone = name_changed(a, b)
    if gone is not None and c.signals["ordered"] and _record_named(c, analysis) \
            and not any(i in analysis.parent_ids for i in c.notes):
        return _superseded(c, a, b, "conflict.name_changed", f"the newer note says a name the older one holds changed "
                                                             f"and gives a new value for {_values(gone)}; "
                                                             f"{_when(c.signals)} wins", gone=gone)
    closest = bool(c.signals.get("closest", True)) and _record_named(c, analysis) and _one_subject(c, analysis)
    paired = c.signals.get("structural") and _record_named(c, analysis) and _one_subject(c, analysis)
    old = names_old(a, b, section_words(analysis.contexts[c.notes[0]].section)) if closest or paired else None
    if old and c.signals["ordered"] and not any(i in analysis.parent_ids for i in c.notes):
        return _superseded(c, a, b, "conflict.names_old", f"the newer note names “{old[0]}” as the old value and "
                                                          f"says {old[1]}; {_when(c.signals)} wins", named=old[0])
    changed = change_word(a, b, closest)
    if changed and c.signals["ordered"] and not any(i in analysis.parent_ids for i in c.notes):
        reason = (f"the newer note says “{changed}” about the older one's subject with other values "
                  f"({_values(a.values - b.values)} ↔ {_values(b.values - a.values)}); {_when(c.signals)} may replace "
                  "it — a question: a change word and one shared subject are often another fact")
        return _withheld(c, "conflict.changed", reason, keep=c.notes[1])
    shared = a.atoms & b.atoms
    overlap = len(shared) / max(1, min(len(a.atoms), len(b.atoms)))
    if len(shared) < 2 or overlap < 0.5:
        return _none(c, _different(c, analysis), c.signals["detail"])
    same = a.names == b.names and a.values == b.values and a.negated == b.negated
    reworded = c.signals["aligned"] < 0.5  # mostly equal with words swapped is another fact, not a paraphrase
    if same and reworded and c.similarity >= analysis.bars["duplicate"] and same_order(a, b) and _one_subject(c, analysis):
        keep = max(c.notes, key=lambda i: (len(analysis.profiles[i].atoms), i))
        return _verdict(c, "merge", "duplicate.paraphrase",
                        f"alike (cosine {c.similarity:.2f}) with the same names and values, in other words "
                        f"({c.signals['detail']})", keep=keep)
    if a.values - b.values and b.values - a.values and c.signals["ordered"] and a.negated == b.negated \
            and not any(i in analysis.parent_ids for i in c.notes):
        s = c.signals
        return _verdict(c, "update", "conflict.related",
                        f"{_values(a.values - b.values)} ↔ {_values(b.values - a.values)}; {_when(s)} "
                        "may replace the earlier — a suggestion: both may hold", keep=c.notes[1])
    return _none(c, _different(c, analysis), c.signals["detail"])


def _sentence_inside(c: Candidate, analysis: Analysis) -> str | None:
    """The longer note's id when the shorter one (six words or more) is one of its sentences, word for word (up to
    case, spacing and the final stop): "Hana wants to handle a rental contract by March." inside a session note."""
    (short, _), (long, keep) = sorted(((analysis.corpus.note_by_id[i].text, i) for i in c.notes),
                                      key=lambda t: (len(t[0]), t))
    said = _squash(short)
    if len(said.split()) < 6 or len(long) <= len(short) or said not in _squash(long):  # split only where it can be
        return None
    return keep if any(_squash(s) == said for s in sentences(long)) else None


def _squash(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".!;").strip()


def one_moved(a, b) -> bool:
    """The same content in another order where a single item moved (a subject put first or last), never two
    items that trade places (“A beat B” ↔ “B beat A”)."""
    sa, sb = [w for w in a.sequence if w in a.atoms], [w for w in b.sequence if w in b.atoms]
    kept = sum(block.size for block in SequenceMatcher(None, sa, sb, autojunk=False).get_matching_blocks())
    return len(sa) == len(sb) and len(sa) - kept == 1


def _record_named(c: Candidate, analysis: Analysis) -> bool:
    """False when the older note is an attribute line of a record elsewhere (`Plan: Starter` under “Wren & Co”)
    and the newer note names no record of its: another record's change is not this one's new value."""
    older, newer = c.notes
    if c.signals["same_context"] or not is_attribute(analysis, analysis.corpus.note_by_id[older]):
        return True
    record = section_words(analysis.contexts[older].section)
    return not record or record <= analysis.profiles[newer].atoms | section_words(analysis.contexts[newer].section)


def _update_beside(c: Candidate, analysis: Analysis, older, newer) -> bool:
    """An update written outside the list it corrects (no parent item, its own words naming the older note's value
    as the old one, or a change word about its subject): the differing parents do not make it another fact."""
    a, b = analysis.profiles[older.id], analysis.profiles[newer.id]
    return c.signals["relation"] == "different" and not newer.parents and bool(older.parents) \
        and (names_old(a, b) is not None or bool(change_word(a, b, closest=True)))


def _one_subject(c: Candidate, analysis: Analysis) -> bool:
    """False when each note opens with a label of its own (“Disengagement Protocol:” ↔ “Acknowledgement
    Protocol:”): two subjects. A change word as a label (“Correction:”, “Update:”) names no subject."""
    la, lb = (label_of(analysis.corpus.note_by_id[i].text) for i in c.notes)
    return not labels_differ(la, lb, analysis)


def _withheld(c: Candidate, rule: str, reason: str, **extra: Any) -> Verdict:
    """A reading always put to a judge as a question, whatever its measured precision."""
    return Verdict(c.id, "none", rule, confidence(rule), reason, withheld="update", **extra)


def _superseded(c: Candidate, older, newer, rule: str, reason: str, named: str = "",
                gone: frozenset[str] | None = None, rewrite: bool = True) -> Verdict:
    """The newer note replaces the older one — unless the older says more (a name, value or two words the newer
    lacks besides the values that changed, `gone` when the reading knows them): then the older note is rewritten
    with the new value when one value changed for one (and `rewrite`: not when the newer says part of the older's
    detail again, "Hana: 2 sessions (Mon, Wed 19:30)" ↔ "dropped to 1 session (Wed 19:30)"), else asked."""
    if gone is None:
        shapes = {value_shape(v) for v in newer.values - older.values}
        gone = {named.casefold()} & older.atoms if named else \
            {v for v in older.values - newer.values if value_shape(v) in shapes}  # the values that changed
    extra = older.atoms - newer.atoms - gone
    if not (extra & older.values or len(extra) >= 2):
        return _verdict(c, "update", rule, reason, keep=c.notes[1])
    text = with_new_value(older, newer, gone) if rewrite else ""
    if text:
        return _verdict(c, "update", rule, f"{reason}; the older note says more, so it takes the new value",
                        keep=c.notes[0], text=text, rewrite=True)
    return _withheld(c, rule, f"{reason} — a question: the older note says more ({_values(extra)}) than the newer",
                     keep=c.notes[1])


MEANING_CLOSE = 0.7  # all-MiniLM-L6-v2 cosine from which two word-differing notes are read as alike in meaning


def _different(c: Candidate, analysis: Analysis) -> str:
    """Which `distinct` reading of two alike notes that differ in more than the rules can read, each measured
    apart so a question's prior says how often such pairs are one fact after all: `distinct.other_label` (each
    opens with its own label), `distinct.other_subject` (each opens with its own name or code),
    `distinct.meaning_close` (a sentence model reads them as alike in meaning, cosine ≥ `MEANING_CLOSE`: often a
    paraphrase that shares few words),
    `distinct.different_close` (as alike as halfway from the duplicate bar to identical), `distinct.different_named`
    (less alike, but naming the same code or names), `distinct.different`."""
    notes = analysis.corpus.note_by_id
    a, b = (notes[i] for i in c.notes)
    if labels_differ(label_of(a.text), label_of(b.text), analysis):
        return "distinct.other_label"
    sa, sb = (_opening_name(analysis.profiles[i]) for i in c.notes)
    if sa and sb and sa != sb:
        return "distinct.other_subject"
    meaning = meaning_cosine(analysis, *c.notes)
    if meaning is not None and meaning >= MEANING_CLOSE:
        return "distinct.meaning_close"
    close = (1 + analysis.bars.get("duplicate", 0.6)) / 2
    if c.similarity >= close:
        return "distinct.different_close"
    pa, pb = (analysis.profiles[i] for i in c.notes)
    return "distinct.different_named" if pa.names & pb.names else "distinct.different"


def _opening_name(p) -> str:
    """The name, code or identifier among a text's first three items, when it opens with one (its subject): after
    a leading date ("Oct 22 — PyPI owners: …" opens with PyPI), and in the key of a `Key: value` line ("Order: Amara
    → Jonas" opens with no name: its subject is the order)."""
    start, end = _opening_span(p.text)
    items = [(s, k) for s, k, (a, b) in zip(p.sequence[:8], p.kinds[:8], p.spans[:8]) if a >= start and b <= end]
    return next((s for s, k in items[:3] if k in ("name", "code")), "")


@lru_cache(maxsize=2**16)
def _opening_span(text: str) -> tuple[int, int]:
    """Where a text's subject may be named: after a leading date, and before the colon of a `Key: value` line."""
    dates = [m for m in find_dates(text[:40], EPOCH) if m.start <= 1]
    start = dates[0].end if dates else 0
    return start, text.index(":", start) if key_of(text[start:].lstrip(" —–-:,")) is not None else len(text)


def same_order(a, b) -> bool:
    """The content both texts share comes in the same order in each (no swapped roles)."""
    shared = a.atoms & b.atoms
    order_a = [s for s in dict.fromkeys(a.sequence) if s in shared]
    order_b = [s for s in dict.fromkeys(b.sequence) if s in shared]
    return order_a == order_b


def _values(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)[:4])


def _when(s) -> str:
    """How the two notes of a pair are ordered: their write times, or what their texts say."""
    if s.get("ordered_by", "time") == "time":
        return f"the later note ({_day(s['older_at'])} → {_day(s['newer_at'])})"
    return f"the later note ({s['ordered_by']})"


@lru_cache(maxsize=65_536)
def _day(at: datetime) -> str:
    """`at` as 2026-05-19 (formatted once per time: at 100,000 notes, 282,000 reasons cost 9 s of strftime)."""
    return f"{at:%Y-%m-%d}"


def _ordered_rule(s, rule: str) -> str:
    """A rule's own name when time orders the pair; when only the texts do, `conflict.marked_later` (a
    correction or update marker) or `conflict.dated_later` (the dates they name), measured apart."""
    how = s.get("ordered_how", "time")
    return rule if how == "time" else "conflict.marked_later" if how == "marker" else "conflict.dated_later"


def _field(c: Candidate, analysis: Analysis) -> Verdict:
    s = c.signals
    older, newer = (analysis.corpus.note_by_id[i] for i in c.notes)
    if not s["ordered"]:
        return _none(c, "undecided.unordered", f"{s['detail']}; written at the same time, so no rule can say which holds")
    key = older.text.split(":", 1)[0].strip()
    return _verdict(c, "update", _ordered_rule(s, "conflict.field"),
                    f"“{key}” is {older.text.split(':', 1)[1].strip()} ↔ {newer.text.split(':', 1)[1].strip()}; "
                    f"{_when(s)} wins", keep=newer.id)


def _conflict(c: Candidate, analysis: Analysis, kind: str) -> Verdict:
    s = c.signals
    if not s["ordered"]:
        return _none(c, "undecided.unordered", f"{s['detail']}; written at the same time, so no rule can say which holds")
    older, newer = c.notes
    rule = _ordered_rule(s, "conflict.field" if s["fields"] else f"conflict.{kind}")
    reason = f"{s['detail']}; {_when(s)} wins"
    if kind == "words":
        reason += " — a suggestion: other words may be another fact, not a new value"
    return _verdict(c, "update", rule, reason, keep=newer)


# --- a note and a later sentence -----------------------------------------------------------


def _session(c: Candidate, analysis: Analysis) -> Verdict:
    note = analysis.corpus.note_by_id[c.notes[0]]
    statement = analysis.statement_by_id[c.statements[0]]
    if note.id in analysis.parent_ids or not analysis.profiles[note.id].parsed:
        return _none(c, "distinct.unparsed", "a parent item or a note the rules cannot parse is kept")
    a, b = analysis.profiles[note.id], analysis.profiles[statement.id]
    relation = relate(a, b, trim=True)
    kind = relation.kind
    said = f"{statement.at:%Y-%m-%d}" if statement.at else "undated"
    if key_of(note.text) is not None:
        return _session_field(c, note, a, b, said)
    change = from_to(a, b)
    if change:
        return _verdict(c, "update", "conflict.session_from_to",
                        f"a later session ({said}) says it changed from {change[0]} to {change[1]}", keep=note.id,
                        text=swap_value(a, b) or clean_fact(statement.text))
    if kind == "different" and _related(a, b):
        return _verdict(c, "update", "conflict.session_related",
                        f"a later session ({said}) names {_values(b.values - a.values)} where the note has "
                        f"{_values(a.values - b.values)} — a suggestion: both may hold", keep=note.id,
                        text=swap_value(a, b) or clean_fact(statement.text))
    if kind not in ("negation", "value", "words"):
        return _none(c, "distinct.session", relation.detail)
    text = rewrite_slot(a, b, relation) if kind in ("value", "words") else None
    reason = f"a later session ({said}) says otherwise: {relation.detail}"
    if kind == "words":
        reason += " — a suggestion: other words may be another fact, not a new value"
    return _verdict(c, "update", f"conflict.session_{kind}", reason, keep=note.id,
                    text=text or clean_fact(statement.text))


def _session_field(c: Candidate, note, a, b, said: str) -> Verdict:
    """`Key: value` and a later sentence that names the key with new names or values ("my manager is now X")."""
    key, value = (part.strip() for part in note.text.split(":", 1))
    new = [t for t in b.tokens if t.norm in b.values - a.values]
    if not set(key_of(note.text) or ()) <= set(b.sequence) or not new or b.negated:
        return _none(c, "distinct.session", "the sentence does not give the note's key another value")
    start, end = new[0].start, new[-1].end
    new_value = b.text[start:end].strip(" .,;")
    return _verdict(c, "update", "conflict.session_field",
                    f"a later session ({said}) gives “{key}” as {new_value} (the note has {value}) — a suggestion",
                    keep=note.id, text=f"{key}: {new_value}")


def swap_value(a, b) -> str | None:
    """`a`'s text with its one value that `b` lacks replaced by `b`'s one value that `a` lacks, or None."""
    old, new = a.values - b.values, b.values - a.values
    if len(old) != 1 or len(new) != 1:
        return None
    (old_norm,), (new_norm,) = old, new
    spans = [t for t in a.tokens if t.norm == old_norm]
    surface = next((t.text for t in b.tokens if t.norm == new_norm), None)
    if len(spans) != 1 or surface is None:
        return None
    return a.text[:spans[0].start] + surface + a.text[spans[0].end:]


def _related(a, b) -> bool:
    """Half of the shorter text's content is shared, and each names a value the other lacks."""
    shared = a.atoms & b.atoms
    return (len(shared) >= 2 and len(shared) >= 0.5 * min(len(a.atoms), len(b.atoms))
            and bool(a.values - b.values) and bool(b.values - a.values) and a.negated == b.negated)


# --- notes that may no longer hold ---------------------------------------------------------


def _note(c: Candidate, analysis: Analysis) -> Verdict:
    s = c.signals
    why = s["why"]
    if why == "placeholder":
        return _verdict(c, "delete", "prune.placeholder", f"holds no fact: {s['detail']}")
    if why == "placeholder_detail":
        return _verdict(c, "delete", "prune.placeholder_detail", f"{s['detail']} beside the record it names: the "
                                                                 f"placeholder goes, “{s['kept']}” stays", text=s["kept"])
    if why == "placeholder_named":
        return _none(c, "undecided.placeholder_named", f"{s['detail']}, beside a name or detail that may be its only "
                                                        "record: whether the note goes is for a judge")
    if why == "closed":
        return _verdict(c, "delete", "prune.closed", f"an item marked closed ({s['marker']}, in {s['where']}) "
                                                      "left where open items are kept")
    if why == "closed_record":
        return _none(c, "undecided.closed_record", f"a record marked closed ({s['marker']}, in {s['where']}) among "
                                                    "open ones: history to keep, or clutter to remove, is for a judge")
    if why == "waiting":
        return _verdict(c, "delete", "prune.wait_passed", f"a wait or request dated {s['date']} ({s['age_days']} "
                                                          "days ago, past the horizon) — a suggestion: it may still be open")
    if why == "episodic" and s.get("temporary"):
        return _verdict(c, "delete", "prune.temporary_passed",
                        f"says it is temporary and names {s['date']}, {s['age_days']} days ago — a suggestion")
    if why == "expired":
        return _verdict(c, "delete", "prune.expired",
                        f"says it holds until {s['date']} ({s['when']:%Y-%m-%d}), which has passed; no session since supports it")
    if why == "renewed":
        return _none(c, "undecided.renewed", f"says it holds until {s['date']} ({s['when']:%Y-%m-%d}), which has passed, "
                                             "but an alike note says it was extended: take the new date, or remove, "
                                             "is for a judge (the older note may name what the newer one does not)")
    if why == "deadline":
        return _verdict(c, "delete", "prune.deadline_passed",
                        f"names a deadline ({s['date']}, {s['when']:%Y-%m-%d}) that has passed — a suggestion: "
                        "the fact may still matter")
    if why == "episodic":
        return _none(c, "undecided.episodic", f"a dated or past-tense note ({s['date']}), {s['age_days']} days old, that no recent session "
                        "mentions; whether it still matters is for a judge — a date alone never prunes")
    return _none(c, "distinct.holds", "nothing says it no longer holds")


# --- insights ------------------------------------------------------------------------------


def _insight(c: Candidate, analysis: Analysis) -> Verdict:
    how = c.signals["how"]
    sessions = c.signals["sessions"]
    rule = {"failure": "insight.recurring_failure", "restated": "insight.restated"}.get(how, "insight.paraphrased")
    said = "the same words" if how == "restated" else "alike statements" if how != "failure" else "the same failure"
    return _verdict(c, "create", rule, f"{said} in {len(sessions)} sessions; no note holds it")
