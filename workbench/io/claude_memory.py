"""Claude Code's memory: auto-memory folders and `CLAUDE.md` files.

An auto-memory folder (`~/.claude/projects/<project>/memory/`) holds `MEMORY.md`, an index of
links (`- [Title](file.md) — summary`), and one file per topic, often with YAML front matter
(`name`, `description`, `type`). The index is a table of contents, not facts: it is read with
`meta["index"] = True`, so its link entries are not notes (nothing merges, prunes or updates
them; other lines of `MEMORY.md` are notes as usual), and `reindex` keeps it true after a dream:
links to files the curation deleted are dropped and new files are linked. A link to a file the
folder does not hold, or to a path outside it, is a `ReaderWarning` naming `MEMORY.md` and the
line. Front matter stays in the file and is also kept as `meta["front_matter"]`.

`CLAUDE.md` files (project memory) load as a store too: one file, or, named with
`format="claude-md"`, every `CLAUDE.md`, `CLAUDE.local.md` and `.claude/rules/**/*.md` under a
project folder, at their paths. Their `@path` imports are not followed (they name project files).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import unquote

from ..errors import ReaderError, ReaderWarning
from ..files import quote, read_text
from ..markdown import parser, rewrite_content
from ..records import Memory, Store, split_notes, stable_id
from . import Loaded, register_reader
from .parsing import located
from .store_files import DirectoryStore

INDEX = "MEMORY.md"
CLAUDE_FILES = ("CLAUDE.md", "CLAUDE.local.md")
SKIPPED_FOLDERS = ("node_modules", "__pycache__")
LINK = re.compile(r"^\[(?P<title>[^\]]+)\]\((?P<href>[^)\s]+)\)")
SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")


# --- front matter --------------------------------------------------------------------------------


def front_matter(content: str, source: str | Path) -> dict[str, Any] | None:
    """The YAML front matter of a document as JSON-safe data (None when it has none)."""
    import yaml

    tokens = parser().parse(content)
    if not tokens or tokens[0].type != "front_matter":
        return None
    try:
        data = yaml.safe_load(tokens[0].content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ReaderError(f"malformed YAML front matter: {problem}", source=quote(source),
                          line=mark.line + 2 if mark else 1, field="front_matter") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ReaderError(f"front matter is not a mapping of keys to values (got {type(data).__name__})",
                          source=quote(source), line=2, field="front_matter")
    return json.loads(json.dumps(data, default=str))  # dates become text: the sidecar and JSON hold it


# --- links of the index --------------------------------------------------------------------------


def _resolve(href: str, folder: str) -> str | None:
    """The memory path a relative link names (None for a URL or an anchor); `/..` when it leaves the store."""
    if SCHEME.match(href) or href.startswith("#"):
        return None
    target = unquote(href.split("#", 1)[0].split("?", 1)[0])
    if not target:
        return None
    if target.startswith("/"):
        return "/.." + target  # an absolute file system path is outside the folder
    relative = posixpath.normpath(posixpath.join(folder.lstrip("/") or ".", target))
    return "/.." if relative == ".." or relative.startswith("../") else "/" + relative.removeprefix("./")


def index_links(content: str) -> list[tuple[int, str]]:
    """(line, href) of every link in a document."""
    out = []
    for token in parser().parse(content):
        for child in token.children or ():
            if child.type == "link_open" and token.map:
                out.append((token.map[0] + 1, str(child.attrs.get("href", ""))))
    return out


def check_links(index: Memory, paths: set[str], source: Path) -> None:
    """Warn (naming the index and the line) about links to missing files or to paths outside the folder."""
    folder = posixpath.dirname(index.path)
    for line, href in index_links(index.content):
        target = _resolve(href, folder)
        if target is None:
            continue
        where = f"{quote(source)}:{line}: "
        if target == "/.." or target.startswith("/../"):
            warnings.warn(f"{where}link {href!r} points outside the memory folder; it is not read", ReaderWarning,
                          stacklevel=2)
        elif target not in paths:
            warnings.warn(f"{where}link {href!r} names a file the folder does not hold", ReaderWarning, stacklevel=2)


def _with_meta(memory: Memory, source: Path) -> Memory:
    meta = dict(memory.meta)
    if memory.path == "/" + INDEX:
        meta["index"] = True
    elif memory.path.endswith(".md"):
        found = front_matter(memory.content, source)
        if found is not None:
            meta["front_matter"] = found
    return replace(memory, meta=meta) if meta != dict(memory.meta) else memory


@register_reader("claude-memory", provides=("memories",), reads=("folder",),
                 description="A Claude Code auto-memory folder: a MEMORY.md index and one file per topic")
class ClaudeMemory:
    """A Claude Code auto-memory folder: `MEMORY.md` (a table of contents) and one file per topic."""

    def sniff(self, path: Path, head: str) -> float:
        return 1.0 if path.is_dir() and (path / INDEX).is_file() else 0.0

    def read(self, path: Path) -> Loaded:
        if not (path / INDEX).is_file():
            raise ReaderError(f"no {INDEX} index in the folder; read it as a directory store", source=quote(path),
                              field=INDEX)
        loaded = DirectoryStore().read(path)
        memories = [_with_meta(m, Path(m.origin or path)) for m in loaded.memories]
        paths = {m.path for m in memories}
        index = next(m for m in memories if m.path == "/" + INDEX)
        check_links(index, paths, path / INDEX)
        loaded.memories = memories
        return loaded


# --- keeping the index true after a dream ---------------------------------------------------------


def _title(memory: Memory) -> str:
    matter = memory.meta.get("front_matter") or {}
    if isinstance(matter.get("name"), str) and matter["name"].strip():
        return matter["name"].strip()
    heading = next((n.section for n in split_notes(memory) if n.section), "")
    stem = memory.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return (heading.split(" / ")[0] or stem.replace("_", " ").replace("-", " ")).replace("]", ")")


def _summary(memory: Memory) -> str:
    matter = memory.meta.get("front_matter") or {}
    if isinstance(matter.get("description"), str) and matter["description"].strip():
        return " ".join(matter["description"].split())
    first = next((n.text for n in split_notes(memory)), "")
    return first if len(first) <= 100 else first[:99].rstrip() + "…"


def link_entry(memory: Memory, folder: str) -> str:
    """`[Title](relative/path.md) — summary` for a file the index should name."""
    relative = url_quote(posixpath.relpath(memory.path, folder or "/"))
    summary = _summary(memory)
    return f"[{_title(memory)}]({relative})" + (f" — {summary}" if summary else "")


def _reindexed(index: Memory, before: set[str], after: Store) -> Memory:
    folder = posixpath.dirname(index.path)
    notes = split_notes(index)
    dropped: dict[str, str | None] = {}
    for note in notes:
        link = LINK.match(note.text)
        target = _resolve(link.group("href"), folder) if link else None
        if target in before and target not in after.by_path:
            dropped[note.id] = None
    prefix = folder.rstrip("/") + "/"
    added = [link_entry(m, folder) for m in after.memories
             if m.path not in before and m.path.startswith(prefix) and m.path.endswith(".md") and not m.meta.get("index")]
    if not dropped and not added:
        return index
    content = rewrite_content(index.content, notes, dropped, added)
    at = max(m.updated_at for m in after.memories)
    return replace(index, content=content, updated_at=max(at, index.updated_at))


def reindex(before: Store, after: Store) -> Store:
    """`after` with each table of contents (`meta["index"]`) true to it: links to files the curation
    deleted are dropped and files it created are linked; everything else in the index stays as written."""
    if not any(m.meta.get("index") for m in after.memories):
        return after
    paths = {m.path for m in before.memories}
    memories = tuple(_reindexed(m, paths, after) if m.meta.get("index") else m for m in after.memories)
    return Store(memories, id=after.id, name=after.name, versions=after.versions)


# --- CLAUDE.md -----------------------------------------------------------------------------------


def _project_files(root: Path) -> list[Path]:
    """`CLAUDE.md` and `CLAUDE.local.md` at any depth, and `.claude/rules/**/*.md` (hidden folders skipped)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if (d == ".claude" or not d.startswith(".")) and d not in SKIPPED_FOLDERS)
        folder = Path(dirpath)
        parts = folder.relative_to(root).parts
        rules = any(parts[i:i + 2] == (".claude", "rules") for i in range(len(parts)))
        for name in sorted(filenames):
            if name in CLAUDE_FILES or (rules and name.endswith(".md")):
                found.append(folder / name)
    return found


