"""Questions: every candidate no rule decided, put to a judge — the most valuable first, within a budget.

Precision first must not mean silence. A candidate the rules leave undecided (a proposal measured
below the suggestion floor, a conflict no time can order, an old one-off, a `distinct` reading not
measured to clear the automatic bar) becomes a `Question`: the notes, the rules' reading, the
operation each answer would make, and the prior the calibration gives the rules' leaning. Copies of
one statement are one question. Questions are ranked by what an answer is worth: the measured chance
that it changes the store (the prior of a leaning to change, one minus the prior of a leaning to keep,
with no leaning the measure of the `undecided` reading: how often a curator changed the store there) × notes touched × focus weight (× how alike two notes are, for a pair: a rule's
precision is measured over all its pairs, and the barely alike ones are the least likely to be one fact). A question the rules would answer "keep"
and are measured right about almost always is worth little; one whose `distinct` reading is measured
wrong more often than right is worth most. A plan holds at most one question per
`1 / questions_per_note` notes (the rest are counted in `Plan.questions_found`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..analysis import memoized
from ..statements import clean_fact
from ..text import value_shape
from .calibration import AUTO_BAR, confidence
from .plan import Choice, Evidence, Operation, Question
from .rules import Verdict

if TYPE_CHECKING:
    from ..candidates import Candidate
    from .planner import Planner

QUESTIONS_PER_NOTE = 0.1  # by default at most one question per 10 notes
JUDGE = "person"  # the rule an answered question's operation names: the person who chose it
# Readings that are final by the store's structure, never put to a judge.
FINAL = frozenset({"distinct.field_other_title", "distinct.title", "distinct.placeholder", "distinct.subject_label", "distinct.list_items",
                   "distinct.procedure_steps",
                   "distinct.unparsed",
                   "distinct.parent_item",
                   "distinct.holds", "distinct.subject"})


def is_open(verdict: Verdict) -> bool:
    """A verdict that leaves its candidate to a judge: a withheld proposal, an undecided reading, or a
    `distinct` reading measured below the automatic bar."""
    if verdict.action != "none" or verdict.rule in FINAL:
        return False
    return bool(verdict.withheld) or verdict.rule.startswith("undecided.") or (
        verdict.rule.startswith("distinct.") and verdict.confidence < AUTO_BAR)


def ask(planner: Planner, judged: Sequence[tuple[Candidate, Verdict]],
        questions_per_note: float = QUESTIONS_PER_NOTE) -> tuple[list[Question], int]:
    """The most valuable questions within the budget, and how many were found in all."""
    spent = _changes_read(judged)
    drafts = [q for c, v in judged if is_open(v) and planner.free(*c.notes)
              and not (v.rule == CHANGED and c.notes[1] in spent) for q in [_draft(planner, c, v)] if q is not None]
    found = _grouped(planner, _one_change_each(drafts))
    found.sort(key=lambda q: (-q.value, -q.similarity, q.id))
    notes = len(planner.analysis.note_ids)
    budget = math.ceil(questions_per_note * notes) if questions_per_note > 0 else 0
    return found[:budget], len(found)


CHANGED = "conflict.changed"  # a change word over a shared subject: the loosest reading of which note it replaces


def _changes_read(judged: Sequence[tuple[Candidate, Verdict]]) -> set[str]:
    """The newer notes whose change a closer reading (a key, a name, an old value named) already pairs with an
    older note: their change word is spent there, not on another note that shares a word."""
    return {c.notes[1] for c, v in judged if c.kind == "pair" and v.rule.startswith("conflict.") and v.rule != CHANGED
            and "update" in (v.action, v.withheld)}


def _one_change_each(questions: list[Question]) -> list[Question]:
    """One `conflict.changed` question per newer note, the most valuable: a change word replaces one note."""
    best: dict[str, Question] = {}
    for q in questions:
        if q.rule == CHANGED and len(q.targets) == 2:
            newer = q.targets[1].id
            if newer not in best or (q.value, q.similarity) > (best[newer].value, best[newer].similarity):
                best[newer] = q
    return [q for q in questions if q.rule != CHANGED or len(q.targets) != 2 or best[q.targets[1].id] is q]


# --- one question per candidate ------------------------------------------------------------


def _draft(planner: Planner, c: Candidate, v: Verdict) -> Question | None:
    """A candidate's question, worth the focus weight more. Only an insight's question depends on the focus
    (where it may be filed); every other one is made once per analysis and verdict (the tuner re-plans on
    every keystroke)."""
    if c.kind == "insight":
        question = _question(planner, c, v)
    else:
        question = memoized(planner.analysis, ("questions:draft", c.id, v), lambda: _question(planner, c, v))
    weight = planner.candidate_weight(c)
    return question if question is None or weight == 1.0 else replace(question, value=question.value * weight)


def _question(planner: Planner, c: Candidate, v: Verdict) -> Question | None:
    if c.kind == "pair":
        relation = c.signals["relation"]
        if relation in ("negation", "value", "words") or c.signals["fields"] or v.withheld == "update" \
                or _values_differ(planner, c):
            return _conflict(planner, c, v)
        return _duplicate(planner, c, v)
    if c.kind == "session":
        return _session(planner, c, v)
    if c.kind == "note":
        return _stale(planner, c, v)
    if c.kind == "insight":
        return _insight(planner, c, v) if v.withheld else None
    return None


def _values_differ(planner: Planner, c: Candidate) -> bool:
    """Each note names a value the other lacks and one is known to be the later (by time, a change word or a
    date), or the two name other amounts of one kind (“$1,260” ↔ “$1,410”, not dates): which value holds is the
    question, not whether to merge."""
    a, b = (planner.analysis.profiles[i] for i in c.notes)
    only_a, only_b = a.values - b.values, b.values - a.values
    amounts = {value_shape(v) for v in only_a} & {value_shape(v) for v in only_b} - {"", "date", "number"}
    return bool(only_a and only_b and (c.signals["ordered"] or amounts))


def _prior(v: Verdict, leaning: bool) -> float:
    """The chance that the rules' leaning is right: the measured precision of the rule that leans."""
    return v.confidence if leaning else 0.5


