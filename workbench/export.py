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
Verifying and replaying a snapshot live in `workbench.verify` (also importable from here).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from . import files
from .dream.plan import Plan
from .errors import ExportError, WorkbenchError
from .io.claude_memory import reindex
from .io.store_files import SIDECAR, sidecar_for
from .io.writers import store_json
from .records import Store, iso, sha256
from .review import Guardrail, Retention, Review, blast_radius, plan_digest
from .secrets import find_secrets, redact, redact_data

FORMAT_VERSION = 1
FORMATS = ("dir", "json", "mem0", "zip", "letta-af")
FILE_FORMATS = ("json", "mem0", "letta-af")  # one file, with `<name>.manifest.json` beside it
MANIFEST = "manifest.json"
CHANGES = "CHANGES.md"
MEMORIES = "memories"  # the folder inside a snapshot that holds the memory files (a loadable store)
SIGNING_KEY = "WORKBENCH_SIGNING_KEY"  # the environment variable holding the HMAC key

__all__ = ["FORMATS", "MANIFEST", "Snapshot", "export_snapshot", "find_secrets", "is_snapshot", "safe_relative",
           "sign"]


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
    operations += answered_entries(plan, review)
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
        **({"questions": [q.to_dict() for q in plan.questions], "questions_found": plan.questions_found}
           if plan.questions else {}),
        "output": {"store_digest": store_out.digest, "memories": len(store_out.memories), "notes": len(store_out.notes),
                   "folder": MEMORIES, "files": {m.path: m.sha256 for m in store_out.memories}},
        "usage": plan.usage,
        "retention": retention.to_dict() if retention else None,
        **({"evaluation": report if isinstance(report, dict) else report.to_dict()} if report is not None else {}),
        "secrets": find_secrets(store_out),
    }


def answered_entries(plan: Plan, review: Review) -> list[dict[str, Any]]:
    """The operations of answered questions, as manifest entries approved by the person who answered."""
    current, out = review.current, []
    for question in plan.questions:
        decision = current.get(question.id)
        if decision is None or decision.verdict != "answer":
            continue
        op = question.choice(decision.content).operation
        if op is not None:
            out.append({**op.to_dict(), "question": question.id,
                        "decision": {"verdict": "approve", "who": decision.who, "at": decision.at,
                                     "answer": decision.content,
                                     "note": f"answer “{decision.content}” to question {question.id}"}})
    return out


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
    answered = review.answers()
    if answered:
        lines += [f"## Questions answered ({len(answered)})", ""]
        for question in plan.questions:
            if question.id in answered:
                choice = question.choice(answered[question.id])
                lines.append(f"- **{question.kind}** {question.reading} → {choice.label}")
                lines += [f"  - `{t.path}` — {t.text}" for t in question.targets]
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


def _body(store: Store, format: str, source: Store | None = None) -> str:
    """The one file of a `json`, `mem0` or `letta-af` snapshot (`source`: the input store, for letta-af)."""
    if format == "letta-af":
        from .io.letta_af import agent_file_for

        return agent_file_for(source, store)[0]
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
                    inputs: list[str | Path] = (), report: Any = None) -> Snapshot:
    """Apply the approved operations to `store` and write the result as a snapshot at `out`.

    `inputs` names more files the target must not replace (the plan, the decisions); the store's
    own origin is always protected. `force` replaces only an earlier snapshot. `report` (an
    `evaluate.Report`) goes into the manifest.
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
    store_out = reindex(store, apply(store, plan, review))  # an index (Claude's MEMORY.md) links what survives
    body = None
    if format == "letta-af":  # the agent file it came from, with the curated blocks; the store as it reads back
        from .io.letta_af import agent_file_for

        body, store_out = agent_file_for(store, store_out)
    if format in ("dir", "zip"):
        _check_tree(store_out)
    manifest = build_manifest(store, plan, review, store_out, retention, report)  # report: evaluate.Report
    changes = changes_markdown(plan, review)
    if not keep_secrets:
        manifest, changes = redact_data(manifest), redact(changes)
    manifest["redacted"] = not keep_secrets
    manifest["output"]["format"] = format
    try:
        _write(store_out, manifest, changes, out, format, force, body)
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


def _write(store_out: Store, manifest: dict[str, Any], changes: str, out: Path, format: str, force: bool,
           body: str | None = None) -> None:
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
            body = body if body is not None else _body(store_out, format)
            manifest["output"]["sha256"] = sha256(body)
            staged = staging / "snapshot"
            staged.write_bytes(body.encode("utf-8"))
            beside = out.with_name(out.name + ".manifest.json")
            (staging / "manifest").write_bytes(manifest_text(sign(manifest)).encode("utf-8"))
        files.sync_tree(staging)
        files.swap_in(staged, out, replace=replace)
        if format in FILE_FORMATS:
            files.swap_in(staging / "manifest", beside, replace=lambda _: True)


_VERIFY = {"Replay", "Verification", "read_manifest", "replay", "replay_snapshot", "verify_snapshot"}


def __getattr__(name: str) -> Any:
    """`verify_snapshot`, `replay` and friends live in `workbench.verify`; importable from here too."""
    if name in _VERIFY:
        from . import verify

        return getattr(verify, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
