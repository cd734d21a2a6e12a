"""Each scope has a stated effect, and the plan shows it: the README's example on the sample coding assistant."""

from __future__ import annotations

import pytest
from builders import coding_sessions, coding_store

from workbench import Focus
from workbench.analysis import analyze
from workbench.candidates import Candidate
from workbench.dream.calibration import AUTO_BAR
from workbench.dream.check import check
from workbench.dream.offline import plan_from_analysis
from workbench.dream.plan import Plan
from workbench.dream.planner import PRIORITY_FLOOR, Planner
from workbench.dream.rules import Verdict
from workbench.records import Corpus
from workbench.views.focus import focus_diff, scope_report

README = "Prioritize coding preferences. Never touch /team/. Ignore small talk."
SMALL_TALK = "/misc/personal.md"  # the cat, the burrito lunch, the rain


@pytest.fixture(scope="module")
def sample(sample_analysis):
    return sample_analysis


@pytest.fixture(scope="module")
def plans(sample):
    return plan_from_analysis(sample, Focus()), plan_from_analysis(sample, Focus(README))


def touched(plan: Plan) -> list[str]:
    return [t.path for op in plan.operations for t in op.targets] + [t.path for q in plan.questions for t in q.targets]


def test_the_readme_example_visibly_changes_the_plan(plans):
    plain, focused = plans
    diff = focus_diff(focused, plain)
    assert diff.operations or diff.questions
    assert [e.label for e in focused.scope_effects] == ["protect: /team/", "exclude: small talk",
                                                        "weight 2: coding preferences"]
    assert not plain.scope_effects and "scope_effects" not in plain.to_dict() and "forget" not in plain.to_dict()["focus"]


def test_prioritized_operations_and_questions_come_first(plans, sample):
    _, focused = plans
    weight = next(e for e in focused.scope_effects if e.kind == "weight")
    mine = set(weight.notes)
    assert mine and (weight.operations or weight.questions)
    in_topic = [any(t.id in mine for t in op.targets) for op in focused.operations]
    assert in_topic[0] and in_topic == sorted(in_topic, reverse=True)
    asked = [any(t.id in mine for t in q.targets) for q in focused.questions]
    assert asked[0] and asked == sorted(asked, reverse=True)


def test_a_protected_path_is_untouched(plans):
    plain, focused = plans
    assert any(p.startswith("/team/") for p in touched(plain))
    assert not any(p.startswith("/team/") for p in touched(focused))
    protect = next(e for e in focused.scope_effects if e.kind == "protect")
    assert protect.operations.removed and len(protect.notes) == 12


def test_small_talk_is_left_alone_and_said_to_match_nothing_when_no_note_is_about_it(plans, sample):
    _, focused = plans
    assert SMALL_TALK not in touched(focused)
    ignored = next(e for e in focused.scope_effects if e.kind == "exclude")
    assert ignored.why == "no note is about “small talk”" and not ignored.operations
    assert "exclude: small talk matches nothing: no note is about “small talk”" in focused.notes
    line = next(s for s in scope_report(sample, Focus(README)).scopes if s.effect.kind == "exclude")
    assert line.nearest  # the map's nearest topics, offered instead


def test_ignoring_a_topic_touches_none_of_its_notes_and_forgetting_it_proposes_deleting_them(sample):
    ignored = plan_from_analysis(sample, Focus("Ignore anything about lunch."))
    lunch = next(e for e in ignored.scope_effects).notes
    assert lunch and not any(t.id in lunch for op in ignored.operations for t in op.targets)
    assert not any(t.id in lunch for q in ignored.questions for t in q.targets)
    forgotten = plan_from_analysis(sample, Focus(README + " Forget anything about lunch."))
    deletes = [op for op in forgotten.operations if op.rule == "prune.off_focus"]
    assert {t.id for op in deletes for t in op.targets} == set(lunch)
    assert all(op.confidence < AUTO_BAR for op in deletes) and check(forgotten) == []


def test_only_a_topic_leaves_everything_outside_it_alone(sample):
    plan = plan_from_analysis(sample, Focus("Only look at testing."))
    inside = set(plan.scope_effects[0].notes)
    assert inside and all(t.id in inside for op in plan.operations for t in op.targets)
    assert all(t.id in inside for q in plan.questions for t in q.targets)


def test_a_prioritized_topic_lowers_the_suggestion_floor(sample):
    focus = Focus("Prioritize coding preferences.").resolved()
    planner = Planner(sample, focus)
    inside, outside = sorted(planner.sets.weights)[:2], [n for n in sample.note_ids if n not in planner.sets.weights][:2]
    withheld = Verdict("c", "none", "duplicate.paraphrase", PRIORITY_FLOOR + 0.003, "alike — not proposed: rule …",
                       withheld="merge")
    lowered = planner.prioritized(Candidate("c", "pair", tuple(inside)), withheld)
    assert lowered.action == "merge" and "priority floor" in lowered.reason
    assert planner.prioritized(Candidate("c", "pair", tuple(outside)), withheld).action == "none"


def test_an_insight_about_a_prioritized_topic_needs_one_session_less():
    analysis = analyze(Corpus(coding_store(), tuple(coding_sessions())))
    strict = "Only distill facts seen in at least three sessions."
    assert not [q for q in plan_from_analysis(analysis, Focus(strict)).questions if q.kind == "insight"]
    plan = plan_from_analysis(analysis, Focus(strict + " Prioritize the structlog logger."))
    asked = [q for q in plan.questions if q.kind == "insight"]
    assert asked and len({e.session_id for e in asked[0].evidence}) == 2
    assert asked[0].id in plan.scope_effects[0].questions.added and check(plan) == []


def test_scope_effects_round_trip_through_plan_json(plans):
    _, focused = plans
    again = Plan.from_json(focused.to_json())
    assert again.scope_effects == focused.scope_effects
