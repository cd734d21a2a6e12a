"""The fleet's file writes: atomic (a temporary file beside the target, fsync, rename), so a
reader sees the old file or the new one and a stopped run leaves nothing half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import WorkbenchError


def write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WorkbenchError(f"cannot write: {exc.strerror or exc}", source=str(path)) from None
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WorkbenchError(f"cannot remove: {exc.strerror or exc}", source=str(path)) from None
