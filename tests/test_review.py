"""Review: nothing changes until a person (or the automatic mode) approves it.

Small plans are built by hand over a four-document store so each test shows one rule; the
sample data's offline plan shows the same rules at realistic size.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from workbench.dream.offline import dream_offline
from workbench.dream.plan import Evidence, Operation, Plan, Result, Target, apply_operations
from workbench.errors import ReaderError, WorkbenchError
from workbench.focus import Focus
from workbench.records import Memory, Store
from workbench.review import (
    Decision,
    Guardrail,
    Review,
    apply,
    blast_radius,
    plan_digest,
)

T = datetime(2025, 5, 1, 9, 0, tzinfo=timezone.utc)


# --- a small store and hand-made plans ---------------------------------------------------------


def memory(path: str, *bullets: str, title: str = "Notes") -> Memory:
    content = f"# {title}\n\n" + "".join(f"- {b}\n" for b in bullets)
    return Memory(id="mem_" + path.strip("/").replace("/", "_").replace(".md", ""), path=path, content=content,
                  created_at=T, updated_at=T)


@pytest.fixture
def store() -> Store:
    """Ten notes in four documents: a duplicate pair, a temporary note, team and deploy facts."""
    return Store((
        memory("/coding/style.md", "Format with ruff; line length is 100.",
               "Use ruff to format code, line length 100.", "Type hints on every public function.", title="Style"),
        memory("/team/people.md", "Dana leads the payments squad.", "Luis owns the CI runners.", title="Team"),
        memory("/projects/deploy.md", "Deploys go out Tuesday and Thursday after 14:00 UTC.",
               "Never deploy payments on a Friday.", "Rollbacks use `make rollback`.", title="Deploys"),
        memory("/scratch/today.md", "Debugging the flaky clock test today.", "Lunch order is pizza.", title="Scratch"),
    ), id="memstore_small", name="small")


def note(store: Store, text: str) -> Target:
    """The target for the note with exactly this text."""
    found = next(n for n in store.notes if n.text == text)
    return Target(found.id, found.path, found.text)


def hand_plan(store: Store, operations: list[Operation]) -> Plan:
    return Plan(engine="hand", engine_version="0", focus=Focus(),
                inputs={"store_digest": store.digest, "notes": len(store.notes), "memories": len(store.memories),
                        "sessions": [], "as_of": "2025-06-01T00:00:00Z"},
                operations=list(operations), output_store=apply_operations(store, operations), input_store=store)


def merge_duplicates(store: Store) -> Operation:
    keep, drop = note(store, "Format with ruff; line length is 100."), note(store, "Use ruff to format code, line length 100.")
    return Operation("merge", "duplicate", (keep, drop), Result(keep.path, keep.text, note_id=keep.id),
                     "Both notes say to format with ruff at line length 100.", confidence=0.95)


def update_merged(store: Store, merge: Operation) -> Operation:
    merged = note(store, "Format with ruff; line length is 100.")
    return Operation("update", "conflict", (merged,),
                     Result(merged.path, "Format with ruff (`ruff format`); line length is 120.", note_id=merged.id),
                     "The line length changed to 120 in the latest session.",
                     evidence=(Evidence("we bumped the line length to 120", "sesn_1", "sesn_1-t0"),),
                     confidence=0.9, depends_on=(merge.id,))


def delete_scratch(store: Store) -> Operation:
    return Operation("delete", "temporary", (note(store, "Debugging the flaky clock test today."),), None,
                     "A note about one day's work, long past.", confidence=0.85)


def create_insight() -> Operation:
    return Operation("create", "insight", (), Result("/team/people.md", "Hannah runs the on-call rotation."),
                     "Stated in two sessions.", confidence=0.7)


@pytest.fixture
def plan(store) -> Plan:
    """merge (0.95) → update depending on it (0.90), delete (0.85), create (0.70)."""
    merge = merge_duplicates(store)
    return hand_plan(store, [merge, update_merged(store, merge), delete_scratch(store), create_insight()])


def ops(plan: Plan) -> dict[str, str]:
    """Operation ids by kind (each kind appears once in the small plan)."""
    return {op.kind: op.id for op in plan.operations}


def texts(store: Store) -> set[str]:
    return {n.text for n in store.notes}


# --- the sample data's offline plan, built once -------------------------------------------------


@pytest.fixture(scope="module")
def sample(sample_analysis):
    """(corpus, analysis, plan) for sample-data/coding-assistant (the session's analysis)."""
    corpus = sample_analysis.corpus
    return corpus, sample_analysis, dream_offline(corpus, analysis=sample_analysis)


# --- manual mode --------------------------------------------------------------------------------


def test_nothing_applies_until_an_operation_is_approved(store, plan):
    assert apply(store, plan, Review(plan)) == store


def test_nothing_applies_on_the_sample_data_until_approved(sample):
    corpus, _, plan = sample
    assert apply(corpus.store, plan, Review(plan)).to_dict() == corpus.store.to_dict()


def test_approving_one_operation_applies_only_its_change(store, plan):
    after = apply(store, plan, Review(plan).approve(ops(plan)["delete"]))
    assert texts(store) - texts(after) == {"Debugging the flaky clock test today."}
    assert texts(after) - texts(store) == set()


def test_rejecting_a_merge_keeps_both_original_notes(store, plan):
    review = Review(plan).reject(ops(plan)["merge"]).approve(ops(plan)["delete"], ops(plan)["create"])
    after = apply(store, plan, review)
    assert {"Format with ruff; line length is 100.", "Use ruff to format code, line length 100."} <= texts(after)


def test_approving_a_merge_keeps_one_wording_and_drops_the_other(store, plan):
    after = apply(store, plan, Review(plan).approve(ops(plan)["merge"]))
    assert "Format with ruff; line length is 100." in texts(after)
    assert "Use ruff to format code, line length 100." not in texts(after)


def test_an_edit_replaces_the_result_content(store, plan):
    review = Review(plan).edit(ops(plan)["create"], "Hannah runs the on-call rotation in PagerDuty.")
    after = apply(store, plan, review)
    assert texts(after) - texts(store) == {"Hannah runs the on-call rotation in PagerDuty."}
    assert review.edits() == {ops(plan)["create"]: "Hannah runs the on-call rotation in PagerDuty."}


def test_the_input_store_is_never_modified(sample):
    corpus, _, plan = sample
    before = json.dumps(corpus.store.to_dict(), sort_keys=True)
    after = apply(corpus.store, plan, Review(plan).approve_all())
    assert json.dumps(corpus.store.to_dict(), sort_keys=True) == before
    assert after.digest != corpus.store.digest


def test_a_later_decision_replaces_an_earlier_one_and_both_stay_in_the_log(plan):
    merge = ops(plan)["merge"]
    review = Review(plan).approve(merge).reject(merge)
    assert review.current[merge].verdict == "reject"
    assert [d.verdict for d in review.decisions] == ["approve", "reject"]


def test_a_decision_names_a_known_verdict_and_an_edit_carries_content(plan):
    with pytest.raises(ReaderError, match="unknown verdict 'maybe'"):
        Decision("op_x", "maybe")
    with pytest.raises(ReaderError, match="an edit needs the new content"):
        Review(plan).edit(ops(plan)["create"], "   ")


def test_deciding_on_an_operation_the_plan_does_not_hold_is_an_error(plan):
    with pytest.raises(ReaderError, match="the plan has no operation 'op_nope'"):
        Review(plan).approve("op_nope")


def test_a_plan_applies_only_to_the_store_it_was_made_for(store, plan, sample):
    corpus, _, _ = sample
    with pytest.raises(WorkbenchError, match="made for a different store"):
        apply(corpus.store, plan, Review(plan).approve_all())


def test_counts_summarise_the_review(plan):
    review = Review(plan).approve(ops(plan)["update"]).reject(ops(plan)["merge"])
    assert review.counts() == {"operations": 4, "pending": 2, "blocked": 1, "approve": 1, "reject": 1, "edit": 0,
                               "questions": 0, "answered": 0}


# --- automatic mode -----------------------------------------------------------------------------


def test_auto_approves_exactly_the_pending_operations_at_or_above_the_bar_of_the_chosen_kinds(sample):
    _, _, plan = sample
    bar = max(op.confidence for op in plan.operations if op.kind in ("merge", "update"))
    review = Review(plan).auto(min_confidence=bar, kinds=["merge", "update"])
    chosen = {op.id for op in plan.operations if op.kind in ("merge", "update") and op.confidence >= bar}
    assert chosen and set(review.current) == chosen
    assert all(d.verdict == "approve" and d.who == "auto" for d in review.current.values())
    assert set(review.pending) == {op.id for op in plan.operations} - chosen


def test_auto_approves_an_operation_exactly_at_the_bar(plan):
    review = Review(plan).auto(min_confidence=0.85)
    assert set(review.current) == {ops(plan)["merge"], ops(plan)["update"], ops(plan)["delete"]}
    assert review.pending == [ops(plan)["create"]]


def test_auto_notes_the_confidence_behind_each_approval(plan):
    review = Review(plan).auto(min_confidence=0.9, kinds=["merge"])
    assert review.current[ops(plan)["merge"]].note == "confidence 0.95 ≥ 0.90"


def test_auto_never_overrides_a_persons_decision(sample):
    _, _, plan = sample
    best = max(plan.operations, key=lambda op: op.confidence)
    review = Review(plan).reject(best.id, who="dana").auto(min_confidence=0.0)
    assert review.current[best.id].verdict == "reject"
    assert review.current[best.id].who == "dana"
    assert review.pending == []


# --- dependencies -------------------------------------------------------------------------------


def test_an_update_of_a_merged_note_is_blocked_when_the_merge_is_rejected(store, plan):
    review = Review(plan).reject(ops(plan)["merge"]).approve(ops(plan)["update"])
    assert review.blocked() == {ops(plan)["update"]: f"depends on {ops(plan)['merge']}, which is rejected"}
    assert apply(store, plan, review) == store


def test_an_update_of_a_merged_note_is_blocked_while_the_merge_is_pending(store, plan):
    review = Review(plan).approve(ops(plan)["update"])
    assert review.blocked() == {ops(plan)["update"]: f"depends on {ops(plan)['merge']}, which is pending"}
    assert review.approved_operations() == []


def test_approving_the_merge_and_its_update_applies_both_in_order(store, plan):
    after = apply(store, plan, Review(plan).approve(ops(plan)["merge"], ops(plan)["update"]))
    assert texts(store) - texts(after) == {"Format with ruff; line length is 100.", "Use ruff to format code, line length 100."}
    assert texts(after) - texts(store) == {"Format with ruff (`ruff format`); line length is 120."}


def test_a_chain_of_dependencies_is_blocked_as_a_whole(store):
    merge = merge_duplicates(store)
    update = update_merged(store, merge)
    again = Target(update.result.note_id, update.result.path, update.result.text)
    follow_up = Operation("update", "conflict", (again,),
                          Result(again.path, "Format with ruff; line length is 120 everywhere.", note_id=again.id),
                          "Clarified in a later session.", confidence=0.9, depends_on=(update.id,))
    plan = hand_plan(store, [merge, update, follow_up])
    review = Review(plan).reject(merge.id).approve(update.id, follow_up.id)
    assert review.blocked() == {update.id: f"depends on {merge.id}, which is rejected",
                                follow_up.id: f"depends on {update.id}, which is blocked"}
    assert apply(store, plan, review) == store


# --- save and resume ----------------------------------------------------------------------------


def test_saved_decisions_resume_with_the_same_current_decisions_and_pending_list(sample, tmp_path):
    _, _, plan = sample
    first, second = plan.operations[0].id, plan.operations[1].id
    review = Review(plan).approve(first).reject(second, who="dana").auto(min_confidence=0.9, kinds=["delete"])
    path = review.save(tmp_path / "decisions.json")
    resumed = Review.load(plan, path)
    assert resumed.current == review.current
    assert resumed.pending == review.pending
    assert resumed.decisions == review.decisions


def test_decisions_load_against_the_same_plan_read_back_from_json(sample, tmp_path):
    _, _, plan = sample
    review = Review(plan).auto(min_confidence=0.8)
    review.save(tmp_path / "decisions.json")
    reread = Plan.from_json(plan.to_json())
    assert Review.load(reread, tmp_path / "decisions.json").current == review.current


def test_loading_decisions_made_for_another_plan_is_a_reader_error(sample, plan, tmp_path):
    Review(plan).approve_all().save(tmp_path / "decisions.json")
    with pytest.raises(ReaderError, match="decisions were made on a different plan"):
        Review.load(sample[2], tmp_path / "decisions.json")


@pytest.mark.parametrize("body, message", [
    ("{not json", "malformed JSON"),
    ("[1, 2]", "not a decisions file"),
    ('{"plan_digest": "DIGEST", "decisions": [{"operation": "op_nope", "verdict": "approve"}]}',
     "unknown operation 'op_nope'"),
    ('{"plan_digest": "DIGEST", "decisions": [{"verdict": "approve", "operation": "OP", "mood": "sure"}]}',
     "malformed decisions"),
    ('{"decisions": [{"verdict": "approve", "operation": "OP"}]}', "name no plan digest"),
])
def test_a_broken_decisions_file_is_a_reader_error(plan, tmp_path, body, message):
    path = tmp_path / "decisions.json"
    path.write_text(body.replace("OP", plan.operations[0].id).replace("DIGEST", plan_digest(plan)), encoding="utf-8")
    with pytest.raises(ReaderError, match=message):
        Review.load(plan, path)


# --- guardrails ---------------------------------------------------------------------------------


@pytest.fixture
def sweeping_plan(store) -> Plan:
    """Deletes 6 of the 10 notes (60 %) and creates one."""
    doomed = ["Debugging the flaky clock test today.", "Lunch order is pizza.", "Dana leads the payments squad.",
              "Luis owns the CI runners.", "Rollbacks use `make rollback`.", "Type hints on every public function."]
    deletes = [Operation("delete", "low_value", (note(store, text),), None, "Low value.", confidence=0.95)
               for text in doomed]
    return hand_plan(store, [*deletes, create_insight()])


def test_blast_radius_is_the_share_of_input_notes_deleted_and_rewritten(plan):
    merge = plan.by_id[ops(plan)["merge"]]
    assert blast_radius(plan, [merge]) == {"deleted_share": 0.1, "rewritten_share": 0.1, "deleted": 1,
                                           "rewritten": 1, "notes": 10}
    assert blast_radius(plan)["deleted_share"] == 0.2


def test_auto_approves_nothing_destructive_when_a_plan_deletes_more_than_40_percent(sweeping_plan):
    review = Review(sweeping_plan).auto(min_confidence=0.5)
    assert [sweeping_plan.by_id[op].kind for op in review.current] == ["create"]
    assert len(review.pending) == 6
    assert review.log == ["automatic mode held back destructive operations: the change deletes 60% of notes (cap 40%)"]


def test_a_looser_guardrail_lets_the_same_plan_through(sweeping_plan):
    review = Review(sweeping_plan, guardrail=Guardrail(max_deleted=0.7)).auto(min_confidence=0.5)
    assert review.pending == [] and review.log == []


def test_a_tighter_guardrail_holds_back_a_small_change(plan):
    review = Review(plan, guardrail=Guardrail(max_deleted=0.1)).auto(min_confidence=0.5)
    assert review.pending == [ops(plan)["merge"], ops(plan)["update"], ops(plan)["delete"]]
    assert "deletes 20% of notes (cap 10%)" in review.log[0]


def test_a_rewrite_cap_names_the_rewritten_share():
    assert Guardrail(max_rewritten=0.2).breaches({"deleted_share": 0.0, "rewritten_share": 0.25}) == [
        "rewrites 25% of notes (cap 20%)"]


def test_the_guardrail_is_saved_with_the_decisions(sweeping_plan, tmp_path):
    Review(sweeping_plan, guardrail=Guardrail(0.7, 0.5)).save(tmp_path / "decisions.json")
    assert Review.load(sweeping_plan, tmp_path / "decisions.json").guardrail == Guardrail(0.7, 0.5)
