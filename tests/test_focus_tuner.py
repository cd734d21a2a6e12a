"""The tuner shows the compiled scopes beside the text box; ✕ removes one and it stays removed."""

from __future__ import annotations

import pytest
from test_plots import small_analysis

from workbench.focus import Focus
from workbench.topics import matches
from workbench.ui import FocusTuner


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


def labels(tuner: FocusTuner) -> list[str]:
    return [row.children[1].value.split("<b>")[1].split("</b>")[0] for row in tuner.scope_list.children
            if len(getattr(row, "children", ())) == 2]


def test_typing_instructions_lists_their_scopes_with_the_words_and_what_was_not_understood(analysis):
    tuner = FocusTuner(analysis)
    tuner.instructions.value = "Never touch /project/. Ignore small talk. Be nice."
    assert labels(tuner) == ["protect: /project/", "exclude: small talk"]
    row = tuner.scope_list.children[0].children[1].value
    covered = sum(matches("/project/", n) for n in analysis.corpus.notes)
    assert "“Never touch /project/”" in row and f"· {covered} note" in row
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
    assert "no note" in tuner.scope_list.children[-1].children[1].value
