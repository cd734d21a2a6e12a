"""The rules judge: verdicts with measured confidences, suggestions below the bar, nothing it cannot verify."""

import json
from datetime import datetime, timezone

import pytest

from workbench.analysis import analyze
from workbench.dream.calibration import (
    RULES,
    SUGGESTION_FLOOR,
    calibration_table,
    confidence,
)
from workbench.dream.offline import judged_candidates, plan_from_analysis
from workbench.focus import Focus
from workbench.records import Corpus, Memory, Session, Store, Turn
from workbench.review import AUTO_BAR, Review

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
LATER = datetime(2026, 5, 1, tzinfo=timezone.utc)


def corpus(*docs: tuple[str, str, datetime], turns: tuple[str, ...] = ()) -> Corpus:
    store = Store(tuple(Memory(f"m{i}", path, text, at, at) for i, (path, text, at) in enumerate(docs)))
    sessions = ()
    if turns:
        sessions = (Session("s1", LATER, "later", tuple(Turn(f"t{i}", "s1", "user", t, LATER, i)
                                                         for i, t in enumerate(turns))),)
    return Corpus(store, sessions)


def plan_of(c: Corpus):
    return plan_from_analysis(analyze(c, "tfidf"), Focus())


def test_a_confidence_is_the_smoothed_measured_precision_of_its_rule():
    for rule, row in calibration_table()["rules"].items():
        assert rule in RULES
        assert confidence(rule) == round((row["correct"] + 1) / (row["proposed"] + 2), 3)
    assert confidence("a rule never measured") == 0.5


def test_the_shipped_table_was_measured_by_the_calibration_benchmark():
    table = calibration_table()
    assert table["written_by"] == "python -m benchmarks calibration"
    assert set(table["by_source"]) >= {"coding-assistant", "legal-research"}
    for rule, row in table["rules"].items():
        parts = [src[rule] for src in table["by_source"].values() if rule in src]
        assert row == {"proposed": sum(p["proposed"] for p in parts), "correct": sum(p["correct"] for p in parts)}


def test_the_sample_data_part_of_the_table_is_what_the_rules_do_now():
    from collections import Counter, defaultdict

    from benchmarks.calibration import sample

    for dataset in ("coding-assistant", "legal-research"):
        tally = defaultdict(Counter)
        sample(dataset, tally)
        now = {rule: {"proposed": c["proposed"], "correct": c["correct"]} for rule, c in tally.items() if c["proposed"]}
        assert now == calibration_table()["by_source"][dataset], "rerun `python -m benchmarks calibration`"


def test_verbatim_copies_in_one_section_are_merged_with_the_verified_rule():
    plan = plan_of(corpus(("/a.md", "# Deploys\n\n- Priya deploys on Tuesdays.\n- Priya deploys on Tuesdays.\n", AT)))
    (op,) = plan.operations
    assert (op.kind, op.rule) == ("merge", "duplicate.same_words") and op.confidence == confidence(op.rule)
    assert op.confidence >= AUTO_BAR  # measured that precise: applied without a person


def test_identical_children_of_different_parents_are_never_merged():
    plan = plan_of(corpus(("/a.md", "- Deploys\n  - Use staging first.\n- Reviews\n  - Use staging first.\n", AT)))
    assert not plan.operations


def test_steps_of_one_procedure_are_never_merged():
    plan = plan_of(corpus(("/a.md", "1. Take a snapshot of the db.\n2. Run the migration.\n"
                                    "3. Take a snapshot of the db.\n", AT)))
    assert not plan.operations


def test_a_later_value_in_the_same_slot_wins_and_the_earlier_one_is_named():
    plan = plan_of(corpus(("/a.md", "- The staging database runs on port 5432.\n", AT),
                          ("/b.md", "- The staging database runs on port 6543.\n", LATER)))
    (op,) = plan.operations
    assert (op.kind, op.rule, op.result.text) == ("update", "conflict.value", "The staging database runs on port 6543.")
    assert "5432 ↔ 6543" in op.rationale


def test_two_values_written_at_the_same_time_are_left_to_a_judge():
    plan = plan_of(corpus(("/a.md", "- The staging database runs on port 5432.\n"
                                    "- The staging database runs on port 6543.\n", AT)))
    assert not plan.operations


def test_other_words_in_one_slot_are_never_applied_automatically_and_say_what_differs():
    c = corpus(("/a.md", "- Priya drinks coffee in the morning.\n", AT),
               ("/b.md", "- Priya drinks tea in the morning.\n", LATER))
    analysis = analyze(c, "tfidf")
    ((candidate, verdict),) = judged_candidates(analysis, Focus())
    assert verdict.rule == "conflict.words" and "update" in (verdict.action, verdict.withheld)
    assert verdict.confidence < AUTO_BAR and "coffee ↔ tea" in verdict.reason
    assert all(op.confidence < AUTO_BAR for op in plan_from_analysis(analysis, Focus()).operations)


