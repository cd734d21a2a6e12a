"""`check(plan, focus)`: every operation that breaks a scope is a WorkbenchError naming it."""

from __future__ import annotations

import pytest
from builders import SAMPLE, T0, coding_store

from workbench.analysis import analyze
from workbench.dream.check import Violation, check, enforce
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Evidence, Operation, Plan, Result, Target
from workbench.errors import WorkbenchError
from workbench.focus import Focus
from workbench.io import load_corpus
from workbench.records import iso


def target(text: str):
    store = coding_store()
    found = next(n for n in store.notes if n.text == text)
    return store, Target(found.id, found.path, found.text)


def plan_of(*ops: Operation, focus: Focus | None = None, sessions=("sesn_001", "sesn_002")) -> Plan:
    store = coding_store()
    return Plan("offline", "test", focus or Focus(), {"as_of": iso(T0.replace(month=9)), "sessions": list(sessions)},
                list(ops), store, input_store=store)


def delete(text: str, reason: str = "off_focus") -> Operation:
    _, t = target(text)
    return Operation("delete", reason, (t,), None, "why", (Evidence(t.text, note_id=t.id),))


def create(text: str, path: str, *sessions: str) -> Operation:
    evidence = tuple(Evidence(text, session_id=s, turn_id=f"{s}-u0") for s in sessions)
    return Operation("create", "insight", (), Result(path, text), "why", evidence)


def test_a_violation_is_a_workbench_error_naming_the_operation_and_the_scope():
    op = delete("CI runs on Jenkins.")
    found = check(plan_of(op), Focus("Never touch /project/."))
    assert [v.scope for v in found] == ["protect: /project/"]
    assert isinstance(found[0], WorkbenchError) and not isinstance(found[0], AssertionError)
    assert op.id in str(found[0]) and "protect: /project/" in str(found[0])
    with pytest.raises(Violation, match=op.id):
        enforce(plan_of(op), Focus("Never touch /project/."))


def test_protect_by_topic_covers_what_an_operation_creates():
    op = create("Always run the migrations in a transaction.", "/insights/rules.md", "sesn_001", "sesn_002")
    assert [v.scope for v in check(plan_of(op), Focus("Never touch anything about migrations."))] == [
        "protect: migrations"]
    assert check(plan_of(op), Focus("Never touch /people/.")) == []


def test_an_operation_of_a_switched_off_kind_is_named():
    assert [v.scope for v in check(plan_of(delete("CI runs on Jenkins.")), Focus("Don't delete anything."))] == [
        "kinds: merge, update, create"]


def test_a_stale_delete_younger_than_the_horizon_is_named():
    op = delete("CI runs on Jenkins.", reason="stale")
    assert check(plan_of(op), Focus("Prune anything older than 30 days.")) == []
    found = check(plan_of(op), Focus("Keep anything newer than 400 days."))
    assert [v.scope for v in found] == ["horizon: 400 days"]


def test_an_insight_needs_evidence_from_the_minimum_number_of_sessions():
    op = create("Use structlog, not print.", "/insights/preferences.md", "sesn_001", "sesn_002")
    assert check(plan_of(op), Focus()) == []
    assert [v.scope for v in check(plan_of(op), Focus("Require at least 3 sessions per insight."))] == [
        "min support: 3 sessions"]


def test_evidence_from_a_session_the_plan_did_not_read_is_named():
    op = create("Use structlog, not print.", "/insights/preferences.md", "sesn_001", "sesn_009")
    assert [v.scope for v in check(plan_of(op), Focus())] == ["sessions read"]


def test_an_excluded_topic_is_never_created_and_include_only_bounds_every_change():
    op = create("Lunch is at noon.", "/insights/team.md", "sesn_001", "sesn_002")
    assert [v.scope for v in check(plan_of(op), Focus("Ignore lunch."))] == ["exclude: lunch"]
    assert [v.scope for v in check(plan_of(op), Focus("Only coding style."))] == ["include only: coding style"]


# --- the offline engine's plans on the sample data keep to their focus ------------------------------

CODING = [
    "Never touch /team/. Ignore small talk.",
    "Prioritize coding preferences over team trivia. Prune anything older than 90 days.",
    "Don't delete anything.",
    "Only distill facts seen in at least three sessions.",
    "Only the last 20 sessions. Keep all debugging notes.",
    "Keep anything newer than 200 days.",
    "Never merge anything. Ignore sessions before 2026-05-01.",
    "Don't drop the deploy notes, and never touch /project/ci.md or /project/deploys.md.",
]
LEGAL = [
    "Focus only on /clients/.",
    "Never touch /clients/*.md. Deprioritize /misc/.",
    "Prioritize client preferences over general task patterns. Skip nothing in /clients/harborline-logistics.md.",
]


@pytest.fixture(scope="module")
def sample(sample_analysis):
    legal = load_corpus(SAMPLE / "legal-research" / "store.json", SAMPLE / "legal-research" / "sessions")
    return {"coding-assistant": (sample_analysis.corpus, sample_analysis), "legal-research": (legal, analyze(legal))}


@pytest.mark.parametrize(("dataset", "text"), [("coding-assistant", t) for t in CODING]
                         + [("legal-research", t) for t in LEGAL])
def test_offline_plans_on_the_sample_data_pass_check(sample, dataset, text):
    corpus, analysis = sample[dataset]
    focus = Focus(text)
    plan = dream_offline(corpus, focus.resolved(), analysis=analysis)  # engines read the resolved focus
    assert check(plan, focus) == []


@pytest.mark.parametrize(("dataset", "text"), [("coding-assistant", "Never touch anything about migrations."),
                                               ("legal-research", "Skip nothing about Harborline.")])
def test_offline_plans_honour_a_topic_protected_by_keyword(sample, dataset, text):
    corpus, analysis = sample[dataset]
    plan = dream_offline(corpus, Focus(text).resolved(), analysis=analysis)
    assert check(plan, Focus(text)) == []
