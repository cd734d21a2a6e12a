"""The instrument tested by planted damage on a small LoCoMo slice: notes holding answers deleted or
given a wrong value, exact copies merged (harmless); the report flags the damage and blames it exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from builders import SHARED_DATA

from workbench.analysis import analyze
from workbench.evaluate import Evaluator
from workbench.io import load_store
from workbench.probes import locomo_probes
from workbench.records import Corpus, Store

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.damage import check, plant, wrong_value  # noqa: E402

LOCOMO = SHARED_DATA / "locomo10.json"
SLICE = "conv-30"  # the smallest conversation: 81 questions, 169 observations
N = 4


def test_a_wrong_value_changes_a_number_else_a_month_else_a_name():
    assert wrong_value("Caroline moved 4 years ago.", ["Caroline", "Melanie"]) == "Caroline moved 7 years ago."
    assert wrong_value("Gina opened her store in March.", []) == "Gina opened her store in August."
    assert wrong_value("Gina met Jon at the studio.", ["Gina", "Jon", "Maria"]) == "Gina met Maria at the studio."
    assert wrong_value("Gina loves dancing.", ["Gina"]) is None


@pytest.fixture(scope="module")
def planted():
    if not LOCOMO.exists():
        pytest.skip("public LoCoMo data is absent (../shared/data/locomo10.json)")
    store = load_store(LOCOMO)
    conversation = Store(tuple(m for m in store.memories if m.path.startswith(f"/{SLICE}/")), id=SLICE)
    probes = locomo_probes(LOCOMO, samples=[SLICE])
    base = Evaluator(analyze(Corpus(conversation), "tfidf"), probes, k=5)
    damage = plant(base, N, seed=24)
    evaluator = Evaluator(analyze(Corpus(damage.store), "tfidf"), probes, k=5)
    return evaluator, damage, evaluator.report(damage.plan)


def test_the_plan_is_made_of_public_records_deletions_wrong_values_and_merges_of_copies(planted):
    _, damage, _ = planted
    kinds = sorted(op.kind for op in damage.plan.operations)
    assert kinds.count("delete") == N and kinds.count("merge") == N and 1 <= kinds.count("update") <= N
    for op in damage.plan.operations:
        if op.id in damage.harmless:
            original, copy = op.targets
            assert original.text == copy.text and op.result.text == original.text


def test_the_report_flags_the_damaged_probes_and_blames_no_harmless_merge(planted):
    evaluator, damage, report = planted
    found = check(evaluator, damage, report)
    assert found["damaged"] >= N
    assert found["flagged"] >= 0.95 * found["damaged"]
    assert found["on_harmless"] == []
    assert found["exact"]  # leaving out the blamed operations restores every flagged probe
    blamed = {i for r in report.regressions for i in r.broken_by}
    assert blamed <= set(damage.deleted) | set(damage.rewritten)


def test_both_nets_are_reported_with_the_rule_of_every_probe(planted):
    _, _, report = planted
    data = report.to_dict()
    assert data["answer_regressions"] and data["retrieval_regressions"]
    assert report.summary()["answer_regressions"] == len(data["answer_regressions"])
    assert {p["matched_by"] for p in data["probes"]} <= {"exact", "number", "date", "token_f1", ""}
    assert all(p["nets"] == ["answer", "retrieval"] for p in data["probes"])
