"""Inputs are never overwritten, and `export --force` replaces only a snapshot: the real CLI, in a subprocess."""

from __future__ import annotations

import json

import pytest
from reliability import assert_one_line_error, cli, digest, write_inputs

from workbench.dream.plan import Plan
from workbench.errors import ExportError
from workbench.export import export_snapshot
from workbench.io import load_store
from workbench.review import Review, plan_digest
from workbench.verify import verify_snapshot


@pytest.fixture
def inputs(tmp_path):
    return write_inputs(tmp_path / "in")


@pytest.fixture
def snapshot(inputs, tmp_path):
    """An earlier snapshot of the inputs (written in this process)."""
    out = tmp_path / "earlier"
    assert cli("export", inputs["store"], inputs["plan"], "--decisions", inputs["decisions"], "--out", out,
               "--allow-large-change").returncode == 0
    return out


@pytest.mark.parametrize("command, out_key", [
    (["analyze", "{store}", "--out", "{out}"], "store"),
    (["analyze", "{store_dir}", "--out", "{out}"], "inside store_dir"),
    (["dream", "{store}", "--out", "{out}"], "store"),
    (["review", "{plan}", "--approve-all", "--out", "{out}"], "plan"),
])
def test_an_out_that_is_an_input_of_the_command_is_refused_and_the_input_is_unchanged(inputs, command, out_key):
    target = inputs["store_dir"] / "plan.json" if out_key.startswith("inside") else inputs[out_key]
    before = {k: digest(v) for k, v in inputs.items()}
    args = [a.format(out=target, **inputs) for a in command]
    assert_one_line_error(cli(*args), "never" if not out_key.startswith("inside") else "inside the input folder")
    assert {k: digest(v) for k, v in inputs.items()} == before
    assert not (inputs["store_dir"] / "plan.json").exists()


def test_dream_refuses_to_write_over_a_session_file(tmp_path, inputs):
    from reliability import platform_session

    session = platform_session(tmp_path, 1, ["Use ruff for formatting."], 10)
    before = session.read_bytes()
    assert_one_line_error(cli("dream", inputs["store"], "--sessions", session, "--out", session), "is an input")
    assert session.read_bytes() == before


def export(inputs, out, **options):
    """`export_snapshot` as `workbench export STORE PLAN --decisions D` calls it."""
    store = load_store(options.pop("store", inputs["store"]))
    plan = Plan.from_json(inputs["plan"].read_text(encoding="utf-8"))
    review = Review.load(plan, inputs["decisions"])
    return export_snapshot(store, plan, review, out, allow_large_change=True,
                           inputs=[inputs["plan"], inputs["decisions"]], **options)


@pytest.mark.parametrize("where", ["the input store folder", "the folder that holds the input store",
                                   "inside the input store folder"])
def test_export_never_writes_onto_into_or_over_the_input_store(inputs, where):
    store = inputs["store_dir"]
    out = {"the input store folder": store, "the folder that holds the input store": store.parent,
           "inside the input store folder": store / "snapshot"}[where]
    before = digest(store.parent)
    with pytest.raises(ExportError, match="input"):
        export(inputs, out, store=store, force=True)
    assert digest(store.parent) == before


def test_the_cli_refuses_an_export_into_the_input_store_with_one_line(inputs):
    store = inputs["store_dir"]
    before = digest(store)
    proc = cli("export", store, inputs["plan"], "--decisions", inputs["decisions"], "--out", store / "snap",
               "--allow-large-change")
    assert_one_line_error(proc, "lies inside the input store")
    assert digest(store) == before


