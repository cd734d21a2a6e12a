"""The widgets in Python: build them, act as the front end would, check the package state."""

from __future__ import annotations

import html
import json
import threading
import time
import zipfile
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.callbacks import Points
from test_plots import small_analysis

from workbench import views
from workbench.dream.offline import plan_from_analysis
from workbench.findings import findings
from workbench.focus import Focus
from workbench.records import Store
from workbench.review import Review
from workbench.ui import (
    ConflictTimeline,
    Explorer,
    FocusTuner,
    Picked,
    ReviewPanel,
    Workbench,
    _html,
    _static,
)
from workbench.ui import _autosave as autosave_module
from workbench.ui import app as app_module
from workbench.ui import explorer as explorer_module
from workbench.ui._payloads import FocusForm

LOCOMO_SMALL = Path(__file__).parent / "data" / "chat" / "locomo_small.json"


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="module")
def sample(sample_analysis):
    return sample_analysis


@pytest.fixture
def plan(analysis):
    return plan_from_analysis(analysis, Focus())


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- focus tuner ------------------------------------------------------------------------------


def test_moving_a_slider_changes_the_preview_counts(analysis):
    tuner = FocusTuner(analysis)
    before = tuner.plan.summary()["by_kind"]
    counts_before = tuner.counts.value
    tuner.kinds["delete"].value = False
    tuner.refresh()
    assert "delete" not in tuner.focus.kinds
    assert tuner.plan.summary()["by_kind"].get("delete", 0) < before["delete"]
    assert tuner.counts.value != counts_before
    assert "operations" in tuner.status.value


def test_the_preview_updates_by_itself_once_the_controls_are_quiet(analysis):
    tuner = FocusTuner(analysis, wait=0.05)
    first = tuner.plan
    tuner.kinds["delete"].value = False
    assert wait_for(lambda: tuner.plan is not first)
    assert tuner.wait(10)
    assert "delete" not in tuner.plan.summary()["by_kind"]
    colors = set(tuner.map.color_codes().tolist())
    assert 3 not in colors  # code 3 is "pruned" in the fate colouring


def test_a_single_edit_re_plans_at_once_and_a_drag_is_coalesced():
    from workbench.ui._debounce import Debouncer

    runs = []
    ran = threading.Event()
    debouncer = Debouncer(lambda: (runs.append(1), ran.set()), wait=60.0, leading=True)
    debouncer()  # after a quiet spell: runs now, not in 60 s
    assert ran.wait(5) and len(runs) == 1
    debouncer()
    debouncer()  # a drag: waits for the quiet spell (60 s here), so nothing more runs now
    time.sleep(0.3)
    assert len(runs) == 1 and debouncer.pending
    debouncer.cancel()


def test_the_tuner_shows_why_it_cannot_plan_instead_of_failing(analysis):
    tuner = FocusTuner(analysis)
    good = tuner.plan
    tuner.instructions.value = "x" * 5000
    tuner.refresh()
    assert tuner.plan is good
    assert "4,096" in tuner.error and "Cannot plan" in tuner.status.value
    assert "5,000 / 4,096" in tuner.instructions_count.value


def test_instructions_compile_into_scopes_the_tuner_shows(analysis):
    tuner = FocusTuner(analysis)
    tuner.focus = Focus(instructions="Never touch /project/. Ignore small talk.")
    assert "protect: /project/" in tuner.scopes.value
    touched = {t.path for op in tuner.plan.operations for t in op.targets}
    assert not any(p.startswith("/project/") for p in touched)


def test_a_b_mode_lists_the_notes_whose_fate_differs(analysis):
    tuner = FocusTuner(analysis)
    tuner.pin_a()
    tuner.kinds["delete"].value = False
    tuner.refresh()
    diff = tuner.differences
    assert len(diff) >= 1 and (diff.a != diff.b).all()
    assert "A (pinned)" in tuner.ab.value and diff.index[0] in tuner.ab.value
    tuner.clear_a()
    assert tuner.differences.empty


# --- explorer ---------------------------------------------------------------------------------


def test_setting_the_selection_from_code_updates_the_table_and_the_map(analysis, plan):
    explorer = Explorer(analysis, plan=plan, layout=None, show_all_links=False)
    chosen = [findings(analysis).conflicts[0].older, findings(analysis).conflicts[0].newer]
    explorer.selection = chosen
    assert list(explorer.selection.index) == chosen
    assert sorted(explorer.map.selected_positions()) == sorted(analysis.note_ids.index(i) for i in chosen)
    text = analysis.corpus.note_by_id[chosen[0]].text
    assert "2</b> selected" in explorer.table.value and text in explorer.table.value
    assert text in explorer.details.value
    kinds = np.frombuffer(explorer.map.link_kinds, dtype=np.uint8)
    assert 1 in kinds  # the conflict link of the selection is drawn
    explorer.selection = []
    assert explorer.selection.empty and explorer.map.selected_positions() == []
    assert len(explorer.map.link_pairs()) == 0  # "all links" off: no selection, no links
    with pytest.raises(KeyError, match="unknown note id"):
        explorer.selection = ["mem_404#0"]


def test_a_lasso_on_the_map_reaches_the_selection_on_its_own_trait(analysis):
    explorer = Explorer(analysis, layout=None)
    # what the front end sends when a lasso gesture ends
    explorer.map.picked = {"indices": [1, 4], "how": "lasso", "seq": 1}
    assert list(explorer.selection.index) == [analysis.note_ids[1], analysis.note_ids[4]]
    assert explorer.picks[-1].how == "lasso" and explorer.map.selected_positions() == [1, 4]
    explorer.map.picked = {"indices": [0, 2, 99_999, "x"], "how": "box", "seq": 2}  # out of range: ignored
    assert list(explorer.selection.index) == [analysis.note_ids[0], analysis.note_ids[2]]
    explorer.map.picked = {"nonsense": True}  # malformed: nothing changes, nothing raised
    assert list(explorer.selection.index) == [analysis.note_ids[0], analysis.note_ids[2]]


