"""Verifying and replaying snapshots: is what is on disk what was exported, and what the inputs give?

`verify_snapshot` recomputes every digest of a snapshot (folder, zip, json or mem0 file) and checks
the manifest's HMAC signature when `$WORKBENCH_SIGNING_KEY` is set. `replay` rebuilds the snapshot
from the input store, the plan and the decisions and compares it byte for byte, so a memory edited
together with its hash in the manifest, an edited decision or an edited rationale is caught.
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import files
from .dream.plan import Operation, Plan, Question
from .errors import ExportError, ReaderError, WorkbenchError
from .files import read_bytes
from .io import get_writer, load_store, writers
from .io.claude_memory import reindex
from .io.parsing import located
from .io.store_files import SIDECAR, safe_relative
from .records import Store
from .review import Decision, Guardrail, Review, plan_digest
from .secrets import redact
from .snapshot import (
    CHANGES,
    MANIFEST,
    MEMORIES,
    SIGNING_KEY,
    changes_markdown,
    manifest_beside,
    manifest_mac,
    signing_key,
    snapshot_content,
)

__all__ = ["Replay", "Verification", "read_manifest", "replay", "replay_snapshot", "verify_snapshot"]


@dataclass
class Verification:
    """What `verify_snapshot` found: `ok`, the problems, files checked and the signature's state."""

    ok: bool
    problems: list[str]
    files: int
    signature: str = "unsigned"  # unsigned | valid | invalid | unchecked (signed, but no key set)


