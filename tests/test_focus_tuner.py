"""The tuner shows the compiled scopes beside the text box, each with the notes it matches and what it changed;
✕ removes one and it stays removed; the knobs explain themselves; A and B compare as plans."""

from __future__ import annotations

import re

import numpy as np
import pytest
from builders import SAMPLE
from test_plots import small_analysis

from workbench import plots
from workbench.analysis import analyze
from workbench.dream.effects import id_change, outline
from workbench.dream.offline import plan_from_analysis
from workbench.focus import Focus
from workbench.io import load_corpus
from workbench.scopes import nearest_topics, scope_matches
from workbench.ui import FocusTuner
from workbench.views.focus import focus_diff, scope_report

README = "Prioritize coding preferences. Never touch /team/. Ignore small talk."


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="module")
def sample():
    return analyze(load_corpus(SAMPLE / "coding-assistant/store.json", SAMPLE / "coding-assistant/sessions"))


def rows(tuner: FocusTuner) -> dict[str, object]:
    """The scope rows by label: (✕, text, show)."""
    return {row.children[1].value.split("<b>")[1].split("</b>")[0]: row for row in tuner.scope_list.children
            if len(getattr(row, "children", ())) == 3}


def labels(tuner: FocusTuner) -> list[str]:
    return list(rows(tuner))


def text(tuner: FocusTuner, label: str) -> str:
    return rows(tuner)[label].children[1].value


def test_typing_instructions_lists_their_scopes_with_the_words_and_what_was_not_understood(analysis):
    tuner = FocusTuner(analysis)
    tuner.instructions.value = "Never touch /project/. Ignore small talk. Be nice."
    assert labels(tuner) == ["protect: /project/", "exclude: small talk"]
    tuner.refresh()
    row = text(tuner, "protect: /project/")
    covered = len(scope_matches(analysis, tuner.focus)["protect: /project/"])
    assert covered and "“Never touch /project/”" in row and f"· {covered} notes" in row
    assert "not understood" in tuner.unclear.value and "Be nice." in tuner.unclear.value


def test_one_click_removes_a_scope_and_it_stays_removed_while_editing(analysis):
    tuner = FocusTuner(analysis, Focus("Never touch /project/. Ignore small talk."))
    before = tuner.plan
    tuner.scope_list.children[0].children[0].click()  # ✕ on "protect: /project/"
    assert tuner.focus.removed_scopes == ["protect: /project/"]
    assert tuner.focus.scopes.protect == () and tuner.plan is not before
    tuner.instructions.value = "Never touch /project/. Ignore small talk!"
    tuner.refresh()
    assert labels(tuner) == ["exclude: small talk"] and tuner.plan.focus.scopes.protect == ()
    tuner.restore_scopes()
    assert tuner.focus.removed_scopes == [] and labels(tuner) == ["protect: /project/", "exclude: small talk"]


def test_contradictions_and_scopes_that_cover_no_note_are_shown_beside_the_scopes(analysis):
    tuner = FocusTuner(analysis)
    tuner.instructions.value = "Keep lunch notes. Ignore lunch notes. Drop zebra husbandry."
    assert "contradiction" in tuner.unclear.value and "protect wins" in tuner.unclear.value
    tuner.refresh()
    assert "no note" in tuner.scope_list.children[-1].children[1].value


# --- what each scope matches and changes ---------------------------------------------------------


def test_each_scope_shows_the_notes_it_matches_and_one_that_matches_none_names_the_nearest_topics(sample):
    tuner = FocusTuner(sample)
    tuner.instructions.value = README
    tuner.refresh()
    matched = scope_matches(sample, tuner.focus)
    assert set(labels(tuner)) == set(matched) == {"weight 2: coding preferences", "protect: /team/",
                                                  "exclude: small talk"}
    for label, ids in matched.items():
        if ids:
            assert f"· {len(ids)} notes" in text(tuner, label)
            assert rows(tuner)[label].children[2].description == f"show {len(ids)}"
    assert not matched["exclude: small talk"]
    nearest = nearest_topics(sample, "small talk")
    line = text(tuner, "exclude: small talk")
    assert nearest and "no note is about “small talk”; nearest: " in line
    assert f"{nearest[0][0]} ({nearest[0][1]} notes)" in line.replace("&amp;", "&")
    assert rows(tuner)["exclude: small talk"].children[2].layout.display == "none"


