"""Snapshots: the approved memory set as an auditable, reproducible folder (or zip, JSON, mem0 JSON,
Letta agent file).

A snapshot folder holds `manifest.json` (inputs, focus, engine, every operation with its
decision, SHA-256 of every output memory, usage, the evaluation, secrets flagged), `CHANGES.md`, and
`memories/`: the memory files at their paths plus the hidden sidecar that keeps ids and times, so
`load_store(snapshot / "memories")` gives back exactly the store that was exported. The layout,
the manifest and its signature are `workbench.snapshot`; every format is a writer registered in
`workbench.io` (`FORMATS`), looked up by name.

Writing goes through `workbench.files`: the snapshot is staged beside the target and renamed into
place, so a full disk or a kill leaves nothing half-written (and the next run removes the staging
a kill left). The input is never touched: the target may not be the input store, hold it, or lie
inside it, and `force` replaces only a snapshot this tool wrote (one with a manifest). Secret
values are redacted in the manifest and CHANGES.md unless `keep_secrets`; with
`$WORKBENCH_SIGNING_KEY` set the manifest is signed (HMAC-SHA256). Verifying and replaying a
snapshot live in `workbench.verify`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import files
from .dream.plan import Plan
from .errors import ExportError
from .io import Writer, get_writer, writers
from .io.claude_memory import reindex
from .records import Store
from .review import Guardrail, Review, apply, blast_radius
from .secrets import redact, redact_data
from .snapshot import build_manifest, changes_markdown, is_snapshot, manifest_beside, snapshot_files

if TYPE_CHECKING:
    from .evaluate import Report

FORMATS = tuple(writers())  # dir, json, mem0, zip, letta-af: every registered writer

__all__ = ["FORMATS", "Snapshot", "export_snapshot"]


@dataclass
class Snapshot:
    """What `export_snapshot` wrote."""

    path: Path
    format: str
    manifest: dict[str, Any]
    secrets: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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


def export_snapshot(store: Store, plan: Plan, review: Review, out: str | Path, *, format: str = "dir",
                    force: bool = False, allow_large_change: bool = False, guardrail: Guardrail | None = None,
                    keep_secrets: bool = False, inputs: list[str | Path] = (), report: Report | None = None) -> Snapshot:
    """Apply the approved operations to `store` and write the result as a snapshot at `out`.

    `inputs` names more files the target must not replace (the plan, the decisions); the store's
    own origin is always protected. `force` replaces only an earlier snapshot. `report` (the
    `workbench.evaluate.Report` of these decisions) goes into the manifest as `evaluation`, and its
    regressions into the warnings; a report of other decisions is refused.
    """
    writer = get_writer(format)
    out = Path(out)
    protected = [p for p in (_local(store.origin), *(_local(i) for i in inputs)) if p is not None]
    _check_target(out, protected)
    _check_existing(out, force)
    approved = review.approved_operations()
    if report is not None and set(report.operations) != {op.id for op in approved}:
        raise ExportError("the evaluation report was made on other decisions than these; "
                          "evaluate the approved operations again (Evaluator.report(plan, review))")
    radius = blast_radius(plan, approved)
    breaches = (guardrail or review.guardrail).breaches(radius)
    if breaches and not allow_large_change:
        raise ExportError("refusing a large change: the approved operations " + " and ".join(breaches)
                          + f" ({radius['deleted']} deleted, {radius['rewritten']} rewritten of {radius['notes']}); "
                          "pass --allow-large-change (allow_large_change=True) if that is intended")
    store_out = reindex(store, apply(store, plan, review))  # an index (Claude's MEMORY.md) links what survives
    rendered = writer.render(store_out, store)  # checked; letta-af: the agent file `store` came from, curated
    store_out = rendered.store  # the store as the written files read back
    manifest = build_manifest(store, plan, review, store_out, report)
    changes = changes_markdown(plan, review)
    if not keep_secrets:
        manifest, changes = redact_data(manifest), redact(changes)
    manifest["redacted"] = not keep_secrets
    manifest["output"]["format"] = format
    content, beside = snapshot_files(writer, rendered, manifest, changes)
    try:
        _write(writer, content, beside, out, force)
    except FileExistsError:
        raise ExportError(f"{files.quote(out)} already exists (written meanwhile by another export); "
                          "pass --force (force=True) to replace it") from None
    except OSError as exc:
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"cannot write the snapshot: {exc.strerror or exc}", source=files.quote(out)) from None
    warnings = [f"possible secret ({s['kind']}) in {s['path']} line {s['line']}" for s in manifest["secrets"]]
    if report is not None and report.warning:
        warnings.append(report.warning)
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


def _write(writer: Writer, content: dict[str, str], beside: str | None, out: Path, force: bool) -> None:
    """Stage the snapshot beside `out`, then rename it into place (replacing only an earlier snapshot);
    a one-file snapshot's manifest (`beside`) goes in after it."""
    def replace(target: Path) -> bool:
        return force and is_snapshot(target)

    with files.staged_folder(out) as staging:
        staged = staging / "snapshot"
        writer.write(content, staged)
        if beside is not None:
            (staging / "manifest").write_bytes(beside.encode("utf-8"))
        files.sync_tree(staging)
        files.swap_in(staged, out, replace=replace)
        if beside is not None:
            files.swap_in(staging / "manifest", manifest_beside(out), replace=lambda _: True)
