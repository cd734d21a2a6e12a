"""The snapshot layout, shared by `workbench.export` (which writes snapshots) and `workbench.verify`
(which checks and replays them).

A tree format (dir, zip) holds `manifest.json`, `CHANGES.md` and `memories/` (the memory files at
their paths and the hidden sidecar: a loadable store); a one-file format (json, mem0, letta-af) is
its file with `<name>.manifest.json` beside it. The manifest records inputs, focus, engine, every
operation with its decision (and every answered question's operation with its answer), SHA-256 of
every output memory, usage, the evaluation (when one was made) and secrets flagged; with
`$WORKBENCH_SIGNING_KEY` set it is signed (HMAC-SHA256 over its canonical JSON without the
signature).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import zipfile
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dream.plan import Plan
from .io import Rendered, Writer
from .io.store_files import SIDECAR
from .records import Store, iso, sha256
from .review import Review, blast_radius, plan_digest
from .secrets import find_secrets

if TYPE_CHECKING:
    from .evaluate import Report

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHANGES = "CHANGES.md"
MEMORIES = "memories"  # the folder inside a snapshot that holds the memory files (a loadable store)
SIGNING_KEY = "WORKBENCH_SIGNING_KEY"  # the environment variable holding the HMAC key

__all__ = ["CHANGES", "FORMAT_VERSION", "MANIFEST", "MEMORIES", "SIGNING_KEY", "answered_entries",
           "build_manifest", "changes_markdown", "is_snapshot", "manifest_beside", "manifest_mac", "manifest_text",
           "sign", "signing_key", "snapshot_content", "snapshot_files"]


# --- the manifest -----------------------------------------------------------------------------


def build_manifest(store_in: Store, plan: Plan, review: Review, store_out: Store,
                   report: Report | None = None) -> dict[str, Any]:
    """Everything needed to audit and reproduce the snapshot; `report` (the evaluation of the approved
    operations) goes in as `evaluation`."""
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
        **({"evaluation": report.to_dict()} if report is not None else {}),
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


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def manifest_beside(path: Path) -> Path:
    """Where the manifest of a one-file snapshot is: `<name>.manifest.json` beside it."""
    return path.with_name(path.name + ".manifest.json")


def signing_key() -> bytes | None:
    """The HMAC key from `$WORKBENCH_SIGNING_KEY` (None when it is not set)."""
    key = os.environ.get(SIGNING_KEY)
    return key.encode("utf-8") if key else None


def manifest_mac(manifest: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of the manifest's canonical JSON without its signature."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(manifest: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """The manifest with an HMAC-SHA256 `signature` when a key is given or `$WORKBENCH_SIGNING_KEY` is set."""
    key = key or signing_key()
    if key is None:
        return manifest
    manifest["signature"] = {"algorithm": "hmac-sha256", "value": manifest_mac(manifest, key)}
    return manifest


# --- CHANGES.md -------------------------------------------------------------------------------


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


# --- the files of a snapshot ------------------------------------------------------------------


def snapshot_content(writer: Writer, rendered: Rendered, changes: str) -> dict[str, str]:
    """A snapshot's files but its manifest, by relative name: a tree format's memory files and sidecar
    under `memories/` and CHANGES.md; a one-file format's one file (named `""`)."""
    if not writer.tree:
        return {"": rendered.files[""]}
    return {**{f"{MEMORIES}/{name}": text for name, text in rendered.files.items()}, CHANGES: changes}


def snapshot_files(writer: Writer, rendered: Rendered, manifest: dict[str, Any],
                   changes: str) -> tuple[dict[str, str], str | None]:
    """Every file of a snapshot, the manifest completed with their digests and signed: inside a tree
    format's files (the second item None), or returned second, to go beside a one-file format's file."""
    content = snapshot_content(writer, rendered, changes)
    if not writer.tree:
        manifest["output"]["sha256"] = sha256(content[""])
        return content, manifest_text(sign(manifest))
    manifest["output"]["sidecar_sha256"] = sha256(rendered.files[SIDECAR])
    manifest["changes_sha256"] = sha256(changes)
    return {**content, MANIFEST: manifest_text(sign(manifest))}, None


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
        return path.is_file() and _looks_like_manifest(manifest_beside(path).read_bytes())
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return False


def _looks_like_manifest(data: bytes) -> bool:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    return isinstance(manifest, dict) and manifest.get("format_version") == FORMAT_VERSION and "output" in manifest
