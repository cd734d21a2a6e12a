"""The policies commands used to hold, as package functions: resuming decisions, a plan bound to its store."""

from __future__ import annotations

import pytest
from reliability import deleting_plan, small_store

from workbench.errors import WorkbenchError
from workbench.records import Store
from workbench.resume import resume_review
from workbench.review import Guardrail, Review


def test_an_out_holding_decisions_on_the_plan_is_resumed_and_anything_else_refused(tmp_path):
    store = small_store()
    plan = deleting_plan(store, [store.notes[0].text])
    out = tmp_path / "decisions.json"
    fresh = resume_review(plan, out, guardrail=Guardrail(0.1, 0.2))
    assert fresh.resumed_from is None and fresh.review.guardrail == Guardrail(0.1, 0.2)
    Review(plan).reject(plan.operations[0].id, who="dana").save(out)
    resumed = resume_review(plan, out)
    assert resumed.resumed_from == str(out) and resumed.review.current[plan.operations[0].id].who == "dana"
    assert resume_review(plan, tmp_path / "other.json", decisions=out).resumed_from is None  # named: not implicit
    (tmp_path / "notes.txt").write_text("not decisions", encoding="utf-8")
    with pytest.raises(WorkbenchError, match="holds no decisions on this plan"):
        resume_review(plan, tmp_path / "notes.txt")


def test_a_plan_is_checked_against_the_store_it_was_made_for():
    store = small_store()
    plan = deleting_plan(store, [store.notes[0].text])
    plan.check_store(store, required=True)
    other = Store(store.memories[1:])
    with pytest.raises(WorkbenchError, match="made for a different store"):
        plan.check_store(other)
    plan.inputs.pop("store_digest", None)
    plan.input_store = None
    plan.check_store(other)  # nothing recorded: nothing to check, unless required
    with pytest.raises(WorkbenchError, match="records no input store digest"):
        plan.check_store(other, required=True)
