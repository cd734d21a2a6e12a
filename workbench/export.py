"""Snapshots: the approved memory set as an auditable, reproducible folder (or JSON, mem0 JSON, zip).

A snapshot folder holds `manifest.json` (inputs, focus, engine, every operation with its
decision, SHA-256 of every output memory, usage, retention, secrets flagged), `CHANGES.md`, and
`memories/`: the memory files at their paths plus the hidden sidecar that keeps ids and times, so
`load_store(snapshot / "memories")` gives back exactly the store that was exported. Writes are
atomic: a temporary sibling, then a rename; an existing target is replaced only with `force`;
no memory path can land outside the snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from .dream.plan import Plan
from .errors import ExportError
from .io.store_files import SIDECAR, sidecar_for
from .io.writers import store_json
from .records import Store, iso, sha256
from .review import Guardrail, Retention, Review, blast_radius, plan_digest

FORMAT_VERSION = 1
FORMATS = ("dir", "json", "mem0", "zip")
MANIFEST = "manifest.json"
CHANGES = "CHANGES.md"
MEMORIES = "memories"  # the folder inside a snapshot that holds the memory files (a loadable store)
SECRETS = {
    "anthropic_api_key": re.compile(r"sk-ant-[A-Za-z0-9_\-]{16,}"),
    "openai_api_key": re.compile(r"\bsk-(?!ant-)(?:proj-)?[A-Za-z0-9_\-]{20,}"),
    "aws_access_key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "github_token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "slack_token": re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    "private_key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "password": re.compile(r"(?i)\b(?:password|passwd|pwd|secret|api[_ -]?key|token)\b\s*[:=]\s*[\"']?[^\s\"'`]{6,}"),
}


def safe_relative(path: str) -> PurePosixPath:
    """The relative file path for a memory path, refusing anything that could escape the snapshot."""
    if "\x00" in path:
        raise ExportError(f"memory path contains a NUL byte: {path!r}")
    if "\\" in path or re.match(r"^/?[A-Za-z]:", path):
        raise ExportError(f"memory path looks like a Windows path: {path!r}")
    if not path.startswith("/"):
        raise ExportError(f"memory path must start with '/': {path!r}")
    parts = path[1:].split("/")  # split by hand: PurePosixPath would drop "." and "" silently
    if any(part in ("..", ".", "") for part in parts):
        raise ExportError(f"memory path escapes the snapshot: {path!r}")
    if parts == [SIDECAR]:
        raise ExportError(f"memory path collides with the snapshot's own files: {path!r}")
    return PurePosixPath(*parts)


def find_secrets(store: Store) -> list[dict[str, Any]]:
    """Things that look like secrets in memory contents: path, line and kind (never the value)."""
    found = []
    for memory in store.memories:
        for number, line in enumerate(memory.content.splitlines(), start=1):
            for kind, pattern in SECRETS.items():
                if pattern.search(line):
                    found.append({"path": memory.path, "line": number, "kind": kind})
    return found


@dataclass
class Snapshot:
    """What `export_snapshot` wrote."""

    path: Path
    format: str
    manifest: dict[str, Any]
    secrets: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_manifest(store_in: Store, plan: Plan, review: Review, store_out: Store,
                   retention: Retention | None = None, report: Any = None) -> dict[str, Any]:
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
        **({"evaluation": report if isinstance(report, dict) else report.to_dict()} if report is not None else {}),
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
        target.write_text(memory.content, encoding="utf-8", newline="")
    sidecar = sidecar_for(store)
    (folder / SIDECAR).write_text(sidecar, encoding="utf-8", newline="")
    manifest["output"]["sidecar_sha256"] = sha256(sidecar)
    (root / CHANGES).write_text(changes, encoding="utf-8", newline="")
    manifest["changes_sha256"] = sha256(changes)
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8",
                                 newline="")


def _mem0_json(store: Store) -> str:
    items = [{"id": n.id, "memory": n.text, "hash": sha256(n.text)[:32], "metadata": {"path": m.path, "note": n.id},
              "created_at": iso(m.created_at), "updated_at": iso(m.updated_at)}
             for m in store.memories for n in store.notes if n.memory_id == m.id]
    return json.dumps({"results": items}, indent=2, ensure_ascii=False) + "\n"


def export_snapshot(store: Store, plan: Plan, review: Review, out: str | Path, *, format: str = "dir",
                    force: bool = False, allow_large_change: bool = False, retention: Retention | None = None,
                    guardrail: Guardrail | None = None, report: Any = None) -> Snapshot:
    """Apply the approved operations to `store` and write the result as a snapshot at `out`."""
    from .review import apply

    if format not in FORMATS:
        raise ExportError(f"unknown snapshot format {format!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.is_symlink():
        raise ExportError(f"{out} is a symbolic link; refusing to write a snapshot through it")
    if out.exists() and not force:
        raise ExportError(f"{out} already exists; pass --force (force=True) to replace it")
    approved = review.approved_operations()
    radius = blast_radius(plan, approved)
    breaches = (guardrail or review.guardrail).breaches(radius)
    if breaches and not allow_large_change:
        raise ExportError("refusing a large change: the approved operations " + " and ".join(breaches)
                          + f" ({radius['deleted']} deleted, {radius['rewritten']} rewritten of {radius['notes']}); "
                          "pass --allow-large-change (allow_large_change=True) if that is intended")
    store_out = apply(store, plan, review)
    for memory in store_out.memories:
        safe_relative(memory.path)
    manifest = build_manifest(store, plan, review, store_out, retention, report)  # report: evaluate.Report
    changes = changes_markdown(plan, review)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        if format == "dir":
            _write_tree(tmp / "snapshot", store_out, manifest, changes)
            staged = tmp / "snapshot"
        elif format == "zip":
            _write_tree(tmp / "tree", store_out, manifest, changes)
            staged = tmp / "snapshot.zip"
            with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(p for p in (tmp / "tree").rglob("*") if p.is_file()):
                    archive.write(file, file.relative_to(tmp / "tree").as_posix())
        else:
            staged = tmp / "snapshot.json"
            body = store_json(store_out) if format == "json" else _mem0_json(store_out)
            staged.write_text(body, encoding="utf-8")
            (tmp / f"{out.name}.manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _replace(staged, out, force)
        if format in ("json", "mem0"):
            os.replace(tmp / f"{out.name}.manifest.json", out.with_name(out.name + ".manifest.json"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warnings = [f"possible secret ({s['kind']}) in {s['path']} line {s['line']}" for s in manifest["secrets"]]
    if retention is not None and retention.warning:
        warnings.append(retention.warning)
    return Snapshot(out, format, manifest, manifest["secrets"], warnings)


def _replace(staged: Path, out: Path, force: bool) -> None:
    """Move the staged snapshot into place; an old one is kept until the new one is in."""
    if not out.exists():
        os.replace(staged, out)
        return
    if not force:
        raise ExportError(f"{out} already exists; pass --force (force=True) to replace it")
    backup = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, backup)
    try:
        os.replace(staged, out)
    except OSError:
        os.replace(backup, out)
        raise
    if backup.is_dir():
        shutil.rmtree(backup)
    else:
        backup.unlink()


# --- verify -----------------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    files: int


def verify_snapshot(path: str | Path) -> Verification:
    """Recompute every digest of a snapshot folder (or zip) and report what does not match."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"{path}: no such snapshot")
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                safe_relative("/" + name)
            archive.extractall(tmp)
            return verify_snapshot(tmp)
    manifest = _read_manifest(path)
    if manifest is None:
        return Verification(False, [f"{MANIFEST} is not valid JSON"], 0)
    problems = []
    folder = path / MEMORIES
    output = manifest.get("output", {})
    files = output.get("files", {})
    for memory_path, digest in sorted(files.items()):
        file = folder.joinpath(*safe_relative(memory_path).parts)
        if file.is_symlink():
            problems.append(f"changed: {memory_path} (now a symbolic link)")
        elif not file.is_file():
            problems.append(f"missing: {memory_path}")
        elif _file_sha256(file) != digest:
            problems.append(f"changed: {memory_path}")
    sidecar = folder / SIDECAR
    if not sidecar.is_file() or _file_sha256(sidecar) != output.get("sidecar_sha256"):
        problems.append(f"changed or missing: {MEMORIES}/{SIDECAR}")
    known = {MANIFEST, CHANGES, f"{MEMORIES}/{SIDECAR}"} | {MEMORIES + p for p in files}
    on_disk = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()}
    problems += [f"unexpected file: {p}" for p in sorted(on_disk - known)]
    changes = path / CHANGES
    if not changes.is_file() or _file_sha256(changes) != manifest.get("changes_sha256"):
        problems.append(f"changed or missing: {CHANGES}")
    return Verification(not problems, problems, len(files))