def test_a_click_selects_one_note_and_filters_select_a_topic_or_a_search(analysis):
    explorer = Explorer(analysis, layout=None)
    explorer.map.picked = {"indices": [3], "how": "click", "seq": 1}
    assert list(explorer.selection.index) == [analysis.note_ids[3]]
    explorer.search.value = "postgres"
    assert set(explorer.selection.index) == {i for i in analysis.note_ids
                                             if "postgres" in analysis.corpus.note_by_id[i].text.lower()}
    topics = analysis.clusters
    topic = int(topics.cluster.max())
    explorer.cluster.value = topic
    assert set(explorer.selection.index) == set(topics.index[topics.cluster == topic])


def test_all_links_are_shown_by_default_below_the_limit_with_a_legend(analysis):
    explorer = Explorer(analysis, layout=None)
    total = views.link_count(analysis)
    assert explorer.show_links.value and 0 < total <= explorer_module.ALL_LINKS_LIMIT
    assert len(explorer.map.link_pairs()) == total
    labels = [item["label"] for item in explorer.map.legend]
    assert any(label.startswith("duplicate links") for label in labels)
    assert any(label.startswith("conflict links") for label in labels)
    explorer.show_links.value = False
    assert len(explorer.map.link_pairs()) == 0


def test_topic_labels_are_whole_words_and_drawn_largest_first(sample):
    analysis = sample
    explorer = Explorer(analysis, layout=None)
    labels = explorer.map.labels
    assert labels and [label["size"] for label in labels] == sorted((label["size"] for label in labels), reverse=True)
    words = {word for label in labels for word in label["text"].replace("/", " ").split()}
    texts = " ".join(n.text.lower() for n in analysis.corpus.notes)
    assert all(word.lower() in texts for word in words)  # a stem like "messag" would not be in the texts as a word


def test_long_texts_in_the_table_are_cut_at_a_word_with_the_whole_text_a_click_away():
    import pandas as pd

    long = " ".join(f"word{i}" for i in range(100))
    frame = pd.DataFrame({"text": [long, "short"], "duplicates": [["x#0", "y#1"], []]},
                         index=pd.Index(["a", "b"], name="id"))
    page = _html.table(frame)
    assert '<details class="wb-more">' in page and long in page  # the whole text, behind "(more)"
    cut = page.split('<span class="wb-cut">')[1].split("</span>")[0]
    assert cut.rstrip().endswith("…") and cut.rstrip()[:-1].split()[-1] in long.split()  # ends on a whole word
    assert '<td class="text">short</td>' in page
    assert '<span class="count" title="x#0, y#1">2</span>' in page  # lists: a count, the items on hover


def test_the_selection_table_sends_its_rows_apart_so_the_browser_draws_the_first_at_once(analysis):
    explorer = Explorer(analysis, layout=None)
    ids = analysis.note_ids
    explorer.selection = ids
    table = explorer.table
    assert len(table.rows) == len(ids) and all(row.startswith("<tr>") and row.endswith("</tr>") for row in table.rows)
    frame = views.notes_table(analysis, ids, complete=False)
    assert table.value.endswith(_html.table(frame.assign(age_days=frame["age_days"].round(0)), total=len(ids)))
    assert table.head.startswith(f'<div class="wb-small"><b>{len(ids)}</b> selected')
    explorer.selection = []
    assert table.rows == [] and "No selection" in table.value


def test_the_umap_status_sits_in_the_toolbar_on_one_line(analysis):
    explorer = Explorer(analysis, layout=None)
    toolbar = explorer.widget.children[1]
    assert explorer.status in toolbar.children and "nowrap" in explorer.status.value


def test_picked_is_a_frozen_dataclass_parsed_from_points():
    picked = Picked.from_points(Points(point_inds=[2, 0, 2]), ["a", "b", "c"], "lasso")
    assert picked == Picked(("c", "a"), "lasso")
    with pytest.raises(AttributeError):
        picked.ids = ()
    assert Picked.from_ids("a").ids == ("a",)
    assert Picked.from_front({"indices": [2, 2, 0], "how": "box"}, ["a", "b", "c"]) == Picked(("c", "a"), "box")
    assert Picked.from_front("garbage", ["a"]) is None


def test_the_umap_layout_is_swapped_in_when_its_thread_finishes(analysis):
    release = threading.Event()

    def slow_layout(a):
        release.wait(60)
        return a.coords * 3

    explorer = Explorer(analysis, layout=slow_layout)
    assert explorer.map.layout_name != "UMAP"  # the constructor returned before the layout did
    assert wait_for(lambda: "computing the UMAP layout" in explorer.status.value)
    before = explorer.map.positions()[:, 0].copy()
    explorer.selection = [analysis.note_ids[2]]
    release.set()
    explorer.layout_thread.join(5)
    assert wait_for(lambda: "UMAP layout ready" in explorer.status.value)
    assert explorer.map.layout_name == "UMAP" and np.allclose(explorer.map.positions()[:, 0], before * 3, atol=1e-4)
    assert list(explorer.selection.index) == [analysis.note_ids[2]]  # the same notes stay selected
    explorer.layout_choice.value = "PCA"
    assert np.allclose(explorer.map.positions()[:, 0], before, atol=1e-5) and explorer.map.layout_name == "PCA"


def test_in_a_kernel_the_layout_waits_until_the_front_end_has_drawn_the_map(analysis, monkeypatch):
    monkeypatch.setattr(explorer_module, "SETTLE", 0.0)
    done = threading.Event()
    explorer = Explorer(analysis, layout=lambda a: (done.set(), a.coords * 2)[1], wait_for_front_end=True)
    assert explorer.layout_thread is None and "UMAP starts once the map is drawn" in explorer.status.value
    explorer.map.rendered = 1  # what the front end reports after its first draw
    assert wait_for(lambda: explorer.layout_thread is not None) and done.wait(5)
    explorer.layout_thread.join(5)
    assert wait_for(lambda: "UMAP layout ready" in explorer.status.value)
    assert explorer.start_layout().layout_thread is explorer.layout_thread  # once only


def test_recolouring_by_fate_follows_the_plan(analysis, plan):
    explorer = Explorer(analysis, layout=None)
    assert "fate" not in explorer.color_by.options
    explorer.plan = plan
    explorer.color_by.value = "fate"
    fates = plan.fates()
    codes = explorer.map.color_codes()
    assert [("kept", "merged", "updated", "pruned", "created")[int(c)] for c in codes] == \
        [fates[i] for i in analysis.note_ids]
    assert explorer.map.labels == []  # topic labels only when colouring by topic
    explorer.color_by.value = "age"
    assert len(explorer.map.palette) == 32 and explorer.map.legend[0]["shape"] == "gradient"


