"""Answers matched as a researcher would: words, numbers, dates read against the note's writing time,
LoCoMo token F1 at a threshold measured on a hand-labelled sample, and lists held item by item."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from workbench.answers import (
    F1_THRESHOLD,
    Period,
    answer_period,
    held,
    holders,
    note_periods,
    rule_of,
    token_f1,
)

MATCHES = Path(__file__).parent / "data" / "answer_matches.jsonl"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize(("answer", "period"), [
    ("7 May 2023", (date(2023, 5, 7), date(2023, 5, 7))),
    ("May 7th, 2023", (date(2023, 5, 7), date(2023, 5, 7))),
    ("2023-05-07", (date(2023, 5, 7), date(2023, 5, 7))),
    ("The sunday before 25 May 2023", (date(2023, 5, 21), date(2023, 5, 21))),
    ("The week before 6 March 2023", (date(2023, 2, 27), date(2023, 3, 5))),
    ("weekend before May 24, 2023", (date(2023, 5, 20), date(2023, 5, 21))),
    ("two weekends before 17 July 2023", (date(2023, 7, 8), date(2023, 7, 9))),
    ("January, 2023", (date(2023, 1, 1), date(2023, 1, 31))),
    ("2022", (date(2022, 1, 1), date(2022, 12, 31))),
    ("Summer 2022", (date(2022, 6, 1), date(2022, 8, 31))),
    ("The friday before 9Janury, 2023", (date(2023, 1, 6), date(2023, 1, 6))),  # LoCoMo's own spelling
])
def test_an_answer_names_the_days_it_means(answer, period):
    found = answer_period(answer)
    assert (found.start, found.end) == period


def test_answers_that_are_no_date_name_no_days():
    assert answer_period("4 years") is None and answer_period("Coco, Shadow") is None


def test_a_note_reads_its_relative_dates_against_when_it_was_written():
    written = at(2023, 5, 28, 13, 0)
    assert Period(date(2023, 5, 21), date(2023, 5, 21)) in note_periods("She ran a race last Sunday.", written)
    assert note_periods("She went hiking two weekends ago.", at(2023, 7, 17))[0] == \
        Period(date(2023, 7, 8), date(2023, 7, 9))
    assert note_periods("He painted a lake sunrise last year.", written)[0].start.year == 2022
    assert note_periods("She loves pottery.", written) == (Period(date(2023, 5, 27), date(2023, 5, 28)),)


@pytest.mark.parametrize(("answer", "note", "written", "rule"), [
    ("Sweden", "Caroline moved from Sweden four years ago.", None, "exact"),
    ("4 years", "Caroline moved from Sweden four years ago.", None, "number"),
    ("7 May", "On May 7th Caroline went to the support group.", at(2023, 5, 8), "date"),
    ("May 7th", "Caroline went to the support group on 2023-05-07.", at(2023, 5, 8), "date"),
    ("The sunday before 25 May 2023", "Melanie ran a charity race last Sunday.", at(2023, 5, 28), "date"),
    ("24 February, 2023", "Deborah went for a morning jog in the park for the first time.", at(2023, 2, 25), "date"),
    ("Read fantasy books.", "Tim finds bliss in reading a great fantasy book to escape.", None, "token_f1"),
    ("Norway", "Caroline moved from Sweden four years ago.", None, None),
    ("5 years", "Caroline moved from Sweden four years ago.", None, None),  # a changed number is no paraphrase
    ("7 May 2023", "Caroline went to the support group on 9 May 2023.", at(2023, 5, 10), None),
    ("her book", "Joanna shares her script with her writing group.", None, None),  # "her" alone is no answer
])
def test_the_strictest_rule_that_holds_is_named(answer, note, written, rule):
    assert rule_of(answer, note, written) == rule


def test_a_list_answer_is_held_when_the_top_k_hold_every_item():
    notes = [("Melanie has a dog named Luna and a cat named Oliver.", None), ("Melanie got a cat named Bailey.", None)]
    assert held(["Oliver, Luna, Bailey"], notes) == "exact"
    assert held(["Oliver, Luna, Bailey"], notes[:1]) is None
    assert holders(["Oliver, Luna, Bailey"], notes) == [0, 1]


def test_token_f1_is_taken_on_the_closest_span_without_function_words():
    assert token_f1("Read fantasy books.", "Tim finds bliss in reading a great fantasy book to escape.") == \
        pytest.approx(2 * 3 / (4 + 3))
    assert token_f1("her book", "Joanna shares her script.") == 0.0


def rows() -> list[dict]:
    return [json.loads(line) for line in MATCHES.read_text(encoding="utf-8").splitlines() if line.strip()]


def accuracy(threshold: float) -> float:
    said = [bool(held((r["answer"],), [(r["note"], datetime.fromisoformat(r["written"]).replace(tzinfo=timezone.utc))],
                      threshold=threshold)) for r in rows()]
    return sum(s == r["match"] for s, r in zip(said, rows())) / len(said)


def test_the_labelled_sample_is_large_enough_and_taken_from_locomo():
    sample = rows()
    assert len(sample) >= 60 and {"answer", "note", "written", "match", "question", "source"} <= set(sample[0])
    assert sum(r["source"].startswith("locomo:") for r in sample) >= 60
    assert 0.3 < sum(r["match"] for r in sample) / len(sample) < 0.7


def test_the_f1_threshold_is_the_highest_with_the_best_accuracy_on_the_labelled_sample():
    grid = [round(0.05 * i, 2) for i in range(6, 21)]
    scores = {t: accuracy(t) for t in grid}
    best = max(scores.values())
    assert F1_THRESHOLD == max(t for t, s in scores.items() if s == best)
    assert scores[F1_THRESHOLD] >= 0.85
