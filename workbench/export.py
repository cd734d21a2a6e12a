"""Snapshots: the approved memory set as an auditable, reproducible folder (or JSON, mem0 JSON, zip).

A snapshot folder holds `manifest.json` (inputs, focus, engine, every operation with its
decision, SHA-256 of every output memory, usage, retention, secrets flagged), `CHANGES.md`, and
`memories/`: the memory files at their paths plus the hidden sidecar that keeps ids and times, so
`load_store(snapshot / "memories")` gives back exactly the store that was exported.

Writing goes through `workbench.files`: the snapshot is staged beside the target and renamed into
place, so a full disk or a kill leaves nothing half-written (and the next run removes the staging
a kill left). The input is never touched: the target may not be the input store, hold it, or lie
inside it, and `force` replaces only a snapshot this tool wrote (one with a manifest). Secret
values are redacted in the manifest and CHANGES.md unless `keep_secrets`; with
`$WORKBENCH_SIGNING_KEY` set the manifest is signed (HMAC-SHA256) and `verify_snapshot` checks it.
`replay` rebuilds the snapshot from the input store, the plan and the decisions and compares it
byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from . import files
from .dream.plan import Operation, Plan
from .errors import ExportError, ReaderError, WorkbenchError
from .io.store_files import SIDECAR, sidecar_for
from .io.writers import store_json
from .records import Store, iso, sha256
from .review import Decision, Guardrail, Retention, Review, blast_radius, plan_digest
from .secrets import find_secrets, redact, redact_data

FORMAT_VERSION = 1
FORMATS = ("dir", "json", "mem0", "zip")
MANIFEST = "manifest.json"
CHANGES = "CHANGES.md"
MEMORIES = "memories"  # the folder inside a snapshot that holds the memory files (a loadable store)
SIGNING_KEY = "WORKBENCH_SIGNING_KEY"  # the environment variable holding the HMAC key

__all__ = ["FORMATS", "MANIFEST", "Snapshot", "Verification", "export_snapshot", "find_secrets", "replay",
           "replay_snapshot", "safe_relative", "verify_snapshot"]


def safe_relative(path: str) -> PurePosixPath:
    """The relative file path for a memory path, refusing anything that could escape the snapshot
    or that no file system can hold (a segment over 255 bytes, a control character)."""
    if "\x00" in path:
        raise ExportError(f"memory path contains a NUL byte: {files.quote(path)!r}")
    if "\\" in path or re.match(r"^/?[A-Za-z]:", path):
        raise ExportError(f"memory path looks like a Windows path: {files.quote(path)!r}")
    if not path.startswith("/"):
        raise ExportError(f"memory path must start with '/': {files.quote(path)!r}")
    parts = path[1:].split("/")  # split by hand: PurePosixPath would drop "." and "" silently
    if any(part in ("..", ".", "") for part in parts):
        raise ExportError(f"memory path escapes the snapshot: {files.quote(path)!r}")
    if parts == [SIDECAR]:
        raise ExportError(f"memory path collides with the snapshot's own files: {path!r}")
    for part in parts:
        try:
            files.safe_name(part, what="memory path segment")
        except WorkbenchError as exc:
            raise ExportError(f"{exc.message} (in {files.quote(path)[:80]!r}); export as --format json") from None
    return PurePosixPath(*parts)


def _check_tree(store: Store) -> None:
    """Every memory can be a file: no path is both a file and a folder (`/a` and `/a/b.md`)."""
    paths = {m.path for m in store.memories}
    for path in sorted(paths):
        safe_relative(path)
        parent = path.rsplit("/", 1)[0]
        while parent:
            if parent in paths:
                raise ExportError(f"memory {files.quote(path)!r} lies under {files.quote(parent)!r}, which is itself "
                                  "a memory; a folder snapshot cannot hold both: export as --format json")
            parent = parent.rsplit("/", 1)[0]


@dataclass
class Snapshot:
    """What `export_snapshot` wrote."""

    path: Path
    format: str
    manifest: dict[str, Any]
    secrets: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_manifest(store_in: Store, plan: Plan, review: Review, store_out: Store,
                   retention: Retention | None = None) -> dict[str, Any]:
    """Everything needed to audit and reproduce the snapshot."""
    current = review.current
    blocked = review.blocked()
    operations = []
    for op in plan.operations:
        decision = current.get(op.id)
        entry = op.to_dict()
        entry["decision"] = {"verdict": decision.verdict, "who": decision.who, "at": decision.at,
                             **({"content": decision.content} if decision.content else {}),
                             **({"note": decision.note} if decision.note else {})} if decision else {"verdict": "pending"}
        if op.id in blocked:
            entry["decision"]["blocked"] = blocked[op.id]
        operations.append(entry)
    approved = review.approved_operations()
    return {
        "format_version": FORMAT_VERSION,
        "created_at": iso(datetime.now(timezone.utc)),
        "input": {"store_digest": store_in.digest, "store_id": store_in.id, "store_name": store_in.name,
                  "memories": len(store_in.memories), "notes": len(store_in.notes),
                  "sessions": plan.inputs.get("sessions", [])},
        "focus": plan.focus.to_dict(),
        "engine": {"name": plan.engine, "version": plan.engine_version, "model": plan.model},
        "embedder": plan.inputs.get("embedder"),
        "plan": {"digest": plan_digest(plan), "as_of": plan.inputs.get("as_of"), "summary": plan.summary(),
                 "notes": plan.notes},
        "review": {**review.counts(), "log": review.log},
        "change": blast_radius(plan, approved),
        "operations": operations,
        "output": {"store_digest": store_out.digest, "memories": len(store_out.memories), "notes": len(store_out.notes),
                   "folder": MEMORIES, "files": {m.path: m.sha256 for m in store_out.memories}},
        "usage": plan.usage,
        "retention": retention.to_dict() if retention else None,
        "secrets": find_secrets(store_out),
    }


def changes_markdown(plan: Plan, review: Review) -> str:
    """A human-readable changelog grouped by reason, with evidence quotes."""
    current = review.current
    lines = [f"# Changes — {plan.engine} dream", "",
             f"Input: {plan.inputs.get('notes')} notes in {plan.inputs.get('memories')} memories, "
             f"{len(plan.inputs.get('sessions', []))} sessions (as of {plan.inputs.get('as_of')}).", ""]
    if plan.focus.instructions:
        lines += ["Focus: " + plan.focus.instructions.replace("\n", " "), ""]
    groups: dict[str, list] = defaultdict(list)
    for op in plan.operations:
        groups[op.reason].append(op)
    for reason in sorted(groups):
        lines += [f"## {reason.replace('_', ' ').capitalize()} ({len(groups[reason])})", ""]
        for op in groups[reason]:
            decision = current.get(op.id)
            verdict = decision.verdict if decision else "pending"
            lines.append(f"- **{op.kind}** [{verdict}, confidence {op.confidence:.2f}] {op.rationale}")
            for target in op.targets:
                lines.append(f"  - was: `{target.path}` — {target.text}")
            if op.result is not None:
                text = decision.content if decision and decision.verdict == "edit" else op.result.text
                lines.append(f"  - now: `{op.result.path}` — {text if not op.result.whole_memory else '(whole document)'}")
            for evidence in op.evidence[:3]:
                where = f"session {evidence.session_id}, turn {evidence.turn_id}" if evidence.session_id else f"note {evidence.note_id}"
                lines.append(f"  - evidence ({where}): “{evidence.quote}”")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _write_tree(root: Path, store: Store, manifest: dict[str, Any], changes: str) -> None:
    """Write a snapshot folder at `root`: memory files, sidecar, CHANGES.md, then the (signed) manifest."""
    folder = root / MEMORIES
    if folder.is_symlink():
        raise ExportError(f"refusing to write through a symbolic link: {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    for memory in store.memories:
        relative = safe_relative(memory.path)
        target = folder.joinpath(*relative.parts)
        for parent in [folder.joinpath(*relative.parts[:i]) for i in range(1, len(relative.parts))]:
            if parent.is_symlink():
                raise ExportError(f"refusing to write through a symbolic link: {parent}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            raise ExportError(f"memory path {memory.path!r} is written twice or over a link")
        if root.resolve() not in target.resolve().parents:
            raise ExportError(f"memory path escapes the snapshot: {memory.path!r}")
        target.write_bytes(memory.content.encode("utf-8"))
    sidecar = sidecar_for(store)
    (folder / SIDECAR).write_bytes(sidecar.encode("utf-8"))
    manifest["output"]["sidecar_sha256"] = sha256(sidecar)
    (root / CHANGES).write_bytes(changes.encode("utf-8"))
    manifest["changes_sha256"] = sha256(changes)
    (root / MANIFEST).write_bytes(manifest_text(sign(manifest)).encode("utf-8"))


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def _mem0_json(store: Store) -> str:
    items = [{"id": n.id, "memory": n.text, "hash": sha256(n.text)[:32], "metadata": {"path": m.path, "note": n.id},
              "created_at": iso(m.created_at), "updated_at": iso(m.updated_at)}
             for m in store.memories for n in store.notes if n.memory_id == m.id]
    return json.dumps({"results": items}, indent=2, ensure_ascii=False) + "\n"


def _body(store: Store, format: str) -> str:
    """The one file of a `json` or `mem0` snapshot."""
    return store_json(store) if format == "json" else _mem0_json(store)


# --- signing ----------------------------------------------------------------------------------


def _signing_key() -> bytes | None:
    key = os.environ.get(SIGNING_KEY)
    return key.encode("utf-8") if key else None


def _mac(manifest: dict[str, Any], key: bytes) -> str:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(manifest: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """The manifest with an HMAC-SHA256 `signature` when a key is given or `$WORKBENCH_SIGNING_KEY` is set."""
    key = key or _signing_key()
    if key is None:
        return manifest
    manifest["signature"] = {"algorithm": "hmac-sha256", "value": _mac(manifest, key)}
    return manifest


# --- export -----------------------------------------------------------------------------------


def _local(origin: str | Path | None) -> Path | None:
    if not origin or str(origin).startswith("platform:"):
        return None
    path = Path(str(origin).split("#", 1)[0])
    return path.resolve() if path.exists() else None


def _check_target(out: Path, inputs: list[Path]) -> None:
    """The target is none of the inputs, holds none of them, and does not lie inside a folder input."""
    if out.is_symlink():
        raise ExportError(f"{out} is a symbolic link; refusing to write a snapshot through it")
    target = out.resolve()
    for given in inputs:
        if target == given or given.is_relative_to(target):
            raise ExportError(f"{files.quote(out)} is (or holds) an input of this export ({files.quote(given)}); "
                              "the input is never replaced: write the snapshot elsewhere")
        if given.is_dir() and target.is_relative_to(given):
            raise ExportError(f"{files.quote(out)} lies inside the input store {files.quote(given)}; "
                              "writing there would change the input: write the snapshot elsewhere")


def is_snapshot(path: Path) -> bool:
    """True for a snapshot this tool wrote: a folder or zip with a manifest, or a file with one beside it."""
    try:
        if path.is_symlink():
            return False
        if path.is_dir():
            return _looks_like_manifest((path / MANIFEST).read_bytes())
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                return _looks_like_manifest(archive.read(MANIFEST))
        beside = path.with_name(path.name + ".manifest.json")
        return path.is_file() and _looks_like_manifest(beside.read_bytes())
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return False


def _looks_like_manifest(data: bytes) -> bool:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    return isinstance(manifest, dict) and manifest.get("format_version") == FORMAT_VERSION and "output" in manifest


def export_snapshot(store: Store, plan: Plan, review: Review, out: str | Path, *, format: str = "dir",
                    force: bool = False, allow_large_change: bool = False, retention: Retention | None = None,
                    guardrail: Guardrail | None = None, keep_secrets: bool = False,
                    inputs: list[str | Path] = ()) -> Snapshot:
    """Apply the approved operations to `store` and write the result as a snapshot at `out`.

    `inputs` names more files the target must not replace (the plan, the decisions); the store's
    own origin is always protected. `force` replaces only an earlier snapshot.
    """
    from .review import apply

    if format not in FORMATS:
        raise ExportError(f"unknown snapshot format {format!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    protected = [p for p in (_local(store.origin), *(_local(i) for i in inputs)) if p is not None]
    _check_target(out, protected)
    _check_existing(out, force)
    approved = review.approved_operations()
    radius = blast_radius(plan, approved)
    breaches = (guardrail or review.guardrail).breaches(radius)
    if breaches and not allow_large_change:
        raise ExportError("refusing a large change: the approved operations " + " and ".join(breaches)
                          + f" ({radius['deleted']} deleted, {radius['rewritten']} rewritten of {radius['notes']}); "
                          "pass --allow-large-change (allow_large_change=True) if that is intended")
    store_out = apply(store, plan, review)
    if format in ("dir", "zip"):
        _check_tree(store_out)
    manifest = build_manifest(store, plan, review, store_out, retention)
    changes = changes_markdown(plan, review)
    if not keep_secrets:
        manifest, changes = redact_data(manifest), redact(changes)
    manifest["redacted"] = not keep_secrets
    manifest["output"]["format"] = format
    try:
        _write(store_out, manifest, changes, out, format, force)
    except FileExistsError:
        raise ExportError(f"{files.quote(out)} already exists (written meanwhile by another export); "
                          "pass --force (force=True) to replace it") from None
    except OSError as exc:
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"cannot write the snapshot: {exc.strerror or exc}", source=files.quote(out)) from None
    warnings = [f"possible secret ({s['kind']}) in {s['path']} line {s['line']}" for s in manifest["secrets"]]
    if retention is not None and retention.warning:
        warnings.append(retention.warning)
    return Snapshot(out, format, manifest, manifest["secrets"], warnings)


def _check_existing(out: Path, force: bool) -> None:
    if not (out.exists() or out.is_symlink()):
        return
    if not force:
        raise ExportError(f"{files.quote(out)} already exists; pass --force (force=True) to replace it")
    if not is_snapshot(out):
        kind = "folder" if out.is_dir() else "file"
        raise ExportError(f"{files.quote(out)} is a {kind} this tool did not write (no snapshot manifest); "
                          "--force replaces only an earlier snapshot: choose another --out")


def _write(store_out: Store, manifest: dict[str, Any], changes: str, out: Path, format: str, force: bool) -> None:
    """Stage the snapshot beside `out`, then rename it into place (replacing only an earlier snapshot)."""
    def replace(target: Path) -> bool:
        return force and is_snapshot(target)

    with files.staged_folder(out) as staging:
        if format == "dir":
            staged = staging / "snapshot"
            _write_tree(staged, store_out, manifest, changes)
        elif format == "zip":
            _write_tree(staging / "tree", store_out, manifest, changes)
            staged = staging / "snapshot.zip"
            with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(p for p in (staging / "tree").rglob("*") if p.is_file()):
                    archive.write(file, file.relative_to(staging / "tree").as_posix())
        else:
            body = _body(store_out, format)
            manifest["output"]["sha256"] = sha256(body)
            staged = staging / "snapshot"
            staged.write_bytes(body.encode("utf-8"))
            beside = out.with_name(out.name + ".manifest.json")
            (staging / "manifest").write_bytes(manifest_text(sign(manifest)).encode("utf-8"))
        files.sync_tree(staging)
        files.swap_in(staged, out, replace=replace)
        if format in ("json", "mem0"):
            files.swap_in(staging / "manifest", beside, replace=lambda _: True)


# --- verify -----------------------------------------------------------------------------------


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
    key, signature = _signing_key(), manifest.get("signature")
    if signature is None:
        return ([f"{MANIFEST} is not signed, but {SIGNING_KEY} is set"] if key else []), "unsigned"
    if key is None:
        return [], "unchecked"
    if hmac.compare_digest(signature["value"], _mac(manifest, key)):
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
    """A json or mem0 snapshot: the file's digest, and for json every memory's."""
    output = manifest["output"]
    data = files_read(path)
    if output.get("sha256") is None or hashlib.sha256(data).hexdigest() != output["sha256"]:
        problems.append(f"changed: {path.name}")
    if output.get("format") != "json":
        return 1
    from .io import load_store

    try:
        store = load_store(path, "managed-agents-store")
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


def files_read(path: Path) -> bytes:
    from .io._util import read_bytes

    return read_bytes(path)


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
        return files_read(path / MANIFEST), str(path / MANIFEST)
    beside = path.with_name(path.name + ".manifest.json")
    if not beside.is_file():
        raise ExportError(f"{files.quote(path)}: no {beside.name} beside it; not a snapshot")
    return files_read(beside), str(beside)


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
    from .io._util import located
    from .schema import validate_focus

    operations = []
    for index, entry in enumerate(manifest.get("operations", [])):
        with located(source, None, f"operations[{index}]"):
            operations.append(Operation.from_dict({k: v for k, v in entry.items() if k != "decision"}, source=source))
    inputs = {"store_digest": manifest["input"]["store_digest"], "as_of": manifest["plan"].get("as_of"),
              "notes": manifest["input"].get("notes", 0), "memories": manifest["input"].get("memories", 0),
              "sessions": manifest["input"].get("sessions", [])}
    return Plan(engine=manifest["engine"]["name"], engine_version=manifest["engine"].get("version", ""),
                focus=validate_focus(manifest.get("focus"), source), inputs=inputs, operations=operations,
                output_store=Store(()), model=manifest["engine"].get("model"))


def _manifest_review(plan: Plan, manifest: dict[str, Any]) -> Review:
    review = Review(plan, guardrail=Guardrail(1.0, 1.0))
    for op, entry in zip(plan.operations, manifest.get("operations", [])):
        decision = entry["decision"]
        if decision["verdict"] != "pending":
            review.decisions.append(Decision(op.id, decision["verdict"], decision.get("content"),
                                             decision.get("who") or "reviewer", decision.get("at") or "x"))
    return review


def _decision_differences(manifest: dict[str, Any], review: Review) -> list[str]:
    current = review.current
    out = []
    for entry in manifest.get("operations", []):
        recorded = entry["decision"]
        given = current.get(entry["id"])
        verdict = given.verdict if given else "pending"
        content = given.content if given and given.verdict == "edit" else None
        content = redact(content) if content and manifest.get("redacted") else content
        if (recorded["verdict"], recorded.get("content")) != (verdict, content):
            out.append(f"decision on {entry['id']}: the manifest says {recorded['verdict']}, the decisions say {verdict}"
                       + (" (edited content differs)" if recorded["verdict"] == verdict else ""))
    return out


def _expected_files(store_out: Store, plan: Plan, review: Review, manifest: dict[str, Any]) -> dict[str, bytes]:
    """The bytes a snapshot of `store_out` holds, by relative name (dir and zip), or its one file."""
    format = manifest["output"].get("format", "dir")
    if format in ("json", "mem0"):
        return {"": _body(store_out, format).encode("utf-8")}
    changes = changes_markdown(plan, review)
    changes = redact(changes) if manifest.get("redacted") else changes
    expected = {f"{MEMORIES}{m.path}": m.content.encode("utf-8") for m in store_out.memories}
    expected[f"{MEMORIES}/{SIDECAR}"] = sidecar_for(store_out).encode("utf-8")
    expected[CHANGES] = changes.encode("utf-8")
    return expected


def _compare(path: Path, expected: dict[str, bytes]) -> list[str]:
    """Byte-for-byte differences between a snapshot on disk and what the replay rebuilt."""
    if "" in expected:
        return [] if files_read(path) == expected[""] else [f"{path.name} differs from the replayed store"]
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

        store_out = apply(store, plan, Review(plan, review.decisions, Guardrail(1.0, 1.0)))
        problems += _compare(path, _expected_files(store_out, plan, review, manifest))
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