def _claude_md(file: Path, root: Path) -> Memory:
    relative = "/" + file.relative_to(root).as_posix()
    content = read_text(file, bom=False)
    mtime = datetime.fromtimestamp(file.stat().st_mtime, tz=timezone.utc)
    meta = {}
    found = front_matter(content, file)
    if found is not None:
        meta["front_matter"] = found
    with located(file):
        return Memory.from_dict({"id": stable_id("mem_", relative), "path": relative, "content": content,
                                 "created_at": mtime, "updated_at": mtime, "meta": meta}, origin=str(file))


@register_reader("claude-md", provides=("memories",), reads=("file", "folder"), extensions=(".md",),
                 description="CLAUDE.md project memory: one file, or every CLAUDE.md and rule under a project folder")
class ClaudeMd:
    """`CLAUDE.md` project memory: the file, or (`format="claude-md"`) every one under a project folder."""

    def sniff(self, path: Path, head: str) -> float:
        return 0.95 if path.is_file() and path.name in CLAUDE_FILES else 0.0

    def read(self, path: Path) -> Loaded:
        root = path.parent if path.is_file() else path
        files = [path] if path.is_file() else _project_files(path)
        if not files:
            raise ReaderError("no CLAUDE.md, CLAUDE.local.md or .claude/rules/*.md in the folder", source=quote(path))
        return Loaded(memories=[_claude_md(file, root) for file in files], store_name=root.name)