def test_each_scope_and_the_whole_plan_show_what_changed_against_no_focus_as_the_cli_does(sample):
    tuner = FocusTuner(sample, Focus(README))
    report = scope_report(sample, Focus(README))
    ops, questions = report.diff.operations, report.diff.questions
    assert ops or questions
    total = (f"operations +{len(ops.added)} −{len(ops.removed)} ↕{len(ops.reordered)}, "
             f"questions +{len(questions.added)} −{len(questions.removed)} ↕{len(questions.reordered)}")
    assert tuner.report.diff == report.diff and f"Against no focus</b>: {total}" in tuner.effect.value
    for line in report.scopes:
        e = line.effect
        assert (f"operations +{len(e.operations.added)} −{len(e.operations.removed)} ↕{len(e.operations.reordered)}"
                in text(tuner, e.label))
    protect = next(line.effect for line in report.scopes if line.effect.kind == "protect")
    assert protect.operations.removed and protect.operations.removed[0] in tuner.effect.value


def test_show_selects_a_scopes_notes_on_the_map_and_lists_them_under_the_scopes(sample):
    tuner = FocusTuner(sample, Focus(README))
    rows(tuner)["protect: /team/"].children[2].click()
    team = sorted(n.id for n in sample.corpus.notes if n.path.startswith("/team/"))
    assert sorted(tuner.selection) == team
    assert sorted(tuner.map.selected_positions()) == sorted(sample.note_ids.index(i) for i in team)
    assert f"<b>{len(team)}</b> notes under “protect: /team/”" in tuner.matched.value
    assert all(f"<code>{i}</code>" in tuner.matched.value for i in team)
    tuner.remove_scope("protect: /team/")  # the scope goes: so does its selection
    assert tuner.selection == () and tuner.matched.value == "" and tuner.map.selected_positions() == []


# --- knobs that explain themselves ------------------------------------------------------------------


def test_the_similarity_histogram_counts_the_candidates_and_draws_the_bar():
    histogram = plots.similarity_histogram([0.31, 0.42, 0.42, 0.7, 0.95, 1.0], 0.6, low=0.3, bins=7)
    assert histogram.counts.tolist() == [1, 2, 0, 0, 1, 0, 2] and np.isclose(histogram.edges[0], 0.3)
    assert histogram.above == 3 and histogram.bar == 0.6
    svg = histogram.svg(width=210, color="#123456")
    assert svg.startswith("<svg") and svg.count("<rect") == 4 and svg.count('fill="#123456"') == 2
    assert "3 of 6 candidate pairs at or above 0.60" in svg and "<line" in svg


def test_each_bar_shows_its_histogram_and_the_operations_it_adds_or_removes_against_its_default(sample):
    tuner = FocusTuner(sample, Focus(conflict_bar=0.8))
    assert "<svg" in tuner.duplicate_info.value and "the default bar" in tuner.duplicate_info.value
    similarities = tuner._similarities
    assert len(similarities) and "the default bar" not in tuner.conflict_info.value
    tuner.duplicate_bar.value = 0.8
    tuner.refresh()
    default = plan_from_analysis(sample, Focus(conflict_bar=0.8))
    expected = id_change(outline(tuner.plan).operations, outline(default).operations)
    assert expected and tuner.bar_changes["duplicate"] == expected
    above = int((similarities >= 0.8 - 1e-9).sum())
    info = tuner.duplicate_info.value
    assert f"<b>{above}</b> of {len(similarities)} candidate pairs at or above the bar" in info
    assert (f"operations +{len(expected.added)} −{len(expected.removed)} ↕{len(expected.reordered)} "
            "against the default 0.60") in info


def test_the_horizon_shows_how_many_notes_are_older_than_it(sample):
    tuner = FocusTuner(sample)
    as_of = sample.corpus.as_of
    for days in (30, 365):
        tuner.horizon_days.value = days
        older = sum((as_of - n.updated_at).total_seconds() / 86400 > days for n in sample.corpus.notes)
        assert f"<b>{older}</b> of {len(sample.note_ids)} notes are older than {days} days" in tuner.horizon_info.value
    assert tuner.wait()  # the re-plan the slider started


# --- A / B -------------------------------------------------------------------------------------------


def test_a_and_b_show_the_operations_and_questions_only_in_a_only_in_b_and_in_both(sample):
    tuner = FocusTuner(sample, Focus(README))
    tuner.pin_a()
    tuner.focus = Focus("Ignore /team/.")
    diff = focus_diff(tuner.plan_a, tuner.plan)
    assert tuner.ab_diff == diff and (diff.operations or diff.questions)
    page = tuner.ab.value
    ops, questions = diff.operations, diff.questions
    assert (f"<b>operations</b>: {len(ops.added)} only in A, {len(ops.removed)} only in B, "
            f"{len(diff.operations_in_both)} in both") in page
    assert (f"<b>questions</b>: {len(questions.added)} only in A, {len(questions.removed)} only in B, "
            f"{len(diff.questions_in_both)} in both") in page
    only_b = len(ops.removed) + len(questions.removed)
    assert not only_b or re.search(rf"<b>only in B</b> \({only_b}\)", page)