def test_export_force_over_a_folder_that_is_not_a_snapshot_is_refused_and_its_files_kept(inputs, tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("\\chapter{Memory}\n", encoding="utf-8")
    (thesis / "results.csv").write_text("run,score\n1,0.93\n", encoding="utf-8")
    before = digest(thesis)
    proc = cli("export", inputs["store"], inputs["plan"], "--decisions", inputs["decisions"], "--out", thesis,
               "--force", "--allow-large-change")
    assert_one_line_error(proc, "did not write")
    assert digest(thesis) == before


@pytest.mark.parametrize("format", ["dir", "json", "zip"])
def test_export_force_over_a_regular_file_is_refused(inputs, tmp_path, format):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    with pytest.raises(ExportError, match="did not write"):
        export(inputs, notes, force=True, format=format)
    assert notes.read_text(encoding="utf-8") == "my notes\n"


@pytest.mark.parametrize("name", ["plan", "decisions"])
def test_export_force_onto_the_plan_or_decisions_it_reads_is_refused(inputs, name):
    before = digest(inputs[name])
    with pytest.raises(ExportError, match="input"):
        export(inputs, inputs[name], force=True, format="json")
    assert digest(inputs[name]) == before


def test_export_force_replaces_an_earlier_snapshot(inputs, snapshot):
    proc = cli("export", inputs["store"], inputs["plan"], "--decisions", inputs["decisions"], "--out", snapshot,
               "--force", "--allow-large-change")
    assert proc.returncode == 0, proc.stderr
    assert verify_snapshot(snapshot).ok
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["earlier", "in"]  # no staging left behind


@pytest.mark.parametrize("format", ["json", "mem0", "zip"])
def test_export_force_replaces_an_earlier_file_snapshot(inputs, tmp_path, format):
    out = tmp_path / f"snap.{format}"
    export(inputs, out, format=format)
    again = export(inputs, out, format=format, force=True)
    assert verify_snapshot(again.path).ok
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "in") == sorted(
        [out.name] + ([out.name + ".manifest.json"] if format != "zip" else []))


def test_review_auto_over_earlier_decisions_keeps_a_persons_reject(inputs):
    plan = Plan.from_json(inputs["plan"].read_text(encoding="utf-8"))
    rejected = plan.operations[0].id
    Review(plan).reject(rejected, who="dana").save(inputs["decisions"])
    proc = cli("review", inputs["plan"], "--auto", "--min-confidence", "0.5", "--out", inputs["decisions"])
    assert proc.returncode == 0, proc.stderr
    assert "resuming from the earlier decisions" in proc.stdout
    review = Review.load(plan, inputs["decisions"])
    assert (review.current[rejected].verdict, review.current[rejected].who) == ("reject", "dana")
    assert review.current[plan.operations[1].id].verdict == "approve"


def test_review_will_not_overwrite_a_file_that_holds_no_decisions_on_this_plan(inputs, tmp_path):
    other = tmp_path / "results.json"
    other.write_text('{"accuracy": 0.93}\n', encoding="utf-8")
    assert_one_line_error(cli("review", inputs["plan"], "--approve-all", "--out", other), "holds no decisions")
    assert other.read_text(encoding="utf-8") == '{"accuracy": 0.93}\n'


def test_decisions_without_a_plan_digest_are_refused(inputs, tmp_path):
    data = json.loads(inputs["decisions"].read_text(encoding="utf-8"))
    del data["plan_digest"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(data), encoding="utf-8")
    proc = cli("export", inputs["store"], inputs["plan"], "--decisions", bare, "--out", tmp_path / "snap",
               "--allow-large-change")
    assert_one_line_error(proc, "no plan digest")
    assert not (tmp_path / "snap").exists()


def test_a_plan_whose_store_digest_is_null_is_refused_for_another_store(inputs, tmp_path):
    data = json.loads(inputs["plan"].read_text(encoding="utf-8"))
    data["inputs"]["store_digest"] = None
    loose = tmp_path / "loose.json"
    loose.write_text(json.dumps(data), encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"type": "memory_store", "memories": [
        {"path": "/x.md", "content": "- Something else entirely.\n", "updated_at": "2026-01-01T00:00:00Z"}]}),
        encoding="utf-8")
    proc = cli("export", other, loose, "--out", tmp_path / "snap", "--allow-large-change")
    assert_one_line_error(proc, "no input store digest")
    assert not (tmp_path / "snap").exists()


def test_decisions_saved_by_the_cli_are_bound_to_the_plan_digest(inputs):
    plan = Plan.from_json(inputs["plan"].read_text(encoding="utf-8"))
    saved = json.loads(inputs["decisions"].read_text(encoding="utf-8"))
    assert saved["plan_digest"] == plan_digest(plan)
