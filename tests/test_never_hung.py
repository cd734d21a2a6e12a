"""A workbench that never looks hung: progress with counts, the JIT cached, the map first, the toggle at once."""

from __future__ import annotations

import json
import threading
import time

import numpy as np

from workbench.analysis import analyze
from workbench.analysis.jit import _caching
from workbench.embed import EmbeddingCache
from workbench.progress import ANALYSIS_STAGES, Progress, tqdm_sink
from workbench.records import Corpus
from workbench.ui import Explorer, Workbench


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- progress ------------------------------------------------------------------------------------

def test_progress_says_the_stage_its_count_and_what_is_left(monkeypatch):
    progress = Progress("analysis", ANALYSIS_STAGES)
    progress.start("embedding", total=2541, unit="notes")
    progress.stage_started -= 5.0  # five seconds into the stage
    progress.advance(1200)
    assert progress.text.startswith("analysis 2/5 · embedding 1,200 of 2,541 notes · about ")
    assert 5 <= int(progress.text.split("about ")[1].split(" s")[0]) <= 6
    before = progress.fraction
    progress.start("profiles")
    assert progress.fraction >= before and progress.text == "analysis 3/5 · profiles"


def test_analyze_reports_every_stage_with_counts(tiny_store, tmp_path):
    seen: list[tuple[str, int | None, int]] = []
    progress = Progress("analysis", ANALYSIS_STAGES, interval=0.0,
                        on_update=lambda p: seen.append((p.stage, p.total, p.done)))
    analyze(Corpus(tiny_store), "tfidf", cache=EmbeddingCache(tmp_path), progress=progress)
    assert [s for s, *_ in dict.fromkeys((s, None) for s, *_ in seen)] == list(ANALYSIS_STAGES)
    embedded = [(total, done) for stage, total, done in seen if stage == "embedding"]
    assert embedded[-1][0] == embedded[-1][1] == len(tiny_store.notes)  # no sessions: every text a note
    assert progress.finished


def test_the_tqdm_sink_is_silent_when_quiet(capsys):
    progress = Progress("analysis", ANALYSIS_STAGES, on_update=tqdm_sink(quiet=True, delay=0.0))
    progress.start("embedding", 10, "texts")
    progress.advance(10)
    progress.finish()
    assert capsys.readouterr().err == ""