def test_a_rule_measured_below_even_odds_proposes_nothing(monkeypatch):
    c = corpus(("/a.md", "- The staging database runs on port 5432.\n", AT),
               ("/b.md", "- The staging database runs on port 6543.\n", LATER))
    monkeypatch.setitem(calibration_table()["rules"], "conflict.value", {"proposed": 10, "correct": 2})
    analysis = analyze(c, "tfidf")  # verdicts are judged once per analysis: measure first
    (candidate, verdict), = [cv for cv in judged_candidates(analysis, Focus(duplicate_bar=0.61))]
    assert verdict.confidence < SUGGESTION_FLOOR and verdict.action == "none" and verdict.withheld == "update"


def test_an_expiry_that_has_passed_prunes_and_a_start_date_never_does():
    plan = plan_of(corpus(("/a.md", "- Deploys are frozen until 2026-02-10.\n- Priya has led billing since 2025-02-10.\n"
                                    "- The launch is planned for 2027-01-10.\n", AT),
                          ("/b.md", "- Later note.\n", LATER)))
    assert [(op.kind, op.targets[0].text) for op in plan.operations] == [
        ("delete", "Deploys are frozen until 2026-02-10.")]


@pytest.mark.parametrize("note", ["Priya's cat Biscuit walks across the keyboard.",
                                  "Ship the Lunchbox service before the coffee sync.",
                                  "Priya wrote a haiku about Kubernetes in 2024."])
def test_keyword_or_date_alone_never_prunes(note):
    plan = plan_of(corpus(("/a.md", f"- {note}\n", datetime(2024, 1, 1, tzinfo=timezone.utc)),
                          ("/b.md", "- Later note.\n", LATER)))
    assert not plan.operations


def test_automatic_approval_takes_only_verdicts_at_the_bar():
    plan = plan_of(corpus(("/a.md", "# Deploys\n\n- Priya deploys on Tuesdays.\n- Priya deploys on Tuesdays.\n", AT),
                          ("/b.md", "- The staging database runs on port 5432.\n", AT),
                          ("/c.md", "- The staging database runs on port 6543.\n", LATER)))
    review = Review(plan).auto()
    assert set(review.current) == {op.id for op in plan.operations if op.confidence >= AUTO_BAR}


def test_text_in_any_script_never_crashes_and_unparsable_notes_are_kept():
    docs = [("/zh.md", "- 用户喜欢喝茶。\n- 用户不喜欢喝茶。\n", AT), ("/ar.md", "- يحب الشاي\n- لا يحب الشاي\n", AT),
            ("/x.md", "- 👍\n- 👍\n- https://x.io\n- https://x.io\n- ```\n", AT)]
    plan = plan_of(corpus(*docs))
    assert all(op.kind != "delete" for op in plan.operations)
    assert not any({t.text for t in op.targets} & {"👍", "https://x.io"} for op in plan.operations)
    json.dumps(plan.to_dict())


def test_a_later_note_that_says_from_x_to_y_supersedes_the_note_that_says_x():
    plan = plan_of(corpus(("/a.md", "- CI runs on Jenkins.\n", AT),
                          ("/b.md", "- CI moved from Jenkins to GitHub Actions in May.\n", LATER)))
    (op,) = plan.operations
    assert (op.kind, op.rule, op.targets[0].text) == ("update", "conflict.from_to", "CI runs on Jenkins.")
    assert "from Jenkins to GitHub Actions" in op.rationale


def test_from_x_to_y_about_something_the_note_does_not_say_changes_nothing():
    plan = plan_of(corpus(("/a.md", "- Priya flies to Lisbon on Fridays.\n", AT),
                          ("/b.md", "- The team moved from Berlin to Lisbon in May.\n", LATER)))
    assert not plan.operations


def test_two_notes_behind_two_different_labels_are_never_merged_one_behind_a_label_is_a_copy():
    from builders import T0

    from workbench.analysis import analyze
    from workbench.dream.offline import plan_from_analysis
    from workbench.focus import Focus
    from workbench.records import Corpus, Memory, Store

    content = ("# Support team\n\n**Ines Duarte:** Handles Tier 1 chat in US hours.\n\n"
               "**Sam Okoro:** Handles Tier 1 chat in US hours.\n\n"
               "**Escalations:** Tier 2 escalations go to the on-call lead after fifteen minutes.\n\n"
               "Tier 2 escalations go to the on-call lead after fifteen minutes.\n")
    store = Store((Memory("mem_team", "/team.md", content, T0, T0),), id="memstore_labels")
    plan = plan_from_analysis(analyze(Corpus(store), "tfidf"), Focus(questions_per_note=1.0))
    merged = [{t.text for t in op.targets} for op in plan.operations if op.kind == "merge"]
    asked = [{t.text for t in q.targets} for q in plan.questions if q.kind == "duplicate"]
    people = {"**Ines Duarte:** Handles Tier 1 chat in US hours.", "**Sam Okoro:** Handles Tier 1 chat in US hours."}
    assert not any(people <= m for m in merged) and not any(people <= q for q in asked)
    copy = {"**Escalations:** Tier 2 escalations go to the on-call lead after fifteen minutes.",
            "Tier 2 escalations go to the on-call lead after fifteen minutes."}
    assert any(copy <= m for m in merged + asked)
