"""Memory stores as JSON: the Managed Agents export, JSON Lines of memories, and mem0's export (read;
the Managed Agents JSON and mem0's written too: `json`, `mem0`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ReaderError
from ..files import quote, read_text
from ..records import Memory, Store, iso, parse_time, sha256, stable_id
from . import Loaded, OneFileWriter, Rendered, register_reader, register_writer
from .parsing import item_lines, iter_jsonl, load_json, located, require


def _text(data: dict, name: str, path: Path) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ReaderError(f"expected text, got {type(value).__name__}", source=quote(path), field=name)
    return value


def _memories(path: Path, text: str, items: Any, key: str | None, build) -> list[Memory]:
    if not isinstance(items, list):
        raise ReaderError(f"expected a list of memories{f' under {key!r}' if key else ''}", source=str(path))
    lines = item_lines(text, key)  # one linear pass: each memory keeps the line it came from
    out = []
    for index, item in enumerate(items):
        line = lines.get(index)
        where = f"{key or ''}[{index}]"
        with located(path, line, where):
            out.append(build(item, f"{path}:{line}" if line else f"{path}#{where}"))
    return out


def _versions(path: Path, data: dict, text: str | None = None) -> list[dict[str, Any]]:
    """`memory_versions`: a list of objects, or nothing."""
    return check_versions(data.get("memory_versions"), path, text)


def check_versions(versions: Any, path: Path, text: str | None = None) -> list[dict[str, Any]]:
    """Memory versions: objects whose `memory_id` is text and whose `created_at` is a time (they date notes)."""
    versions = versions or []
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise ReaderError("expected a list of memory version objects", source=quote(path), field="memory_versions")
    lines = item_lines(text, "memory_versions") if text is not None else None
    for index, version in enumerate(versions):
        with located(path, lines.at(index) if lines is not None else None, f"memory_versions[{index}]"):
            if version.get("memory_id") is not None and not isinstance(version["memory_id"], str):
                raise ReaderError(f"expected text, got {type(version['memory_id']).__name__}", field="memory_id")
            if version.get("created_at") is not None:
                parse_time(version["created_at"], field_name="created_at")
            if version.get("content") is not None and not isinstance(version["content"], str):
                raise ReaderError(f"expected text, got {type(version['content']).__name__}", field="content")
    return versions


@register_reader("managed-agents-store", provides=("memories",), reads=("file",), extensions=(".json",))
class ManagedAgentsStore:
    """The Managed Agents memory store JSON (`{"type": "memory_store", "memories": [...]}`)."""

    def sniff(self, path: Path, head: str) -> float:
        if not head.lstrip().startswith("{"):
            return 0.0
        if '"memory_store"' in head:
            return 1.0
        return 0.6 if '"memories"' in head and '"path"' in head else 0.0

    def read(self, path: Path) -> Loaded:
        text = read_text(path)
        data = load_json(path, text)
        with located(path):
            require(data, "memories", list)
        memories = _memories(path, text, data["memories"], "memories", lambda d, o: Memory.from_dict(d, origin=o))
        return Loaded(memories=memories, store_id=_text(data, "id", path), store_name=_text(data, "name", path),
                      versions=_versions(path, data, text))


@register_reader("memories-jsonl", provides=("memories",), reads=("file",), extensions=(".jsonl",))
class MemoriesJsonl:
    """JSON Lines, one memory object (`path`, `content`, times) per line."""

    def sniff(self, path: Path, head: str) -> float:
        first = head.lstrip().split("\n", 1)[0]
        return 0.8 if first.startswith("{") and '"path"' in first and '"content"' in first else 0.0

    def read(self, path: Path) -> Loaded:
        memories = []
        for line, item in iter_jsonl(path):
            with located(path, line):
                memories.append(Memory.from_dict(item, origin=f"{path}:{line}"))
        return Loaded(memories=memories)


def _mem0_memory(item: dict, origin: str) -> Memory:
    """One mem0 memory becomes one document at `/mem0/<user or agent>/<id>.md`."""
    text = require(item, "memory")
    meta = {k: item[k] for k in ("user_id", "agent_id", "run_id", "hash", "categories", "metadata") if item.get(k)}
    ident = str(item.get("id") or stable_id("mem_", text))
    owner = item.get("user_id") or item.get("agent_id") or "memories"
    return Memory.from_dict(
        {"id": ident, "path": f"/mem0/{owner}/{ident}.md", "content": text.rstrip("\n") + "\n",
         "created_at": item.get("created_at"), "updated_at": item.get("updated_at") or item.get("created_at"),
         "meta": meta},
        origin=origin,
    )


@register_reader("mem0", provides=("memories",), reads=("file",), extensions=(".json",))
class Mem0Export:
    """mem0's export: `{"results": [{"id", "memory", "user_id", "created_at", ...}]}` or a bare list."""

    def sniff(self, path: Path, head: str) -> float:
        return 0.9 if '"memory"' in head and ('"results"' in head or '"hash"' in head) else 0.0

    def read(self, path: Path) -> Loaded:
        text = read_text(path)
        data = load_json(path, text)
        key = "results" if isinstance(data, dict) else None
        items = data.get("results") if isinstance(data, dict) else data
        return Loaded(memories=_memories(path, text, items, key, _mem0_memory))


# --- writing ----------------------------------------------------------------------------------


def store_json(store: Store) -> str:
    """The Managed Agents store JSON text."""
    return json.dumps(store.to_dict(), indent=2, ensure_ascii=False) + "\n"


def mem0_json(store: Store) -> str:
    """mem0's JSON: one item per note, its memory's path in the metadata."""
    items = [{"id": n.id, "memory": n.text, "hash": sha256(n.text)[:32], "metadata": {"path": m.path, "note": n.id},
              "created_at": iso(m.created_at), "updated_at": iso(m.updated_at)}
             for m in store.memories for n in store.notes if n.memory_id == m.id]
    return json.dumps({"results": items}, indent=2, ensure_ascii=False) + "\n"


@register_writer("json", tree=False, reader="managed-agents-store", extensions=(".json",),
                 description="The Managed Agents memory store JSON")
class StoreJson(OneFileWriter):
    """The Managed Agents memory store JSON."""

    def render(self, store: Store, source: Store | None = None) -> Rendered:
        return Rendered({"": store_json(store)}, store)


@register_writer("mem0", tree=False, extensions=(".json",), description="mem0 JSON: one item per note")
class Mem0Json(OneFileWriter):
    """mem0 JSON: one item per note (it does not read back as the same store)."""

    def render(self, store: Store, source: Store | None = None) -> Rendered:
        return Rendered({"": mem0_json(store)}, store)