def _person(op: Operation, prior: float) -> Operation:
    return replace(op, rule=JUDGE, confidence=prior)


def _duplicate(planner: Planner, c: Candidate, v: Verdict) -> Question:
    keep = v.keep or max(c.notes, key=lambda i: (planner.notes[i].updated_at, i))
    other = next(i for i in c.notes if i != keep)
    merge_rule = v.rule if v.withheld else "question.duplicate"
    merge = planner.merge_operation(keep, [other], replace(v, rule=merge_rule, reason=c.signals["detail"]))
    leaning = "merge" if v.withheld == "merge" else "both"
    prior = v.confidence
    return _make(planner, "duplicate", c, v, leaning, prior, f"{_said(c)}: {c.signals['detail']}", (
        Choice("merge", f"the same fact: merge, keep “{_short(planner.notes[keep].text)}”",
               _person(merge, prior if leaning == "merge" else 1 - prior)),
        Choice("both", "different facts: keep both", None)))


def _conflict(planner: Planner, c: Candidate, v: Verdict) -> Question:
    older, newer = c.notes
    ordered = bool(c.signals.get("ordered"))
    choices = []
    for key, winner, what in (("keep_newer", newer, "newer" if ordered else "second"),
                              ("keep_older", older, "older" if ordered else "first")):
        verdict = replace(v, keep=winner, text=None, rule=v.rule, reason=c.signals["detail"])
        op = planner.conflict_operation(c, verdict)
        choices.append(Choice(key, f"the {what} value holds: keep “{_short(planner.notes[winner].text)}”",
                              _person(op, 0.5)))
    choices.append(Choice("both", "not a conflict: keep both", None))
    leaning = "keep_newer" if v.withheld == "update" and v.keep == newer else \
        "both" if v.rule.startswith("distinct.") else ""
    prior = _prior(v, bool(leaning))
    return _make(planner, "conflict", c, v, leaning, prior, f"{_said(c)}: {c.signals['detail']}", tuple(choices))


def _session(planner: Planner, c: Candidate, v: Verdict) -> Question:
    statement = planner.analysis.statement_by_id[c.statements[0]]
    leaning = "update" if v.withheld else "keep"
    text = v.text or clean_fact(statement.text)  # what the user said, as a note; the person may edit it
    op = planner.session_operation(c, replace(v, text=text, rule=v.rule if v.withheld else "question.session"),
                                   c.notes[0])
    prior = v.confidence
    evidence = (Evidence(quote=statement.text, session_id=statement.session_id, turn_id=statement.turn_id),)
    reading = v.reason if v.withheld else f"a later session says “{_short(statement.text, 80)}”: {v.reason}"
    return _make(planner, "conflict", c, v, leaning, prior, reading, (
        Choice("update", f"the later session holds: rewrite to “{_short(op.result.text)}”",
               _person(op, prior if leaning == "update" else 1 - prior)),
        Choice("keep", "the note still holds: keep it", None)), evidence)


def _stale(planner: Planner, c: Candidate, v: Verdict) -> Question | None:
    note_id = c.notes[0]
    if note_id in planner.analysis.parent_ids:
        return None
    leaning = "stale" if v.withheld == "delete" else ""
    prior = _prior(v, bool(leaning))
    op = planner.prune_operation(note_id, replace(v, rule=v.rule if v.withheld else "question.stale"))
    return _make(planner, "stale", c, v, leaning, prior, v.reason, (
        Choice("stale", "no longer holds: remove it", _person(op, prior if leaning else 0.5)),
        Choice("keep", "still holds: keep it", None)))


