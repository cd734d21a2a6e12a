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

    Atomic: the file (or folder) is written beside `path` and renamed into place. An existing
    folder is replaced only when it is a store this tool wrote (it has the sidecar) or empty.
    For checked, auditable output use `workbench.export`.
    """
    from ..export import safe_relative
    from ..files import staged_folder, swap_in, sync_tree, write_text

    path = Path(path)
    if format == "json":
        return write_text(path, store_json(store))
    if format != "dir":
        raise ReaderError(f"unknown store format {format!r}; use one of {', '.join(FORMATS)}")
    if path.exists() and not _replaceable(path):
        raise ReaderError("exists and is not a store folder this tool wrote; choose another path", source=str(path))
    with staged_folder(path) as staging:
        folder = staging / "store"
        folder.mkdir()
        for memory in store.memories:
            target = folder.joinpath(*safe_relative(memory.path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(memory.content.encode("utf-8"))
        (folder / SIDECAR).write_bytes(sidecar_for(store).encode("utf-8"))
        sync_tree(folder)
        swap_in(folder, path, replace=_replaceable)
    return path


def _replaceable(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and ((path / SIDECAR).is_file() or not any(path.iterdir()))
