"""Tampering is caught: `verify` recomputes digests and checks the HMAC signature; `verify --replay`
rebuilds the snapshot from the input store, the plan and the decisions and compares byte for byte."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from pathlib import Path

import pytest
from reliability import assert_one_line_error, cli, write_inputs

from workbench.cli import main
from workbench.dream.plan import Plan
from workbench.export import export_snapshot
from workbench.io import load_store
from workbench.review import Review
from workbench.snapshot import SIGNING_KEY
from workbench.verify import replay, verify_snapshot

KEY = "test-signing-key-" + "0123456789"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Inputs where one of two deletions is approved and the other rejected."""
    paths = write_inputs(tmp_path_factory.mktemp("inputs"))
    plan = Plan.from_json(paths["plan"].read_text(encoding="utf-8"))
    Review(plan).approve(plan.operations[0].id, who="dana").reject(plan.operations[1].id, who="dana") \
        .save(paths["decisions"])
    return paths


def export(inputs, out: Path, **options):
    plan = Plan.from_json(inputs["plan"].read_text(encoding="utf-8"))
    return export_snapshot(load_store(inputs["store"]), plan, Review.load(plan, inputs["decisions"]), out,
                           allow_large_change=True, **options)


def replay_args(inputs, snap: Path, *more: str) -> list[str]:
    return ["verify", str(snap), "--replay", "--store", str(inputs["store"]), *more]


def rewrite_manifest(snap: Path, change) -> None:
    manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (snap / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_fresh_snapshot_replays_byte_for_byte(inputs, tmp_path, capsys):
    snap = export(inputs, tmp_path / "snap").path
    assert main(replay_args(inputs, snap, "--plan", str(inputs["plan"]), "--decisions", str(inputs["decisions"]))) == 0
    assert "replay: same plan, same snapshot" in capsys.readouterr().out


def test_a_memory_edited_together_with_its_manifest_hash_passes_verify_but_not_replay(inputs, tmp_path, capsys):
    snap = export(inputs, tmp_path / "snap").path
    file = snap / "memories" / "team" / "people.md"
    file.write_text(file.read_text(encoding="utf-8") + "- Luis is leaving in June.\n", encoding="utf-8")
    rewrite_manifest(snap, lambda m: m["output"]["files"].__setitem__("/team/people.md", sha(file.read_bytes())))
    assert verify_snapshot(snap).ok  # the digests agree with each other ...
    assert main(replay_args(inputs, snap)) == 1  # ... but not with what the inputs produce
    out = capsys.readouterr().out
    assert "replay: DIFFERENT" in out and "differs from the replay: memories/team/people.md" in out


def test_a_decision_edited_in_the_manifest_is_caught(inputs, tmp_path, capsys):
    snap = export(inputs, tmp_path / "snap").path
    rewrite_manifest(snap, lambda m: m["operations"][1]["decision"].__setitem__("verdict", "approve"))
    assert main(replay_args(inputs, snap)) == 1  # the manifest's decisions no longer give its files
    assert main(replay_args(inputs, snap, "--plan", str(inputs["plan"]), "--decisions", str(inputs["decisions"]))) == 1
    assert "the manifest says approve, the decisions say reject" in capsys.readouterr().out


def test_an_edited_decisions_file_is_caught(inputs, tmp_path, capsys):
    snap = export(inputs, tmp_path / "snap").path
    plan = Plan.from_json(inputs["plan"].read_text(encoding="utf-8"))
    edited = tmp_path / "decisions.json"
    Review.load(plan, inputs["decisions"]).approve(plan.operations[1].id, who="mallory").save(edited)
    assert main(replay_args(inputs, snap, "--plan", str(inputs["plan"]), "--decisions", str(edited))) == 1
    assert "the manifest says reject, the decisions say approve" in capsys.readouterr().out


def test_a_rationale_edited_in_the_manifest_is_caught(inputs, tmp_path, capsys):
    snap = export(inputs, tmp_path / "snap").path
    rewrite_manifest(snap, lambda m: m["operations"][0].__setitem__("rationale", "Approved by the security team."))
    assert main(replay_args(inputs, snap)) == 1
    assert "do not match its plan digest" in capsys.readouterr().out


def test_a_rationale_edited_in_plan_json_is_caught(inputs, tmp_path, capsys):
    snap = export(inputs, tmp_path / "snap").path
    data = json.loads(inputs["plan"].read_text(encoding="utf-8"))
    data["operations"][0]["rationale"] = "Nothing to see."
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data), encoding="utf-8")
    assert main(replay_args(inputs, snap, "--plan", str(plan))) == 1
    assert "the plan given is not the snapshot's plan" in capsys.readouterr().out


