"""Questions: what the rules leave undecided reaches a judge, within a budget, and an answer is a label."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace

import pytest
from builders import T0, memory

from workbench.analysis import analyze
from workbench.dream.offline import plan_from_analysis
from workbench.dream.plan import Plan
from workbench.errors import ReaderError, WorkbenchError
from workbench.focus import Focus
from workbench.records import Corpus, Store
from workbench.review import Review, apply


def _copies_store() -> Store:
    """One statement copied into three documents under unrelated headings, written at one time."""
    rule = "Imports go inside the function body because of the sandbox."
    return Store((
        memory("/tools/a.md", [rule, "The tool registry lives in `tools.yaml`."], 0, "Tool rules"),
        memory("/sandbox/b.md", [rule, "The sandbox has no network access."], 0, "Sandbox"),
        memory("/notes/c.md", [rule, "Friday deploys are frozen."], 0, "Misc"),
        memory("/people/d.md", ["Priya prefers tabs.", "Mei prefers spaces."], 0, "People"),
    ), id="memstore_copies")


@pytest.fixture(scope="module")
def copies_plan() -> Plan:
    return plan_from_analysis(analyze(Corpus(_copies_store()), "tfidf"), Focus())


def test_copies_of_one_statement_are_one_question_over_every_copy(copies_plan):
    copies = [q for q in copies_plan.questions if "sandbox" in q.targets[0].text and q.kind == "duplicate"]
    assert len(copies) == 1
    question = copies[0]
    assert len(question.targets) == 3 and {c.key for c in question.choices} == {"merge", "both"}
    merge = question.choice("merge").operation
    assert merge.kind == "merge" and merge.rule == "person" and len(merge.targets) == 3
    assert question.choice("both").operation is None


def test_questions_are_never_applied_by_the_automatic_mode_or_approve_all(copies_plan):
    review = Review(copies_plan).auto(0.0).approve_all()
    assert review.answers() == {} and review.counts()["answered"] == 0
    assert review.unanswered == [q.id for q in copies_plan.questions]
    touched = {t.id for op in review.approved_operations() for t in op.targets}
    assert not touched & {t.id for q in copies_plan.questions for t in q.targets}


def test_an_answer_becomes_an_operation_with_the_person_as_judge(copies_plan):
    question = next(q for q in copies_plan.questions if len(q.targets) == 3)
    review = Review(copies_plan).answer(question.id, "merge")
    [op] = [op for op in review.approved_operations() if op.id == question.choice("merge").operation.id]
    after = apply(copies_plan.input_store, copies_plan, review)
    texts = [n.text for n in after.notes]
    assert sum("Imports go inside" in t for t in texts) == 1 and len(texts) == len(copies_plan.input_store.notes) - 2
    assert Review(copies_plan).answer(question.id, "both").approved_operations() == []


def test_an_unknown_answer_or_question_is_refused_with_the_choices(copies_plan):
    question = copies_plan.questions[0]
    with pytest.raises(ReaderError, match="no answer 'maybe'"):
        Review(copies_plan).answer(question.id, "maybe")
    with pytest.raises(ReaderError, match="no question"):
        Review(copies_plan).answer("q_nothing", "merge")
    with pytest.raises(ReaderError, match="is a question"):
        Review(copies_plan).approve(question.id)


def test_an_answer_to_a_question_whose_notes_changed_is_refused_as_stale(copies_plan):
    question = next(q for q in copies_plan.questions if len(q.targets) == 3)
    review = Review(copies_plan).answer(question.id, "merge")
    changed = Store(tuple(replace(m, content=m.content.replace("sandbox.", "sandbox!"))
                          for m in copies_plan.input_store.memories), id="memstore_copies")
    stale = replace(copies_plan, inputs={**copies_plan.inputs, "store_digest": changed.digest})
    with pytest.raises(WorkbenchError, match="stale"):
        apply(changed, stale, Review(stale, list(review.decisions)))


def test_the_plan_holds_at_most_one_question_per_ten_notes_and_counts_the_rest(sample_analysis):
    analysis = sample_analysis
    plan = plan_from_analysis(analysis, Focus())
    assert len(plan.questions) <= math.ceil(0.1 * len(analysis.note_ids)) and plan.questions_found >= len(plan.questions)
    values = [q.value for q in plan.questions]
    assert values == sorted(values, reverse=True)
    none = plan_from_analysis(analysis, Focus(questions_per_note=0.0))
    assert none.questions == [] and none.questions_found == plan.questions_found
    every = plan_from_analysis(analysis, Focus(questions_per_note=1.0))
    assert len(every.questions) == min(every.questions_found, len(analysis.note_ids))


def test_a_plan_with_questions_and_its_answers_round_trip_through_json(copies_plan, tmp_path):
    again = Plan.from_json(copies_plan.to_json())
    assert [q.to_dict() for q in again.questions] == [q.to_dict() for q in copies_plan.questions]
    assert again.questions_found == copies_plan.questions_found
    question = copies_plan.questions[0]
    review = Review(copies_plan).answer(question.id, question.choices[0].key)
    path = review.save(tmp_path / "decisions.json")
    assert Review.load(again, path).answers() == {question.id: question.choices[0].key}
    data = json.loads(path.read_text())
    data["decisions"][0]["content"] = "maybe"
    path.write_text(json.dumps(data))
    with pytest.raises(ReaderError, match="no answer 'maybe'"):
        Review.load(again, path)


def test_a_rule_wrong_on_this_store_stops_passing_the_automatic_bar():
    store = Store((
        memory("/a.md", ["Deploys happen on Tuesday.", "Deploys happen on Tuesday."], 0, "A"),
        memory("/b.md", ["Reviews need two approvals.", "Reviews need two approvals."], 1, "B"),
        memory("/c.md", ["Lunch is at noon.", "Lunch is at noon."], 2, "C"),
    ), id="memstore_rule")
    plan = plan_from_analysis(analyze(Corpus(store), "tfidf"), Focus())
    merges = [op for op in plan.operations if op.rule == "duplicate.same_words"]
    assert len(merges) == 3 and all(op.confidence >= 0.97 for op in merges)
    review = Review(plan).reject(merges[0].id, who="priya")
    assert review.tally()["duplicate.same_words"] == (0, 1)
    assert review.precision("duplicate.same_words") < 0.97
    assert "0 of 1 right so far" in review.record("duplicate.same_words")
    review.auto()
    assert not any(op.rule == "duplicate.same_words" for op in review.approved_operations())
    kind_counts = Review(plan).approve(merges[0].id, who="priya")
    assert kind_counts.precision("duplicate.same_words") >= 0.97


def test_answers_export_as_labels_of_the_rules_behind_them(copies_plan, tmp_path):
    question = next(q for q in copies_plan.questions if len(q.targets) == 3)
    review = Review(copies_plan).answer(question.id, "merge", who="priya")
    path = review.save_labels(tmp_path / "labels.jsonl")
    [row] = [json.loads(line) for line in path.read_text().splitlines()]
    assert row["rule"] == question.rule and row["item"] == question.id and row["verdict"] == "answer:merge"
    assert row["store"] == "memstore_copies" and len(row["notes"]) == 3
    assert row["correct"] == (question.proposed == "merge") if question.proposed else row["correct"] is None


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_the_command_line_answers_questions_and_auto_never_does(copies_plan, tmp_path):
    (tmp_path / "plan.json").write_text(copies_plan.to_json())
    question = next(q for q in copies_plan.questions if len(q.targets) == 3)
    auto = _cli("review", "plan.json", "--auto", "--out", "auto.json", cwd=tmp_path)
    assert auto.returncode == 0 and f"0 of {len(copies_plan.questions)} questions answered" in auto.stdout
    answered = _cli("review", "plan.json", "--answer", f"{question.id}=merge", "--out", "d.json",
                    "--labels", "labels.jsonl", cwd=tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert f"1 of {len(copies_plan.questions)} questions answered" in answered.stdout
    assert (tmp_path / "labels.jsonl").read_text().count("\n") == 1
    wrong = _cli("review", "plan.json", "--answer", f"{question.id}=perhaps", "--out", "e.json", cwd=tmp_path)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "perhaps" in wrong.stderr


def test_an_answered_question_is_in_the_snapshot_and_replays(copies_plan, tmp_path):
    from workbench.export import export_snapshot
    from workbench.verify import verify_snapshot

    question = next(q for q in copies_plan.questions if len(q.targets) == 3)
    review = Review(copies_plan).answer(question.id, "merge")
    snapshot = export_snapshot(copies_plan.input_store, copies_plan, review, tmp_path / "snap")
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    entry = next(e for e in manifest["operations"] if e.get("question") == question.id)
    assert entry["decision"]["verdict"] == "approve" and entry["rule"] == "person"
    assert "Questions answered (1)" in (tmp_path / "snap" / "CHANGES.md").read_text()
    report = verify_snapshot(tmp_path / "snap")
    assert report.ok, report
    from workbench.verify import replay

    again = replay(tmp_path / "snap", copies_plan.input_store)  # from the manifest alone: plan, questions, answers
    assert again.ok, again.problems
    assert replay(tmp_path / "snap", copies_plan.input_store, plan=copies_plan, review=review).ok
    assert snapshot.manifest["output"]["notes"] == len(copies_plan.input_store.notes) - 2


def test_old_plans_without_questions_keep_their_digest():
    from workbench.review import plan_digest

    store = Store((memory("/a.md", ["Deploys happen on Tuesday."], 0, "A"),), id="memstore_one")
    plan = plan_from_analysis(analyze(Corpus(store), "tfidf"), Focus())
    assert plan.questions == [] and "questions" not in plan.to_dict()
    assert plan_digest(plan) == plan_digest(replace(plan, questions=[]))
    assert T0.year == 2026


# Labelled problems of the sample data no rule can reach: a later session says the editor changed in words
# the note shares none of ("I switched to Neovim last month"), a new contact named in a sentence too unlike
# the note, and a note stale only because the note beside it expired.
SAMPLE_OUT_OF_REACH = {"mem_018oHFAnphcXrwHo2WI7sypl#0", "mem_019THYKAstOYbmyxKynM1Il7#2",
                       "mem_0194pVVmbhb0h8XcglnoRAFE#1"}


@pytest.mark.parametrize("dataset", ["coding-assistant", "legal-research"])
def test_every_labelled_problem_of_the_sample_data_is_an_operation_or_a_question(dataset, request):
    from pathlib import Path

    from workbench import dream, load_corpus

    data = Path(__file__).parent.parent / "sample-data"
    labels = json.loads((data / "labels.json").read_text())["datasets"][dataset]
    analysis = request.getfixturevalue("sample_analysis") if dataset == "coding-assistant" else None
    corpus = analysis.corpus if analysis else load_corpus(data / dataset / "store.json", data / dataset / "sessions")
    plan = dream(corpus, Focus(questions_per_note=1.0), analysis=analysis)  # every question found, not only the most valuable
    reached = [{t.id for t in x.targets} for x in [*plan.operations, *plan.questions]]
    items = [g["notes"] for g in labels["duplicates"]] + [[c["old"]] for c in labels["conflicts"]] \
        + [[s["note"]] for s in labels["stale"]]
    missing = [ids for ids in items if not set(ids) & SAMPLE_OUT_OF_REACH
               and not any(len(set(ids) & r) >= min(2, len(ids)) for r in reached)]
    assert missing == []


def test_the_calibration_reads_the_answers_a_person_exported(copies_plan, tmp_path, monkeypatch):
    from collections import Counter, defaultdict

    from benchmarks.calibration import answer_files, answers

    question = next(q for q in copies_plan.questions if len(q.targets) == 3)
    path = Review(copies_plan).answer(question.id, "merge", who="priya").save_labels(tmp_path / "mine.jsonl")
    monkeypatch.setenv("WORKBENCH_ANSWERS", str(path))
    assert path in answer_files()
    tally = defaultdict(Counter)
    seen = answers(tally, [path])
    if question.proposed:
        assert tally[question.rule]["proposed"] == 1 and sum(seen.values()) == 1
    else:
        assert seen == {}  # no leaning to check: the answer says nothing about the rule


def test_two_amounts_of_one_kind_are_asked_which_holds_even_unordered():
    from datetime import datetime, timezone

    from workbench.analysis import analyze
    from workbench.dream.offline import plan_from_analysis
    from workbench.focus import Focus
    from workbench.records import Corpus, Memory, Store

    at = datetime(2026, 12, 7, tzinfo=timezone.utc)
    blocks = {"/blocks/finances.md": "- Car insurance premium (Northgate Mutual): $1,260 per 6 months.\n"
                                     "- Rent is paid on the first of the month.\n",
              "/blocks/log.md": "- 2026-09-15 — Northgate Mutual auto premium $1,410 per 6 months.\n"
                                "- Passport (Priya) expires 18 April 2031.\n"}
    corpus = Corpus(Store(tuple(Memory(f"m{i}", p, t, at, at) for i, (p, t) in enumerate(blocks.items()))))
    plan = plan_from_analysis(analyze(corpus, "tfidf"), Focus(questions_per_note=1.0))
    premium = [q for q in plan.questions if any("premium" in t.text for t in q.targets) and len(q.targets) == 2]
    assert premium and premium[0].kind == "conflict"
    assert {c.key for c in premium[0].choices} >= {"keep_newer", "keep_older", "both"}


def test_a_question_with_no_leaning_is_worth_what_its_undecided_reading_is_measured_to_change():
    from workbench.dream.calibration import confidence, measured
    from workbench.dream.questions import _change

    assert measured("undecided.unordered") is not None  # the calibration measures undecided readings too
    assert _change("", 0.5, "undecided.unordered") == confidence("undecided.unordered")
    assert _change("", 0.5, "conflict.related") == 0.5  # no leaning and no measure: even odds
    assert _change("both", 0.9, "distinct.different") == pytest.approx(0.1)
