"""The tables and lookups behind the figures and widgets, checked as plain data (no plotly, no widgets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_plots import LONG, small_analysis

from workbench import views
from workbench.analysis import cluster_names, surface_words, topic_limit
from workbench.dream.offline import plan_from_analysis
from workbench.findings import findings
from workbench.focus import Focus


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="module")
def plan(analysis):
    return plan_from_analysis(analysis, Focus())


# --- titles and the map ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "title"), [
    ("# Coding style\n- more", "Coding style"),
    ("-   spaced    out\ttext", "spaced out text"),
    (LONG, LONG[: views.TITLE_LIMIT - 1].rstrip() + "…"),
])
def test_short_titles_are_the_first_line_cleaned_and_cut(text, title):
    assert views.short_title(text) == title
    assert len(views.short_title(text)) <= views.TITLE_LIMIT


@pytest.mark.parametrize(("path", "folder"), [
    ("/people/team.md", "/people"), ("/a/b/c.md", "/a"), ("/root.md", "/"), ("notes.md", "/"),
])
def test_top_folder_is_the_first_path_part(path, folder):
    assert views.top_folder(path) == folder


def test_map_points_give_one_row_per_note_in_order(analysis):
    points = views.map_points(analysis)
    assert list(points.index) == analysis.note_ids
    assert {"x", "y", "title", "path", "folder", "cluster", "cluster_label", "age_days",
            "support_sessions"} <= set(points.columns)
    assert set(points.folder) == {"/preferences", "/project", "/people", "/journal"}
    assert points.x.tolist() == analysis.coords.x.reindex(analysis.note_ids).tolist()


def test_link_segments_join_the_notes_they_touch_and_count_the_rest(analysis):
    conflict = next(c for c in findings(analysis).conflicts if c.source == "store")
    links = views.link_segments(analysis, [conflict.older], analysis.coords, max_links=1)
    seg = links["conflict"]
    assert seg.shown == 1 and len(seg.x) == 3 and seg.x[2] is None
    assert seg.total >= 1 and ("of" in seg.name) == (seg.total > 1)
    nothing = views.link_segments(analysis, None, analysis.coords)
    assert nothing["duplicate"].total == nothing["conflict"].total == 0


def test_extra_points_place_insights_among_the_notes(analysis):
    extra = views.extra_points(analysis, insights=True, statements=True)
    assert set(extra.kind) == {"insight", "session"}
    assert list(extra[extra.kind == "insight"].index) == [c.id for c in findings(analysis).insights]
    xs = analysis.coords.x
    assert extra.x.between(xs.min() - 1e-9, xs.max() + 1e-9).all()


# --- selections and details -------------------------------------------------------------------


def test_search_finds_notes_with_every_word_in_text_or_path(analysis):
    found = views.search_notes(analysis, "postgres staging")
    assert found and all({"postgres", "staging"} <= set(analysis.corpus.note_by_id[i].text.lower().replace(".", "")
                                                       .split()) for i in found)
    assert views.search_notes(analysis, "/people/") == [n.id for n in analysis.corpus.notes if n.path == "/people/team.md"]
    assert views.search_notes(analysis, "   ") == []


def test_the_notes_table_gives_full_text_duplicates_conflicts_and_sessions(analysis, plan):
    conflict = next(c for c in findings(analysis).conflicts if c.source == "session")
    table = views.notes_table(analysis, [conflict.older, "mem_404#0"], plan)
    assert list(table.index) == [conflict.older]
    row = table.loc[conflict.older]
    assert row.text == analysis.corpus.note_by_id[conflict.older].text
    assert conflict.newer in row.conflicts and conflict.session_id in row.sessions
    assert row.fate == plan.fates()[conflict.older]
    assert "fate" not in views.notes_table(analysis, [conflict.older]).columns
    [context] = views.note_context(analysis, [conflict.older])
    assert any(m.session_id == conflict.session_id for m in context.mentions)


def test_the_duplicates_frame_lists_each_group_member_once_with_its_representative(analysis):
    frame = views.duplicates_frame(analysis)
    assert list(frame.columns) == ["group", "path", "text", "representative"]
    assert len(frame) == sum(len(g.notes) for g in findings(analysis).duplicates)
    assert frame.groupby("group")["representative"].sum().eq(1).all()
    ruff = frame[frame.text.str.contains("Always run ruff")]
    assert ruff.group.nunique() == 1 and len(ruff) == 2


# --- conflicts ------------------------------------------------------------------------------


def test_conflict_subjects_order_values_in_time_with_the_sessions_that_stated_them(analysis, plan):
    subject = next(s for s in views.conflict_subjects(analysis) if len(s.members) == 3)
    history = views.conflict_history(analysis, subject.members)
    assert list(history["at"]) == sorted(history["at"])
    assert history["latest"].sum() == 1 and history.iloc[-1]["source"] == "session"
    assert history.iloc[-1]["sessions"] == ["sess_2"]
    [op] = views.resolving_operations(plan, subject.members)
    assert op.kind == "update" and op.reason == "conflict"


# --- plans --------------------------------------------------------------------------------


def test_the_plan_frame_has_one_row_per_operation_in_plan_order(plan):
    frame = views.plan_frame(plan)
    assert list(frame.index) == [op.id for op in plan.operations]
    assert list(frame.columns) == ["kind", "reason", "confidence", "targets", "result", "rationale"]
    merge = next(op for op in plan.operations if op.kind == "merge")
    assert frame.at[merge.id, "targets"] == [t.id for t in merge.targets]
    assert frame.at[merge.id, "result"] == merge.result.text
    delete = next(op for op in plan.operations if op.kind == "delete")
    assert pd.isna(frame.at[delete.id, "result"])


def test_fate_counts_and_flows_add_up_to_the_plan_summary(plan):
    counts = views.fate_counts(plan)
    summary = plan.summary()
    assert list(counts) == list(views.FATES)
    assert counts["created"] == summary["by_kind"].get("create", 0)
    flows = views.fate_flows(plan)
    assert sum(v for s, _, v in flows if s == "input notes") == summary["notes_in"]
    assert sum(v for _, t, v in flows if t == "output notes") == summary["notes_out"]
    assert sum(v for s, _, v in flows if s == "sessions") == summary["by_kind"].get("create", 0)


def test_fate_differences_list_only_notes_whose_fate_changes(analysis, plan):
    other = plan_from_analysis(analysis, Focus(kinds=["merge", "update", "create"]))
    diff = views.fate_differences(plan, other)
    assert len(diff) >= 1
    assert (diff.a != diff.b).all()
    assert views.fate_differences(plan, plan).empty


def test_the_support_matrix_counts_session_sentences_per_cluster(analysis):
    table = views.support_matrix(analysis)
    mentions = analysis.mentions
    support = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= analysis.bars["support"])]
    assert int(table.to_numpy().sum()) == len(support)
    assert list(table.columns) == [s.id for s in analysis.corpus.sessions]
    assert views.support_matrix(analysis, bar=1.01).empty


# --- before and after -------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "row"), [
    ("# Env\n- port 8080\n", "# Env\n- port 9090\n", ("changed", "- port 8080", "- port 9090")),
    ("# Env\n", "# Env\n- owner: Alice\n", ("added", "", "- owner: Alice")),
    ("keep\ngone\n", "keep\n", ("removed", "gone", "")),
    ("# Env\n", "# Env\n", ("equal", "# Env", "# Env")),
])
def test_diff_rows_pair_lines_side_by_side(before, after, row):
    assert row in views.diff_rows(before, after)


def test_an_operation_diff_covers_the_notes_and_the_whole_document(plan):
    merge = next(op for op in plan.operations if op.kind == "merge")
    before, after = views.operation_texts(merge)
    assert before.count("Always run ruff") == 2 and after.count("Always run ruff") == 1
    documents = views.operation_documents(plan, merge)
    assert documents and all(old != new for _, old, new in documents)
    edited = views.operation_documents(plan, merge, "- Always run ruff and mypy before committing.")
    assert any("mypy" in new for _, _, new in edited)



# --- topics on the map ------------------------------------------------------------------------


def test_topic_names_are_whole_words_the_notes_use_never_stems():
    texts = ["Commit messages follow the conventional format.", "Write commit messages in the imperative.",
             "The message body explains why.", "Deploys happen on Tuesday.", "Deploying on Fridays is banned."]
    names = cluster_names(texts, [0, 0, 0, 1, 1])
    words = [word for term in names[0].split(" / ") for word in term.split()]  # a term may be a phrase
    assert "messages" in words and "messag" not in words
    assert all(word.isalpha() for name in names.values() for term in name.split(" / ") for word in term.split())
    assert surface_words(["Messages", "message", "messages"])["messag"] == "messages"


def test_map_topics_split_a_store_usefully(analysis):
    topics = analysis.clusters
    assert list(topics.index) == list(analysis.note_ids)
    sizes = topics[topics.cluster >= 0].groupby("cluster").size()
    assert sizes.empty or sizes.max() <= topic_limit(len(topics))
    assert set(analysis.topic_names) == set(sizes.index)


def test_insights_sit_beside_the_note_they_resemble_not_in_the_middle(analysis):
    extra = views.extra_points(analysis, insights=True)
    coords = analysis.coords
    span = (coords.max() - coords.min()).to_numpy()
    for x, y in extra[["x", "y"]].to_numpy():
        nearest = np.min(np.hypot(coords.x - x, coords.y - y))
        assert nearest <= 0.02 * np.hypot(*span)  # next to a note, not at an average of distant ones


def test_the_header_counts_the_store_then_what_was_found_and_decided(analysis, plan):
    from workbench.review import Review

    before = views.header_counts(analysis)
    assert before == {"memories": len(analysis.corpus.memories), "notes": len(analysis.note_ids),
                      "sessions": len(analysis.corpus.sessions)}
    review = Review(plan)
    edited = next(op for op in plan.operations if op.result is not None)
    review.edit(edited.id, edited.result.text + " (checked)")
    counts = views.header_counts(analysis, review)
    assert counts["edited"] == 1 and counts["approved"] == 0  # an edit is not counted as approved
    assert counts["pending"] == len(plan.operations) - 1
    assert counts["duplicate groups"] == len(findings(analysis).duplicates)
