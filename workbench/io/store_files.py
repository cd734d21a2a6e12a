"""A memory store as a directory of files (as mounted at `/mnt/memory/` or Claude's `/memories`)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ReaderError
from ..records import Memory, stable_id
from . import Loaded, register_reader
from ._util import load_json, located, read_text

SIDECAR = ".workbench-store.json"


@register_reader("directory", provides=("memories",), description="A directory of memory files, any depth")
class DirectoryStore:
    """A directory of memory files, any depth; paths become `/a/b.md`."""

    def sniff(self, path: Path, head: str) -> float:
        return 1.0 if path.is_dir() else 0.0

    def read(self, path: Path) -> Loaded:
        root = path.resolve()
        sidecar = load_json(path / SIDECAR) if (path / SIDECAR).is_file() else {}
        with located(path / SIDECAR):
            known = {m["path"]: m for m in sidecar.get("memories", [])}
        memories = []
        for file in sorted(_files(path)):
            relative = "/" + file.relative_to(path).as_posix()
            resolved = file.resolve()
            if root not in resolved.parents:
                raise ReaderError("symbolic link points outside the store", source=str(file))
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
                      versions=sidecar.get("memory_versions", []))


def _files(root: Path):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in [*filenames, *links]:  # linked directories are checked, never followed
            if not name.startswith("."):
                yield Path(dirpath) / name


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
