"""Questions as a person answers them: the cards' contents, the counts, what an answer does.

    views.question_cards(plan, review)          # every question, most valuable first, as a card shows it
    views.question_summary(plan, review).line   # "answered 2 of 11 questions (of 33 found)"
    views.question_rows(plan, review)           # one row per question (a table for a notebook)

No widgets: `workbench.ui.review` draws these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .operations import EvidenceLine, _note_place, evidence_lines

if TYPE_CHECKING:
    from ..dream.plan import Choice, Operation, Plan, Question

NEVER_AUTOMATIC = ("questions are never answered automatically: “Approve all pending” and the automatic mode "
                   "leave them to you")


@dataclass(frozen=True)
class QuestionNote:
    """One note a question is about, as the card shows it: the whole text, where and when it was written."""

    id: str
    path: str
    written: str
    text: str


@dataclass(frozen=True)
class ChoiceView:
    """One answer on a card: its key, the digit that gives it, its label, what it does, and whether it was given."""

    key: str
    number: int  # 1 for the first choice: the key that answers with it
    label: str
    effect: str
    chosen: bool
    leaning: bool  # the rules lean to this answer


@dataclass(frozen=True)
class QuestionCardView:
    """Everything a question card shows (no HTML)."""

    id: str
    kind: str
    reading: str
    rule: str
    notes: tuple[QuestionNote, ...]
    leaning: str  # "the rules lean to “…” — right 62% of the time when measured"
    record: str  # the rule's record on this store: "duplicate.subset here: 9 of 14 right so far"
    choices: tuple[ChoiceView, ...]
    answer: str | None  # the key of the answer given, or None
    answered_by: str
    effect: str  # what the given answer does ("" while unanswered)
    evidence: tuple[EvidenceLine, ...]
    value: float

    @property
    def keys(self) -> str:
        """The key hint: "1 merge · 2 both · u undo"."""
        return " · ".join(f"{c.number} {c.key}" for c in self.choices) + " · u undo"


@dataclass(frozen=True)
class QuestionSummary:
    """How far the questions are answered, and how many the budget left out."""

    answered: int
    questions: int  # in the plan (the budget)
    found: int  # found in all
    notes: int  # notes in the store the plan was made on
    per_note: float  # the focus's budget: questions per note

    @property
    def beyond(self) -> int:
        """Questions found but left out of the plan by the budget."""
        return max(0, self.found - self.questions)

    @property
    def line(self) -> str:
        """ "answered 2 of 11 questions (of 33 found)"."""
        found = f" (of {self.found:,} found)" if self.found > self.questions else ""
        return f"answered {self.answered:,} of {self.questions:,} questions{found}"

    @property
    def budget_for_all(self) -> float:
        """The smallest `questions_per_note` (in steps of 0.05, at most 1) that holds every question found."""
        if not self.notes:
            return 1.0
        return min(1.0, math.ceil(self.found / self.notes * 20 - 1e-9) / 20)

    @property
    def more(self) -> str:
        """How to see the questions beyond the budget ("" when there are none)."""
        if not self.beyond:
            return ""
        per = f"{self.per_note:g}"
        every = f"{self.budget_for_all:g}"
        return (f"{self.beyond:,} more question{'s' if self.beyond != 1 else ''} found beyond the budget of "
                f"{per} per note (the most valuable are asked first). To see them, plan with "
                f"Focus(questions_per_note={every}): in a notebook wb.focus = Focus(questions_per_note={every}), "
                "then “Review the tuned plan”.")


def question_summary(plan: Plan, review) -> QuestionSummary:
    counts = review.counts()
    return QuestionSummary(counts["answered"], counts["questions"], max(plan.questions_found, len(plan.questions)),
                           int(plan.inputs.get("notes", 0) or len(plan.input_notes or ())),
                           float(plan.focus.questions_per_note))


def ordered_questions(plan: Plan) -> list[Question]:
    """The plan's questions, most valuable first (ties keep the plan's order)."""
    return sorted(plan.questions, key=lambda q: -q.value)


def choice_effect(choice: Choice) -> str:
    """What an answer does to the store, in one line."""
    return operation_effect(choice.operation)


def operation_effect(op: Operation | None) -> str:
    if op is None:
        return "changes nothing: the notes stay as they are"
    if op.kind == "delete":
        return "removes " + ", ".join(f"{t.id} ({t.path})" for t in op.targets)
    if op.kind == "create":
        return f"adds “{op.result.text}” to {op.result.path}" if op.result is not None else "adds a note"
    result = op.result
    if result is None:
        return f"{op.kind}s {len(op.targets)} note{'s' if len(op.targets) != 1 else ''}"
    removed = [t for t in op.targets if t.id != result.note_id]
    if op.kind == "update" and not removed:
        return f"rewrites the note to “{result.text}”"
    kept = f"keeps “{result.text}” in {result.path}"
    return kept + (f"; removes {', '.join(t.id for t in removed)}" if removed else "")


def leaning_line(question: Question) -> str:
    """ "the rules lean to “different facts: keep both” — right 62% of the time when measured"."""
    if not question.proposed:
        return "the rules lean neither way (even odds): your answer decides"
    label = next((c.label for c in question.choices if c.key == question.proposed), question.proposed)
    return f"the rules lean to “{label}” — right {question.prior:.0%} of the time when measured"


def question_card(question: Question, review, corpus=None, store=None) -> QuestionCardView:
    """What the card of `question` shows under `review`: the notes in full with where and when they were
    written, the rules' reading and leaning, the rule's record on this store, the choices and the answer."""
    store = store if store is not None else review.plan.input_store
    notes = tuple(QuestionNote(t.id, t.path or _note_place(t.id, corpus, store)[0],
                               _note_place(t.id, corpus, store)[1], t.text) for t in question.targets)
    decision = review.current.get(question.id)
    answer = decision.content if decision is not None and decision.verdict == "answer" else None
    choices = tuple(ChoiceView(c.key, i + 1, c.label, choice_effect(c), c.key == answer, c.key == question.proposed)
                    for i, c in enumerate(question.choices))
    effect = next((c.effect for c in choices if c.chosen), "")
    return QuestionCardView(question.id, question.kind, question.reading, question.rule, notes,
                            leaning_line(question), review.record(question.rule), choices, answer,
                            decision.who if answer else "", effect,
                            tuple(evidence_lines(question, corpus, store)), question.value)


def question_cards(plan: Plan, review, corpus=None, store=None) -> list[QuestionCardView]:
    """Every question of `plan` as its card shows it, most valuable first."""
    return [question_card(q, review, corpus, store) for q in ordered_questions(plan)]


def question_rows(plan: Plan, review) -> pd.DataFrame:
    """One row per question, most valuable first: kind, rule, leaning, prior, value, the answer given, the notes."""
    answers = review.answers()
    rows = [{"id": q.id, "kind": q.kind, "rule": q.rule, "proposed": q.proposed, "prior": q.prior, "value": q.value,
             "answer": answers.get(q.id), "choices": [c.key for c in q.choices], "notes": [t.id for t in q.targets],
             "reading": q.reading} for q in ordered_questions(plan)]
    return pd.DataFrame(rows, columns=["id", "kind", "rule", "proposed", "prior", "value", "answer", "choices",
                                       "notes", "reading"]).set_index("id")
