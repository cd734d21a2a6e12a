"""What a rule is worth: the rules' names, the calibration table, and the bars a measured precision meets.

A verdict's confidence is not typed by the rule that gives it: it is the precision measured for
the rule on labelled data (`workbench/calibration.json`, written by `python -m benchmarks
calibration`), smoothed by the rule of succession, (correct + 1) / (proposed + 2), so a rule never
measured has 0.5. The bars say what a precision allows: `AUTO_BAR` (applied without a person),
`SUGGESTION_FLOOR` (proposed at all) and `UNMEASURED_CEILING` (the most a judge nobody measured
may claim).

    confidence("duplicate.same_words")   # 0.99…: the table's value for that rule
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

# Every rule the rules judge can apply, with what it means (the calibration table is keyed by these names).
RULES = {
    # the same text counts as the same words: a verbatim copy meets the condition of each rule below
    "duplicate.same_words": "the same words (up to case, articles, stems, number words, contractions) under the "
                            "same headings and parent item",
    "duplicate.same_words_elsewhere": "the same words in another document or section, opening with their subject",
    "duplicate.same_words_other_topic": "the same words under headings of unrelated topics, naming code or names",
    "duplicate.subset": "one note says everything the other says, and more",
    "duplicate.sentence_inside": "the shorter note is one sentence of the longer one, word for word",
    "duplicate.paraphrase": "alike, with the same names, values and polarity, but in other words",
    "conflict.field": "two `Key: value` lines with the same key and another value; the later one wins",
    "conflict.negation": "the same statement negated; the later one wins",
    "conflict.value": "the same statement with another value in one slot; the later one wins",
    "conflict.words": "the same statement with other words in one slot; both may hold",
    "conflict.priority": "a conflict no time can order, decided by the focus's priority weights",
    "conflict.from_to": "the later text says the earlier one's value changed “from X to Y”",
    "conflict.restated": "the newer note says the older one's statement again with another value (most of its "
                         "content words, a value the older has and the newer lacks or negates)",
    "conflict.names_old": "the newer note names the older one's value as the old one (“not X”, “was X”, “X → Y”, “I said X "
                          "earlier”) and says another",
    "conflict.key_changed": "a `Key: value` line and a newer note that names its key again with a change word and "
                            "another value (“Q4 quota: $410k” ↔ “Q4 quota revised → $385k”)",
    "conflict.name_changed": "a newer note says a name the older holds changed, right before its change word, with "
                             "a value of a kind the older holds (“GreenLeaf is now $65 a visit” ↔ “Lawn service: "
                             "GreenLeaf, $55/visit”)",
    "conflict.changed": "the newer note carries a change word (“Updated”, “now”, “bumped”, “as of”), shares a word "
                        "or name with the older one and is most alike to it, each naming a value the other lacks "
                        "(dates aside): it may replace it",
    "conflict.renamed": "the later text names the earlier one's value by a new name (“Y (formerly X)”): the older "
                        "note is dropped, or given the new name when it says more",
    "conflict.marked_later": "a conflict between notes written at the same time, where one says it is the later "
                             "statement (“Correction:”, “Updated”, “as of”, “formerly”); it wins",
    "conflict.dated_later": "a conflict between notes written at the same time, ordered by the dates they name; "
                            "the later one wins",
    "conflict.related": "alike notes about the same subject, each naming a value the other lacks; both may hold",
    "conflict.session_negation": "a later user sentence negates the note",
    "conflict.session_value": "a later user sentence gives the note's slot another value",
    "conflict.session_words": "a later user sentence puts other words in the note's slot; both may hold",
    "conflict.session_from_to": "a later user sentence says the note's value changed “from X to Y”",
    "conflict.session_related": "a later user sentence about the note's subject names a value the note lacks",
    "conflict.session_field": "a later user sentence names a `Key: value` note's key with another value",
    "prune.wait_passed": "a wait or request dated more than two months ago (or past the horizon): answered, or "
                         "forgotten",
    "prune.expired": "the note names an expiry date that has passed, and no session since supports it",
    "prune.deadline_passed": "the note names a deadline that has passed",
    "prune.off_focus": "the focus excludes it",
    "prune.placeholder": "the note holds no fact: an empty value, bracketed placeholder text, or “not known yet”",
    "prune.placeholder_detail": "a placeholder value beside the record it names: the placeholder goes, the record "
                                "stays (“Acme (Pro plan) — account manager: TBD” → “Acme (Pro plan)”)",
    "duplicate.one_moved": "the same words in another order where a single item moved (a subject put first or last)",
    "prune.closed": "an item marked closed (✅, [x], struck through, DONE, Status: resolved) among open items, "
                    "or under a heading marked closed",
    "prune.temporary_passed": "a note that calls itself temporary and names a date past its span, or a note tied to "
                              "its day or week (“today”, “this week”) older than the horizon",
    "insight.restated": "the same words said by the user in several sessions, held by no note",
    "insight.paraphrased": "alike statements (same names, values, polarity) in several sessions",
    "insight.recurring_failure": "the same failure in the tool output of several sessions",
    # readings that change nothing: measured too (a `distinct.*` verdict is right when the notes are different
    # facts); below the automatic bar the candidate becomes a question
    "distinct.parents_differ": "the same words under different parent items",
    "distinct.placeholder": "a placeholder holds no fact: never merged, never a value",
    "distinct.title": "a title is the heading of the notes under it",
    "distinct.list_items": "items of one list opening with the same label (`Hypothesis: …`), each its own fact",
    "distinct.subject_label": "notes that open with the names of two different subjects (`@alice: …`, `@bob: …`)",
    "distinct.field_other_title": "an attribute line (`Status: open`, `**Why:** …`) belongs to its record: never "
                                  "merged, and never made another record's value",
    "distinct.subjects_differ": "alike notes in documents or sections about different subjects",
    "distinct.reordered": "the same words in another order (roles may be swapped)",
    "distinct.subject": "the same statement about another subject",
    "distinct.unparsed": "a note the rules cannot parse (code, a table, a link) is kept",
    "distinct.procedure_steps": "repeated steps of one numbered procedure",
    "distinct.parent_item": "a parent item is the context of other notes, never replaced",
    "distinct.other_context": "the same words under other headings, not saying what they are about",
    "distinct.different": "alike, but differing in more than the rules can read",
    "distinct.other_label": "alike notes that each open with their own label (`**Tender acceptance rate:**`, "
                            "`**Tender rejection rate:**`)",
    "distinct.other_subject": "alike notes that each open with their own name or code (`ADHOC_WH …`, `BI_WH …`)",
    "distinct.different_named": "alike notes that name the same code or names, differing in more than the rules "
                                "can read",
    "distinct.meaning_close": "notes that differ in words but a sentence model (all-MiniLM-L6-v2, the minilm extra) "
                              "reads as alike in meaning",
    "distinct.different_close": "very alike (halfway from the duplicate bar to identical), but differing in more "
                                "than the rules can read",
    "distinct.session": "a later sentence that does not give the note another value",
    "distinct.holds": "nothing says the note no longer holds",
    # readings that leave a candidate to a judge with no leaning: measured as how often a curator changes the store
    # there (a merge, an update or a delete), which is what a judge's answer is worth
    "undecided.placeholder_named": "a placeholder value beside a name or detail (“Coach (Coach Ruiz) phone: (unknown)”)",
    "undecided.renewed": "a term that has passed, which an alike note says was renewed or extended",
    "undecided.unordered": "a conflict between notes written at the same time: no rule can say which holds",
    "undecided.episodic": "an old dated or past-tense note that no recent session mentions",
    "undecided.closed_record": "a record whose status line says it is closed, in a document with open records",
}


@lru_cache(maxsize=1)
def calibration_table() -> dict[str, Any]:
    """The shipped calibration table (`workbench/calibration.json`), or an empty one."""
    try:
        text = resources.files("workbench").joinpath("calibration.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"rules": {}}
    return json.loads(text)


def confidence(rule: str) -> float:
    """The measured precision of a rule, smoothed: (correct + 1) / (proposed + 2); 0.5 when never measured."""
    score = measured(rule)
    return 0.5 if score is None else score


def measured(rule: str) -> float | None:
    """(correct + 1) / (proposed + 2) of a rule or judge in the calibration table; None when it has no row."""
    row = calibration_table().get("rules", {}).get(rule)
    if not row:
        return None
    return round((row["correct"] + 1) / (row["proposed"] + 2), 3)


# Automatic approval applies only verdicts whose measured precision is at least this; a `distinct` reading
# measured below it leaves its candidate to a judge (a question).
AUTO_BAR = 0.97

# A judge whose verdicts were never measured (Claude, until a calibration run with a key adds rows
# `claude.<kind>`) keeps its own confidence for ordering, but never above this: below the automatic
# bar, so only a person accepts what nobody has measured.
UNMEASURED_CEILING = 0.9

# A rule measured to be wrong more often than right proposes nothing: its candidates go to a judge
# (Claude); every other rule's verdict is in the plan, and below the automatic-approval bar it is a
# suggestion a person accepts or not in the review.
SUGGESTION_FLOOR = 0.5


__all__ = ["AUTO_BAR", "RULES", "SUGGESTION_FLOOR", "UNMEASURED_CEILING", "calibration_table", "confidence",
           "measured"]
