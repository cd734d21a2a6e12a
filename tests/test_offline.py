"""The offline engine: four phases, each operation explaining itself, steered by the focus."""

import json

import pytest
from builders import coding_corpus, coding_store, note_id

from workbench.analysis import analyze
from workbench.dream import dream
from workbench.dream.check import check
from workbench.dream.offline import focus_scores, plan_from_analysis
from workbench.dream.plan import Plan
from workbench.focus import Focus


@pytest.fixture(scope="module")
def analysis():
    return analyze(coding_corpus())


@pytest.fixture(scope="module")
def plan(analysis):
    return plan_from_analysis(analysis, Focus())


def ops(plan, kind=None, reason=None):
    return [op for op in plan.operations if (kind is None or op.kind == kind) and (reason is None or op.reason == reason)]


def test_every_operation_explains_itself(plan):
    assert plan.operations
    for op in plan.operations:
        assert op.rationale and 0 <= op.confidence <= 1 and op.evidence
        assert op.kind in ("merge", "update", "delete", "create")


def test_consolidate_merges_verbatim_duplicates_and_keeps_one(plan):
    merge = next(op for op in ops(plan, "merge") if "type hints" in op.result.text)
    assert len(merge.targets) == 2
    assert sum("type hints" in n.text for n in plan.output_store.notes) == 1


def test_consolidate_lets_the_latest_value_win(plan):
    update = next(op for op in ops(plan, "update", "conflict") if any("Jenkins" in t.text for t in op.targets))
    assert "GitHub Actions" in update.result.text
    texts = [n.text for n in plan.output_store.notes]
    assert "CI runs on Jenkins." not in texts and "CI runs on GitHub Actions." in texts


def test_a_value_changed_in_a_later_session_is_rewritten_in_place_citing_the_turn(analysis):
    from workbench.dream.offline import judged_candidates

    candidate, verdict = next((c, v) for c, v in judged_candidates(analysis, Focus())
                              if c.kind == "session" and "staging" in analysis.corpus.note_by_id[c.notes[0]].text)
    assert verdict.text == "The staging database host is `staging-db-2.internal`."
    assert "update" in (verdict.action, verdict.withheld)  # proposed, or left to a judge when its rule measures low
    assert analysis.statement_by_id[candidate.statements[0]].session_id == "sesn_003"


def test_prune_removes_notes_whose_own_expiry_has_passed_and_never_on_a_keyword(plan):
    pruned = {op.targets[0].text: op.reason for op in ops(plan, "delete")}
    assert pruned.get("For this sprint (ends March 27), migrations are frozen.") == "temporary"
    assert "Priya had a sandwich for lunch and it was raining." not in pruned  # small talk is for a judge
    assert "Tomás owns the deploy scripts." not in pruned


def test_distill_finds_a_fact_stated_in_several_sessions(analysis, plan):
    from workbench.dream.offline import judged_candidates

    candidate, verdict = next((c, v) for c, v in judged_candidates(analysis, Focus())
                              if c.kind == "insight" and "structlog" in c.signals["text"])
    assert len(candidate.signals["sessions"]) >= 2 and verdict.rule.startswith("insight.")
    assert "create" in (verdict.action, verdict.withheld)  # proposed, or left to a judge when its rule measures low
    if verdict.action == "create":
        create = next(op for op in ops(plan, "create") if "structlog" in op.result.text)
        assert create.result.text in [n.text for n in plan.output_store.notes]


def test_near_misses_and_role_swaps_are_left_alone(plan):
    touched = {t.text for op in plan.operations for t in op.targets}
    assert "Priya reviews every migration that Mei writes." not in touched
    assert "Unit tests run with `pytest -m unit`." not in touched


def test_forgetting_a_topic_proposes_deleting_it(analysis):
    plan = plan_from_analysis(analysis, Focus(forget=["/team/"]))
    removed = {op.targets[0].path for op in ops(plan, "delete", "off_focus")}
    assert removed == {"/team/people.md"}
    assert not any(m.path == "/team/people.md" for m in plan.output_store.memories)


