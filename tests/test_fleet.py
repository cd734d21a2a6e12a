"""Fleets on a real local Dask cluster (two worker processes): manifests, one row per store, plans,
skipping unchanged stores on a re-run, bad input and a worker that dies mid-store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from builders import SAMPLE, coding_store

from workbench.analysis import analyze
from workbench.cli import main
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Plan
from workbench.errors import ReaderError, WorkbenchError
from workbench.evaluate import Evaluator
from workbench.fleet import (
    COLUMNS,
    connect_cluster,
    folder_name,
    load_results,
    open_store,
    read_fleet_manifest,
    run_fleet,
)
from workbench.focus import Focus
from workbench.io import load_corpus, write_store
from workbench.io.store_json import store_json
from workbench.probes import generate_probes

SESSIONS = SAMPLE / "coding-assistant" / "sessions"
LEGAL = SAMPLE / "legal-research"
FOCUS = "Prioritize coding conventions."


@pytest.fixture(scope="module")
def cluster():
    """One local cluster for the module: two single-thread worker processes of at most 1 GiB, one retry."""
    with connect_cluster(workers=2, retries=1, memory_limit="1GiB") as client:
        yield client


def _manifest(folder: Path, lines: list[dict]) -> Path:
    path = folder / "manifest.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def fleet_inputs(tmp_path) -> Path:
    """Two good stores (one with sessions), one missing, one broken, one line without a store."""
    inputs = tmp_path / "in"
    (inputs / "sessions").mkdir(parents=True)
    for session in sorted(SESSIONS.iterdir())[:3]:
        shutil.copy(session, inputs / "sessions" / session.name)
    (inputs / "coding.json").write_text(store_json(coding_store()), encoding="utf-8")
    write_store(load_corpus(LEGAL / "store.json").store, inputs / "legal", "dir")
    (inputs / "broken.jsonl").write_text('{"path": "/a.md"}\n', encoding="utf-8")
    return _manifest(inputs, [
        {"id": "coding", "store": "coding.json", "sessions": "sessions"},
        {"id": "legal", "store": "legal"},
        {"id": "missing", "store": "nowhere.json"},
        {"id": "broken", "store": "broken.jsonl"},
        {"id": "no-store"},
    ])


# --- manifests ---------------------------------------------------------------------------------


def test_a_jsonl_manifest_resolves_paths_against_its_folder(tmp_path):
    path = _manifest(tmp_path, [{"id": "a", "store": "a/store.json", "sessions": ["s1", "/abs/s2"]},
                                {"id": 7, "store": "/abs/b", "store_format": "directory", "probes": "q.jsonl"}])
    a, b = read_fleet_manifest(path)
    assert (a.id, a.store, a.sessions) == ("a", str(tmp_path / "a/store.json"), (str(tmp_path / "s1"), "/abs/s2"))
    assert (b.id, b.store, b.store_format, b.probes) == ("7", "/abs/b", "directory", str(tmp_path / "q.jsonl"))


def test_a_csv_manifest_splits_sessions_on_bars(tmp_path):
    path = tmp_path / "fleet.csv"
    path.write_text("id,store,sessions\nu1,u1.json,s/a|s/b\nu2,u2.json,\n", encoding="utf-8")
    u1, u2 = read_fleet_manifest(path)
    assert u1.sessions == (str(tmp_path / "s/a"), str(tmp_path / "s/b")) and u2.sessions == ()
    assert (u1.line, u2.line) == (2, 3)


def test_a_folder_of_stores_is_a_manifest(tmp_path):
    (tmp_path / "alice" / "sessions").mkdir(parents=True)
    (tmp_path / "alice" / "store.json").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "notes.md").write_text("- a note\n")
    (tmp_path / "carol.jsonl").write_text("")
    (tmp_path / "readme.txt").write_text("not a store")
    entries = {e.id: e for e in read_fleet_manifest(tmp_path)}
    assert set(entries) == {"alice", "bob", "carol"}
    assert entries["alice"].store.endswith("alice/store.json")
    assert entries["alice"].sessions == (str(tmp_path / "alice" / "sessions"),)
    assert entries["bob"].store == str(tmp_path / "bob") and entries["bob"].sessions == ()


@pytest.mark.parametrize("text, line, words", [
    ('{"id": "a", "store": "a.json"}\n{"id": "b", "store": \n', 2, "malformed JSON"),
    ('{"id": "a", "store": "a.json"}\n{"store": "b.json"}\n', 2, "field 'id': missing"),
    ('{"id": "a", "store": "a.json"}\n{"id": "a", "store": "b.json"}\n', 2, "'a' is given twice (also on line 1)"),
    ('["a", "a.json"]\n', 1, "expected an object"),
    ("id,store\na,a.json\nb," + "x" * 200_000 + "\n", 3, "a cell holds more than 131,072 characters"),
])
def test_a_manifest_that_cannot_be_read_is_one_error_naming_the_line(tmp_path, text, line, words):
    path = tmp_path / ("m.csv" if text.startswith("id,") else "m.jsonl")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReaderError) as caught:
        read_fleet_manifest(path)
    assert caught.value.line == line and words in str(caught.value)


def test_an_id_that_is_not_a_plain_file_name_gets_a_hashed_folder():
    assert folder_name("user-42@acme") == "user-42@acme"
    hashed = folder_name("../../etc/passwd")
    assert hashed.startswith("_") and "/" not in hashed and hashed == folder_name("../../etc/passwd")
    assert folder_name(".hidden") != ".hidden"


# --- running a fleet -----------------------------------------------------------------------------


@pytest.mark.slow
def test_every_store_gets_a_row_and_a_plan_and_a_bad_store_only_its_error(cluster, fleet_inputs, tmp_path):
    out = tmp_path / "out"
    results = run_fleet(fleet_inputs, Focus(FOCUS), out=out, address=cluster.scheduler.address, progress=False)
    assert list(results.columns) == list(COLUMNS)
    assert list(results["id"]) == ["coding", "legal", "missing", "broken", "no-store"]
    errors = dict(zip(results["id"], results["error"].fillna("")))
    assert errors["coding"] == errors["legal"] == ""
    assert errors["missing"] == f"{fleet_inputs.parent / 'nowhere.json'}: no such file or directory"
    assert errors["broken"].startswith(f"{fleet_inputs.parent / 'broken.jsonl'}: cannot tell which format")
    assert errors["no-store"] == "manifest.jsonl:5: field 'store': missing"
    assert all("\n" not in e and "Traceback" not in e for e in errors.values())
    assert not results["skipped"].any()
    pd.testing.assert_frame_equal(load_results(out), results)
    assert not [p for p in out.rglob("*") if p.name.startswith(".")], "a temporary file was left behind"

    good = results.set_index("id").loc[["coding", "legal"]]
    assert (good[["merge", "update", "delete", "create"]].sum(axis=1) == good["operations"]).all()
    assert good.loc["coding", "operations"] > 0 and good.loc["coding", "probes"] > 0
    assert set(results.loc[results["error"].notna(), "plan"].isna()) == {True}
    # the row holds what the same pipeline computes in this process
    coding = good.loc["coding"]
    plan = Plan.from_json((out / coding["plan"]).read_text())
    corpus = load_corpus(fleet_inputs.parent / "coding.json", fleet_inputs.parent / "sessions")
    analysis = analyze(corpus, "tfidf")
    mine = dream_offline(corpus, Focus(FOCUS), analysis=analysis)
    assert plan.to_dict() == Plan.from_json(mine.to_json()).to_dict()
    report = Evaluator(analysis, generate_probes(corpus.store)).report(mine).summary()
    assert (coding["notes_before"], coding["notes_after"]) == (len(corpus.notes), len(mine.output_store.notes))
    assert (coding["probes"], coding["answered_after"], coding["regressions"]) == (
        report["probes"], report["answered_after"], report["regressions"])
    assert (coding["tokens_before"], coding["tokens_after"]) == (report["tokens_before"], report["tokens_after"])
    assert coding["shrink"] == pytest.approx(1 - coding["notes_after"] / coding["notes_before"], abs=1e-4)
    assert coding["peak_mb"] > 0 and coding["seconds"] > 0 and coding["worker"].startswith("tcp://")

    opened = open_store(out, "coding")
    assert opened.corpus.store.digest == corpus.store.digest and len(opened.plan.operations) == coding["operations"]
    with pytest.raises(ReaderError, match="has no plan: .*no such file"):
        open_store(out, "missing")


@pytest.mark.slow
def test_a_rerun_skips_unchanged_stores_and_dreams_changed_ones_again(cluster, fleet_inputs, tmp_path):
    out, address = tmp_path / "out", cluster.scheduler.address
    first = run_fleet(fleet_inputs, FOCUS, out=out, address=address, progress=False).set_index("id")
    again = run_fleet(fleet_inputs, FOCUS, out=out, address=address, progress=False).set_index("id")
    assert list(again["skipped"]) == [True, True, False, False, False]  # failed stores are tried again
    same = ["notes_before", "notes_after", "operations", "regressions", "tokens_after", "digest", "plan"]
    pd.testing.assert_frame_equal(again.loc[["coding", "legal"], same], first.loc[["coding", "legal"], same])

    legal_note = out / again.loc["legal", "plan"]
    stamp = legal_note.stat().st_mtime_ns
    store = fleet_inputs.parent / "coding.json"
    data = json.loads(store.read_text())
    data["memories"][0]["content"] += "- Use tabs, never spaces.\n"
    store.write_text(json.dumps(data), encoding="utf-8")
    changed = run_fleet(fleet_inputs, FOCUS, out=out, address=address, progress=False).set_index("id")
    assert (changed.loc["coding", "skipped"], changed.loc["legal", "skipped"]) == (False, True)
    assert changed.loc["coding", "digest"] != first.loc["coding", "digest"]
    assert changed.loc["coding", "notes_before"] == first.loc["coding", "notes_before"] + 1
    assert legal_note.stat().st_mtime_ns == stamp  # a skipped store's plan is not rewritten

    refocused = run_fleet(fleet_inputs, "Never touch /team/.", out=out, address=address, progress=False)
    assert not refocused["skipped"].any()


@pytest.mark.slow
def test_a_worker_that_dies_mid_store_is_that_stores_error_and_the_others_finish(cluster, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "ok.json").write_text(store_json(coding_store()), encoding="utf-8")
    huge = inputs / "huge"
    huge.mkdir()
    with open(huge / "notes.md", "wb") as fh:  # 1.5 GiB of holes: reading it takes a worker past its 1 GiB
        fh.truncate(3 * 2**29)
    manifest = _manifest(inputs, [{"id": "ok", "store": "ok.json"}, {"id": "huge", "store": "huge"}])
    results = run_fleet(manifest, out=tmp_path / "out", address=cluster.scheduler.address, progress=False)
    rows = results.set_index("id")
    assert pd.isna(rows.loc["ok", "error"]) and rows.loc["ok", "operations"] >= 0
    assert rows.loc["huge", "error"].startswith("the worker running this store died; tried on 2 worker(s), the last ")
    assert pd.isna(rows.loc["huge", "plan"]) and not (tmp_path / "out" / "stores" / "huge" / "plan.json").exists()
    cluster.wait_for_workers(2, timeout=60)


# --- the command line ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_cli_runs_a_fleet_on_a_local_cluster_and_names_each_failed_store(fleet_inputs, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["fleet", str(fleet_inputs), "--focus", FOCUS, "--workers", "1", "--out", str(out),
                 "--no-progress"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert printed.out.startswith("5 stores: 2 dreamt, 0 skipped (unchanged), 3 failed; notes ")
    assert "  failed: missing: " in printed.out and "  failed: no-store: manifest.jsonl:5" in printed.out
    assert "Traceback" not in printed.err
    assert len(load_results(out)) == 5


def test_the_cli_reports_a_bad_manifest_in_one_line(tmp_path, capsys):
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"store": "a.json"}\n')
    assert main(["fleet", str(bad), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err == f"workbench: error: {bad}:1: field 'id': missing\n"
    assert not (tmp_path / "out").exists()



def _directory_store(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("- Prefers tabs.\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("out, store, words", [
    ("d/fleet", "d", "field 'store': --out {out} lies inside the store"),
    ("d", "d", "field 'store': --out {out} is the store"),
    ("s/more", "d", "field 'sessions': --out {out} lies inside the sessions"),
    (".", "stores/d", "field 'store': --out {out} would write into the store"),  # <out>/stores/d/ gets d's plan
    (".", "stores", "field 'store': --out {out} would write into the store"),  # a store holding <out>/stores/d/
])
def test_a_fleet_out_inside_an_input_of_the_manifest_is_refused_naming_the_manifest_line(tmp_path, capsys, out,
                                                                                          store, words):
    _directory_store(tmp_path / "d")
    _directory_store(tmp_path / "stores" / "d")
    shutil.copytree(SESSIONS, tmp_path / "s")
    _manifest(tmp_path, [{"id": "d", "store": store, **({"sessions": "s"} if out == "s/more" else {})}])
    words = "manifest.jsonl:1: " + words.format(out=tmp_path / out)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code = main(["fleet", str(tmp_path / "manifest.jsonl"), "--workers", "1", "--probes", "none",
                 "--out", str(tmp_path / out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert words in err, err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written anywhere


def test_a_fleet_out_read_as_a_store_of_its_own_folder_manifest_is_refused(tmp_path):
    _directory_store(tmp_path / "stores" / "a")
    with pytest.raises(WorkbenchError, match="the next run would read 'fleet' as a store"):
        run_fleet(tmp_path / "stores", out=tmp_path / "stores" / "fleet", progress=False)
    assert not (tmp_path / "stores" / "fleet").exists()


# --- one big store ---------------------------------------------------------------------------------


def test_top_matches_gives_the_same_rows_whatever_its_memory_bound(monkeypatch):
    import numpy as np

    from workbench.analysis import neighbours as analysis

    rng = np.random.default_rng(7)
    queries, vectors = rng.standard_normal((300, 16), dtype=np.float32), rng.standard_normal((5000, 16), dtype=np.float32)
    whole = analysis.top_matches(queries, vectors, 5)
    monkeypatch.setattr(analysis, "BLOCK_BYTES", 4 * 5000 * 7)  # seven queries a block
    blocked = analysis.top_matches(queries, vectors, 5)
    # another block shape may change the last bit of a score (BLAS kernels differ), never the neighbours
    assert np.array_equal(whole[0], blocked[0])
    np.testing.assert_allclose(whole[1], blocked[1], rtol=1e-5, atol=1e-5)


def test_top_matches_ranks_scores_equal_to_a_millionth_by_the_lower_row_whatever_the_block(monkeypatch):
    import numpy as np

    from workbench.analysis import neighbours as analysis

    vectors = np.zeros((7, 4), dtype=np.float32)  # scores are the first column, exactly (no rounding in the sums)
    vectors[:, 0] = [0.25, 0.5 + 2**-22, 0.5, 0.5 + 2**-23, 0.1, 0.5, 0.5 - 2**-22]
    queries = np.tile(np.float32([1, 0, 0, 0]), (5, 1))
    for block_bytes in (analysis.BLOCK_BYTES, 4 * len(vectors)):  # every query in one block, or one a block
        monkeypatch.setattr(analysis, "BLOCK_BYTES", block_bytes)
        index, sims = analysis.top_matches(queries, vectors, 5)
        assert index.tolist() == [[1, 2, 3, 5, 6]] * 5  # not 1, 3, 2, 5, 6: those differ by less than 1e-6
        assert np.allclose(sims, 0.5, atol=1e-6)
    twins = np.zeros((60, 4), dtype=np.float32)  # more equal scores than the candidates ranked first
    twins[:, 0] = 0.1
    twins[[52, 7, 40, 13, 59, 21, 31, 22, 30, 50, 32, 41, 42, 51], 0] = 0.5
    assert analysis.top_matches(queries[:2], twins, 3)[0].tolist() == [[7, 13, 21]] * 2