def _insight(planner: Planner, c: Candidate, v: Verdict) -> Question | None:
    op = planner.insight_operation(c, v)
    if op is None:
        return None
    prior = v.confidence
    return _make(planner, "insight", c, v, "add", prior, v.reason, (
        Choice("add", f"a durable fact: add “{_short(op.result.text)}”", _person(op, prior)),
        Choice("skip", "not worth keeping: skip it", None)), op.evidence)


def _make(planner: Planner, kind: str, c: Candidate, v: Verdict, leaning: str, prior: float, reading: str,
          choices: tuple[Choice, ...], evidence: tuple[Evidence, ...] = ()) -> Question:
    targets = tuple(planner.target(i) for i in c.notes)
    alike = c.similarity if c.kind == "pair" else 1.0
    value = _change(leaning, prior, v.rule) * max(1, len(targets)) * alike  # × the focus weight: `_draft`
    return Question(kind, targets, reading, v.rule, leaning, prior, choices, value, evidence, (c.id,), c.similarity)


KEEP = ("both", "keep", "skip")  # the answers that leave the store as it is


def _change(leaning: str, prior: float, rule: str = "") -> float:
    """The chance that an answer changes the store, from the rules' leaning and its measured precision; with no
    leaning, an `undecided` reading's measure (how often a curator changed the store where it was read), else
    even odds."""
    if not leaning:
        return confidence(rule) if rule.startswith("undecided.") else 0.5
    return 1 - prior if leaning in KEEP else prior


def _said(c: Candidate) -> str:
    s = c.signals
    where = "in one section" if s.get("same_context") else "in one document" if s.get("same_document") \
        else "in different places"
    return f"alike notes {where} (cosine {c.similarity:.2f})"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- copies of one statement are one question ----------------------------------------------


@dataclass
class _Copies:
    members: list[str]
    questions: list[Question]


def _grouped(planner: Planner, questions: list[Question]) -> list[Question]:
    """Duplicate questions over copies of one text become one question over every copy; stale questions
    over the notes of one closed record become one question over the record."""
    groups: dict[str, _Copies] = {}
    records: dict[tuple[str, str], list[Question]] = {}
    rest = []
    for q in questions:
        if q.kind == "stale" and q.rule == "undecided.closed_record":
            note = planner.notes[q.targets[0].id]
            records.setdefault((note.memory_id, note.section), []).append(q)
            continue
        texts = {" ".join(t.text.split()).casefold() for t in q.targets}
        if q.kind != "duplicate" or len(texts) != 1:
            rest.append(q)
            continue
        group = groups.setdefault(texts.pop(), _Copies([], []))
        group.members += [t.id for t in q.targets if t.id not in group.members]
        group.questions.append(q)
    for group in groups.values():
        rest.append(group.questions[0] if len(group.questions) == 1 else _copies(planner, group))
    rest += [record[0] if len(record) == 1 else _record(planner, record) for record in records.values()]
    return rest


def _record(planner: Planner, questions: list[Question]) -> Question:
    """One question over every note of a closed record: remove the record, or keep it as history."""
    targets = tuple(t for q in questions for t in q.targets)
    first = questions[0]
    section = planner.notes[targets[0].id].section
    op = Operation(kind="delete", reason="stale", rule=JUDGE, targets=targets, result=None,
                   rationale=f"The record “{section}” is marked closed; remove its {len(targets)} notes.",
                   evidence=tuple(Evidence(quote=t.text, note_id=t.id) for t in targets[:3]), confidence=0.5)
    return Question("stale", targets, f"the record “{section}” says it is closed: {first.reading}", first.rule,
                    "", first.prior, (Choice("stale", f"closed: remove the record's {len(targets)} notes", op),
                                      Choice("keep", "history worth keeping: keep it", None)),
                    _change("", first.prior, first.rule) * len(targets) * planner.weight(t.id for t in targets), (),
                    tuple(c for q in questions for c in q.candidates))


def _copies(planner: Planner, group: _Copies) -> Question:
    members = sorted(group.members)
    keep = max(members, key=lambda i: (planner.notes[i].updated_at, i))
    first = group.questions[0]
    merge = next(c.operation for c in first.choices if c.key == "merge")
    verdict = Verdict("", "merge", merge.rule, first.prior, f"the same text in {len(members)} places")
    op = _person(planner.merge_operation(keep, [m for m in members if m != keep], verdict),
                 merge.confidence)
    prior = max(q.prior for q in group.questions)
    weight = planner.weight(members)
    return Question("duplicate", tuple(planner.target(i) for i in members),
                    f"the same text in {len(members)} places ({', '.join(sorted({planner.notes[i].path for i in members}))})",
                    first.rule, first.proposed, prior, (
                        Choice("merge", f"one fact: keep the copy in {planner.notes[keep].path}", op),
                        Choice("both", "different facts in each place: keep every copy", None)),
                    _change(first.proposed, prior) * len(members) * weight, (),
                    tuple(sorted({c for q in group.questions for c in q.candidates})),
                    max(q.similarity for q in group.questions))
