"""Figures of the memory space and of a plan, checked as plotly objects (no browser)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from workbench import plots, views
from workbench.analysis import Analysis, analyze
from workbench.dream.offline import plan_from_analysis
from workbench.embed import EmbeddingCache
from workbench.findings import findings
from workbench.focus import Focus
from workbench.records import Corpus, Memory, Session, Store, Turn

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
LONG = ("The deploy checklist says to run the migrations first, then warm the cache, then flip the "
        "feature flag for ten percent of users and watch the error rate for an hour.")
MEMORIES = [
    ("/preferences/coding-style.md", 10, "# Coding style\n- The user prefers tabs over spaces in Python files.\n"
     "- Always run ruff before committing.\n- The user prefers type hints on every public function.\n"
     "- Tests go in tests/ and are named test_<module>.py.\n"),
    ("/preferences/style-copy.md", 40, "# Coding style\n- Always run ruff before committing.\n"
     "- The user likes short commit messages in the imperative mood.\n"),
    ("/project/environment.md", 20, "# Environment\n- The staging database runs on Postgres 14.\n"
     "- The API server listens on port 8080.\n- Deploys go to Fly.io from the main branch.\n"),
    ("/project/environment-2.md", 90, "# Environment update\n- The staging database runs on Postgres 16.\n"
     "- The API server listens on port 9090.\n"),
    ("/project/deploy.md", 60, f"# Deploy\n- {LONG}\n"),
    ("/people/team.md", 5, "# Team\n- Alice owns the billing service.\n- Bob reviews every migration.\n"),
    ("/journal/2025-01.md", 3, "# January\n- Yesterday we spent the afternoon debugging a flaky stack trace in the parser.\n"
     "- Had pizza for lunch during the session.\n- The outage happened once during the deploy freeze.\n"
     "- Deploys are frozen until 2025-01-10.\n"),
]
SESSIONS = [
    ["I prefer spaces over tabs in Python files now.", "We use `pytest-xdist` for the test suite."],
    ["Please always use type hints on public functions.", "We use `pytest-xdist` for the test suite."],
    ["The staging database runs on Postgres 16.", "We use `pytest-xdist` for the test suite.",
     "Alice owns the billing service."],
]


def small_corpus() -> Corpus:
    """A coding assistant's store (duplicates, conflicts, stale notes) and three later sessions."""
    memories = [Memory(id=f"mem_{i}", path=path, content=content, created_at=T0 + timedelta(days=d),
                       updated_at=T0 + timedelta(days=d)) for i, (path, d, content) in enumerate(MEMORIES)]
    sessions = []
    for s, texts in enumerate(SESSIONS):
        start = T0 + timedelta(days=150 + 10 * s)
        turns = []
        for j, text in enumerate(texts):
            turns.append(Turn(f"s{s}t{2 * j}", f"sess_{s}", "user", text, start + timedelta(minutes=j), 2 * j))
            turns.append(Turn(f"s{s}t{2 * j + 1}", f"sess_{s}", "agent", "Noted, I will keep that in mind.",
                              start + timedelta(minutes=j, seconds=30), 2 * j + 1))
        sessions.append(Session(f"sess_{s}", start, f"Session {s}: coding", tuple(turns)))
    return Corpus(Store(tuple(memories)), tuple(sessions))


def small_analysis(cache_dir) -> Analysis:
    return analyze(small_corpus(), "tfidf", cache=EmbeddingCache(cache_dir))


@pytest.fixture(scope="module")
def analysis(tmp_path_factory) -> Analysis:
    return small_analysis(tmp_path_factory.mktemp("embeddings"))


@pytest.fixture(scope="module")
def plan(analysis):
    return plan_from_analysis(analysis, Focus())


def notes_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if (t.meta or {}).get("role") == "notes"]


def trace_of(fig: go.Figure, role: str):
    return next(t for t in fig.data if (t.meta or {}).get("role") == role)


# --- the map -----------------------------------------------------------------------------------


def test_the_map_has_one_notes_trace_with_note_ids_in_customdata_svg_when_small(analysis):
    fig = plots.embedding_map(analysis)
    [notes] = notes_traces(fig)
    assert notes.type == "scatter"  # a small map is SVG; WebGL above SCATTERGL_ABOVE (see the 50,000-note test)
    assert list(notes.customdata) == analysis.note_ids
    assert np.allclose(notes.x, analysis.coords.x.to_numpy())
    assert len(notes.marker.color) == len(notes.marker.size) == len(analysis.note_ids)


