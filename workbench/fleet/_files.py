"""The fleet's file writes, through `workbench.files` (atomic: a reader sees the old file or the
new one, and a stopped run leaves nothing half-written), as one-line `WorkbenchError`s."""

from __future__ import annotations

from pathlib import Path

from .. import files
from ..errors import WorkbenchError


def write_bytes(path: str | Path, data: bytes) -> Path:
    try:
        return files.write_bytes(path, data)
    except OSError as exc:
        raise WorkbenchError(f"cannot write: {exc.strerror or exc}", source=files.quote(path)) from None


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WorkbenchError(f"cannot remove: {exc.strerror or exc}", source=files.quote(path)) from None