# --- review -------------------------------------------------------------------------------------


def test_approving_and_rejecting_with_the_buttons_changes_the_review_counts(plan, analysis):
    panel = ReviewPanel(Review(plan), analysis=analysis)
    first, second = list(panel.cards.values())[:2]
    first.approve_button.click()
    second.reject_button.click()
    counts = panel.review.counts()
    assert counts["approve"] == 1 and counts["reject"] == 1
    assert counts["pending"] == len(plan.operations) - 2
    assert panel.review.current[first.op.id].verdict == "approve"
    assert "approve" in first.body.value and first.approve_button.button_style == "success"
    assert f"<b>{counts['pending']}</b><span>pending" in panel.summary.value


def test_editing_an_operation_records_the_new_text(plan):
    panel = ReviewPanel(Review(plan))
    card = next(c for c in panel.cards.values() if c.op.result is not None)
    card.edit_text.value = "The staging database runs on Postgres 15."
    card.edit_button.click()
    decision = panel.review.current[card.op.id]
    assert decision.verdict == "edit" and decision.content.endswith("Postgres 15.")
    assert "after (edited)" in card.body.value


def test_approve_approves_what_the_box_shows_and_says_when_it_is_unsaved(plan):
    panel = ReviewPanel(Review(plan))
    card = next(c for c in panel.cards.values() if c.op.result is not None)
    assert not card.unsaved_edit and card.unsaved.value == ""
    card.edit_text.value = card.op.result.text + " (checked with Priya)"
    assert card.unsaved_edit and "unsaved edit" in card.unsaved.value
    assert card.approve_button.description == "Approve edited text"
    card.approve_button.click()
    decision = panel.review.current[card.op.id]
    assert decision.verdict == "edit" and decision.content.endswith("(checked with Priya)")
    card = panel.cards[card.op.id]
    assert not card.unsaved_edit and card.edit_text.value == decision.content  # the box shows what is kept
    card.edit_text.value = card.op.result.text  # back to the original: a plain approval
    card.approve_button.click()
    assert panel.review.current[card.op.id].verdict == "approve"
    card.edit_text.value = "   "
    card.approve_button.click()  # an empty box is refused with a message, not approved, not raised
    assert panel.review.current[card.op.id].verdict == "approve" and "empty" in panel.error.value


def test_undo_takes_a_decision_back_to_pending(plan):
    panel = ReviewPanel(Review(plan))
    card = next(iter(panel.cards.values()))
    assert card.undo_button.disabled
    card.reject_button.click()
    assert panel.review.current[card.op.id].verdict == "reject" and not panel.cards[card.op.id].undo_button.disabled
    panel.cards[card.op.id].undo_button.click()
    assert card.op.id not in panel.review.current and card.op.id in panel.review.pending
    assert "undid reject" in panel.review.log[-1]


def test_keys_approve_reject_undo_and_move_between_cards(plan):
    panel = ReviewPanel(Review(plan), page_size=3)
    first, second, third = list(panel.cards)[:3]
    assert panel.current == first
    panel.key("j")
    assert panel.current == second and "wb-current" in panel.cards[second].widget._dom_classes
    panel.key("a")  # approve, then on to the next card
    assert panel.review.current[second].verdict == "approve" and panel.current == third
    panel.key("k").key("r")
    assert panel.review.current[second].verdict == "reject"
    panel.current = second
    panel.key("u")
    assert second not in panel.review.current
    panel.current = third
    panel.key("j")  # past the last card of the page: the next page opens
    assert panel.page == 1 and panel.current == list(panel.cards)[0]
    panel._message = None
    panel.keys._message(panel.keys, {"key": "k"}, [])  # what the front end sends
    assert panel.page == 0 and panel.current == third


def test_filters_and_sorting_find_operations_among_many(plan):
    panel = ReviewPanel(Review(plan))
    everything = len(plan.operations)
    kind = plan.operations[-1].kind
    panel.kind.value = kind
    assert {op.kind for op in panel.operations()} == {kind}
    panel.kind.value = "all"
    op = plan.operations[0]
    word = max(op.rationale.split(), key=len).strip(".,;:()")
    panel.text.value = word
    assert op in panel.operations() and all(word.lower() in views.operations._haystack(o) for o in panel.operations())
    panel.text.value = ""
    path = op.targets[0].path if op.targets else op.result.path
    panel.path.value = path
    assert op in panel.operations() and len(panel.operations()) <= everything
    panel.path.value = ""
    panel.rule.value = op.rule
    assert {o.rule for o in panel.operations()} == {op.rule}
    panel.rule.value = "all"
    panel.sort.value = "confidence"
    shown = [o.confidence for o in panel.operations()]
    assert shown == sorted(shown) and len(shown) == everything
    panel.confidence_range.value = (0.0, 0.6)
    assert all(o.confidence <= 0.6 for o in panel.operations())
    panel.confidence_range.value = (0.0, 1.0)
    panel.suggestions_only.value = True
    assert all(o.confidence < panel.auto_bar for o in panel.operations())
    assert "of" in panel.page_label.value or len(panel.operations()) == everything


def test_a_review_of_500_operations_pages_filters_and_keeps_its_place(plan):
    ops = [replace(op, id=f"op_{i:04d}", rationale=f"{op.rationale} (copy {i})", confidence=round(0.5 + (i % 50) / 100, 2))
           for i, op in enumerate((plan.operations * 125)[:500])]  # 500 whatever the plan's size
    big = replace(plan, operations=ops)
    panel = ReviewPanel(Review(big))
    assert len(ops) == 500 and "page 1 of 63" in panel.page_label.value and "500 operations" in panel.page_label.value
    panel.text.value = "copy 499"
    assert [op.id for op in panel.operations()] == ["op_0499"]
    panel.text.value = ""
    panel.confidence_range.value = (0.9, 1.0)
    panel.sort.value = "-confidence"
    shown = panel.operations()
    assert shown and all(op.confidence >= 0.9 for op in shown)
    assert [op.confidence for op in shown] == sorted((op.confidence for op in shown), reverse=True)
    panel.current = list(panel.cards)[-1]
    panel.key("a")  # approve the last card of the page: the next page opens on its first card
    assert panel.page == 1 and panel.current == list(panel.cards)[0]
    assert sum(d.verdict == "approve" for d in panel.review.current.values()) == 1
    panel.pending_only.value = True
    assert len(panel.operations()) == len(shown) - 1