def test_the_command_line_is_quiet_with_quiet(store_dir, tmp_path, capsys):
    from workbench.cli import main

    assert main(["analyze", str(store_dir), "--out", str(tmp_path / "a.json"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["analyze", str(store_dir), "--out", str(tmp_path / "b.json")]) == 0  # from the analysis cache
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


# --- numba's cache ----------------------------------------------------------------------------

def test_njit_caches_by_default_and_compiles_as_before_where_it_cannot(tmp_path, monkeypatch):
    import numba

    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    njit = _caching(numba.njit)

    def add(a, b):
        return a + b

    cached = njit(add)
    assert cached(1, 2) == 3 and type(cached._cache).__name__ != "NullCache"
    namespace: dict = {}
    exec("def mul(a, b):\n    return a * b\n", namespace)  # no source file: numba cannot cache it
    assert njit(fastmath=True)(namespace["mul"])(2, 3) == 6


# --- the PCA/UMAP toggle --------------------------------------------------------------------------

def _slow_layout(release: threading.Event):
    def layout(a):
        release.wait(30)
        return a.coords * 3
    return layout


def test_umap_chosen_before_it_exists_says_computing_and_shows_it_when_ready(sample_analysis):
    release = threading.Event()
    explorer = Explorer(sample_analysis, layout=_slow_layout(release), wait_for_front_end=True)
    assert not explorer.layout_choice.disabled and explorer.layout_thread is None  # usable from the first draw
    explorer.layout_choice.value = "UMAP"
    assert explorer.layout_thread is not None  # chosen before the page drew: it starts now
    assert wait_for(lambda: "UMAP computing" in explorer.status.value)
    assert explorer.map.layout_name == "PCA"
    release.set()
    explorer.layout_thread.join(10)
    assert wait_for(lambda: explorer.map.layout_name == "UMAP")
    explorer.layout_choice.value = "PCA"
    assert explorer.map.layout_name == "PCA"


def test_pca_chosen_while_umap_computes_is_kept(sample_analysis):
    release = threading.Event()
    explorer = Explorer(sample_analysis, layout=_slow_layout(release))
    explorer.layout_choice.value = "UMAP"
    explorer.layout_choice.value = "PCA"
    release.set()
    explorer.layout_thread.join(10)
    assert wait_for(lambda: "UMAP layout ready" in explorer.status.value)
    assert explorer.map.layout_name == "PCA" and "UMAP" in explorer.layouts
    explorer.layout_choice.value = "UMAP"
    assert explorer.map.layout_name == "UMAP"
    assert np.allclose(explorer.map.positions()[:, 0], sample_analysis.coords["x"].to_numpy() * 3, atol=1e-4)


# --- the map first ------------------------------------------------------------------------------

def test_in_the_background_the_map_comes_first_and_the_plan_after(sample_analysis, monkeypatch, tmp_path):
    from workbench import views

    started, release = threading.Event(), threading.Event()
    warm = views.warm_selection

    def slow_warm(analysis):
        started.set()
        release.wait(30)
        warm(analysis)

    monkeypatch.setattr(views, "warm_selection", slow_warm)
    forget_lookups(sample_analysis)
    wb = Workbench(sample_analysis, layout=None, background=True, session=tmp_path / "s.json")
    assert started.wait(10) and not wb._built
    assert "operations" not in wb.header.value and len(wb.tabs.children) == 6
    first = sample_analysis.note_ids[:3]
    wb.explorer.selection = list(first)  # answered while the builder works
    assert "being found" in wb.explorer.table.value
    release.set()
    assert len(wb.plan.operations) >= 0 and wb._built  # `plan` waits for the builder
    assert wait_for(lambda: "being found" not in wb.explorer.table.value)
    assert "operations" in wb.header.value and wb.tuner.plan is not None
    assert wb.tabs.children[0].children[0] is wb.explorer.widget


def test_a_selection_set_in_code_while_the_builder_works_is_shown_at_once_and_autosaved_once_built(
        sample_analysis, monkeypatch, tmp_path):
    from workbench import views

    started, release = threading.Event(), threading.Event()
    warm = views.warm_selection

    def slow_warm(analysis):
        started.set()
        release.wait(30)
        warm(analysis)

    monkeypatch.setattr(views, "warm_selection", slow_warm)
    path = tmp_path / "s.json"
    wb = Workbench(sample_analysis, layout=None, background=True, session=path)
    assert started.wait(10) and not wb._built
    first = list(sample_analysis.note_ids[:2])
    wb.selection = first  # as the quickstart notebook does, before the plan is ready: never waits
    assert not wb._built and not path.exists()  # nothing written before the saved session is read
    release.set()
    assert list(wb.selection.index) == first  # reading it waits for the plan (the fate column)
    assert "fate" in wb.selection.columns and json.loads(path.read_text())["selection"] == first


def forget_lookups(analysis) -> None:
    """Drop what selections look up (other tests may have computed it on this shared analysis)."""
    from workbench.analysis.memo import _TABLES
    from workbench.views.notes import LOOKUPS

    table = _TABLES.get(analysis, {})
    for key in [k for k in table if k in LOOKUPS or (isinstance(k, tuple) and k and k[0] in LOOKUPS)]:
        table.pop(key)


def test_a_selection_table_without_lookups_leaves_them_empty_until_they_are_found(sample_analysis):
    from workbench import views

    forget_lookups(sample_analysis)
    ids = sample_analysis.note_ids[:40]
    quick = views.notes_table(sample_analysis, ids, complete=False)
    assert list(quick.index) == list(ids) and not views.selection_ready(sample_analysis)
    assert quick["sessions"].map(len).sum() == 0 and quick["support_sessions"].sum() == 0
    full = views.notes_table(sample_analysis, ids)  # waits for the lookups
    assert full["sessions"].map(len).sum() > 0
    views.warm_selection(sample_analysis)
    assert views.selection_ready(sample_analysis)
    assert views.notes_table(sample_analysis, ids, complete=False).equals(full)
