"""The documented snapshot format: JSON Schemas in docs/ that are current and that real snapshots meet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from io_plans import create, delete, export_all

from workbench.io import load_store
from workbench.io.json_schema import json_schemas
from workbench.snapshot import FORMAT_VERSION

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schemas"
STORES = Path(__file__).parent / "data" / "stores"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.v{FORMAT_VERSION}.schema.json").read_text(encoding="utf-8"))


def test_the_schemas_in_docs_are_the_ones_the_models_generate():
    generated = json_schemas()
    assert sorted(p.name for p in SCHEMAS.iterdir()) == sorted(generated), (
        "docs/schemas/ holds a schema no model generates, or lacks one: run python -m workbench.io.json_schema "
        "docs/schemas (and remove the stale file)")
    for name, body in generated.items():
        assert json.loads((SCHEMAS / name).read_text(encoding="utf-8")) == body, (
            f"docs/schemas/{name} is stale: run python -m workbench.io.json_schema docs/schemas")


def test_the_schemas_are_valid_json_schema_and_carry_the_format_version():
    for name in ("manifest", "memory", "plan", "decisions"):
        body = schema(name)
        jsonschema.Draft202012Validator.check_schema(body)
        assert body["$id"] == f"urn:dream-workbench:{name}:v{FORMAT_VERSION}"
    assert schema("manifest")["properties"]["format_version"]["const"] == FORMAT_VERSION


@pytest.mark.parametrize("format", ["dir", "json", "letta-af"])
def test_real_manifests_validate_and_a_broken_one_does_not(tmp_path, format):
    source = Path(__file__).parent / "data" / ("letta/companion_current.af" if format == "letta-af"
                                               else "stores/managed_agents_store.json")
    store = load_store(source)
    operations = [delete(store, "Prefers short answers.") if format == "letta-af" else delete(store, "Prefer `pathlib"),
                  create("/insights/statements.md", "Runs trails on weekends.")]
    _, snapshot = export_all(store, operations, tmp_path / ("snap" if format == "dir" else f"snap.{format}"), format)
    manifest = snapshot.path / "manifest.json" if format == "dir" else Path(f"{snapshot.path}.manifest.json")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema("manifest"))
    assert list(validator.iter_errors(data)) == []
    data["output"]["files"]["/x.md"] = "not a digest"
    assert [e.message for e in validator.iter_errors(data)] == ["'not a digest' does not match '^[0-9a-f]{64}$'"]


def test_memory_records_of_stores_and_json_snapshots_validate(tmp_path):
    validator = jsonschema.Draft202012Validator(schema("memory"))
    store_json = json.loads((STORES / "managed_agents_store.json").read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in (STORES / "memories.jsonl").read_text(encoding="utf-8").splitlines() if line]
    records = store_json["memories"] + lines + [m.to_dict() for m in load_store(STORES / "memory_dir").memories]
    assert records and all(not list(validator.iter_errors(r)) for r in records)
    assert [e.message for e in validator.iter_errors({"path": "/a.md"})] == ["'content' is a required property"]


def test_real_plans_and_decisions_validate_and_a_broken_one_does_not(tmp_path):
    from workbench.cli import main
    from workbench.dream import dream
    from workbench.focus import Focus
    from workbench.io import load_corpus

    sample = ROOT / "sample-data" / "coding-assistant"
    plan = dream(load_corpus(sample / "store.json", sample / "sessions"),
                 Focus("Prioritize coding preferences.", weights={"lunch": 0.5}))
    (tmp_path / "plan.json").write_text(plan.to_json(timings=True), encoding="utf-8")
    assert main(["review", str(tmp_path / "plan.json"), "--auto", "--min-confidence", "0.5",
                 "--out", str(tmp_path / "decisions.json")]) == 0
    for name in ("plan", "decisions"):
        data = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema(name))
        assert list(validator.iter_errors(data)) == [], name
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    data["focus"]["horizon"] = 90
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema("plan")).iter_errors(data))
    assert error.message == "Additional properties are not allowed ('horizon' was unexpected)"
