"""Writing a store back out: a directory of files (with a hidden sidecar) or the Managed Agents JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ReaderError
from ..files import quote
from ..records import Store
from .store_files import SIDECAR, sidecar_for

FORMATS = ("dir", "json")


def store_json(store: Store) -> str:
    """The Managed Agents store JSON text."""
    return json.dumps(store.to_dict(), indent=2, ensure_ascii=False) + "\n"


def write_store(store: Store, path: str | Path, format: str = "dir", *, force: bool = False) -> Path:
    """Write `store` as a directory of files (`dir`) or one JSON file (`json`); returns the path.

    The result is exactly `store`: a folder is written aside and swapped in whole, so a file of a
    memory the store no longer has does not survive, and a reader sees the old folder or the new
    one. An existing folder is replaced only when it is empty or holds nothing but what this tool
    wrote there (the sidecar and the memory files it lists); `force=True` replaces any folder.
    For checked, auditable output use `workbench.export`.
    """
    from ..export import safe_relative
    from ..files import staged_folder, swap_in, sync_tree, write_text

    path = Path(path)
    if format == "json":
        return write_text(path, store_json(store))
    if format != "dir":
        raise ReaderError(f"unknown store format {format!r}; use one of {', '.join(FORMATS)}")
    replaceable = (lambda p: p.is_dir() and not p.is_symlink()) if force else _written_here
    if (path.exists() or path.is_symlink()) and not replaceable(path):
        raise ReaderError(f"{_foreign(path)}; choose another path, or pass force=True to replace it",
                          source=quote(path))
    with staged_folder(path) as staging:
        folder = staging / "store"
        folder.mkdir()
        for memory in store.memories:
            target = folder.joinpath(*safe_relative(memory.path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(memory.content.encode("utf-8"))
        (folder / SIDECAR).write_bytes(sidecar_for(store).encode("utf-8"))
        sync_tree(folder)
        swap_in(folder, path, replace=replaceable)
    return path


def _files_in(path: Path) -> set[str]:
    """Every file and link under `path`, as `/relative/path` (folders are not followed through links)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in [*filenames, *links]:
            found.add("/" + (Path(dirpath) / name).relative_to(path).as_posix())
    return found


def _listed(path: Path) -> set[str] | None:
    """The memory paths the sidecar lists (None when there is no readable sidecar)."""
    try:
        data = json.loads((path / SIDECAR).read_text(encoding="utf-8"))
        return {m["path"] for m in data["memories"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _written_here(path: Path) -> bool:
    """An empty folder, or one holding only the sidecar and the memory files it lists."""
    if not path.is_dir() or path.is_symlink():
        return False
    present = _files_in(path)
    if not present:
        return True
    listed = _listed(path)
    return listed is not None and present <= listed | {"/" + SIDECAR}


def _foreign(path: Path) -> str:
    """Why `path` may not be replaced, naming a file this tool did not write."""
    if not path.is_dir() or path.is_symlink():
        return "exists and is not a folder"
    listed = _listed(path)
    if listed is None:
        return "exists and is not a store folder this tool wrote (no sidecar)"
    other = sorted(_files_in(path) - listed - {"/" + SIDECAR})
    return f"holds {len(other)} file(s) this tool did not write (such as {quote(other[0])!r})"