def test_the_map_sends_short_titles_and_coordinates_never_the_full_text(analysis):
    fig = plots.embedding_map(analysis, insights=True, statements=True, links_for=analysis.note_ids)
    [notes] = notes_traces(fig)
    assert all(len(title) <= views.TITLE_LIMIT for title in notes.hovertext)
    assert notes.mode == "markers" and notes.text is None
    payload = json.dumps([t.to_plotly_json() for t in fig.data], default=str)
    assert LONG not in payload
    assert LONG[:40] in payload  # the short title is there


def test_links_are_drawn_only_for_the_given_notes(analysis):
    conflict = findings(analysis).conflicts[0]
    assert not plots.embedding_map(analysis).data[2].x  # nothing asked, nothing drawn
    fig = plots.embedding_map(analysis, links_for=[conflict.older])
    duplicates, conflicts = trace_of(fig, "duplicate_links"), trace_of(fig, "conflict_links")
    assert duplicates.mode == conflicts.mode == "lines"
    assert not duplicates.x  # the conflicting note has no duplicate
    xs = list(conflicts.x)
    assert xs[2] is None and len(xs) % 3 == 0
    x_of = analysis.coords.x
    drawn = sorted((round(xs[i], 6), round(xs[i + 1], 6)) for i in range(0, len(xs), 3))
    expected = sorted((round(x_of[c.older], 6), round(x_of[c.newer], 6)) for c in findings(analysis).conflicts
                      if conflict.older in (c.older, c.newer) and c.source == "store")
    assert drawn == expected
    assert conflicts.line.color == plots.LINK_COLORS["conflict"]
    assert duplicates.line.color == plots.LINK_COLORS["duplicate"]


def test_links_are_capped_and_the_cap_is_named(analysis):
    fig = plots.embedding_map(analysis, links_for=analysis.note_ids, max_links=1)
    conflicts = trace_of(fig, "conflict_links")
    store_conflicts = sum(1 for c in findings(analysis).conflicts if c.source == "store")
    assert store_conflicts >= 2
    assert len(conflicts.x) == 3
    assert conflicts.meta["total"] == store_conflicts
    assert f"1 of {store_conflicts}" in conflicts.name


def test_colours_by_fate_follow_the_plan(analysis, plan):
    fig = plots.embedding_map(analysis, color_by="fate", plan=plan)
    [notes] = notes_traces(fig)
    coloring = plots.point_colors(analysis, "fate", plan)
    fates = plan.fates()
    seen = coloring.color_of(notes.marker.color)
    assert seen == [plots.FATE_COLORS[fates[i]] for i in analysis.note_ids]
    assert {"kept", "merged", "updated", "pruned"} <= set(fates.values())
    # the colour scale sends each code to its fate's colour
    scale = dict((round(p, 6), c) for p, c in notes.marker.colorscale)
    assert plots.FATE_COLORS["pruned"] in scale.values()


def test_colour_by_fate_without_a_plan_is_refused(analysis):
    with pytest.raises(ValueError, match="needs a plan"):
        plots.embedding_map(analysis, color_by="fate")


def test_colour_by_path_groups_top_level_folders_and_age_is_continuous(analysis):
    by_path = plots.point_colors(analysis, "path")
    assert set(by_path.categories) == {"/preferences", "/project", "/people", "/journal"}
    age = plots.point_colors(analysis, "age")
    assert age.continuous and age.values.max() == pytest.approx(findings(analysis).notes.age_days.max())
    fig = plots.embedding_map(analysis, color_by="age")
    assert notes_traces(fig)[0].marker.showscale


def test_selected_notes_are_ringed_and_the_others_stay_visible(analysis):
    chosen = analysis.note_ids[2:4]
    [notes] = notes_traces(plots.embedding_map(analysis, selected=chosen))
    assert list(notes.selectedpoints) == [2, 3]
    widths = np.asarray(notes.marker.line.width)
    assert list(np.flatnonzero(widths == widths.max())) == [2, 3]
    assert widths.min() == plots.HAIRLINE > 0  # every note keeps a hairline, so pale colours still show
    assert notes.unselected.marker.opacity >= 0.5 and notes.marker.opacity >= 0.85
    assert plots.selection_outline(5, []) == {"width": plots.HAIRLINE, "color": plots.OUTLINE}
    assert plots.selection_outline(50_000, [])["width"] == 0


def test_the_map_legend_sits_below_the_plot_so_it_is_never_clipped(analysis):
    fig = plots.embedding_map(analysis, links_for=analysis.note_ids)
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0


def test_candidate_insights_and_session_facts_get_their_own_traces(analysis):
    fig = plots.embedding_map(analysis, insights=True, statements=True)
    insights, sessions = trace_of(fig, "insight_points"), trace_of(fig, "session_points")
    assert list(insights.customdata) == [c.id for c in findings(analysis).insights]
    assert len(sessions.customdata) > 0 and sessions.visible == "legendonly"
    assert len(notes_traces(fig)) == 1


