"""The widgets in Python: build them, act as the front end would, check the package state."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.callbacks import BoxSelector, Points
from test_plots import small_analysis

from workbench.dream.offline import plan_from_analysis
from workbench.focus import Focus
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
from workbench.ui import app as app_module
from workbench.ui._payloads import FocusForm

LOCOMO_SMALL = Path(__file__).parent / "data" / "chat" / "locomo_small.json"


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


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
    colors = set(np.asarray(tuner.figure.data[0].marker.color).tolist())
    assert 3 not in colors  # code 3 is "pruned" in the fate colouring


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


def test_setting_the_selection_from_code_updates_the_table_and_selectedpoints(analysis, plan):
    explorer = Explorer(analysis, plan=plan, layout=None)
    chosen = [analysis.conflicts[0].older, analysis.conflicts[0].newer]
    explorer.selection = chosen
    assert list(explorer.selection.index) == chosen
    assert sorted(explorer.notes_trace.selectedpoints) == sorted(analysis.note_ids.index(i) for i in chosen)
    text = analysis.corpus.note_by_id[chosen[0]].text
    assert "2</b> selected" in explorer.table.value and text in explorer.table.value
    assert text in explorer.details.value
    assert explorer.figure.data[2].x  # conflict links drawn for the selection
    rings = np.asarray(explorer.notes_trace.marker.line.width)
    assert sorted(np.flatnonzero(rings == rings.max())) == sorted(analysis.note_ids.index(i) for i in chosen)
    explorer.selection = []
    assert explorer.selection.empty and explorer.notes_trace.selectedpoints is None
    assert np.ndim(explorer.notes_trace.marker.line.width) == 0  # no rings left, only the hairline
    with pytest.raises(KeyError, match="unknown note id"):
        explorer.selection = ["mem_404#0"]


def test_a_box_selection_on_the_map_updates_the_selection(analysis):
    explorer = Explorer(analysis, layout=None)
    # the front end's message, as plotly's widget receives it
    explorer.figure._js2py_pointsCallback = {
        "event_type": "plotly_selected",
        "points": {"xs": [0, 0], "ys": [0, 0], "point_indexes": [1, 4], "trace_indexes": [0, 0]},
        "selector": {"type": "box", "selector_state": {"xrange": [0, 1], "yrange": [0, 1]}},
    }
    assert list(explorer.selection.index) == [analysis.note_ids[1], analysis.note_ids[4]]
    # the handler the trace calls, with a plotly Points object
    explorer._on_selection(explorer.notes_trace, Points(point_inds=[0, 2], trace_index=0),
                           BoxSelector(xrange=[0, 1], yrange=[0, 1]))
    assert list(explorer.selection.index) == [analysis.note_ids[0], analysis.note_ids[2]]
    assert list(explorer.notes_trace.selectedpoints) == [0, 2]


def test_a_click_selects_one_note_and_filters_select_a_cluster_or_a_search(analysis):
    explorer = Explorer(analysis, layout=None)
    explorer._on_click(explorer.notes_trace, Points(point_inds=[3], trace_index=0))
    assert list(explorer.selection.index) == [analysis.note_ids[3]]
    explorer.search.value = "postgres"
    assert set(explorer.selection.index) == {i for i in analysis.note_ids
                                             if "postgres" in analysis.corpus.note_by_id[i].text.lower()}
    cluster = int(analysis.clusters.cluster.max())
    explorer.cluster.value = cluster
    assert set(explorer.selection.index) == set(analysis.clusters.index[analysis.clusters.cluster == cluster])


def test_long_texts_in_the_table_are_cut_with_the_whole_text_on_hover():
    long = "word " * 100
    frame = pd.DataFrame({"text": [long.strip(), "short"], "duplicates": [["x#0", "y#1"], []]},
                         index=pd.Index(["a", "b"], name="id"))
    page = _html.table(frame)
    assert f'title="{long.strip()}"' in page and "…</td>" in page
    assert '<td class="text">short</td>' in page
    assert '<span class="count" title="x#0, y#1">2</span>' in page  # lists: a count, the items on hover


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


def test_the_umap_layout_is_swapped_in_when_its_thread_finishes(analysis):
    release = threading.Event()

    def slow_layout(a):
        release.wait(5)
        return a.coords * 3

    start = time.perf_counter()
    explorer = Explorer(analysis, layout=slow_layout)
    assert time.perf_counter() - start < 5  # the constructor does not wait for the layout
    assert "computing UMAP" in explorer.status.value
    before = np.array(explorer.notes_trace.x)
    release.set()
    explorer.layout_thread.join(5)
    assert "UMAP layout ready" in explorer.status.value
    assert np.allclose(explorer.notes_trace.x, before * 3)
    explorer.layout_choice.value = "PCA"
    assert np.allclose(explorer.notes_trace.x, before)


def test_in_a_kernel_the_layout_waits_until_the_front_end_has_drawn_the_map(analysis, monkeypatch):
    from workbench.ui import explorer as explorer_module

    monkeypatch.setattr(explorer_module, "SETTLE", 0.0)
    done = threading.Event()
    explorer = Explorer(analysis, layout=lambda a: (done.set(), a.coords * 2)[1], wait_for_front_end=True)
    assert explorer.layout_thread is None and "UMAP starts shortly" in explorer.status.value
    explorer.figure._js2py_layoutDelta = {"layout_delta": {}, "layout_edit_id": 0}  # what plotly.js sends
    assert wait_for(lambda: explorer.layout_thread is not None) and done.wait(5)
    explorer.layout_thread.join(5)
    assert "UMAP layout ready" in explorer.status.value
    assert explorer.start_layout().layout_thread is explorer.layout_thread  # once only


def test_recolouring_by_fate_follows_the_plan(analysis, plan):
    explorer = Explorer(analysis, layout=None)
    assert "fate" not in explorer.color_by.options
    explorer.plan = plan
    explorer.color_by.value = "fate"
    fates = plan.fates()
    codes = explorer.notes_trace.marker.color
    assert [("kept", "merged", "updated", "pruned", "created")[int(c)] for c in codes] == \
        [fates[i] for i in analysis.note_ids]


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
    panel.approve_group.click()  # everything in view
    panel.export_box.folder.value = str(tmp_path / "snap")
    panel.export_box.allow_large.value = True
    panel.export_box.button.click()
    manifest = json.loads((tmp_path / "snap" / "manifest.json").read_text())
    assert manifest["review"]["approve"] == len(plan.operations)
    assert (tmp_path / "snap" / "CHANGES.md").exists()
    assert str(tmp_path / "snap") in panel.export_box.result.value
    panel.export_box.button.click()  # exists already: said, not raised
    assert "already exists" in panel.export_box.result.value


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
    assert "pinned" in "".join(row.children[0].value for row in timeline.values.children)


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
    assert [wb.tabs.get_title(i) for i in range(5)] == ["Explore", "Tune focus", "Review", "Conflicts", "Export"]
    assert "application/vnd.jupyter.widget-view+json" in wb._repr_mimebundle_()
    assert wb.plan is wb.review.plan and wb.focus == Focus()
    note = wb.analysis.note_ids[0]
    wb.selection = [note]
    assert list(wb.selection.index) == [note] == list(wb.explorer.selection.index)
    assert f"<b>{len(wb.analysis.note_ids)}</b><span>notes" in wb.header.value


def figure_widgets(widget) -> list:
    found = [widget] if isinstance(widget, go.FigureWidget) else []
    for child in getattr(widget, "children", ()):
        found += figure_widgets(child)
    return found


def test_only_the_two_maps_are_figure_widgets_the_other_plots_are_plain(analysis):
    wb = Workbench(analysis, layout=None)
    assert figure_widgets(wb.widget) == [wb.explorer.figure, wb.tuner.figure]
    for output in (wb.sankey, wb.timeline, wb.heatmap):
        [shown] = output.outputs
        assert _static.PLOTLY_MIME in shown["data"] and shown["data"][_static.PLOTLY_MIME]["data"]
    before = wb.sankey.outputs
    wb.tuner.kinds["delete"].value = False
    wb.tuner.refresh()
    wb.use_plan(wb.tuner.plan)
    assert wb.sankey.outputs != before


def test_the_progress_bar_is_cleared_through_its_display_not_left_as_a_closed_widget():
    class Handle:
        updates = []

        def update(self, obj, **kwargs):
            self.updates.append((obj, kwargs))

    bar = app_module._Progress(2, enabled=False)
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
