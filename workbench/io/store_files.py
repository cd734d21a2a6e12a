"""A memory store as a directory of files (as mounted at `/mnt/memory/` or Claude's `/memories`): read
(`directory`) and written (`dir`, and `zip`: that folder in one archive).

A folder is written with `write_tree`: every memory path checked by `safe_relative`, never
through a symbolic link, never a file twice; `write_store` replaces only a folder this tool wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from .. import files
from ..errors import ExportError, ReaderError, WorkbenchError
from ..files import quote, read_text
from ..records import Memory, Store, stable_id
from . import Loaded, Rendered, register_reader, register_writer
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


# --- writing ----------------------------------------------------------------------------------


def safe_relative(path: str) -> PurePosixPath:
    """The relative file path for a memory path, refusing anything that could escape the snapshot
    or that no file system can hold (a segment over 255 bytes, a control character)."""
    if "\x00" in path:
        raise ExportError(f"memory path contains a NUL byte: {quote(path)!r}")
    if "\\" in path or re.match(r"^/?[A-Za-z]:", path):
        raise ExportError(f"memory path looks like a Windows path: {quote(path)!r}")
    if not path.startswith("/"):
        raise ExportError(f"memory path must start with '/': {quote(path)!r}")
    parts = path[1:].split("/")  # split by hand: PurePosixPath would drop "." and "" silently
    if any(part in ("..", ".", "") for part in parts):
        raise ExportError(f"memory path escapes the snapshot: {quote(path)!r}")
    if parts == [SIDECAR]:
        raise ExportError(f"memory path collides with the snapshot's own files: {path!r}")
    for part in parts:
        try:
            files.safe_name(part, what="memory path segment")
        except WorkbenchError as exc:
            raise ExportError(f"{exc.message} (in {quote(path)[:80]!r}); export as --format json") from None
    return PurePosixPath(*parts)


def check_tree(store: Store) -> None:
    """Every memory can be a file: no path is both a file and a folder (`/a` and `/a/b.md`)."""
    paths = {m.path for m in store.memories}
    for path in sorted(paths):
        safe_relative(path)
        parent = path.rsplit("/", 1)[0]
        while parent:
            if parent in paths:
                raise ExportError(f"memory {quote(path)!r} lies under {quote(parent)!r}, which is itself "
                                  "a memory; a folder snapshot cannot hold both: export as --format json")
            parent = parent.rsplit("/", 1)[0]


def write_tree(rendered: Mapping[str, str], root: Path) -> None:
    """Write rendered files (relative POSIX names) under `root`, never through a symbolic link and
    never over a file (a name written twice, two names one file on a case-insensitive disk)."""
    root.mkdir(parents=True, exist_ok=True)
    inside = root.resolve()
    for name, text in rendered.items():
        parts = name.split("/")
        target = root.joinpath(*parts)
        for parent in [root.joinpath(*parts[:i]) for i in range(1, len(parts))]:
            if parent.is_symlink():
                raise ExportError(f"refusing to write through a symbolic link: {parent}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            raise ExportError(f"{quote(name)!r} is written twice or over a link")
        if inside not in target.resolve().parents:
            raise ExportError(f"memory path escapes the snapshot: {name!r}")
        target.write_bytes(text.encode("utf-8"))


# --- the writers ------------------------------------------------------------------------------


@register_writer("dir", tree=True, reader="directory",
                 description="A folder of memory files at their paths, the hidden sidecar keeping ids and times")
class Folder:
    """A folder of memory files at their paths, and the sidecar that keeps ids and times."""

    def render(self, store: Store, source: Store | None = None) -> Rendered:
        check_tree(store)
        rendered = {safe_relative(m.path).as_posix(): m.content for m in store.memories}
        rendered[SIDECAR] = sidecar_for(store)
        return Rendered(rendered, store)

    def write(self, rendered: Mapping[str, str], path: Path) -> None:
        write_tree(rendered, path)

    def save(self, store: Store, path: Path, *, force: bool = False) -> Path:
        """Swap the folder in whole: a file of a memory the store no longer has does not survive.

        An existing folder is replaced only when it is empty or holds nothing but what this tool
        wrote there (the sidecar and the memory files it lists); `force=True` replaces any folder.
        """
        replaceable = (lambda p: p.is_dir() and not p.is_symlink()) if force else _written_here
        if (path.exists() or path.is_symlink()) and not replaceable(path):
            raise ReaderError(f"{_foreign(path)}; choose another path, or pass force=True to replace it",
                              source=quote(path))
        rendered = self.render(store).files
        with files.staged_folder(path) as staging:
            folder = staging / "store"
            self.write(rendered, folder)
            files.sync_tree(folder)
            files.swap_in(folder, path, replace=replaceable)
        return path


@register_writer("zip", tree=True, extensions=(".zip",), description="The dir layout in one zip archive")
class Zip(Folder):
    """The dir layout in one zip archive."""

    def write(self, rendered: Mapping[str, str], path: Path) -> None:
        tree = path.with_name(path.name + ".tree")
        write_tree(rendered, tree)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in tree.rglob("*") if p.is_file()):
                archive.write(file, file.relative_to(tree).as_posix())
        shutil.rmtree(tree)

    def save(self, store: Store, path: Path, *, force: bool = False) -> Path:
        """Swap the archive in (a file there is replaced; a folder or a link is not)."""
        rendered = self.render(store).files
        with files.staged_folder(path) as staging:
            staged = staging / "store.zip"
            self.write(rendered, staged)
            files.sync_tree(staging)
            files.swap_in(staged, path, replace=lambda p: p.is_file() and not p.is_symlink())
        return path


# --- what may be replaced ---------------------------------------------------------------------


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