def test_replay_against_another_store_is_not_the_same(inputs, tmp_path):
    snap = export(inputs, tmp_path / "snap").path
    other = load_store(inputs["store"])
    from workbench.records import Store

    result = replay(snap, Store(other.memories[:2], name="other"))
    assert not result.ok and "not the snapshot's input store" in result.detail


# --- signing ----------------------------------------------------------------------------------


def test_a_signed_manifest_verifies_with_the_key_and_fails_with_another(inputs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(SIGNING_KEY, KEY)
    snap = export(inputs, tmp_path / "snap").path
    manifest = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["signature"]["algorithm"] == "hmac-sha256"
    assert main(["verify", str(snap)]) == 0 and "signature valid" in capsys.readouterr().out
    monkeypatch.setenv(SIGNING_KEY, "another key")
    assert verify_snapshot(snap).signature == "invalid" and not verify_snapshot(snap).ok
    monkeypatch.delenv(SIGNING_KEY)
    assert verify_snapshot(snap).signature == "unchecked" and verify_snapshot(snap).ok


def test_a_signed_snapshot_edited_consistently_fails_the_signature(inputs, tmp_path, monkeypatch):
    monkeypatch.setenv(SIGNING_KEY, KEY)
    snap = export(inputs, tmp_path / "snap").path
    file = snap / "memories" / "team" / "people.md"
    file.write_text("- Nobody works here.\n", encoding="utf-8")
    rewrite_manifest(snap, lambda m: m["output"]["files"].__setitem__("/team/people.md", sha(file.read_bytes())))
    result = verify_snapshot(snap)
    assert not result.ok and result.signature == "invalid"
    assert result.problems == ["manifest.json: signature does not match (changed since it was signed, or signed "
                               "with another key)"]


def test_with_a_key_set_an_unsigned_manifest_is_not_intact(inputs, tmp_path, monkeypatch):
    snap = export(inputs, tmp_path / "snap").path
    monkeypatch.setenv(SIGNING_KEY, KEY)
    assert verify_snapshot(snap).problems == [f"manifest.json is not signed, but {SIGNING_KEY} is set"]


def test_signing_through_the_real_cli(inputs, tmp_path):
    out = tmp_path / "snap"
    env = {SIGNING_KEY: KEY}
    assert cli("export", inputs["store"], inputs["plan"], "--decisions", inputs["decisions"], "--out", out,
               "--allow-large-change", env=env).returncode == 0
    proc = cli("verify", out, env=env)
    assert proc.returncode == 0 and "signature valid" in proc.stdout
    proc = cli("verify", out, env={SIGNING_KEY: "wrong"})
    assert proc.returncode == 1 and "signature INVALID" in proc.stdout


# --- zip, json and mem0 snapshots -------------------------------------------------------------


def test_a_zip_with_two_entries_of_one_name_is_refused(inputs, tmp_path):
    archive = export(inputs, tmp_path / "snap.zip", format="zip").path
    with zipfile.ZipFile(archive, "a") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, which is the point
        z.writestr("memories/team/people.md", "- Someone else wrote this.\n")
    assert_one_line_error(cli("verify", archive), "holds 1 name(s) twice", "memories/team/people.md")


@pytest.mark.parametrize("format", ["json", "mem0"])
def test_json_and_mem0_snapshots_verify_and_catch_tampering(inputs, tmp_path, format, capsys):
    snap = export(inputs, tmp_path / f"snap.{format}", format=format).path
    assert verify_snapshot(snap).ok
    assert main(replay_args(inputs, snap)) == 0
    text = snap.read_text(encoding="utf-8").replace("Dana leads", "Mallory leads")
    snap.write_text(text, encoding="utf-8")
    assert verify_snapshot(snap).problems[0] == f"changed: {snap.name}"
    beside = snap.with_name(snap.name + ".manifest.json")
    manifest = json.loads(beside.read_text(encoding="utf-8"))
    manifest["output"]["sha256"] = sha(snap.read_bytes())  # the file's digest fixed too ...
    beside.write_text(json.dumps(manifest), encoding="utf-8")
    capsys.readouterr()
    assert main(replay_args(inputs, snap)) == 1  # ... replay still sees it
    assert "differs from the replayed store" in capsys.readouterr().out


def test_a_zip_snapshot_replays(inputs, tmp_path):
    archive = export(inputs, tmp_path / "snap.zip", format="zip").path
    assert replay(archive, load_store(inputs["store"])).ok