def verify_snapshot(path: str | Path) -> Verification:
    """Recompute every digest of a snapshot (folder, zip, json or mem0 file) and check its signature."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        raise ExportError(f"{files.quote(path)}: no such snapshot")
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory() as tmp:
            _extract(path, Path(tmp))
            return verify_snapshot(tmp)
    try:
        manifest = read_manifest(path)
    except ReaderError as exc:
        return Verification(False, [str(exc)], 0)
    problems, state = _check_signature(manifest)
    if path.is_dir():
        checked = _verify_folder(path, manifest, problems)
    else:
        checked = _verify_file(path, manifest, problems)
    return Verification(not problems, problems, checked, state)


def _check_signature(manifest: dict[str, Any]) -> tuple[list[str], str]:
    key, signature = signing_key(), manifest.get("signature")
    if signature is None:
        return ([f"{MANIFEST} is not signed, but {SIGNING_KEY} is set"] if key else []), "unsigned"
    if key is None:
        return [], "unchecked"
    if hmac.compare_digest(signature["value"], manifest_mac(manifest, key)):
        return [], "valid"
    return [f"{MANIFEST}: signature does not match (changed since it was signed, or signed with another key)"], \
        "invalid"


def _verify_folder(path: Path, manifest: dict[str, Any], problems: list[str]) -> int:
    folder = path / MEMORIES
    output = manifest["output"]
    wanted = output.get("files", {})
    redacted = manifest.get("redacted", False)
    on_disk = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()}
    by_key = {}
    for name in on_disk:
        if name.startswith(MEMORIES + "/") and name != f"{MEMORIES}/{SIDECAR}":
            memory_path = name[len(MEMORIES):]
            by_key[redact(memory_path) if redacted else memory_path] = name
    for key, digest in sorted(wanted.items()):
        name = by_key.get(key)
        file = path / name if name else None
        if file is None:
            problems.append(f"missing: {key}")
        elif file.is_symlink():
            problems.append(f"changed: {key} (now a symbolic link)")
        elif _file_sha256(file) != digest:
            problems.append(f"changed: {key}")
    sidecar = folder / SIDECAR
    if not sidecar.is_file() or _file_sha256(sidecar) != output.get("sidecar_sha256"):
        problems.append(f"changed or missing: {MEMORIES}/{SIDECAR}")
    known = {MANIFEST, CHANGES, f"{MEMORIES}/{SIDECAR}"} | {by_key[k] for k in wanted if k in by_key}
    problems += [f"unexpected file: {p}" for p in sorted(on_disk - known)]
    changes = path / CHANGES
    if not changes.is_file() or _file_sha256(changes) != manifest.get("changes_sha256"):
        problems.append(f"changed or missing: {CHANGES}")
    return len(wanted)


def _verify_file(path: Path, manifest: dict[str, Any], problems: list[str]) -> int:
    """A json, mem0 or letta-af snapshot: the file's digest, and for json and letta-af every memory's."""
    output = manifest["output"]
    data = read_bytes(path)
    if output.get("sha256") is None or hashlib.sha256(data).hexdigest() != output["sha256"]:
        problems.append(f"changed: {path.name}")
    writer = writers().get(output.get("format"))
    reader = writer.reader if writer is not None else None
    if reader is None:
        return 1
    try:
        store = load_store(path, reader)
    except ReaderError as exc:
        problems.append(f"{path.name} no longer loads: {exc.message}")
        return 0
    redacted = manifest.get("redacted", False)
    found = {(redact(m.path) if redacted else m.path): m.sha256 for m in store.memories}
    for key, digest in sorted(output.get("files", {}).items()):
        if key not in found:
            problems.append(f"missing: {key}")
        elif found[key] != digest:
            problems.append(f"changed: {key}")
    problems += [f"unexpected memory: {k}" for k in sorted(set(found) - set(output.get("files", {})))]
    return len(found)


def _extract(archive_path: Path, into: Path) -> None:
    """Unpack a zip snapshot; a name twice, or a name that could escape, is refused."""
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        twice = sorted(name for name, count in Counter(names).items() if count > 1)
        if twice:
            raise ExportError(f"{files.quote(archive_path)}: the zip holds {len(twice)} name(s) twice "
                              f"({files.quote(twice[0])!r}); refusing an ambiguous snapshot")
        for name in names:
            safe_relative("/" + name)
        archive.extractall(into)


def _file_sha256(file: Path) -> str:
    """SHA-256 of the bytes on disk (the same as `sha256(text)` for the UTF-8 text that was written)."""
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _manifest_bytes(path: Path) -> tuple[bytes, str]:
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if names.count(MANIFEST) > 1:
                raise ExportError(f"{files.quote(path)}: the zip holds {MANIFEST} twice; refusing an ambiguous snapshot")
            if MANIFEST not in names:
                raise ExportError(f"{files.quote(path)}: no {MANIFEST}; not a snapshot")
            return archive.read(MANIFEST), f"{path}!{MANIFEST}"
    if path.is_dir():
        if not (path / MANIFEST).is_file():
            raise ExportError(f"{files.quote(path)}: no {MANIFEST}; not a snapshot folder")
        return read_bytes(path / MANIFEST), str(path / MANIFEST)
    beside = manifest_beside(path)
    if not beside.is_file():
        raise ExportError(f"{files.quote(path)}: no {beside.name} beside it; not a snapshot")
    return read_bytes(beside), str(beside)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The validated manifest of a snapshot folder, zip, or json/mem0 file (one `ReaderError` if malformed)."""
    from .schema import ManifestModel, parse

    data, source = _manifest_bytes(Path(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ReaderError("not valid UTF-8", source=files.quote(source)) from None
    _, manifest = parse(ManifestModel, text, source, "manifest")
    return manifest


# --- replay -----------------------------------------------------------------------------------


@dataclass
class Replay:
    """What `replay` found: `ok`, the differences, and a one-line summary."""

    ok: bool
    problems: list[str]
    detail: str


def _manifest_plan(manifest: dict[str, Any], source: str) -> Plan:
    """The plan the manifest records (its operations, focus and inputs), to replay without plan.json."""
    from .schema import QuestionModel, validate, validate_focus

    operations = []
    for index, entry in enumerate(manifest.get("operations", [])):
        if entry.get("question"):
            continue  # an answered question's operation: the question is recorded below
        with located(source, None, f"operations[{index}]"):
            operations.append(Operation.from_dict({k: v for k, v in entry.items() if k != "decision"}, source=source))
    questions = [Question._from_model(validate(QuestionModel, q, source, f"questions[{index}]"))
                 for index, q in enumerate(manifest.get("questions", []))]
    inputs = {"store_digest": manifest["input"]["store_digest"], "as_of": manifest["plan"].get("as_of"),
              "notes": manifest["input"].get("notes", 0), "memories": manifest["input"].get("memories", 0),
              "sessions": manifest["input"].get("sessions", [])}
    return Plan(engine=manifest["engine"]["name"], engine_version=manifest["engine"].get("version", ""),
                focus=validate_focus(manifest.get("focus"), source), inputs=inputs, operations=operations,
                output_store=Store(()), model=manifest["engine"].get("model"), questions=questions,
                questions_found=int(manifest.get("questions_found", 0)))


def _manifest_review(plan: Plan, manifest: dict[str, Any]) -> Review:
    review = Review(plan, guardrail=Guardrail(1.0, 1.0))
    entries = manifest.get("operations", [])
    for op, entry in zip(plan.operations, [e for e in entries if not e.get("question")]):
        decision = entry["decision"]
        if decision["verdict"] != "pending":
            review.decisions.append(Decision(op.id, decision["verdict"], decision.get("content"),
                                             decision.get("who") or "reviewer", decision.get("at") or "x"))
    for entry in entries:
        if entry.get("question") and entry["decision"].get("answer"):
            decision = entry["decision"]
            review.decisions.append(Decision(entry["question"], "answer", decision["answer"],
                                             decision.get("who") or "reviewer", decision.get("at") or "x"))
    return review


def _decision_differences(manifest: dict[str, Any], review: Review) -> list[str]:
    current, answers = review.current, review.answers()
    out = []
    for entry in manifest.get("operations", []):
        recorded = entry["decision"]
        if entry.get("question"):
            chosen = answers.get(entry["question"])
            if chosen is None:
                out.append(f"question {entry['question']}: the manifest records an answer, the decisions none")
            continue
        given = current.get(entry["id"])
        verdict = given.verdict if given else "pending"
        content = given.content if given and given.verdict == "edit" else None
        content = redact(content) if content and manifest.get("redacted") else content
        if (recorded["verdict"], recorded.get("content")) != (verdict, content):
            out.append(f"decision on {entry['id']}: the manifest says {recorded['verdict']}, the decisions say {verdict}"
                       + (" (edited content differs)" if recorded["verdict"] == verdict else ""))
    return out


def _expected_files(store_out: Store, plan: Plan, review: Review, manifest: dict[str, Any],
                    store: Store | None = None) -> dict[str, bytes]:
    """The bytes a snapshot of `store_out` holds but its manifest, by relative name (dir and zip), or
    its one file (`store`: the input store, which a letta-af snapshot is written into)."""
    writer = get_writer(manifest["output"].get("format", "dir"))
    changes = changes_markdown(plan, review)
    changes = redact(changes) if manifest.get("redacted") else changes
    content = snapshot_content(writer, writer.render(store_out, store), changes)
    return {name: text.encode("utf-8") for name, text in content.items()}


def _compare(path: Path, expected: dict[str, bytes]) -> list[str]:
    """Byte-for-byte differences between a snapshot on disk and what the replay rebuilt."""
    if "" in expected:
        return [] if read_bytes(path) == expected[""] else [f"{path.name} differs from the replayed store"]
    on_disk = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file() or p.is_symlink()}
    on_disk.pop(MANIFEST, None)
    problems = []
    for name, data in sorted(expected.items()):
        file = on_disk.pop(name, None)
        if file is None:
            problems.append(f"missing from the snapshot: {redact(name)}")
        elif file.is_symlink() or file.read_bytes() != data:
            problems.append(f"differs from the replay: {redact(name)}")
    problems += [f"not in the replay: {redact(name)}" for name in sorted(on_disk)]
    return problems


def replay(path: str | Path, store: Store, *, plan: Plan | None = None, review: Review | None = None,
           corpus: Any = None) -> Replay:
    """Rebuild the snapshot at `path` from the input store, the plan and the decisions; compare byte for byte.

    Without `plan` and `review` the manifest's own operations and decisions are used (which
    catches a snapshot edited after export); with them (plan.json, decisions.json), an edited
    manifest is caught too. With a `corpus` (store and sessions) an offline plan is also dreamed
    again and must come out the same.
    """
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory() as tmp:
            _extract(path, Path(tmp))
            return replay(tmp, store, plan=plan, review=review, corpus=corpus)
    manifest = read_manifest(path)
    if store.digest != manifest["input"]["store_digest"]:
        return Replay(False, ["the store given is not the snapshot's input store (digest differs)"],
                      "the store given is not the snapshot's input store (digest differs)")
    recorded = _manifest_plan(manifest, str(path))
    problems = []
    digest = manifest["plan"]["digest"]
    if plan_digest(recorded) != digest:
        problems.append("the manifest's operations do not match its plan digest (edited after export?)")
    if plan is not None and plan_digest(plan) != digest:
        problems.append("the plan given is not the snapshot's plan (its digest differs from the manifest's)")
    plan = plan or recorded
    if review is None:
        review = _manifest_review(plan, manifest)
    else:
        problems += _decision_differences(manifest, review)
    try:
        from .review import apply

        store_out = reindex(store, apply(store, plan, Review(plan, review.decisions, Guardrail(1.0, 1.0))))
        problems += _compare(path, _expected_files(store_out, plan, review, manifest, store))
    except WorkbenchError as exc:
        problems.append(f"cannot rebuild the output store: {exc}")
    if corpus is not None and manifest["engine"]["name"] == "offline" and corpus.sessions:
        same, detail = _dream_again(manifest, corpus)
        if not same:
            problems.append(detail)
    detail = f"plan digest {digest[:12]}" if not problems else problems[0]
    return Replay(not problems, problems, detail)


def _dream_again(manifest: dict[str, Any], corpus: Any) -> tuple[bool, str]:
    """Re-run the offline engine on the manifest's inputs; the plan digest must come out the same."""
    from .dream.offline import dream_offline
    from .focus import Focus

    wanted = manifest["input"]["sessions"]
    known = {s.id for s in corpus.sessions}
    if not set(wanted) <= known:
        return False, f"{len(set(wanted) - known)} of the snapshot's sessions are missing from the sessions given"
    focus = Focus.from_dict({**manifest["focus"], "session_ids": wanted})
    embedder = (manifest.get("embedder") or "tfidf").split("-", 1)[0]
    digest = plan_digest(dream_offline(corpus, focus, embedder=embedder))
    if digest == manifest["plan"]["digest"]:
        return True, f"plan digest {digest[:12]}"
    return False, f"dreaming again gives plan digest {digest[:12]}, not the manifest's {manifest['plan']['digest'][:12]}"


def replay_snapshot(path: str | Path, corpus: Any) -> tuple[bool, str]:
    """`replay` with the manifest's plan and decisions and the corpus's store (and sessions): (same, detail)."""
    result = replay(path, corpus.store, corpus=corpus)
    return result.ok, result.detail
