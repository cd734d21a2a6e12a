"""Working sessions: decisions carried between plans by what operations do, undo, save and load, uploads."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import replace
from io import BytesIO

import pytest
from test_plots import small_analysis

from workbench.dream.offline import plan_from_analysis
from workbench.errors import ReaderError, WorkbenchError
from workbench.focus import Focus
from workbench.review import Review, plan_digest
from workbench.session import (
    WorkSession,
    approve_shown,
    autosave_path,
    carry_over,
    load_session,
    operation_digest,
    operation_key,
    save_session,
    snapshot_archive,
    stage_uploads,
    undo,
)


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="module")
def plan(analysis):
    return plan_from_analysis(analysis, Focus())


def test_decisions_follow_identical_operations_into_a_new_plan(plan):
    review = Review(plan)
    first, second = plan.operations[:2]
    review.approve(first.id).reject(second.id).edit(first.id, "changed my mind")
    # the same first operation with a new id (another engine version, another wording of the rationale)
    renamed = replace(first, id="op_renamed", rationale="said differently")
    new_plan = replace(plan, operations=[renamed, *plan.operations[2:]])
    carried = carry_over(review, new_plan)
    assert carried.carried == (first.id,) and carried.dropped == (second.id,)
    assert carried.dropped_operations == (second,)
    history = [(d.operation, d.verdict) for d in carried.review.decisions]
    assert history == [("op_renamed", "approve"), ("op_renamed", "edit")]  # the whole history, in order
    assert carried.review.current["op_renamed"].content == "changed my mind"
    assert "1 decision carried over" in carried.message and "1 could not be carried" in carried.message
    assert carried.message in carried.review.log[-1]


def test_an_operation_that_writes_other_text_is_not_the_same_operation(plan):
    op = next(o for o in plan.operations if o.result is not None)
    other = replace(op, result=replace(op.result, text=op.result.text + " (changed)"))
    assert operation_key(other) != operation_key(op)
    review = Review(plan).approve(op.id)
    carried = carry_over(review, replace(plan, operations=[other if o is op else o for o in plan.operations]))
    assert carried.carried == () and carried.dropped == (op.id,)


def test_undo_makes_an_operation_pending_again_and_logs_it(plan):
    review = Review(plan)
    op = plan.operations[0]
    review.approve(op.id)
    undo(review, op.id)
    assert op.id in review.pending and "undid approve" in review.log[-1]
    with pytest.raises(ReaderError, match="no decision to undo"):
        undo(review, op.id)
    assert carry_over(review, plan).carried == ()  # an undone decision is not carried


def test_approving_a_changed_box_is_an_edit_and_an_empty_box_is_refused(plan):
    op = next(o for o in plan.operations if o.result is not None)
    review = Review(plan)
    approve_shown(review, op, op.result.text)
    assert review.current[op.id].verdict == "approve"
    approve_shown(review, op, "A better wording.")
    assert review.current[op.id].verdict == "edit" and review.current[op.id].content == "A better wording."
    with pytest.raises(WorkbenchError, match="empty"):
        approve_shown(review, op, "  ")


def test_a_session_round_trips_through_a_file_written_atomically(plan, tmp_path):
    review = Review(plan)
    op = plan.operations[0]
    review.approve(op.id)
    session = WorkSession.capture(Focus(horizon_days=400), review, selection=["mem_1#0"], store_digest="abc")
    path = save_session(session, tmp_path / "s.json")
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary file left beside it
    again = load_session(path)
    assert again.focus == Focus(horizon_days=400) and again.selection == ("mem_1#0",)
    assert again.plan_digest == plan_digest(plan) and again.decisions == session.decisions
    restored = again.restore(plan)
    assert restored.review.current[op.id].verdict == "approve" and restored.carried == (op.id,)


def test_answers_to_questions_survive_a_restart_and_a_new_plan_that_asks_the_same(plan, tmp_path):
    question = plan.questions[0]  # the small store's most valuable question
    choice = question.choices[0].key
    review = Review(plan).answer(question.id, choice, who="priya")
    path = save_session(WorkSession.capture(Focus(), review), tmp_path / "s.json")
    restored = load_session(path).restore(plan)
    assert restored.review.answers() == {question.id: choice} and restored.carried == (question.id,)
    assert restored.review.current[question.id].who == "priya"
    carried = carry_over(review, replace(plan, operations=plan.operations[1:]))  # re-planned: it asks the same
    assert carried.review.answers() == {question.id: choice} and question.id in carried.carried
    gone = carry_over(review, replace(plan, questions=[]))  # a plan that no longer asks it
    assert gone.review.answers() == {} and gone.dropped == (question.id,)


def test_a_failed_save_leaves_the_previous_file_whole(plan, tmp_path, monkeypatch):
    path = save_session(WorkSession.capture(Focus(), Review(plan)), tmp_path / "s.json")
    before = path.read_text()
    review = Review(plan).approve(plan.operations[0].id)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(WorkbenchError, match="cannot save the session"):
        save_session(WorkSession.capture(Focus(), review), path)
    assert path.read_text() == before and [p.name for p in tmp_path.iterdir()] == ["s.json"]


@pytest.mark.parametrize("content, message", [
    ("not json", "cannot read the session"),
    ("[1, 2]", "not a workbench session file"),
    ('{"kind": "dream-workbench session", "format": 9}', "unknown session format"),
    ('{"kind": "dream-workbench session", "format": 1, "decisions": [{"operation": "x", "verdict": "maybe"}]}',
     "unknown verdict"),
    ('{"kind": "dream-workbench session", "format": 1, "decisions": [{"nope": 1}]}', "malformed session"),
])
def test_a_bad_session_file_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ReaderError, match=message) as caught:
        load_session(path)
    assert str(path) in str(caught.value)


def test_a_session_with_decisions_the_file_cannot_place_counts_them_as_not_carried(plan):
    data = WorkSession.capture(Focus(), Review(plan).approve(plan.operations[0].id)).to_dict()
    data["operations"] = {}  # decisions without the digests of the operations they were made on
    restored = WorkSession.from_dict(json.loads(json.dumps(data))).restore(plan)
    assert restored.carried == () and restored.dropped == (plan.operations[0].id,)


def test_a_session_file_holds_no_text_of_the_store(plan, tmp_path):
    op = next(o for o in plan.operations if o.result is not None)
    review = Review(plan).approve(op.id)
    text = save_session(WorkSession.capture(Focus(), review), tmp_path / "s.json").read_text()
    assert op.result.text not in text and all(t.text not in text for t in op.targets)
    assert operation_digest(op) in text


def test_autosaves_live_in_a_private_folder_named_by_the_store(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_SESSIONS", str(tmp_path))
    assert autosave_path("0123456789abcdef0123").parent == tmp_path
    assert autosave_path("0123456789abcdef0123").name == "session-0123456789abcdef.json"


def test_uploads_are_staged_under_their_base_names_only(tmp_path):
    [path] = stage_uploads([("../../etc/evil.json", b"{}")], tmp_path / "in")
    assert path == tmp_path / "in" / "evil.json" and path.read_bytes() == b"{}"
    with pytest.raises(WorkbenchError):
        stage_uploads([(".hidden", b"x")], tmp_path / "in")


def test_a_written_snapshot_becomes_one_downloadable_file(tmp_path):
    folder = tmp_path / "snap"
    (folder / "memories").mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    (folder / "memories" / "a.md").write_text("- a")
    name, data = snapshot_archive(folder, "dir")
    assert name == "snap.zip"
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "memories/a.md"]
    single = tmp_path / "out.json"
    single.write_text("{}")
    (tmp_path / "out.json.manifest.json").write_text("{}")
    name, data = snapshot_archive(single, "json")
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["out.json", "out.json.manifest.json"]