def _file_sha256(file: Path) -> str:
    """SHA-256 of the bytes on disk (the same as `sha256(text)` for the UTF-8 text that was written)."""
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest of a snapshot folder or zip (None when it is not valid JSON)."""
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if MANIFEST not in archive.namelist():
                raise ExportError(f"{path}: no {MANIFEST}; not a snapshot")
            text = archive.read(MANIFEST)
    elif (path / MANIFEST).is_file():
        text = (path / MANIFEST).read_bytes()
    else:
        raise ExportError(f"{path}: no {MANIFEST}; not a snapshot folder")
    try:
        return json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def replay_snapshot(path: str | Path, corpus) -> tuple[bool, str]:
    """Re-run the offline engine on the manifest's inputs and compare the plan with the one recorded."""
    from .dream.offline import dream_offline
    from .focus import Focus

    manifest = _read_manifest(Path(path))
    if manifest is None:
        raise ExportError(f"{path}: {MANIFEST} is not valid JSON")
    if manifest["engine"]["name"] != "offline":
        return False, f"only offline plans can be replayed; this one came from {manifest['engine']['name']}"
    if corpus.store.digest != manifest["input"]["store_digest"]:
        return False, "the store given is not the snapshot's input store (digest differs)"
    wanted = manifest["input"]["sessions"]
    known = {s.id for s in corpus.sessions}
    if not set(wanted) <= known:
        return False, f"{len(set(wanted) - known)} of the snapshot's sessions are missing from the sessions given"
    focus = Focus.from_dict({**manifest["focus"], "session_ids": wanted})
    embedder = (manifest.get("embedder") or "tfidf").split("-", 1)[0]
    plan = dream_offline(corpus, focus, embedder=embedder)
    digest = plan_digest(plan)
    if digest == manifest["plan"]["digest"]:
        return True, f"plan digest {digest[:12]}"
    return False, f"plan digest {digest[:12]} differs from the manifest's {manifest['plan']['digest'][:12]}"