def test_cards_show_the_rule_the_confidence_and_mark_suggestions(plan, analysis):
    panel = ReviewPanel(Review(plan), analysis=analysis, auto_bar=0.8)
    low = next(c for c in panel.cards.values() if c.op.confidence < 0.8)
    assert "suggestion · " in low.body.value and low.op.rule in low.body.value
    high = ReviewPanel(Review(plan), analysis=analysis, auto_bar=0.0)
    card = next(iter(high.cards.values()))
    assert "auto · " in card.body.value and "suggestion ·" not in card.body.value
    assert "suggestions" in panel.summary.value


def test_evidence_shows_session_title_date_and_turn_number(sample):
    analysis = sample
    plan = plan_from_analysis(analysis, Focus())
    op = next(o for o in plan.operations if any(e.session_id for e in o.evidence))
    lines = views.evidence_lines(op, analysis.corpus)
    line = next(x for x in lines if x.session_id)
    session = analysis.corpus.session_by_id[line.session_id]
    turn = next(k for k, t in enumerate(session.turns) if t.id == line.turn_id)
    assert line.where.startswith(session.title)
    assert f"turn {turn + 1} of {len(session.turns)}" in line.where
    assert session.turns[turn].at.strftime("%Y-%m-%d") in line.where
    panel = ReviewPanel(Review(plan), analysis=analysis)
    panel.show(op.id)
    assert f"turn {turn + 1} of {len(session.turns)}" in panel.cards[op.id].body.value


def test_a_change_to_stored_notes_shows_the_date_each_note_was_written(plan, analysis):
    op = next(o for o in plan.operations if o.kind in ("merge", "update") and len(o.targets) >= 2)
    dates = views.target_dates(op, analysis.corpus)
    notes = analysis.corpus.note_by_id
    assert [d for _, _, d in dates] == [notes[t.id].updated_at.strftime("%Y-%m-%d %H:%M") for t in op.targets]
    evidence = [x for x in views.evidence_lines(op, analysis.corpus) if x.note_id]
    assert evidence and all("written" in x.where for x in evidence)
    panel = ReviewPanel(Review(plan), analysis=analysis)
    panel.show(op.id)
    assert "Notes it changes" in panel.cards[op.id].body.value and dates[0][2] in panel.cards[op.id].body.value


def test_bulk_decisions_by_group_and_the_automatic_mode(plan):
    panel = ReviewPanel(Review(plan))
    panel.group.value = "conflict"
    conflict_ops = {op.id for op in plan.operations if op.reason == "conflict"}
    assert set(panel.cards) == conflict_ops
    panel.approve_group.click()
    assert {k for k, d in panel.review.current.items() if d.verdict == "approve"} == conflict_ops
    assert panel.auto_button.disabled
    panel.mode.value = "automatic"
    panel.confidence.value = 0.9
    panel.auto_button.click()
    auto = {k for k, d in panel.review.current.items() if d.who == "auto"}
    assert auto == {op.id for op in plan.operations if op.confidence >= 0.9 and op.id not in conflict_ops}
    panel.reject_all.click()
    assert panel.review.counts()["pending"] == 0


def test_export_writes_a_snapshot_and_shows_its_path(plan, tmp_path):
    panel = ReviewPanel(Review(plan))
    panel.approve_group.click()  # everything shown
    panel.export_box.folder.value = str(tmp_path / "snap")
    assert str(tmp_path / "snap") in panel.export_box.target.value  # where it goes, before writing
    panel.export_box.allow_large.value = True
    assert panel.export_box.download.data == b""
    panel.export_box.button.click()
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert manifest["review"]["approve"] == len(plan.operations)
    assert (tmp_path / "snap" / "CHANGES.md").exists()
    assert str(tmp_path / "snap") in panel.export_box.result.value
    with zipfile.ZipFile(BytesIO(panel.export_box.download.data)) as archive:  # the download button's file
        assert "manifest.json" in archive.namelist() and "CHANGES.md" in archive.namelist()
    panel.export_box.button.click()  # exists already: said, not raised
    assert "already exists" in panel.export_box.result.value


