"""The evaluation report: probes answered before and after, regressions attributed exactly, tokens."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Operation, Plan, Result, Target
from workbench.errors import WorkbenchError
from workbench.evaluate import (
    TOKEN_METHOD,
    Evaluator,
    compare_reports,
    context_text,
    evaluate,
    restored,
    summary_frame,
)
from workbench.export import export_snapshot
from workbench.focus import Focus
from workbench.probes import Probe, generate_probes
from workbench.review import Review

SAMPLE = Path(__file__).parents[1] / "sample-data" / "coding-assistant"
STORE, SESSIONS = str(SAMPLE / "store.json"), str(SAMPLE / "sessions")


@pytest.fixture(scope="module")
def analysis(sample_analysis):
    return sample_analysis


@pytest.fixture(scope="module")
def plan(analysis) -> Plan:
    return dream_offline(analysis.corpus, Focus(), analysis=analysis)


@pytest.fixture(scope="module")
def evaluator(analysis) -> Evaluator:
    return Evaluator(analysis, k=5)


@pytest.fixture(scope="module")
def report(evaluator, plan):
    return evaluator.report(plan)


def answered_without(evaluator: Evaluator, operations, excluded) -> list[bool]:
    """Per probe: every net that held before holds with the `excluded` operations left out."""
    _, view = evaluator.after([op for op in operations if op.id not in set(excluded)])
    return [restored(b, a) for b, a in zip(evaluator.before, evaluator.answer(view))]


def note(analysis, text_start: str):
    return next(n for n in analysis.corpus.notes if n.text.startswith(text_start))


def target(n) -> Target:
    return Target(n.id, n.path, n.text)


def with_ops(plan: Plan, *ops: Operation) -> Plan:
    return replace(plan, operations=[*plan.operations, *ops])


# --- the report ---------------------------------------------------------------------------------


def test_the_report_json_has_the_counts_tokens_and_every_probe(report, evaluator):
    data = json.loads(report.to_json())
    assert data["before"]["answered"] == len(evaluator.probes) == data["probes_total"]  # generated: all answer before
    assert data["after"]["answered"] < data["before"]["answered"]
    assert data["after"]["answered"] == (data["before"]["answered"] - len(data["answer_regressions"])
                                         + len(data["gains"]))
    assert data["after"]["retrieved"] == data["before"]["retrieved"] - len(data["retrieval_regressions"])
    assert set(data["regressions"]) == set(data["answer_regressions"]) | set(data["retrieval_regressions"])
    assert data["tokens"]["before"] > 0 and data["tokens"]["after"] > 0 and data["tokens"]["method"] == TOKEN_METHOD
    assert data["before"]["notes"] == 110 and data["after"]["notes"] < 110
    assert sum(data["before"]["matched_by"].values()) == data["before"]["answered"]
    assert data["nets"] == {"answer": len(evaluator.probes), "retrieval": len(evaluator.probes)}
    probe = data["probes"][0]
    assert {"id", "answered_before", "answered_after", "broken_by", "why", "matched_by", "nets", "regression"} <= set(probe)
    regressed = [p for p in data["probes"] if p["answered_before"] and not p["answered_after"]]
    assert [p["id"] for p in regressed] == data["answer_regressions"]
    assert all(p["broken_by"] and p["why"] in ("lost", "displaced", "answer changed") for p in regressed)
    evidence_only = [p for p in data["probes"] if p["regression"] == ["retrieval"]]
    assert all(p["broken_by"] and p["why"] in ("evidence lost", "evidence displaced") for p in evidence_only)


def test_tokens_are_the_bytes_of_paths_and_contents_over_four(report, analysis, plan):
    assert report.tokens[0] == -(-len(context_text(analysis.corpus.store).encode()) // 4)
    assert report.tokens[1] == -(-len(context_text(plan.output_store).encode()) // 4)


def test_every_regression_of_the_offline_plan_is_attributed_and_omitting_them_answers_all_again(report, evaluator, plan):
    regressions = report.regressions
    assert regressions and all(r.broken_by for r in regressions)
    kinds = {report.operations[i].kind for r in regressions for i in r.broken_by}
    assert kinds <= {"delete", "update", "merge"}
    union = {i for r in regressions for i in r.broken_by}
    again = answered_without(evaluator, plan.operations, union)
    rows = [i for i, r in enumerate(report.results) if r.regression]
    assert all(again[i] for i in rows)


def test_each_attribution_is_minimal_applying_any_one_of_its_operations_breaks_the_probe(report, evaluator, plan):
    for row, result in enumerate(report.results):
        for op_id in result.broken_by:
            rest = set(result.broken_by) - {op_id}
            assert not answered_without(evaluator, plan.operations, rest)[row], (result.probe.id, op_id)


def test_a_planted_wrong_merge_is_named_by_the_report(analysis, plan, evaluator):
    used = {t.id for op in plan.operations for t in op.targets}
    keeper, lost = note(analysis, "The Sentry project for the API"), note(analysis, "Background jobs run on Celery")
    assert not {keeper.id, lost.id} & used
    wrong = Operation("merge", "duplicate", (target(keeper), target(lost)),
                      Result(keeper.path, keeper.text, note_id=keeper.id), "Planted: these are not duplicates.",
                      confidence=0.99)
    report = evaluator.report(with_ops(plan, wrong))
    broken = {r.probe.id: r for r in report.regressions}
    assert broken[f"gen:{lost.id}"].broken_by == (wrong.id,)
    assert broken[f"gen:{lost.id}"].why == "lost"  # the survivor descends from it but no note says "Redis" now
    assert f"gen:{keeper.id}" not in broken
    assert report.breaks[wrong.id] == [f"gen:{lost.id}"]


def test_notes_that_push_the_evidence_out_of_the_top_k_are_attributed_together(analysis, plan):
    probe = next(p for p in generate_probes(analysis.corpus.store) if p.answers == ("Redis",))
    evaluator = Evaluator(analysis, [probe], k=1)
    decoys = [Operation("create", "insight", (), Result("/decoys.md", probe.question.replace("___", word)),
                        f"Decoy {word}.", confidence=0.9) for word in ("RabbitMQ", "SQS")]
    report = evaluator.report(with_ops(plan, *decoys))
    (result,) = report.regressions
    assert set(result.broken_by) == {d.id for d in decoys}  # leaving out one decoy lets the other displace it
    assert result.why == "displaced"
    assert answered_without(evaluator, report.operations.values(), result.broken_by) == [True]


@pytest.mark.parametrize("seed", range(4))
def test_attribution_is_exact_for_any_subset_of_decisions_and_any_k(analysis, plan, seed):
    rng = random.Random(seed)
    k = rng.choice([1, 2, 3, 5])
    evaluator = Evaluator(analysis, k=k)
    review = Review(plan)
    for op in plan.operations:
        review.decide(op.id, rng.choice(["approve", "approve", "reject"]))
    report = evaluator.report(plan, review)
    approved = review.approved_operations()
    assert set(report.operations) == {op.id for op in approved}
    union = {i for r in report.regressions for i in r.broken_by}
    assert union <= set(report.operations)
    again = answered_without(evaluator, approved, union)
    assert all(again[i] for i, r in enumerate(report.results) if r.regression)


def test_a_fact_added_with_its_turn_as_provenance_is_a_gain(analysis, plan):
    turn = analysis.corpus.sessions[-1].turns[0]
    probe = Probe("new-fact", "Which queue does the ledger use?", ("Kafka",), (turn.id,))
    create = Operation("create", "insight", (), Result("/insights/queues.md", "The ledger uses Kafka for its queue."),
                       "Stated in sessions.", provenance=(turn.id,), confidence=0.9)
    report = Evaluator(analysis, [probe]).report(with_ops(plan, create))
    assert [r.probe.id for r in report.gains] == ["new-fact"] and not report.results[0].before.answered


def test_an_edit_that_drops_the_value_is_a_regression_of_the_edited_operation(analysis, plan, evaluator):
    watched = {p.id for p in evaluator.probes}
    merge = next((op for op in plan.operations if op.kind == "merge" and f"gen:{op.result.note_id}" in watched), None)
    assert merge is not None, "the offline plan has a merge whose kept note states a value (a generated probe)"
    probe_id = f"gen:{merge.result.note_id}"
    review = Review(plan).approve_all()
    review.edit(merge.id, "Something else entirely, with no value left.")
    report = evaluator.report(plan, review)
    assert merge.id in {i for r in report.regressions if r.probe.id == probe_id for i in r.broken_by}


def test_k_below_one_is_refused(analysis):
    with pytest.raises(WorkbenchError, match="k must be at least 1"):
        Evaluator(analysis, [], k=0)


# --- review, export, comparison -------------------------------------------------------------------


def test_automatic_approval_skips_operations_that_break_probes_unless_allowed(plan, report):
    breaking = set(report.breaks)
    held = Review(plan).auto(min_confidence=0.0, breaks=report.breaks)
    assert breaking and not breaking & set(held.current)
    assert set(held.current) == {op.id for op in plan.operations} - breaking
    assert any("break probes" in line for line in held.log)
    allowed = Review(plan).auto(min_confidence=0.0, breaks=report.breaks, allow_regressions=True)
    assert set(allowed.current) == {op.id for op in plan.operations}


def test_the_report_goes_into_the_snapshot_manifest(tmp_path, analysis, plan, evaluator):
    review = Review(plan).auto(min_confidence=0.0, breaks=evaluator.report(plan).breaks)
    report = evaluator.report(plan, review)
    snapshot = export_snapshot(analysis.corpus.store, plan, review, tmp_path / "snap", report=report)
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["evaluation"]["regressions"] == [] == snapshot.manifest["evaluation"]["regressions"]
    assert manifest["evaluation"]["after"]["answered"] == manifest["evaluation"]["before"]["answered"]


def test_two_plans_compare_side_by_side_on_the_same_probes(analysis, plan, evaluator, report):
    merges_only = dream_offline(analysis.corpus, Focus(kinds=("merge",)), analysis=analysis)
    reports = {"default": report, "merges only": evaluator.report(merges_only)}
    frame = compare_reports(reports)
    assert list(frame.columns) == ["question", "answered_before", "default: after", "default: broken_by",
                                   "merges only: after", "merges only: broken_by"]
    assert frame["default: after"].sum() == report.answered[1]
    summary = summary_frame(reports)
    assert summary.loc["merges only", "regressions"] <= summary.loc["default", "regressions"]
    assert summary.loc["merges only", "tokens_after"] < summary.loc["merges only", "tokens_before"]
    other = Evaluator(analysis, evaluator.probes[:3]).report(plan)
    with pytest.raises(WorkbenchError, match="other probes"):
        compare_reports({"a": report, "b": other})


def test_the_comparison_figure_draws_answered_and_tokens_per_plan(report):
    from workbench.plots import evaluation_bars

    fig = evaluation_bars(summary_frame({"offline": report}))
    names = [t.name for t in fig.data]
    assert names == ["answered before", "answered after", "retrieved before", "retrieved after", "tokens before",
                     "tokens after"]
    assert list(fig.data[1].y) == [report.answered[1]] and list(fig.data[3].y) == [report.retrieved[1]]
    assert list(fig.data[5].y) == [report.tokens[1]]


def test_evaluate_generates_probes_when_none_are_given(analysis, plan):
    assert evaluate(analysis, plan, k=3).k == 3


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory, plan) -> Path:
    path = tmp_path_factory.mktemp("cli") / "plan.json"
    path.write_text(plan.to_json(), encoding="utf-8")
    return path


def test_workbench_eval_writes_the_report(tmp_path, plan_file, capsys):
    out = tmp_path / "report.json"
    assert main(["eval", STORE, "--sessions", SESSIONS, "--plan", str(plan_file), "--k", "5", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["before"]["answered"] > data["after"]["answered"] and data["k"] == 5
    printed = capsys.readouterr().out
    assert f"answered {data['before']['answered']} before → {data['after']['answered']} after" in printed
    assert f"evidence retrieved {data['before']['retrieved']} → {data['after']['retrieved']}" in printed
    assert f"{len(data['answer_regressions'])} answer regressions, {len(data['retrieval_regressions'])} retrieval" \
        in printed


def test_workbench_eval_with_decisions_and_a_probe_file(tmp_path, plan_file, plan, analysis):
    decisions = Review(plan).reject(*[op.id for op in plan.operations]).save(tmp_path / "d.json")
    probe = {"id": "p1", "question": "Which broker do background jobs use?", "answer": "Redis",
             "evidence": [note(analysis, "Background jobs run on Celery").id]}
    probes = tmp_path / "probes.jsonl"
    probes.write_text(json.dumps(probe) + "\n", encoding="utf-8")
    out = tmp_path / "report.json"
    assert main(["eval", STORE, "--sessions", SESSIONS, "--plan", str(plan_file), "--decisions", str(decisions),
                 "--probes", str(probes), "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["operations_applied"] == 0 and [p["id"] for p in data["probes"]] == ["p1"]
    assert data["after"] == {**data["before"], "tokens": data["tokens"]["before"]}


def test_a_bad_probe_file_is_one_line_on_stderr_exit_2_and_nothing_written(tmp_path, plan_file, capsys):
    probes = tmp_path / "probes.jsonl"
    probes.write_text('{"id": "a", "question": "Q?", "answer": "x"}\n{"id": "a", "question": "Again?", "answer": "y"}\n',
                      encoding="utf-8")
    out = tmp_path / "report.json"
    code = main(["eval", STORE, "--sessions", SESSIONS, "--plan", str(plan_file), "--probes", str(probes),
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and f"{probes}:2: field 'id': duplicate probe id 'a'" in err
    assert "Traceback" not in err
