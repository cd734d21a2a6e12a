"""A memory store as a directory of files (as mounted at `/mnt/memory/` or Claude's `/memories`)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ReaderError
from ..files import quote, read_text
from ..records import Memory, stable_id
from . import Loaded, register_reader
from .parsing import load_json, located

SIDECAR = ".workbench-store.json"


@register_reader("directory", provides=("memories",), reads=("folder",), description="A directory of memory files, any depth")
class DirectoryStore:
    """A directory of memory files, any depth; paths become `/a/b.md`."""

    def sniff(self, path: Path, head: str) -> float:
        if not path.is_dir():
            return 0.0
        return 0.9 if (path / "MEMORY.md").is_file() else 1.0  # a Claude Code memory folder reads better as one

    def read(self, path: Path) -> Loaded:
        root = path.resolve()
        sidecar = _sidecar(path)
        known = {m["path"]: m for m in sidecar["memories"]}
        memories = []
        for file in sorted(_files(path, known)):
            relative = "/" + file.relative_to(path).as_posix()
            _check_name(file, relative)
            _check_inside(file, root)
            if file.is_dir():  # a link to a directory inside the store: not followed, as os.walk does
                continue
            content = read_text(file, bom=False)  # first, so a broken link is a ReaderError
            stat = file.stat()
            mtime = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)
            info = known.get(relative, {})
            record = {
                "id": info.get("id") or stable_id("mem_", relative),
                "path": relative,
                "content": content,
                "created_at": info.get("created_at") or mtime,
                "updated_at": info.get("updated_at") or mtime,
                "memory_version_id": info.get("memory_version_id"),
                "author": info.get("author"),
                "meta": info.get("meta"),
            }
            with located(file):
                memories.append(Memory.from_dict(record, origin=str(file)))
        order = {p: i for i, p in enumerate(known)}  # the store's own order; new files after, by path
        memories.sort(key=lambda m: order.get(m.path, len(order)))
        return Loaded(memories=memories, store_id=sidecar.get("id"), store_name=sidecar.get("name") or path.name,
                      versions=sidecar.get("memory_versions") or [])


def _check_inside(file: Path, root: Path) -> None:
    """A file of the store (or a link in it) must lie inside the store: links out are never followed."""
    try:
        resolved = file.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links
        raise ReaderError("cannot read: symbolic link loop", source=quote(file)) from None
    if root not in resolved.parents:
        raise ReaderError("symbolic link points outside the store", source=quote(file))


def _sidecar(path: Path) -> dict:
    """The hidden sidecar's ids, times and meta, checked for shape (empty when there is none).

    A sidecar that is a link is checked like a memory file: one pointing outside the store is refused."""
    file = path / SIDECAR
    if file.is_symlink():
        _check_inside(file, path.resolve())
    if not file.is_file():
        return {"memories": []}
    data = load_json(file)
    if not isinstance(data, dict):
        raise ReaderError("expected an object", source=quote(file))
    memories = data.get("memories") or []
    if not isinstance(memories, list) or not all(isinstance(m, dict) for m in memories):
        raise ReaderError("expected a list of memory objects", source=quote(file), field="memories")
    for index, memory in enumerate(memories):
        if not isinstance(memory.get("path"), str):
            raise ReaderError(f"missing 'path' (memories[{index}])", source=quote(file))
    from .store_json import check_versions

    check_versions(data.get("memory_versions"), file)
    for name in ("id", "name"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ReaderError(f"expected text, got {type(data[name]).__name__}", source=quote(file), field=name)
    return {**data, "memories": memories}


def _check_name(file: Path, relative: str) -> None:
    """A file name that is not valid UTF-8 (or too long for a memory path) cannot become a memory path."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise ReaderError("file name is not valid UTF-8; rename the file", source=quote(file)) from None


def _files(root: Path, known: dict | None = None):
    """The memory files under `root`: not hidden, unless the sidecar names them (`/.claude/CLAUDE.md`)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in [*filenames, *links]:  # linked directories are checked, never followed
            if not name.startswith("."):
                found.add(Path(dirpath) / name)
                yield Path(dirpath) / name
    for memory_path in known or {}:
        parts = memory_path.strip("/").split("/")
        if "/." not in memory_path or any(p in ("", ".", "..") for p in parts):
            continue
        file = root.joinpath(*parts)
        if file not in found and (file.is_file() or file.is_symlink()):
            yield file


def sidecar_for(store) -> str:
    """The hidden JSON that keeps ids, times and meta of a store written as files."""
    entries = []
    for m in store.memories:
        d = m.to_dict()
        entries.append({k: d[k] for k in ("id", "path", "created_at", "updated_at", "memory_version_id", "author", "meta") if k in d})
    body = {"type": "memory_store", "id": store.id, "name": store.name, "memories": entries}
    if store.versions:
        body["memory_versions"] = [dict(v) for v in store.versions]
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