def test_a_relative_snapshot_folder_starts_in_the_project_folder(plan, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_PROJECT", str(tmp_path))
    panel = ReviewPanel(Review(plan))
    panel.export_box.folder.value = "out/snap"
    assert panel.export_box.path() == (tmp_path / "out" / "snap").resolve()
    assert str((tmp_path / "out" / "snap").resolve()) in panel.export_box.target.value


def test_the_export_preview_describes_exactly_what_is_written(plan, tmp_path):
    panel = ReviewPanel(Review(plan))
    panel.approve_all.click()
    some = list(panel.cards.values())[:2]
    for card in some:
        card.reject_button.click()
    preview = panel.export_box.last_preview
    assert preview.operations == len(plan.operations) - 2 and preview.rejected == 2
    counts = views.fate_counts(preview.plan)
    assert f"<b>{preview.notes:,}</b> notes" in panel.export_box.preview.value
    panel.export_box.folder.value = str(tmp_path / "snap")
    panel.export_box.allow_large.value = True
    snapshot = panel.export_box.export()
    assert snapshot.manifest["output"]["notes"] == preview.notes
    assert snapshot.manifest["output"]["memories"] == preview.memories
    flows = dict(((s, t), v) for s, t, v in views.fate_flows(preview.plan))
    into_output = sum(v for (s, t), v in flows.items() if t == "output notes")
    assert into_output == preview.notes  # the fates diagram ends in the notes the snapshot holds
    assert counts["created"] == sum(1 for o in preview.plan.operations if o.kind == "create")


# --- questions -----------------------------------------------------------------------------------


@pytest.fixture
def sample_plan(sample):
    plan = plan_from_analysis(sample, Focus())
    assert len(plan.questions) >= 3 and plan.questions_found > len(plan.questions)  # the sample asks questions
    return plan


def questions_panel(plan, **options) -> ReviewPanel:
    panel = ReviewPanel(Review(plan), **options)
    panel.view.value = "questions"
    return panel


def test_questions_are_cards_in_value_order_answered_by_a_click_and_undone(sample_plan):
    plan = sample_plan
    panel = questions_panel(plan, page_size=4)
    by_value = sorted(plan.questions, key=lambda q: -q.value)
    assert list(panel.question_cards) == [q.id for q in by_value[:4]] and panel.cards == {}
    assert f"page 1 of {-(-len(plan.questions) // 4)} · {len(plan.questions)} questions" in panel.page_label.value
    assert panel.filters.layout.display == "none" and "<kbd>1</kbd>" in panel.keys.hint
    question = by_value[0]
    card = panel.question_cards[question.id]
    for target in question.targets:  # every note in full, with its path and the date it was written
        assert _html.esc(target.text) in card.body.value and _html.esc(target.path) in card.body.value
    assert card.body.value.count("written 20") == len(question.targets)
    assert "the rules lean to" in card.body.value and f"{question.rule} here: no answers yet" in card.body.value
    labels = [b.description for b in card.buttons.values()]
    assert labels == [f"{n} · {c.label}" for n, c in enumerate(question.choices, start=1)]
    other = next(c.key for c in question.choices if c.key != question.proposed)
    before = panel.review.counts()
    card.buttons[other].click()
    assert panel.review.answers() == {question.id: other}
    counts = panel.review.counts()
    assert counts["answered"] == 1 and {k: counts[k] for k in ("approve", "reject", "edit", "pending")} == \
        {k: before[k] for k in ("approve", "reject", "edit", "pending")}  # answering never touches operations
    card = panel.question_cards[question.id]
    assert card.buttons[other].button_style == "success" and "Answered" in card.body.value
    assert views.choice_effect(question.choice(other)) in html.unescape(card.body.value)
    assert f"{question.rule} here: 0 of 1 right so far" in card.body.value  # it leaned the other way
    assert f"answered 1 of {len(plan.questions)} questions (of {plan.questions_found} found)" in panel.summary.value
    assert f"<b>1 of {len(plan.questions)}</b><span>questions answered" in panel.summary.value
    card.undo_button.click()
    assert panel.review.answers() == {} and "undid answer" in panel.review.log[-1]
    assert panel.question_cards[question.id].undo_button.disabled


def test_digit_keys_answer_the_card_on_view_and_j_k_u_move_and_undo(sample_plan):
    panel = ReviewPanel(Review(sample_plan), page_size=3)
    panel.key("1")  # the operations are on view: digits do nothing
    assert panel.review.answers() == {} and panel.review.current == {}
    panel.view.value = "questions"
    first, second, third = list(panel.question_cards)
    assert panel.current_question == first and "wb-current" in panel.question_cards[first].widget._dom_classes
    panel.key("2")  # the second choice, then on to the next card
    assert panel.review.answers() == {first: sample_plan.question_by_id[first].choices[1].key}
    assert panel.current_question == second
    panel.key("a").key("r").key("9")  # no operation keys here, and no ninth choice
    assert len(panel.review.current) == 1 and panel.current_question == second
    panel.key("j").key("1")
    assert panel.review.answers()[third] == sample_plan.question_by_id[third].choices[0].key
    assert panel.question_page == 1 and panel.current_question == list(panel.question_cards)[0]  # the next page
    panel.key("k").key("u")  # back to the third question, and its answer taken back
    assert panel.question_page == 0 and panel.current_question == third and third not in panel.review.answers()
    panel.keys._message(panel.keys, {"key": "k"}, [])  # what the front end sends
    assert panel.current_question == second
    assert "1" in panel.keys.shortcuts and "u" in panel.keys.shortcuts


def test_a_refused_answer_is_one_line_on_the_card_never_a_traceback(sample):
    plan = plan_from_analysis(sample, Focus(questions_per_note=1.0))  # every question: two of them share a note
    changing = {q.id: next(c for c in q.choices if c.operation is not None) for q in plan.questions
                if any(c.operation is not None for c in q.choices)}  # each question's first answer that changes notes
    touched = {q: {t.id for t in c.operation.targets} for q, c in changing.items()}
    one, two = next((a, b) for a in touched for b in touched if a < b and touched[a] & touched[b])
    panel = questions_panel(plan, page_size=len(plan.questions))
    panel.question_cards[one].buttons[changing[one].key].click()
    panel.question_cards[two].buttons[changing[two].key].click()  # a note the first answer already changes
    assert panel.review.answers() == {one: changing[one].key}
    message = panel.question_cards[two].message.value
    assert "Not answered" in message and "already changed by" in message and "Traceback" not in message
    assert "\n" not in message and "wb-qcard-error" in panel.question_cards[two].message._dom_classes
    keep = next(c.key for q in plan.questions if q.id == two for c in q.choices if c.operation is None)
    panel.question_cards[two].buttons[keep].click()  # an answer that changes nothing: allowed, the line cleared
    assert panel.review.answers()[two] == keep and panel.question_cards[two].message.value == ""

    question = next(q for q in plan.questions if q.id not in (one, two))
    note = question.targets[0]
    changed = Store(tuple(replace(m, content=m.content.replace(note.text, note.text + " (since changed)"))
                          for m in plan.input_store.memories), id=plan.input_store.id)
    stale = questions_panel(replace(plan, input_store=changed), page_size=len(plan.questions))
    stale.question_cards[question.id].buttons[question.choices[0].key].click()
    assert stale.review.answers() == {}
    assert "is stale" in stale.question_cards[question.id].message.value


def test_approve_all_and_the_automatic_mode_leave_the_questions_alone(sample_plan):
    panel = questions_panel(sample_plan)
    panel.approve_all.click()
    panel.mode.value = "automatic"
    panel.confidence.value = 0.0
    panel.auto_button.click()
    review = panel.review
    assert review.answers() == {} and review.counts()["answered"] == 0
    assert review.unanswered == [q.id for q in sample_plan.questions]
    assert "never answered automatically" in panel.summary.value
    assert all(card.undo_button.disabled for card in panel.question_cards.values())


def test_a_conflict_question_shows_both_values_with_their_dates():
    from builders import memory

    from workbench.analysis import analyze
    from workbench.records import Corpus

    store = Store((
        memory("/infra/db.md", ["The staging database runs Postgres 14.", "Backups run nightly at 02:00 UTC."], 0,
               "Database"),
        memory("/infra/notes.md", ["The staging database runs Postgres 16.", "The CI runners use ubuntu-24.04."], 0,
               "Infra notes"),
        memory("/team/people.md", ["Priya reviews every migration.", "Luis owns the CI runners."], 0, "Team"),
    ), id="memstore_conflict")
    analysis = analyze(Corpus(store), "tfidf")
    plan = plan_from_analysis(analysis, Focus())
    [question] = plan.questions
    assert question.kind == "conflict" and [c.key for c in question.choices] == ["keep_newer", "keep_older", "both"]
    panel = questions_panel(plan, analysis=analysis, probes=False)
    card = panel.question_cards[question.id]
    assert "The values" in card.body.value and "Postgres 14." in card.body.value and "Postgres 16." in card.body.value
    dates = [d for _, _, d in views.target_dates(question, analysis.corpus)]
    assert all(f"written {d}" in card.body.value for d in dates)
    assert "the rules lean neither way" in card.body.value
    assert [b.description[:4] for b in card.buttons.values()] == ["1 · ", "2 · ", "3 · "]
    panel.key("2")
    assert panel.review.answers() == {question.id: "keep_older"}
    after = panel.export_box.last_preview
    assert after.answered == 1 and after.operations == 1
    assert "1 of them from answered questions" in panel.export_box.preview.value


def test_the_questions_beyond_the_budget_are_counted_with_how_to_see_them(sample_plan):
    panel = questions_panel(sample_plan)
    asked = views.question_summary(sample_plan, panel.review)
    beyond = sample_plan.questions_found - len(sample_plan.questions)
    assert asked.beyond == beyond > 0
    note = panel.questions_note.value
    assert f"{beyond} more questions found beyond the budget of 0.1 per note" in note
    assert f"Focus(questions_per_note={asked.budget_for_all:g})" in note
    assert asked.budget_for_all * asked.notes >= sample_plan.questions_found  # that budget holds them all


def test_a_larger_budget_asks_every_question_found(sample, sample_plan):
    asked = views.question_summary(sample_plan, Review(sample_plan))
    every = plan_from_analysis(sample, Focus(questions_per_note=asked.budget_for_all))
    assert len(every.questions) == sample_plan.questions_found
    panel = questions_panel(every)
    assert "beyond the budget" not in panel.questions_note.value
    assert f"answered 0 of {len(every.questions)} questions" in panel.summary.value


def test_an_answer_is_in_the_export_preview_the_snapshot_and_the_labels(sample_plan, tmp_path):
    panel = questions_panel(sample_plan)
    question = next(q for q in sample_plan.questions if any(c.key == "merge" and c.operation for c in q.choices))
    assert panel.labels_download.data == b"" and "save_labels" in panel.questions_note.value
    panel.question_cards[question.id].buttons["merge"].click()
    preview = panel.export_box.last_preview
    assert preview.operations == preview.answered == 1 and preview.answers == 1
    assert "1 of them from answered questions" in panel.export_box.preview.value
    assert f"{len(sample_plan.questions) - 1} unanswered questions change nothing" in panel.export_box.preview.value
    [row] = [json.loads(line) for line in panel.labels_download.data.decode().splitlines()]
    assert row["item"] == question.id and row["verdict"] == "answer:merge"
    assert panel.labels_download.filename.endswith(".jsonl")
    panel.export_box.folder.value = str(tmp_path / "snap")
    panel.export_box.export()
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert [e["question"] for e in manifest["operations"] if e.get("question")] == [question.id]
    assert "and 1 of answered questions" in panel.export_box.result.value


def test_the_question_rows_are_a_table_of_every_question(sample_plan):
    review = Review(sample_plan)
    first = sample_plan.questions[0]
    review.answer(first.id, "both")
    rows = views.question_rows(sample_plan, review)
    assert list(rows.index) == [q.id for q in sorted(sample_plan.questions, key=lambda q: -q.value)]
    assert rows.at[first.id, "answer"] == "both" and rows["answer"].isna().sum() == len(sample_plan.questions) - 1


def test_an_answer_in_the_workbench_counts_in_the_header_and_survives_a_restart(analysis):
    wb = Workbench(analysis, layout=None)
    question = wb.plan.questions[0]
    choice = question.choices[0].key
    asked = len(wb.plan.questions)
    assert f"<b>0 of {asked}</b><span>questions answered" in wb.header.value
    wb.review_panel.show(question.id)
    assert wb.review_panel.view.value == "questions"
    wb.review_panel.question_cards[question.id].buttons[choice].click()
    assert f"<b>1 of {asked}</b><span>questions answered" in wb.header.value
    again = Workbench(analysis, layout=None)  # the kernel restarted
    assert again.review.answers() == {question.id: choice}



def test_in_a_kernel_the_builder_warms_the_tuners_first_topic_after_the_plan(tmp_path):
    from workbench.analysis import computed

    analysis = small_analysis(tmp_path / "embeddings")  # its own: nothing derived from it yet
    wb = Workbench(analysis, layout=None, background=True, session=tmp_path / "s.json")
    assert wb.tuner.plan is not None  # waits for the plan; the warming follows it on the same thread
    wb._builder.join(60)
    assert all(computed(analysis, key) for key in ("scopes:words", "scopes:statement_words", "scopes:views"))


# --- conflicts ---------------------------------------------------------------------------------


def test_pinning_an_older_value_creates_an_edit_decision(analysis, plan):
    review = Review(plan)
    timeline = ConflictTimeline(analysis, review)
    subject = next(s for s in timeline.subjects if len(s.members) == 3)
    timeline.subject.value = subject.id
    history = timeline.history
    oldest, latest = history.index[0], history.index[-1]
    assert timeline.pin_buttons[latest].disabled and not timeline.pin_buttons[oldest].disabled
    timeline.pin_buttons[oldest].click()
    [decision] = review.decisions
    assert decision.verdict == "edit" and decision.content == history.at[oldest, "text"]
    assert plan.by_id[decision.operation].reason == "conflict"
    shown = "".join(row.children[0].value for row in timeline.values.children)
    assert "pinned" in shown and "stated in: no session" not in shown
    notes_alone = [i for i, row in history.iterrows() if row["source"] == "note" and not row["sessions"]]
    if notes_alone:  # a stored note no session restates shows when it was written instead
        assert "no session restates it" in shown


def test_the_conflict_plot_is_a_plain_figure_redrawn_for_each_subject(analysis, plan):
    timeline = ConflictTimeline(analysis, Review(plan))
    assert isinstance(timeline.plot, w.Output) and not isinstance(timeline.figure, go.FigureWidget)
    shown = []
    for subject in timeline.subjects[:3]:
        timeline.subject.value = subject.id
        [output] = timeline.plot.outputs
        figure = output["data"][_static.PLOTLY_MIME]
        assert figure["data"][0]["customdata"] == list(timeline.history.index)
        shown.append(figure["data"][0]["customdata"])
    assert len({tuple(s) for s in shown}) == len(shown)


# --- the app ----------------------------------------------------------------------------------


def test_the_workbench_loads_paths_and_delegates_its_state(tmp_path):
    wb = Workbench.from_paths(LOCOMO_SMALL, LOCOMO_SMALL, embedder="tfidf", layout=None, progress=False)
    assert [wb.tabs.get_title(i) for i in range(6)] == ["Explore", "Tune focus", "Review", "Conflicts", "Export",
                                                        "Open & save"]
    assert "application/vnd.jupyter.widget-view+json" in wb._repr_mimebundle_()
    assert wb.plan is wb.review.plan and wb.focus == Focus()
    note = wb.analysis.note_ids[0]
    wb.selection = [note]
    assert list(wb.selection.index) == [note] == list(wb.explorer.selection.index)
    assert f"<b>{len(wb.analysis.note_ids)}</b><span>notes" in wb.header.value


def widgets_of(widget, kind) -> list:
    found = [widget] if isinstance(widget, kind) else []
    for child in getattr(widget, "children", ()):
        found += widgets_of(child, kind)
    return found


def test_the_maps_are_canvas_widgets_and_the_other_plots_plain_figures(analysis):
    from workbench.ui._map import MapWidget

    wb = Workbench(analysis, layout=None)
    assert widgets_of(wb.widget, go.FigureWidget) == []
    assert widgets_of(wb.widget, MapWidget) == [wb.explorer.map, wb.tuner.map]
    # the plain figures are drawn when first opened, so plotly.js never delays the first map
    assert wb.timeline.outputs == () and wb.heatmap.outputs == () and wb.review_panel.cards == {}
    [context] = widgets_of(wb.tabs.children[0], w.Accordion)
    for index, output in enumerate((wb.timeline, wb.heatmap)):
        context.selected_index = index
        [shown] = output.outputs
        assert _static.PLOTLY_MIME in shown["data"] and shown["data"][_static.PLOTLY_MIME]["data"]
    wb.tabs.selected_index = app_module.TABS.index("Review")
    assert wb.review_panel.cards  # built when the Review tab opens
    wb.tabs.selected_index = app_module.TABS.index("Export")  # the fates of the approved set, drawn when shown
    before = wb.sankey.outputs
    next(iter(wb.review_panel.cards.values())).approve_button.click()
    assert wb.sankey.outputs != before


def test_importing_the_ui_never_imports_plotlys_figure_widget():
    import subprocess
    import sys

    code = ("import sys, workbench.ui; from workbench.ui import Workbench; "
            "print(sorted(m for m in ('plotly.basewidget', 'nbformat', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"  # FigureWidget pulled in nbformat → jsonschema: ~4 s of imports


def test_the_tune_tab_draws_the_same_layout_as_explore(analysis):
    wb = Workbench(analysis, layout=None)
    assert np.allclose(wb.tuner.map.positions(), wb.explorer.map.positions())
    umap = analysis.coords * 5 + 1
    wb.explorer.layouts["UMAP"] = umap
    wb.explorer.layout_choice.disabled = False
    wb.explorer.layout_choice.value = "UMAP"
    assert wb.tuner.map.layout_name == wb.explorer.map.layout_name == "UMAP"
    assert np.allclose(wb.tuner.map.positions(), wb.explorer.map.positions())


def test_the_progress_bar_is_cleared_through_its_display_not_left_as_a_closed_widget():
    class Handle:
        updates = []

        def update(self, obj, **kwargs):
            self.updates.append((obj, kwargs))

    bar = app_module.StepBar(2, enabled=False)
    bar.handle = Handle()
    bar.step("loading")
    bar.close()
    assert Handle.updates == [({"text/plain": ""}, {"raw": True})]
    assert not bar.shown


def test_header_stats_wrap_as_one_group_and_buttons_fit_their_labels(analysis, plan):
    wb = Workbench(analysis, layout=None)
    assert '<div class="wb-stats">' in wb.header.value and ".wb-stats{" in _html.CSS
    panel = wb.review_panel
    for button in (panel.approve_all, panel.reject_all, panel.approve_group, panel.auto_button,
                   wb.tuner.review_button, wb.explorer.clear):
        assert button.layout.width == "auto", button.description


def test_review_this_plan_hands_the_tuned_plan_to_review(analysis):
    wb = Workbench(analysis, layout=None)
    wb.tuner.horizon_days.value = 700
    wb.tuner.refresh()
    wb.tuner.review_button.click()
    assert wb.plan is wb.tuner.plan and wb.review.counts()["pending"] == len(wb.plan.operations)
    assert wb.review_panel.review is wb.review and wb.conflicts.review is wb.review
    assert wb.tabs.selected_index == 2
    next(iter(wb.review_panel.cards.values())).approve_button.click()
    assert "<b>1</b><span>approved" in wb.header.value


def test_the_review_says_when_the_tuned_plan_is_not_the_reviewed_one(analysis):
    wb = Workbench(analysis, layout=None)
    assert not wb.drifted and wb.review_panel.drift.value == ""
    wb.tuner.kinds["delete"].value = False
    wb.tuner.refresh()
    assert wb.drifted and "not the plan under review" in wb.review_panel.drift.value
    assert wb.review_panel.drift_button.layout.display == ""
    wb.review_panel.drift_button.click()
    assert not wb.drifted and wb.review_panel.drift.value == ""


def test_review_this_plan_carries_decisions_over_and_counts_what_it_could_not(analysis):
    wb = Workbench(analysis, layout=None)
    ops = wb.plan.operations
    gone = next(op for op in ops if op.kind == "delete")
    kept = next(op for op in ops if op.kind != "delete")
    wb.review.reject(gone.id).approve(kept.id)
    wb.tuner.kinds["delete"].value = False  # the new plan has no delete operations
    wb.tuner.refresh()
    wb.tuner.review_button.click()
    assert wb.review.current[kept.id].verdict == "approve"  # identical operation: carried (same id, same content)
    assert gone.id not in wb.review.current
    assert wb.carried.carried == (kept.id,) and wb.carried.dropped == (gone.id,)
    assert "1 decision carried over" in wb.review_panel.notice.value
    assert "1 could not be carried" in wb.review_panel.notice.value and gone.id in wb.review_panel.notice.value


def test_every_decision_is_autosaved_and_a_new_workbench_resumes_it(analysis):
    wb = Workbench(analysis, layout=None)
    op = wb.plan.operations[0]
    wb.review_panel.show(op.id).cards[op.id].reject_button.click()
    wb.selection = [analysis.note_ids[1]]
    saved = json.loads(wb.session_path.read_text())
    assert saved["decisions"][-1]["operation"] == op.id and saved["selection"] == [analysis.note_ids[1]]
    again = Workbench(analysis, layout=None)  # a kernel restart, the cell run again
    assert again.review.current[op.id].verdict == "reject"
    assert list(again.selection.index) == [analysis.note_ids[1]]
    assert "Resumed your session" in again.notice.value
    again.start_fresh()
    assert again.review.current == {} and not again.session_path.with_suffix(".json").read_text().count(op.id)
    fresh = Workbench(analysis, layout=None, resume=False)
    assert fresh.review.current == {}


def test_a_page_shown_later_takes_the_decisions_autosaved_meanwhile(analysis):
    waiting = Workbench(analysis, layout=None)  # Voila pre-heats a kernel before anyone asks for the page
    working = Workbench(analysis, layout=None)  # meanwhile, someone decides in another page
    op = working.plan.operations[0]
    working.review_panel.show(op.id).cards[op.id].approve_button.click()
    assert op.id not in waiting.review.current
    waiting.explorer.map.rendered = 1  # the pre-heated page is shown and draws its map
    assert waiting.review.current[op.id].verdict == "approve" and "Resumed your session" in waiting.notice.value


def test_a_session_saved_to_a_file_loads_back(analysis, tmp_path):
    wb = Workbench(analysis, layout=None, autosave=False)
    wb.tuner.focus = Focus(horizon_days=365)
    wb.use_plan(wb.tuner.plan)
    op = wb.plan.operations[0]
    wb.review.approve(op.id)
    path = wb.save_session(tmp_path / "mine.session.json")
    other = Workbench(analysis, layout=None, autosave=False)
    restored = other.load_session(path)
    assert other.focus.horizon_days == 365 and other.review.current[op.id].verdict == "approve"
    assert restored.carried == (op.id,)
    other.session_file.value = str(tmp_path / "nowhere.json")
    other.load_button.click()  # a missing file: said, not raised
    assert "no such session file" in other.session_status.value


def test_the_app_opens_another_store_by_path(analysis, tmp_path):
    wb = Workbench(analysis, layout=None)
    wb.tabs.selected_index = len(wb.tabs.children) - 1  # opened from the Open tab
    wb.store_path.value = str(LOCOMO_SMALL)
    wb.sessions_path.value = str(LOCOMO_SMALL)
    wb.open_button.click()
    assert "Opened" in wb.open_status.value and wb.analysis is not analysis
    assert wb.tabs.selected_index == 0  # the new store's map is shown
    assert f"<b>{len(wb.analysis.note_ids)}</b><span>notes" in wb.header.value
    wb.store_path.value = str(tmp_path / "missing.json")
    wb.open_button.click()
    assert "Cannot open it" in wb.open_status.value


def test_the_app_opens_uploaded_files(analysis):
    wb = Workbench(analysis, layout=None)
    data = LOCOMO_SMALL.read_bytes()
    wb.open_upload_button.click()
    assert "Upload a store file first" in wb.open_status.value
    sent = lambda name: {"value": [{"name": name, "type": "application/json", "size": len(data),  # noqa: E731
                                    "content": memoryview(data), "last_modified": 0}]}  # as the front end sends it
    wb.store_upload.set_state(sent("../../locomo.json"))
    wb.sessions_upload.set_state(sent("locomo.json"))
    wb.open_upload_button.click()
    assert "Opened" in wb.open_status.value and len(wb.analysis.corpus.sessions) > 0


def test_a_missing_widget_front_end_is_shown_with_its_fix(analysis, monkeypatch):
    monkeypatch.setattr(app_module, "widget_check", lambda: "missing anywidget; pip install anywidget")
    wb = Workbench(analysis, layout=None)
    assert "pip install anywidget" in wb.banner.value


def test_the_focus_form_round_trips_and_leaves_default_bars_unset():
    defaults = {"duplicate": 0.45, "conflict": 0.35}
    focus = Focus(instructions="Only coding style.", exclude=["small talk", "/journal/"], duplicate_bar=0.6)
    form = FocusForm.from_focus(focus, defaults)
    assert form.exclude == "small talk, /journal/"
    again = form.to_focus(defaults)
    assert again.duplicate_bar == 0.6 and again.conflict_bar is None and again.exclude == focus.exclude


def test_a_torn_autosave_is_said_kept_beside_and_never_overwritten(analysis):
    first = Workbench(analysis, layout=None)
    path = first.session_path
    first.save_session(path)
    torn = path.read_text()[: len(path.read_text()) // 3]
    path.write_text(torn)
    again = Workbench(analysis, layout=None)
    assert "could not be read" in again.notice.value and "starts fresh" in again.notice.value
    (kept,) = path.parent.glob(path.name + ".damaged-*")
    assert kept.read_text() == torn and kept.name in again.notice.value
    again.selection = [analysis.note_ids[0]]  # the next autosave writes a new file; the torn one stays beside
    assert json.loads(path.read_text())["selection"] == [analysis.note_ids[0]] and kept.read_text() == torn
    assert "could not be read" in again.notice.value


def test_a_torn_autosave_that_cannot_be_moved_aside_pauses_autosave(analysis, monkeypatch):
    first = Workbench(analysis, layout=None)
    path = first.session_path
    first.save_session(path)
    path.write_text("{")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(autosave_module, "move_aside", refuse)
    again = Workbench(analysis, layout=None)
    assert "autosave is paused" in again.notice.value
    again.selection = [analysis.note_ids[0]]
    assert path.read_text() == "{" and "Autosave is paused" in again.session_status.value