@pytest.mark.slow
def test_a_50000_note_map_is_still_one_webgl_trace_without_text(tmp_path):
    n = 50_000
    ids = pd.Index([f"m{i // 10}#{i % 10}" for i in range(n)], name="id")
    memories = tuple(Memory(id=f"m{i}", path=f"/topic-{i % 12}/f{i}.md",
                            content="".join(f"- fact {j} of file {i}: a note long enough to be cut short when it is "
                                            "shown as a hover title on the map\n" for j in range(10)),
                            created_at=T0, updated_at=T0 + timedelta(days=i % 300)) for i in range(n // 10))
    corpus = Corpus(Store(memories))
    rng = np.random.default_rng(0)
    big = Analysis(
        corpus=corpus, embedder_id="fake", bars={"support": 0.5}, note_ids=list(ids),
        vectors=rng.normal(size=(n, 4)).astype(np.float32), statements=[],
        statement_vectors=np.zeros((0, 4), np.float32), neighbours=np.zeros((n, 0), int),
        neighbour_similarity=np.zeros((n, 0), np.float32), pairs=pd.DataFrame(), mentions=pd.DataFrame(),
        profiles={}, clusters=pd.DataFrame({"cluster": rng.integers(-1, 20, n), "label": "topic"}, index=ids),
        coords=pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)}, index=ids),
    )
    start = time.perf_counter()
    fig = plots.embedding_map(big, color_by="path", links_for=list(ids[:1000]))
    elapsed = time.perf_counter() - start
    [notes] = notes_traces(fig)
    assert notes.type == "scattergl" and len(notes.customdata) == n
    assert notes.marker.color.dtype.kind in "iuf"  # numbers and a colour scale, not 50k colour strings
    assert max(map(len, notes.hovertext)) <= views.TITLE_LIMIT
    print(f"building the 50k map took {elapsed:.1f} s")  # a measurement, not an assertion (benchmarks/ times it)


# --- timeline, sankey, heatmap -------------------------------------------------------------


def test_the_timeline_shows_memory_writes_and_sessions(analysis, plan):
    fig = plots.timeline(analysis.corpus, plan=plan)
    writes = next(t for t in fig.data if t.name == "memory writes")
    sessions = next(t for t in fig.data if t.name == "sessions")
    assert len(writes.x) == len(analysis.corpus.memories)
    assert list(sessions.customdata) == [s.id for s in analysis.corpus.sessions]


def test_the_sankey_draws_every_flow(plan):
    flows = views.fate_flows(plan)
    fig = plots.fate_sankey(plan)
    assert fig.data[0].type == "sankey"
    assert sum(fig.data[0].link.value) == sum(v for _, _, v in flows)
    assert any(label.startswith("output notes") for label in fig.data[0].node.label)


def test_the_support_heatmap_draws_the_support_matrix(analysis):
    table = views.support_matrix(analysis)
    heat = plots.support_heatmap(analysis).data[0]
    assert heat.type == "heatmap"
    assert np.asarray(heat.z).sum() == table.to_numpy().sum()
    assert list(heat.y) == list(table.index)


# --- diffs and conflicts -------------------------------------------------------------------------


def test_the_diff_table_marks_removed_lines_red_and_added_lines_green():
    before = "# Env\n- port 8080\n- region eu-west\n"
    after = "# Env\n- port 9090\n- region eu-west\n- owner: Alice\n"
    page = plots.diff_html(before, after)
    assert "<del>8080</del>" in page and "<ins>9090</ins>" in page
    assert 'class="wb-diff-added"' in page and "owner: Alice" in page
    removed = plots.diff_html("keep\ngone\n", "keep\n")
    assert 'class="wb-diff-removed"' in removed and "gone" in removed
    assert "&lt;script&gt;" in plots.diff_html("<script>", "")


def test_the_conflict_figure_marks_the_pinned_value_green(analysis):
    subject = next(s for s in views.conflict_subjects(analysis) if len(s.members) == 3)
    history = views.conflict_history(analysis, subject.members)
    fig = plots.conflict_figure(history, pinned=history.index[0])
    assert fig.data[0].marker.color[0] == plots.FATE_COLORS["created"]
    assert list(fig.data[0].customdata) == list(history.index)
    latest = plots.conflict_figure(history)
    assert latest.data[0].marker.color[-1] == plots.FATE_COLORS["created"]


def test_plots_and_the_logic_modules_never_import_widgets():
    code = ("import sys, workbench.plots, workbench.views, workbench.analysis, workbench.review, workbench.export, "
            "workbench.dream.offline; bad = [m for m in ('ipywidgets', 'workbench.ui') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
