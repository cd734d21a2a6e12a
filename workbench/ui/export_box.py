"""The export box: what an export writes, where, and a download of the written snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import ipywidgets as w

from .. import plots, views
from ..errors import WorkbenchError
from ..export import FORMATS, Snapshot, export_snapshot
from ..launch import project_dir
from ..records import Store
from ..review import Review, plan_digest
from ..session import snapshot_archive
from . import _html, _static
from ._bridge import Download


class ExportSource(Protocol):
    """Where the export box takes the store and the decisions from: the review panel."""

    @property
    def review(self) -> Review: ...

    @property
    def store(self) -> Store: ...


class ExportBox:
    """What the export will write, a folder field, an Export button, and a download of the written snapshot."""

    def __init__(self, panel: ExportSource, folder: str | None = None, base: str | Path | None = None) -> None:
        self.panel = panel
        self.base = Path(base) if base is not None else project_dir()
        self.folder = w.Text(value=folder or "", description="folder", layout=w.Layout(width="420px"),
                             style={"description_width": "50px"}, continuous_update=False)
        self.format = w.Dropdown(options=list(FORMATS), value="dir", description="format",
                                 layout=w.Layout(width="160px"), style={"description_width": "50px"})
        self.force = w.Checkbox(value=False, description="replace if it exists", indent=False,
                                layout=w.Layout(width="auto"))
        self.allow_large = w.Checkbox(value=False, description="allow a change above the guardrail caps",
                                      indent=False, layout=w.Layout(width="auto"))
        self.button = w.Button(description="Export snapshot", icon="download", button_style="primary",
                               layout=w.Layout(width="auto"))
        self.target = w.HTML()
        self.preview = w.HTML()
        self.sankey = _static.figure_output()
        self.result = w.HTML()
        self.download = Download(label="Download the snapshot")
        self.snapshot: Snapshot | None = None
        self.button.on_click(lambda _: self.export())
        self.folder.observe(lambda _: self._show_target(), "value")
        self.format.observe(lambda _: self._show_target(), "value")
        self.widget = w.VBox([w.HBox([self.folder, self.format, self.button]), self.target,
                              w.HBox([self.force, self.allow_large]), self.result, self.download])
        self._show_target()

    def path(self) -> Path:
        """Where the snapshot goes: the folder typed, or the default; a relative one is taken from the project folder
        (where `workbench lab` / `workbench app` was started, else the kernel's working folder)."""
        folder = Path(self.folder.value.strip() or self.default_folder()).expanduser()
        if not folder.is_absolute() and self.base is not None:
            folder = self.base / folder
        return folder.resolve()

    def export(self) -> Snapshot | None:
        """Write the snapshot; the path (or why not) is shown below the button, and it can be downloaded."""
        review = self.panel.review
        try:
            self.snapshot = export_snapshot(self.panel.store, review.plan, review, self.path(),
                                            format=self.format.value, force=self.force.value,
                                            allow_large_change=self.allow_large.value)
        except WorkbenchError as exc:
            self.result.value = _html.notice(f"<b>Not exported:</b> {_html.esc(exc)}", "error")
            return None
        snap = self.snapshot
        out = snap.manifest["output"]
        warnings = "".join(f"<div>⚠ {_html.esc(x)}</div>" for x in snap.warnings)
        answered = sum(1 for entry in snap.manifest["operations"] if entry.get("question"))
        self.result.value = _html.notice(
            f"Snapshot written to <code>{_html.esc(Path(snap.path).resolve())}</code> — {out['memories']:,} memories, "
            f"{out['notes']:,} notes; {snap.manifest['review']['approve'] + snap.manifest['review']['edit']:,} "
            f"approved operations applied" + (f", and {answered:,} of answered questions" if answered else "")
            + f".{warnings}", "warn" if snap.warnings else "ok")
        name, data = snapshot_archive(snap.path, snap.format)
        self.download.filename, self.download.data = name, data
        self._show_target()
        return snap

    def default_folder(self) -> str:
        return f"snapshots/dream-{plan_digest(self.panel.review.plan)[:10]}"

    def refresh(self) -> ExportBox:
        """Describe exactly what an export writes now: the applied store, its operations, the fates."""
        review = self.panel.review
        self.folder.placeholder = self.default_folder()
        try:
            preview = views.export_preview(self.panel.store, review.plan, review)
        except WorkbenchError as exc:
            self.preview.value = _html.notice(f"Cannot preview the export: {_html.esc(exc)}", "error")
            return self
        self.last_preview = preview
        kinds = ", ".join(f"{n:,} {k}" for k, n in preview.applied.items()) or "none"
        self.preview.value = (
            '<div class="wb-small"><b>The snapshot will hold</b> '
            f"<b>{preview.memories:,}</b> memories with <b>{preview.notes:,}</b> notes "
            f"(from {preview.memories_in:,} memories, {preview.notes_in:,} notes): "
            f"{preview.operations:,} approved operations applied ({_html.esc(kinds)})"
            + (f", {preview.answered:,} of them from answered questions" if preview.answered else "") + "; "
            f"{preview.pending:,} pending and {preview.rejected:,} rejected are not applied"
            + (f"; {preview.blocked:,} approved but blocked are not applied" if preview.blocked else "")
            + (f"; {review.counts()['questions'] - preview.answers:,} unanswered questions change nothing"
               if review.plan.questions else "")
            + ".</div>")
        _static.show(self.sankey, plots.fate_sankey(preview.plan, title="Fates of the notes in the snapshot "
                                                                      "(approved operations only)"))
        self._show_target()
        return self

    def _show_target(self) -> None:
        try:
            path = self.path()
        except (OSError, RuntimeError, ValueError) as exc:
            self.target.value = _html.notice(f"Cannot use this folder: {_html.esc(exc)}", "error")
            return
        exists = " (exists: tick “replace if it exists”)" if path.exists() else ""
        self.target.value = (f'<div class="wb-small wb-muted">will be written to <code>{_html.esc(path)}</code>'
                             f"{_html.esc(exists)}</div>")

