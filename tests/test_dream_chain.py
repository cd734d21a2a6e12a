"""Offline dreams over more than 100 sessions: a chain of windows in time order, told as one plan
against the original store (`workbench.dream.chain`)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from builders import T0, coding_store, memory, session

from workbench.dream import dream
from workbench.dream.chain import dream_chain
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Operation, Plan, Result, Target, apply_operations
from workbench.focus import Focus, chain_sessions
from workbench.records import Corpus, Store

CHORES = ["Can you look at the failing invoice test?", "Please rerun the linter.", "Bump the version number.",
          "Write a docstring for the parser.", "Rename the helper to something clearer."]


def long_store() -> Store:
    """The coding store, plus notes that expire while the later windows are read."""
    extra = memory("/project/freeze.md", ["Until 2026-09-30, deploys need Tomás's sign-off.",
                                          "Until 2026-12-31, the payments schema is frozen."], 2, "Freeze")
    return Store((*coding_store().memories, extra), id="memstore_test", name="test")


def corpus_of(sessions: int = 250) -> Corpus:
    """Short sessions, one a day, given out of order."""
    found = [session(n, 70 + n, [CHORES[n % 5]]) for n in range(sessions)]
    random.Random(0).shuffle(found)
    return Corpus(long_store(), found)


def texts(store: Store) -> Counter:
    return Counter((note.path, note.text) for note in store.notes)


@pytest.fixture(scope="module")
def long_plan() -> Plan:
    return dream(corpus_of())


def test_more_than_100_sessions_are_dreamt_as_windows_in_time_order(long_plan):
    windows = long_plan.inputs["windows"]
    assert [w["sessions"] for w in windows] == [100, 100, 50]
    assert [w["first_session"] for w in windows] == ["sesn_000", "sesn_100", "sesn_200"]
    assert [w["began"] for w in windows] == sorted(w["began"] for w in windows)
    assert "window 2 began at session sesn_100" in " ".join(long_plan.notes)
    assert long_plan.inputs["sessions"] == [f"sesn_{n:03d}" for n in range(250)]


def test_the_chain_equals_each_window_dreamt_on_the_last_ones_output():
    corpus = corpus_of()
    store, digests = corpus.store, []
    for window in chain_sessions(corpus.sessions, Focus()):
        digests.append(store.digest)
        store = dream_offline(Corpus(store, tuple(window)), Focus()).output_store
    plan = dream(corpus)
    assert [w["store_digest"] for w in plan.inputs["windows"]] == digests
    assert texts(plan.output_store) == texts(store)
    assert any(op.kind == "delete" and "2026-09-30" in op.targets[0].text for op in plan.operations)  # window 2


def test_the_plan_applies_to_the_original_store(long_plan):
    original = {note.id: note for note in long_store().notes}
    for op in long_plan.operations:
        assert all(t.id in original and t.text == original[t.id].text for t in op.targets), op
    assert texts(apply_operations(long_store(), long_plan.operations)) == texts(long_plan.output_store)
    assert Plan.from_json(long_plan.to_json()).to_json() == long_plan.to_json()


def test_up_to_100_sessions_is_one_dream_as_before():
    plan = dream(corpus_of(100))
    assert "windows" not in plan.inputs and not any("window" in n for n in plan.notes)


# --- the telling, with a scripted engine: notes written in one window and changed in a later one ----


def scripted(steps: dict[int, list]):
    """A window engine that makes the operations `steps[window]` names (by the texts of the notes)."""
    seen = []

    def dream_window(corpus: Corpus, focus: Focus) -> Plan:
        seen.append(corpus)
        notes = {note.text: note for note in corpus.store.notes}
        ops = [make(notes) for make in steps.get(len(seen), [])]
        output = apply_operations(corpus.store, ops, at=corpus.as_of)
        return Plan(engine="offline", engine_version="test", focus=focus,
                    inputs={"store_digest": corpus.store.digest}, operations=ops, output_store=output,
                    input_store=corpus.store)

    return dream_window


def target(notes, text):
    note = notes[text]
    return Target(note.id, note.path, note.text)


def create(text, path="/new.md"):
    return lambda notes: Operation("create", "insight", (), Result(path, text), "said often")


def change(kind, reason, sources, text):
    def make(notes):
        targets = tuple(target(notes, s) for s in sources)
        return Operation(kind, reason, targets, Result(targets[0].path, text, targets[0].id), "why")
    return make


def delete(text):
    return lambda notes: Operation("delete", "stale", (target(notes, text),), None, "old")


def chained(steps: dict[int, list]) -> tuple[Plan, Store]:
    corpus = Corpus(coding_store(), [session(n, 70 + n, ["Bump the version."]) for n in range(250)])
    plan = dream_chain(corpus, Focus(), scripted(steps))
    store, engine = corpus.store, scripted(steps)
    for window in chain_sessions(corpus.sessions, Focus()):  # the chain again, each output the next input
        store = engine(Corpus(store, tuple(window)), Focus()).output_store
    return plan, store


def test_a_note_created_in_window_1_and_merged_in_window_3_is_one_merge_of_the_original_note():
    plan, store = chained({
        1: [create("Use the structlog logger."), change("update", "conflict", ["CI runs on Jenkins."], "CI runs on Buildkite.")],
        2: [change("update", "conflict", ["CI runs on Buildkite."], "CI runs on GitHub Actions.")],
        3: [change("merge", "duplicate", ["Tomás owns the deploy scripts.", "Use the structlog logger."],
                   "Tomás owns the deploy scripts; use the structlog logger.")],
    })
    by_text = {op.result.text: op for op in plan.operations if op.result is not None}
    merge = by_text["Tomás owns the deploy scripts; use the structlog logger."]
    assert merge.kind == "update" and [t.text for t in merge.targets] == ["Tomás owns the deploy scripts."]
    ci = by_text["CI runs on GitHub Actions."]
    assert ci.kind == "update" and [t.text for t in ci.targets] == ["CI runs on Jenkins."]
    assert len(plan.operations) == 2  # the create and the first update were taken into later operations
    assert texts(plan.output_store) == texts(store)


def test_a_note_created_and_deleted_in_the_chain_is_no_operation_and_a_merged_note_deleted_deletes_both():
    plan, store = chained({
        1: [create("Use the structlog logger."), change("merge", "duplicate", [
            "Priya wants type hints on every public function.", "Unit tests run with `pytest -m unit`."],
            "Priya wants type hints; unit tests run with `pytest -m unit`.")],
        3: [delete("Use the structlog logger."), delete("Priya wants type hints; unit tests run with `pytest -m unit`.")],
    })
    assert [op.kind for op in plan.operations] == ["delete"]
    assert sorted(t.text for t in plan.operations[0].targets) == [
        "Priya wants type hints on every public function.", "Unit tests run with `pytest -m unit`."]
    assert texts(plan.output_store) == texts(store)
    assert plan.output_store.by_path["/project/ci.md"].updated_at >= T0 + timedelta(days=70)  # written in the chain
