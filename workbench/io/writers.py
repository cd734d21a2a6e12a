"""Writing a store back out: a directory of files (with a hidden sidecar) or the Managed Agents JSON."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ReaderError
from ..records import Store
from .store_files import SIDECAR, sidecar_for

FORMATS = ("dir", "json")


def store_json(store: Store) -> str:
    """The Managed Agents store JSON text."""
    return json.dumps(store.to_dict(), indent=2, ensure_ascii=False) + "\n"


def write_store(store: Store, path: str | Path, format: str = "dir") -> Path:
    """Write `store` as a directory of files (`dir`) or one JSON file (`json`); returns the path.

    For atomic, checked, auditable output use `workbench.export`; this is the plain writer.
    """
    path = Path(path)
    if format == "json":
        path.write_text(store_json(store), encoding="utf-8")
        return path
    if format != "dir":
        raise ReaderError(f"unknown store format {format!r}; use one of {', '.join(FORMATS)}")
    path.mkdir(parents=True, exist_ok=True)
    for memory in store.memories:
        target = path.joinpath(*memory.path.strip("/").split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(memory.content, encoding="utf-8", newline="")
    (path / SIDECAR).write_text(sidecar_for(store), encoding="utf-8")
    return path
