"""Export: the approved store as an auditable, reproducible snapshot, written atomically and safely.

A snapshot folder is `manifest.json` + `CHANGES.md` + `memories/` (the memory files at their paths
and the sidecar that keeps ids and times), so `load_store(snapshot / "memories")` gives back the
exported store exactly.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import pytest

from workbench.dream.offline import dream_offline
from workbench.dream.plan import Operation, Plan, Result, Target, apply_operations
from workbench.errors import ExportError, UnknownNameError
from workbench.evaluate import Evaluator
from workbench.export import export_snapshot
from workbench.focus import Focus
from workbench.io import get_writer, load_store
from workbench.io.store_files import safe_relative, write_tree
from workbench.probes import generate_probes, session_probes
from workbench.records import Memory, Store
from workbench.review import Guardrail, Review, apply, plan_digest
from workbench.secrets import find_secrets
from workbench.snapshot import MANIFEST, changes_markdown
from workbench.verify import replay_snapshot, verify_snapshot

T = datetime(2025, 5, 1, 9, 0, tzinfo=timezone.utc)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.getbasetemp() / "sample-cache")


@pytest.fixture(scope="module")
def sample(sample_analysis):
    """(corpus, analysis, plan, review) for sample-data/coding-assistant; the review is auto at 0.8
    plus one rejection and one edit, so the manifest shows every kind of decision."""
    corpus, analysis = sample_analysis.corpus, sample_analysis
    plan = dream_offline(corpus, Focus(forget=["/misc/"]), analysis=analysis)  # off-focus deletes too
    create = next(op for op in plan.operations if op.kind == "create")
    merge = next(op for op in plan.operations if op.kind == "merge")
    review = Review(plan).reject(merge.id, who="dana").edit(create.id, create.result.text + " (confirmed)", who="dana")
    review.auto(min_confidence=0.8)
    return corpus, analysis, plan, review


@pytest.fixture
def snapshot(sample, tmp_path):
    corpus, _, plan, review = sample
    return export_snapshot(corpus.store, plan, review, tmp_path / "snapshot")


def memory(path: str, content: str) -> Memory:
    return Memory(id="mem_" + path.strip("/").replace("/", "_").replace(".", "_"), path=path, content=content,
                  created_at=T, updated_at=T)


def hand_plan(store: Store, operations: list[Operation]) -> Plan:
    return Plan(engine="hand", engine_version="0", focus=Focus(),
                inputs={"store_digest": store.digest, "notes": len(store.notes), "memories": len(store.memories),
                        "sessions": [], "as_of": "2025-06-01T00:00:00Z"},
                operations=list(operations), output_store=apply_operations(store, operations), input_store=store)


@pytest.fixture
def small_store() -> Store:
    """Ten one-line notes in two documents."""
    return Store((memory("/a.md", "".join(f"- Fact number {i} about alpha.\n" for i in range(5))),
                  memory("/b.md", "".join(f"- Fact number {i} about beta.\n" for i in range(5)))), name="small")


def deleting(store: Store, count: int) -> Plan:
    targets = [Target(n.id, n.path, n.text) for n in store.notes[:count]]
    return hand_plan(store, [Operation("delete", "low_value", (t,), None, "Low value.", confidence=0.9) for t in targets])


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# --- what a snapshot holds ----------------------------------------------------------------------


def test_a_snapshot_folder_holds_the_manifest_the_changelog_and_the_memory_files_at_their_paths(sample, snapshot):
    corpus, _, plan, review = sample
    after = apply(corpus.store, plan, review)
    assert files_under(snapshot.path) == {"manifest.json", "CHANGES.md", "memories/.workbench-store.json"} | {
        "memories" + m.path for m in after.memories}
    for m in after.memories:
        assert (snapshot.path / "memories" / m.path.lstrip("/")).read_bytes() == m.content.encode("utf-8")


def test_the_manifest_records_inputs_focus_engine_embedder_and_usage(sample, snapshot):
    corpus, _, plan, review = sample
    manifest = json.loads((snapshot.path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest == snapshot.manifest
    assert manifest["format_version"] == 1
    assert datetime.fromisoformat(manifest["created_at"].replace("Z", "+00:00")).tzinfo is not None
    assert manifest["input"]["store_digest"] == corpus.store.digest
    assert manifest["input"]["sessions"] == [s.id for s in corpus.sessions]
    assert manifest["focus"] == plan.focus.to_dict()
    assert manifest["engine"] == {"name": "offline", "version": plan.engine_version, "model": None}
    assert manifest["embedder"] == plan.inputs["embedder"] and manifest["embedder"].startswith("tfidf")
    assert manifest["plan"]["digest"] == plan_digest(plan)
    assert manifest["usage"] == plan.usage
    assert manifest["review"]["operations"] == len(plan.operations)


def test_the_manifest_holds_the_sha256_of_every_output_memory(sample, snapshot):
    corpus, _, plan, review = sample
    after = apply(corpus.store, plan, review)
    assert snapshot.manifest["output"]["files"] == {m.path: m.sha256 for m in after.memories}
    assert snapshot.manifest["output"]["store_digest"] == after.digest


def test_every_operation_appears_in_the_manifest_with_its_decision(sample, snapshot):
    _, _, plan, review = sample
    entries = {op["id"]: op for op in snapshot.manifest["operations"]}
    assert list(entries) == [op.id for op in plan.operations]
    for op_id, entry in entries.items():
        decision = review.current.get(op_id)
        assert entry["decision"]["verdict"] == (decision.verdict if decision else "pending")
    edited = next(d for d in review.current.values() if d.verdict == "edit")
    assert entries[edited.operation]["decision"]["content"] == edited.content
    assert entries[edited.operation]["decision"]["who"] == "dana"


def test_changes_md_groups_operations_by_reason_with_evidence_quotes(sample, snapshot):
    _, _, plan, review = sample
    changes = (snapshot.path / "CHANGES.md").read_text(encoding="utf-8")
    assert changes == changes_markdown(plan, review)
    headings = [line for line in changes.splitlines() if line.startswith("## ")]
    reasons = sorted({op.reason for op in plan.operations})
    assert len(reasons) >= 4
    assert headings == [f"## {r.replace('_', ' ').capitalize()} ({sum(op.reason == r for op in plan.operations)})"
                        for r in reasons]
    quoted = next(op for op in plan.operations if op.evidence and op.evidence[0].session_id)
    assert f"(session {quoted.evidence[0].session_id}, turn {quoted.evidence[0].turn_id}): “{quoted.evidence[0].quote}”" in changes
    assert "[reject, confidence" in changes and "[pending, confidence" in changes and "(confirmed)" in changes


def test_reimporting_a_snapshot_folder_gives_the_store_that_apply_produced(sample, snapshot):
    corpus, _, plan, review = sample
    assert load_store(snapshot.path / "memories") == apply(corpus.store, plan, review)


def test_a_memory_may_be_called_manifest_json_because_memories_live_in_their_own_folder(tmp_path):
    store = Store((memory("/manifest.json", "- A memory that happens to share the name.\n"),
                   memory("/CHANGES.md", "- Release notes go here.\n")), name="names")
    snapshot = export_snapshot(store, hand_plan(store, []), Review(hand_plan(store, [])), tmp_path / "snap")
    assert load_store(snapshot.path / "memories") == store
    assert verify_snapshot(snapshot.path).ok


def test_a_json_snapshot_loads_back_as_the_same_store_with_its_manifest_beside_it(sample, tmp_path):
    corpus, _, plan, review = sample
    snapshot = export_snapshot(corpus.store, plan, review, tmp_path / "snapshot.json", format="json")
    assert load_store(snapshot.path) == apply(corpus.store, plan, review)
    beside = json.loads((tmp_path / "snapshot.json.manifest.json").read_text(encoding="utf-8"))
    assert beside["output"] == snapshot.manifest["output"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot.json", "snapshot.json.manifest.json"]


def test_a_mem0_snapshot_holds_one_entry_per_note(sample, tmp_path):
    corpus, _, plan, review = sample
    after = apply(corpus.store, plan, review)
    snapshot = export_snapshot(corpus.store, plan, review, tmp_path / "mem0.json", format="mem0")
    entries = json.loads(snapshot.path.read_text(encoding="utf-8"))["results"]
    assert [e["memory"] for e in entries] == [n.text for n in after.notes]
    assert len({e["id"] for e in entries}) == len(entries)
    reloaded = load_store(snapshot.path, "mem0")
    assert sorted(m.content.rstrip("\n") for m in reloaded.memories) == sorted(n.text for n in after.notes)


def test_a_zip_snapshot_holds_the_same_files_and_verifies(sample, snapshot, tmp_path):
    corpus, _, plan, review = sample
    archive = export_snapshot(corpus.store, plan, review, tmp_path / "snapshot.zip", format="zip")
    with zipfile.ZipFile(archive.path) as z:
        assert set(z.namelist()) == files_under(snapshot.path)
    assert verify_snapshot(archive.path).ok


def test_an_unknown_format_is_refused(small_store, tmp_path):
    plan = hand_plan(small_store, [])
    with pytest.raises(UnknownNameError, match="unknown output format 'tar'; known formats: dir, json, letta-af, mem0, zip"):
        export_snapshot(small_store, plan, Review(plan), tmp_path / "snap", format="tar")


# --- guardrails ---------------------------------------------------------------------------------


def test_export_refuses_a_change_that_deletes_more_than_40_percent_and_names_the_share(small_store, tmp_path):
    plan = deleting(small_store, 5)
    with pytest.raises(ExportError, match=r"deletes 50% of notes \(cap 40%\) \(5 deleted, 0 rewritten of 10\)"):
        export_snapshot(small_store, plan, Review(plan).approve_all(), tmp_path / "snap")
    assert list(tmp_path.iterdir()) == []


def test_allow_large_change_exports_the_same_change(small_store, tmp_path):
    plan = deleting(small_store, 5)
    snapshot = export_snapshot(small_store, plan, Review(plan).approve_all(), tmp_path / "snap", allow_large_change=True)
    assert snapshot.manifest["change"]["deleted_share"] == 0.5
    assert files_under(snapshot.path / "memories") == {".workbench-store.json", "b.md"}


def test_the_guardrail_counts_only_approved_operations(small_store, tmp_path):
    plan = deleting(small_store, 5)
    review = Review(plan).approve(*[op.id for op in plan.operations[:4]])
    assert export_snapshot(small_store, plan, review, tmp_path / "snap").manifest["change"]["deleted"] == 4


def test_a_custom_guardrail_caps_deleted_and_rewritten_shares(small_store, tmp_path):
    plan = deleting(small_store, 2)
    with pytest.raises(ExportError, match=r"deletes 20% of notes \(cap 10%\)"):
        export_snapshot(small_store, plan, Review(plan).approve_all(), tmp_path / "a",
                        guardrail=Guardrail(max_deleted=0.1))
    strict = Review(plan, guardrail=Guardrail(max_deleted=0.1)).approve_all()
    with pytest.raises(ExportError, match="cap 10%"):
        export_snapshot(small_store, plan, strict, tmp_path / "b")
    first = small_store.notes[0]
    rewrite = Operation("update", "conflict", (Target(first.id, first.path, first.text),),
                        Result(first.path, "Fact number 0 about alpha, revised.", note_id=first.id), "Newer value.")
    rewriting = hand_plan(small_store, [rewrite])
    with pytest.raises(ExportError, match=r"rewrites 10% of notes \(cap 5%\)"):
        export_snapshot(small_store, rewriting, Review(rewriting).approve_all(), tmp_path / "c",
                        guardrail=Guardrail(max_rewritten=0.05))


# --- atomic, never overwriting without force ----------------------------------------------------


def test_an_existing_target_is_never_overwritten_without_force(sample, snapshot):
    corpus, _, plan, review = sample
    before = {p: (snapshot.path / p).read_bytes() for p in files_under(snapshot.path)}
    with pytest.raises(ExportError, match="already exists; pass --force"):
        export_snapshot(corpus.store, plan, Review(plan).approve_all(), snapshot.path)
    assert {p: (snapshot.path / p).read_bytes() for p in files_under(snapshot.path)} == before


def test_force_replaces_an_existing_snapshot_and_leaves_no_backup(sample, snapshot):
    corpus, _, plan, _ = sample
    again = export_snapshot(corpus.store, plan, Review(plan).approve_all(), snapshot.path, force=True)
    assert verify_snapshot(again.path).ok
    assert again.manifest["review"]["approve"] == len(plan.operations)
    assert sorted(p.name for p in snapshot.path.parent.iterdir()) == ["snapshot"]


def fail_halfway(monkeypatch):
    """Make the dir writer write half of the snapshot's files, then fail as a full disk would."""
    writer = get_writer("dir")
    real = writer.write

    def half(rendered, path):
        names = list(rendered)
        real({name: rendered[name] for name in names[: len(names) // 2]}, path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write", half)


def test_a_failure_mid_export_leaves_no_partial_folder(sample, tmp_path, monkeypatch):
    corpus, _, plan, review = sample
    fail_halfway(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        export_snapshot(corpus.store, plan, review, tmp_path / "snapshot")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_mid_export_leaves_an_existing_snapshot_intact(sample, snapshot, monkeypatch):
    corpus, _, plan, _ = sample
    fail_halfway(monkeypatch)
    with pytest.raises(OSError):
        export_snapshot(corpus.store, plan, Review(plan).approve_all(), snapshot.path, force=True)
    assert verify_snapshot(snapshot.path).ok
    assert sorted(p.name for p in snapshot.path.parent.iterdir()) == ["snapshot"]


def test_a_memory_path_refused_halfway_through_leaves_nothing_behind(tmp_path):
    store = Store((memory("/a.md", "- Fine.\n"), memory("/C:/Windows/evil.md", "- Looks like a drive letter.\n"),
                   memory("/z.md", "- Also fine.\n")), name="mixed")
    plan = hand_plan(store, [])
    with pytest.raises(ExportError, match="looks like a Windows path"):
        export_snapshot(store, plan, Review(plan), tmp_path / "snap")
    assert list(tmp_path.iterdir()) == []


# --- paths --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, message", [
    ("/../etc/passwd", "escapes the snapshot"),
    ("/notes/../../etc/passwd", "escapes the snapshot"),
    ("//etc/passwd", "escapes the snapshot"),
    ("/notes/./style.md", "escapes the snapshot"),
    ("/notes//style.md", "escapes the snapshot"),
    ("/notes/", "escapes the snapshot"),
    ("/", "escapes the snapshot"),
    ("../etc/passwd", "must start with '/'"),
    ("notes/style.md", "must start with '/'"),
    ("/notes/style\x00.md", "NUL byte"),
    ("C:\\Windows\\system32", "Windows path"),
    ("/C:/Windows/evil.md", "Windows path"),
    ("C:/Windows/evil.md", "Windows path"),
    ("/notes\\..\\..\\evil.md", "Windows path"),
    ("/.workbench-store.json", "collides with the snapshot's own files"),
])
def test_safe_relative_refuses_every_path_attack(path, message):
    with pytest.raises(ExportError, match=message):
        safe_relative(path)


def test_safe_relative_maps_an_ordinary_memory_path_to_a_relative_file():
    assert safe_relative("/projects/payments/deploy.md") == PurePosixPath("projects/payments/deploy.md")
    assert safe_relative("/manifest.json") == PurePosixPath("manifest.json")


def test_writing_through_a_symbolic_link_in_the_target_tree_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = Store((memory("/notes/a.md", "- Fact.\n"),))
    root = tmp_path / "root"
    (root / "memories").mkdir(parents=True)
    (root / "memories" / "notes").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ExportError, match="refusing to write through a symbolic link"):
        write_tree({f"memories/{name}": text for name, text in get_writer("dir").render(store).files.items()}, root)
    assert list(outside.iterdir()) == []


def test_a_symbolic_link_left_in_an_existing_target_folder_is_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = Store((memory("/notes/a.md", "- Fact.\n"),))
    target = tmp_path / "snap"
    export_snapshot(store, hand_plan(store, []), Review(hand_plan(store, [])), target)  # an earlier snapshot
    (target / "memories" / "notes" / "a.md").unlink()
    (target / "memories" / "notes").rmdir()
    (target / "memories" / "notes").symlink_to(outside, target_is_directory=True)
    snapshot = export_snapshot(store, hand_plan(store, []), Review(hand_plan(store, [])), target, force=True)
    assert list(outside.iterdir()) == []
    assert not (snapshot.path / "memories" / "notes").is_symlink()
    assert verify_snapshot(snapshot.path).ok


def test_a_target_that_is_itself_a_symbolic_link_is_refused(small_store, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "snap").symlink_to(elsewhere, target_is_directory=True)
    plan = hand_plan(small_store, [])
    with pytest.raises(ExportError, match="is a symbolic link"):
        export_snapshot(small_store, plan, Review(plan), tmp_path / "snap", force=True)
    assert list(elsewhere.iterdir()) == []


# --- secrets ------------------------------------------------------------------------------------

ANTHROPIC = "sk-" + "ant-api03-" + "Zq7" * 10  # built in pieces so no key-shaped literal sits in the repo
OPENAI = "sk-proj-" + "Ab9" * 9
AWS = "AKIA" + "QX7Z" * 4
PASSWORD = "hunter2" + "Qx"


@pytest.mark.parametrize("line, kind", [
    (f"ANTHROPIC_API_KEY={ANTHROPIC}", "anthropic_api_key"),
    (f"The OpenAI key is {OPENAI}", "openai_api_key"),
    (f"aws_access_key_id {AWS}", "aws_access_key"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private_key"),
    (f"staging db password = {PASSWORD}", "password"),
])
def test_find_secrets_names_the_kind_of_each_secret_once(line, kind):
    store = Store((memory("/ops/keys.md", f"# Keys\n\n{line}\n"),))
    assert find_secrets(store) == [{"path": "/ops/keys.md", "line": 3, "kind": kind}]


@pytest.mark.parametrize("line", [
    "Passwords must be at least 12 characters.",
    "Ask Luis for the token; never paste it here.",
    "The skeleton key pattern is documented in ADR-7.",
])
def test_find_secrets_leaves_ordinary_text_alone(line):
    assert find_secrets(Store((memory("/ops/notes.md", f"- {line}\n"),))) == []


def test_secrets_in_an_exported_memory_are_flagged_by_path_line_and_kind_never_by_value(tmp_path):
    store = Store((memory("/ops/keys.md", f"- Deploy key: {ANTHROPIC}\n- AWS: {AWS}\n- password: {PASSWORD}\n"),
                   memory("/ops/clean.md", "- Nothing secret here.\n")), name="ops")
    plan = hand_plan(store, [])
    snapshot = export_snapshot(store, plan, Review(plan), tmp_path / "snap")
    flagged = [{"path": "/ops/keys.md", "line": 1, "kind": "anthropic_api_key"},
               {"path": "/ops/keys.md", "line": 2, "kind": "aws_access_key"},
               {"path": "/ops/keys.md", "line": 3, "kind": "password"}]
    assert snapshot.manifest["secrets"] == snapshot.secrets == flagged
    assert snapshot.warnings == ["possible secret (anthropic_api_key) in /ops/keys.md line 1",
                                 "possible secret (aws_access_key) in /ops/keys.md line 2",
                                 "possible secret (password) in /ops/keys.md line 3"]
    written = (snapshot.path / MANIFEST).read_text(encoding="utf-8") + "\n".join(snapshot.warnings)
    assert not any(value in written for value in (ANTHROPIC, AWS, PASSWORD))


# --- verify and replay --------------------------------------------------------------------------


def test_a_fresh_snapshot_is_intact(sample, snapshot):
    corpus, _, plan, review = sample
    result = verify_snapshot(snapshot.path)
    assert (result.ok, result.problems, result.files) == (True, [], len(apply(corpus.store, plan, review).memories))


def first_memory(snapshot) -> tuple[str, Path]:
    path = sorted(snapshot.manifest["output"]["files"])[0]
    return path, snapshot.path / "memories" / path.lstrip("/")


def test_verify_catches_a_tampered_memory_file(snapshot):
    path, file = first_memory(snapshot)
    file.write_text(file.read_text(encoding="utf-8") + "- Sneaked in.\n", encoding="utf-8")
    assert verify_snapshot(snapshot.path).problems == [f"changed: {path}"]


def test_verify_catches_a_memory_file_that_is_no_longer_utf8(snapshot):
    path, file = first_memory(snapshot)
    file.write_bytes(b"\xff\xfe not text")
    assert verify_snapshot(snapshot.path).problems == [f"changed: {path}"]


def test_verify_catches_a_deleted_memory_file(snapshot):
    path, file = first_memory(snapshot)
    file.unlink()
    assert verify_snapshot(snapshot.path).problems == [f"missing: {path}"]


def test_verify_catches_an_added_file(snapshot):
    (snapshot.path / "memories" / "extra.md").write_text("- Not from the dream.\n", encoding="utf-8")
    (snapshot.path / "notes.txt").write_text("scratch\n", encoding="utf-8")
    assert verify_snapshot(snapshot.path).problems == ["unexpected file: memories/extra.md",
                                                       "unexpected file: notes.txt"]


def test_verify_catches_an_edited_changelog(snapshot):
    changes = snapshot.path / "CHANGES.md"
    changes.write_text(changes.read_text(encoding="utf-8").replace("reject", "approve"), encoding="utf-8")
    assert verify_snapshot(snapshot.path).problems == ["changed or missing: CHANGES.md"]


def test_verify_catches_an_edited_sidecar_that_would_change_ids_or_times(snapshot):
    sidecar = snapshot.path / "memories" / ".workbench-store.json"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("2026", "2027"), encoding="utf-8")
    assert verify_snapshot(snapshot.path).problems == ["changed or missing: memories/.workbench-store.json"]


def test_verify_refuses_a_folder_that_is_not_a_snapshot(tmp_path):
    with pytest.raises(ExportError, match="no manifest.json; not a snapshot folder"):
        verify_snapshot(tmp_path)
    with pytest.raises(ExportError, match="no such snapshot"):
        verify_snapshot(tmp_path / "missing")


def test_replaying_a_snapshot_reproduces_the_offline_plan(sample, snapshot, shared_cache, monkeypatch):
    corpus, _, plan, _ = sample
    monkeypatch.setenv("WORKBENCH_CACHE", shared_cache)
    same, detail = replay_snapshot(snapshot.path, corpus)
    assert (same, detail) == (True, f"plan digest {plan_digest(plan)[:12]}")


def test_replaying_a_zip_snapshot_reads_its_manifest_from_the_archive(sample, tmp_path, shared_cache, monkeypatch):
    corpus, _, plan, review = sample
    monkeypatch.setenv("WORKBENCH_CACHE", shared_cache)
    archive = export_snapshot(corpus.store, plan, review, tmp_path / "snapshot.zip", format="zip")
    assert replay_snapshot(archive.path, corpus)[0] is True


def test_replaying_against_another_store_says_the_digest_differs(sample, snapshot, small_store):
    from workbench.records import Corpus

    same, detail = replay_snapshot(snapshot.path, Corpus(small_store, sample[0].sessions))
    assert (same, detail) == (False, "the store given is not the snapshot's input store (digest differs)")


def test_the_manifest_carries_the_evaluation_and_each_regression_is_a_warning(sample, tmp_path):
    corpus, analysis, plan, review = sample
    report = Evaluator(analysis, session_probes(analysis) + generate_probes(corpus.store)).report(plan, review)
    assert report.regressions and report.warning  # the review loses some generated probes: the warning shows
    snapshot = export_snapshot(corpus.store, plan, review, tmp_path / "snap", report=report)
    evaluation = json.loads((tmp_path / "snap" / MANIFEST).read_text(encoding="utf-8"))["evaluation"]
    assert evaluation["regressions"] == [r.probe.id for r in report.regressions]
    assert evaluation["sources"] == {"generated": len(report.results) - evaluation["sources"]["session"],
                                     "session": len(session_probes(analysis))}
    assert report.warning in snapshot.warnings and "retention" not in snapshot.manifest


def test_an_evaluation_of_other_decisions_is_refused(sample, tmp_path):
    corpus, analysis, plan, review = sample
    every = Evaluator(analysis, session_probes(analysis)).report(plan)  # every operation, not the approved ones
    with pytest.raises(ExportError, match="made on other decisions"):
        export_snapshot(corpus.store, plan, review, tmp_path / "snap", report=every)
    assert not (tmp_path / "snap").exists()