def test_protected_paths_are_never_touched_and_the_plan_passes_its_own_check(analysis):
    plan = plan_from_analysis(analysis, Focus("Never touch /project/."))
    assert not any(t.path.startswith("/project/") for op in plan.operations for t in op.targets)
    assert check(plan, plan.focus) == []


def test_only_limits_the_dream_to_a_topic(analysis):
    everything = plan_from_analysis(analysis, Focus())
    plan = plan_from_analysis(analysis, Focus("Only /project/."))
    assert any(not t.path.startswith("/project/") for op in everything.operations for t in op.targets)
    assert plan.operations and all(t.path.startswith("/project/") for op in plan.operations for t in op.targets)


def test_a_stricter_bar_merges_less(sample_analysis):
    sample = sample_analysis
    loose = plan_from_analysis(sample, Focus(duplicate_bar=0.5))
    strict = plan_from_analysis(sample, Focus(duplicate_bar=0.99))
    stricter = plan_from_analysis(sample, Focus(duplicate_bar=1.0))
    assert len(ops(stricter, "merge")) <= len(ops(strict, "merge")) <= len(ops(loose, "merge"))
    assert all(len({t.text for t in op.targets}) == 1 for op in ops(strict, "merge"))  # only verbatim copies


def test_a_priority_decides_a_conflict_that_time_cannot(analysis):
    from dataclasses import replace

    from workbench.records import Corpus, Store

    store = coding_store()
    same_time = Store(tuple(replace(m, updated_at=store.memories[0].updated_at) for m in store.memories))
    tied = analyze(Corpus(same_time, ()))
    none = plan_from_analysis(tied, Focus())
    assert not any(op.reason == "conflict" and "Jenkins" in op.result.text + op.targets[0].text for op in none.operations)
    favour_old = plan_from_analysis(tied, Focus(weights={"Jenkins": 2.0}))
    update = next(op for op in favour_old.operations if op.reason == "conflict")
    assert update.result.text == "CI runs on Jenkins." and "priority" in update.rationale
    assert update.rule == "conflict.priority"
    favour_new = plan_from_analysis(tied, Focus("Prioritize GitHub Actions."))
    assert next(op for op in favour_new.operations if op.reason == "conflict").result.text == "CI runs on GitHub Actions."


def test_prioritize_and_ignore_change_the_scores(analysis):
    base = focus_scores(analysis, Focus())
    favour = focus_scores(analysis, Focus("Prioritize the CI notes."))
    ignore = focus_scores(analysis, Focus("Ignore the CI notes."))
    ci = note_id(analysis.corpus.store, "CI runs on Jenkins.")
    assert favour[ci] > base[ci] and ignore[ci] == 0


def test_the_same_inputs_give_a_byte_identical_plan():
    first = dream(coding_corpus(), Focus("Prioritize code style."))
    second = dream(coding_corpus(), Focus("Prioritize code style."))
    assert first.to_json() == second.to_json()


def test_the_input_store_is_never_modified(analysis):
    before = json.dumps(analysis.corpus.store.to_dict(), sort_keys=True)
    plan_from_analysis(analysis, Focus())
    assert json.dumps(analysis.corpus.store.to_dict(), sort_keys=True) == before


def test_a_plan_round_trips_through_json_with_targets_and_the_output_store(plan):
    data = json.loads(plan.to_json())
    assert {"id", "path", "text"} <= set(data["operations"][0]["targets"][0]) if data["operations"][0]["targets"] else True
    assert data["output_store"]["memories"][0]["content"]
    again = Plan.from_json(plan.to_json())
    assert again.to_json() == plan.to_json()


def test_restricting_sessions_needs_no_new_embedding(analysis):
    view = analysis.restricted({"sesn_001"})
    assert len(view.corpus.sessions) == 1 and view.vectors is analysis.vectors
    plan = plan_from_analysis(view, Focus())
    assert not any(op.kind == "create" for op in plan.operations)


def test_a_confidence_is_the_measured_precision_of_the_rule_whatever_the_instructions(analysis):
    from workbench.dream.calibration import confidence

    plain = plan_from_analysis(analysis, Focus())
    about = plan_from_analysis(analysis, Focus("Prioritize logging: structlog, never print statements."))
    for op in plain.operations + about.operations:
        assert op.rule and op.confidence == confidence(op.rule)
