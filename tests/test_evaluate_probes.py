"""Probes: a researcher's file (JSONL, CSV), LoCoMo QA, probes generated from the store, and probes from
the sessions (what the retention check of the review used to ask)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from builders import SHARED_DATA
from io_plans import delete, hand_plan

from workbench.analysis import analyze
from workbench.dream.offline import dream_offline
from workbench.errors import ReaderError
from workbench.evaluate import Evaluator
from workbench.probes import (
    Probe,
    contains_answer,
    generate_probes,
    load_probes,
    locomo_probes,
    normalize,
    note_probe,
    session_probes,
)
from workbench.records import Corpus, Session, Turn

LOCOMO_SMALL = Path(__file__).parent / "data" / "chat" / "locomo_small.json"
STYLE = "mem_01JQ7Z4A1B2C3D4E5F6G7H8J9K"
DEPLOY = "mem_01JQ7Z4D4E5F6G7H8J9K0M1N2P"
TURN = "sevt_01JT2M0000000000000000002"


@pytest.fixture
def corpus(tiny_store) -> Corpus:
    turn = Turn("turn_ok", "sesn_1", "user", "Deploys go out on Tuesday.", None, 0)
    return Corpus(tiny_store, (Session("sesn_1", None, "Deploys", (turn,)),))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*rows: object) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


def test_a_jsonl_file_gives_probes_with_answers_and_every_kind_of_evidence(tmp_path, corpus):
    path = write(tmp_path, "probes.jsonl", jsonl(
        {"id": "q1", "question": "What line length do we format to?", "answer": "100", "evidence": [f"{STYLE}#0"]},
        "",
        {"id": 2, "question": "  When do deploys go out? ", "answer": ["Tuesday", "Thursday"],
         "evidence": ["/projects/payments/deploy.md", "turn_ok", TURN]},
        {"id": "q3", "question": "Who owns the CI runners?", "answer": "the platform team"},
    ))
    probes = load_probes(path, corpus)
    assert probes == [
        Probe("q1", "What line length do we format to?", ("100",), (f"{STYLE}#0",)),
        Probe("2", "When do deploys go out?", ("Tuesday", "Thursday"),
              ("/projects/payments/deploy.md", "turn_ok", TURN)),
        Probe("q3", "Who owns the CI runners?", ("the platform team",)),  # no evidence: the answer net alone
    ]


def test_a_csv_file_splits_answers_and_evidence_on_a_bar(tmp_path, corpus):
    path = write(tmp_path, "probes.csv", "id,question,answer,evidence\n"
                 f'd1,"When, exactly, do deploys go out?",Tuesday | Thursday,{DEPLOY}#0 | turn_ok\n\n'
                 "d2,Who leads payments?,,turn_ok\n")
    probes = load_probes(path, corpus)
    assert probes[0] == Probe("d1", "When, exactly, do deploys go out?", ("Tuesday", "Thursday"), (f"{DEPLOY}#0", "turn_ok"))
    assert probes[1] == Probe("d2", "Who leads payments?", (), ("turn_ok",))  # no answer: the evidence net alone


NEVER = "a probe needs an answer or evidence"
BAD_JSONL = [
    (jsonl({"id": "a", "question": "Q?", "answer": "x"}, {"id": "b", "question": "Who owns CI?"}), 2, "answer", NEVER),
    (jsonl({"id": "a"}), 1, "question", "missing"),
    (jsonl({"question": "Where?"}), 1, "id", "missing"),
    (jsonl({"id": "a", "question": "Where?", "answer": "x"}, {"id": "b", "question": "   "}), 2, "question", "empty question"),
    (jsonl({"id": "a", "question": "Q1?", "answer": "x"}, {"id": "b", "question": "Q2?", "answer": "x"}, {"id": "a", "question": "Q3?", "answer": "x"}),
     3, "id", "duplicate probe id 'a' (first on line 1)"),
    (jsonl({"id": "a", "question": "Q?", "evidence": [f"{STYLE}#9"]}), 1, "evidence", "unknown note id"),
    (jsonl({"id": "a", "question": "Q?", "answer": "x"}, {"id": "b", "question": "Q?", "evidence": "turn_nope"}), 2,
     "evidence", "unknown note or turn id 'turn_nope'"),
    (jsonl({"id": "a", "question": "Q?", "evidence": ["/nowhere.md"]}), 1, "evidence", "unknown memory path"),
    (jsonl({"id": "a", "question": "Q?", "answer": {"x": 1}}), 1, "answer", "expected a string"),
    (jsonl({"id": "a", "question": "Q?", "answer": ""}), 1, "answer", "empty string"),
    (jsonl(["a", "Q?"]), 1, None, "expected an object"),
    (jsonl({"id": "a", "question": "Q?", "answer": "x"}, "{not json"), 2, None, "malformed JSON"),
    (jsonl({"id": "a", "question": "Q?", "answer": "x"}, {"id": "b", "question": "Why? " * 2_097_152}), 2, "question",
     "10,485,760 characters; a probe's question holds at most 4,096"),
    (jsonl({"id": "a", "question": "Q?", "answer": ["yes", "y" * 4097]}), 1, "answer",
     "4,097 characters; a probe's answer holds at most 4,096"),
]


@pytest.mark.parametrize(("text", "line", "field", "message"), BAD_JSONL)
def test_a_bad_jsonl_line_is_one_error_naming_file_line_and_field(tmp_path, corpus, text, line, field, message):
    path = write(tmp_path, "probes.jsonl", text)
    with pytest.raises(ReaderError) as caught:
        load_probes(path, corpus)
    error = caught.value
    assert (error.source, error.line, error.field) == (str(path), line, field)
    assert message in str(error) and str(error).startswith(f"{path}:{line}: ")
    assert "\n" not in str(error)


@pytest.mark.parametrize(("text", "line", "field", "message"), [
    ("id,answer\n1,x\n", 1, "question", "missing column"),
    ("question,answer\nWhere?,x\n", 1, "id", "missing column"),
    ("id,question,answer\n1,Where?,x\n2,,x\n", 3, "question", "empty question"),
    ("id,question,answer\n1,Where?,x\n1,Again?,x\n", 3, "id", "duplicate probe id '1'"),
    ("id,question,evidence\n1,Where?,mem_x#1\n", 2, "evidence", "unknown note id 'mem_x#1'"),
    ("id,question\n", None, None, "no probes"),
    ("id,question,answer\n1,Where?,x\n2," + "Why " * 1200 + ",x\n", 3, "question", "4,799 characters; a probe's question holds"),
    ("id,question,answer\n1,Where?,x\n2," + "Why " * 2_621_440 + "\n", 3, None, "a cell holds more than 131,072 characters"),
])
def test_a_bad_csv_row_is_one_error_naming_file_line_and_field(tmp_path, corpus, text, line, field, message):
    path = write(tmp_path, "probes.csv", text)
    with pytest.raises(ReaderError) as caught:
        load_probes(path, corpus)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert message in str(caught.value)


def test_other_file_types_are_refused_with_the_formats_that_work(tmp_path):
    with pytest.raises(ReaderError, match=r"\.jsonl, \.csv or LoCoMo"):
        load_probes(write(tmp_path, "probes.txt", "What?\n"))


def test_locomo_probes_keep_categories_one_to_four_with_their_evidence_turns():
    probes = locomo_probes(LOCOMO_SMALL)
    assert [(p.question, p.answers, p.evidence, p.category) for p in probes] == [
        ("What is the name of Maya's dog?", ("Biscuit",), ("conv-demo/D1:3",), "single-hop"),
        ("Which race is Tom training for after his injury?", ("The Porto race in October",),
         ("conv-demo/D2:1", "conv-demo/D2:3"), "multi-hop"),
        ("When did Maya adopt her dog?", ("2023",), ("conv-demo/D1:1",), "temporal"),
    ]
    assert len({p.id for p in probes}) == 3 and {p.source for p in probes} == {"locomo"}
    assert [p.category for p in locomo_probes(LOCOMO_SMALL, categories=[4])] == ["single-hop"]
    with pytest.raises(ReaderError, match="categories are 1-4"):
        locomo_probes(LOCOMO_SMALL, categories=[5])


def test_a_locomo_file_loads_as_probes_by_its_content(tmp_path):
    assert len(load_probes(LOCOMO_SMALL)) == 3


@pytest.mark.skipif(not (SHARED_DATA / "locomo10.json").exists(), reason="public LoCoMo data is absent (../shared/data)")
def test_the_whole_locomo_qa_gives_one_probe_per_answerable_item_of_categories_one_to_four():
    probes = locomo_probes(SHARED_DATA / "locomo10.json")
    assert 1500 < len(probes) <= 1540  # 1,540 QA items of categories 1-4, less a few without evidence
    assert {p.category for p in probes} == {"single-hop", "multi-hop", "temporal", "open-domain"}


def test_a_generated_probe_blanks_the_value_and_keeps_the_note_and_its_provenance_as_evidence(tiny_store):
    probes = {p.id: p for p in generate_probes(tiny_store)}
    friday = probes[f"gen:{DEPLOY}#1"]
    assert friday.question == "Never deploy payments on a ___."
    assert friday.answers == ("Friday",)
    assert friday.evidence == (f"{DEPLOY}#1", TURN)
    assert probes[f"gen:{DEPLOY}#0"].question == "Deploys go out Tuesday and Thursday after ___ UTC."
    assert probes[f"gen:{STYLE}#0"].answers == ("ruff format",) or probes[f"gen:{STYLE}#0"].answers == ("100",)
    assert {p.source for p in probes.values()} == {"generated"}


def test_notes_without_a_value_and_code_blocks_give_no_probe(tiny_store):
    notes = {n.id: n for n in tiny_store.notes}
    plain = next(n for n in notes.values() if n.text == "Type hints on every public function.")
    assert note_probe(plain) is None
    from dataclasses import replace

    assert note_probe(replace(notes[f"{DEPLOY}#0"], kind="code")) is None


@pytest.mark.parametrize(("text", "answers", "expected"), [
    ("Melanie's pottery class is on Tuesdays.", ["Melanie's"], True),
    ("She moved from Sweden four years ago.", ["sweden"], True),
    ("On 7 May 2023 Caroline went to the group.", ["May 7, 2023"], True),
    ("The race raised awareness for mental health.", ["the mental-health"], True),
    ("The race raised awareness for health.", ["mental health"], False),
    ("Jenkins runs CI.", ["GitHub Actions", "Jenkins"], True),
    ("Anything at all.", ["", "   "], False),
])
def test_an_answer_is_contained_when_all_its_words_are_there_after_normalization(text, answers, expected):
    assert contains_answer(text, answers) is expected


def test_normalization_drops_case_punctuation_articles_and_possessives():
    assert normalize("The  Porto-race, in October's cold!") == "porto race in october cold"


# --- from the sessions ------------------------------------------------------------------------

FRIDAY = "Never deploy payments on a Friday."
HINTS = "Type hints on every public function."
AT = datetime(2025, 6, 1, tzinfo=timezone.utc)


@pytest.fixture
def asked(tiny_store):
    """The tiny store and one session: a user question the Friday rule answers, the agent's reply, and a
    user sentence that states the style note again."""
    turns = (Turn("t0", "s1", "user", "Can we deploy payments on a Friday?", AT, 0),
             Turn("t1", "s1", "agent", "No, never on a Friday.", AT, 1),
             Turn("t2", "s1", "user", HINTS, AT, 2))
    return analyze(Corpus(tiny_store, (Session("s1", AT, "Deploy day", turns),)), "tfidf")


def note_id(analysis, text: str) -> str:
    return next(n.id for n in analysis.corpus.notes if n.text == text)


def test_session_probes_are_user_questions_and_sentences_stating_a_note_with_that_note_as_evidence(asked):
    probes = session_probes(asked)
    assert [(p.question, p.answers, p.evidence, p.source, p.category) for p in probes] == [
        ("Can we deploy payments on a Friday?", (), (note_id(asked, FRIDAY),), "session", "question"),
        (HINTS, (), (note_id(asked, HINTS),), "session", "fact")]  # the agent's reply is neither
    assert [p.id for p in probes] == ["session:t0~0", "session:t2~0"]
    assert session_probes(asked, limit=1) == probes[:1]


def test_the_evaluator_names_the_delete_that_loses_a_session_question(asked):
    store = asked.corpus.store
    gone = delete(store, FRIDAY)
    report = Evaluator(asked, session_probes(asked)).report(hand_plan(store, [gone]))
    (lost,) = report.regressions
    assert (lost.probe.id, lost.broken_by, lost.why) == ("session:t0~0", (gone.id,), "lost")
    assert report.retrieved == (2, 1)
    assert report.warning == f"the new store loses 1 of 2 probes; broken by {gone.id}"


def test_the_evaluator_is_quiet_when_the_note_a_session_asks_about_survives(asked):
    store = asked.corpus.store
    report = Evaluator(asked, session_probes(asked)).report(hand_plan(store, [delete(store, "Runner: GitHub")]))
    assert report.retrieved == (2, 2) and report.regressions == [] and report.warning is None


def test_the_sample_sessions_give_probes_whose_losses_under_the_offline_plan_are_attributed(sample_analysis):
    probes = session_probes(sample_analysis)
    notes = sample_analysis.corpus.note_by_id
    assert probes and {p.category for p in probes} == {"question", "fact"}
    assert all(p.source == "session" and not p.answers and p.evidence[0] in notes for p in probes)
    plan = dream_offline(sample_analysis.corpus, analysis=sample_analysis)
    report = Evaluator(sample_analysis, probes).report(plan)
    assert report.retrieved[0] == len(probes)  # each finds its note before the dream
    assert report.retrieved[1] >= 0.8 * report.retrieved[0]
    assert all(r.broken_by for r in report.regressions)
