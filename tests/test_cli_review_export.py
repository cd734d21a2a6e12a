"""`workbench dream | review | export | verify`: the headless pipeline, checked through the Python API."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.dream.plan import Plan
from workbench.io import load_store
from workbench.review import Review, apply
from workbench.verify import verify_snapshot

SAMPLE = Path(__file__).parents[1] / "sample-data" / "coding-assistant"
STORE, SESSIONS = str(SAMPLE / "store.json"), str(SAMPLE / "sessions")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.getbasetemp() / "sample-cache")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, cache) -> dict[str, Path]:
    """dream → review --auto → export, run once; every command must exit 0."""
    work = tmp_path_factory.mktemp("pipeline")
    paths = {"plan": work / "plan.json", "decisions": work / "decisions.json", "snapshot": work / "snapshot"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_CACHE", cache)
        assert main(["dream", STORE, "--sessions", SESSIONS, "--out", str(paths["plan"])]) == 0
        assert main(["review", str(paths["plan"]), "--auto", "--min-confidence", "0.5",
                     "--out", str(paths["decisions"])]) == 0
        assert main(["export", STORE, str(paths["plan"]), "--decisions", str(paths["decisions"]),
                     "--out", str(paths["snapshot"])]) == 0
    return paths


def read_plan(path: Path) -> Plan:
    return Plan.from_json(path.read_text(encoding="utf-8"))


def test_the_pipeline_writes_a_plan_decisions_and_a_snapshot(pipeline):
    assert all(path.exists() for path in pipeline.values())


def test_review_auto_approves_the_operations_at_or_above_the_bar(pipeline):
    plan = read_plan(pipeline["plan"])
    review = Review.load(plan, pipeline["decisions"])
    assert set(review.current) == {op.id for op in plan.operations if op.confidence >= 0.5}
    assert review.current
    assert {d.who for d in review.current.values()} == {"auto"}


def test_the_exported_snapshot_is_intact_and_holds_the_approved_store(pipeline):
    plan = read_plan(pipeline["plan"])
    review = Review.load(plan, pipeline["decisions"])
    result = verify_snapshot(pipeline["snapshot"])
    assert (result.ok, result.problems) == (True, [])
    assert load_store(pipeline["snapshot"] / "memories") == apply(load_store(STORE), plan, review)


def test_verify_with_replay_reruns_the_dream_and_finds_the_same_plan(pipeline, cache, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_CACHE", cache)
    code = main(["verify", str(pipeline["snapshot"]), "--replay", "--store", STORE, "--sessions", SESSIONS])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("intact: ")
    assert "replay: same plan" in out


def test_verify_exits_1_and_lists_the_problem_when_a_file_was_tampered_with(pipeline, tmp_path, capsys):
    assert main(["export", STORE, str(pipeline["plan"]), "--decisions", str(pipeline["decisions"]),
                 "--out", str(tmp_path / "snap")]) == 0
    target = next((tmp_path / "snap" / "memories").rglob("*.md"))
    target.write_text("- tampered\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "snap")]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("NOT intact")
    assert f"changed: /{target.relative_to(tmp_path / 'snap' / 'memories').as_posix()}" in out


def test_export_onto_an_existing_folder_without_force_exits_2_with_one_line(pipeline, capsys):
    before = verify_snapshot(pipeline["snapshot"])
    capsys.readouterr()
    code = main(["export", STORE, str(pipeline["plan"]), "--decisions", str(pipeline["decisions"]),
                 "--out", str(pipeline["snapshot"])])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("workbench: error: ") and "already exists; pass --force" in err
    assert verify_snapshot(pipeline["snapshot"]) == before


def test_export_with_force_replaces_the_snapshot(pipeline, tmp_path):
    out = tmp_path / "snap"
    args = ["export", STORE, str(pipeline["plan"]), "--decisions", str(pipeline["decisions"]), "--out", str(out)]
    assert main(args) == 0
    assert main([*args, "--force"]) == 0
    assert verify_snapshot(out).ok


def test_export_as_zip_verifies_like_a_folder(pipeline, tmp_path):
    out = tmp_path / "snapshot.zip"
    assert main(["export", STORE, str(pipeline["plan"]), "--decisions", str(pipeline["decisions"]),
                 "--out", str(out), "--format", "zip"]) == 0
    assert verify_snapshot(out).ok


def test_review_resumes_from_earlier_decisions_without_overriding_them(pipeline, tmp_path):
    plan = read_plan(pipeline["plan"])
    earlier = Review(plan)
    rejected = max(plan.operations, key=lambda op: op.confidence).id
    earlier.reject(rejected, who="dana").save(tmp_path / "earlier.json")
    assert main(["review", str(pipeline["plan"]), "--decisions", str(tmp_path / "earlier.json"), "--auto",
                 "--min-confidence", "0.8", "--out", str(tmp_path / "resumed.json")]) == 0
    resumed = Review.load(plan, tmp_path / "resumed.json")
    assert resumed.current[rejected].verdict == "reject" and resumed.current[rejected].who == "dana"
    assert len(resumed.current) == 1 + sum(1 for op in plan.operations if op.confidence >= 0.8 and op.id != rejected)


def test_review_without_a_mode_exits_2_with_one_line(pipeline, tmp_path, capsys):
    assert main(["review", str(pipeline["plan"]), "--out", str(tmp_path / "d.json")]) == 2
    err = capsys.readouterr().err
    assert err == "workbench: error: choose --auto [--min-confidence X] [--kinds ...], --approve-all or --answer Q=CHOICE\n"
    assert not (tmp_path / "d.json").exists()


def test_decisions_for_another_plan_are_refused_with_one_line(pipeline, tmp_path, capsys):
    plan = read_plan(pipeline["plan"])
    plan.operations = plan.operations[1:]  # another plan for the same store: one operation fewer
    other = tmp_path / "other.json"
    other.write_text(plan.to_json(), encoding="utf-8")
    assert main(["export", STORE, str(other), "--decisions", str(pipeline["decisions"]),
                 "--out", str(tmp_path / "snap")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "decisions were made on a different plan" in err
    assert not (tmp_path / "snap").exists()
