"""Writing a curated store back into the Letta agent file it came from (`export --format letta-af`).

The original file is re-read and only what the curation changed is spliced into its text: the JSON
string of each changed block's `value`, and (for a memory that is new) one block object appended
to `blocks` and its id to the agent's `block_ids` (or to `core_memory`, old schema). Every other
byte — tools, groups, files, sources, messages, metadata, key order, indentation, escapes — is as
it was, so Letta imports the file as before with the new memory.

A block whose memory the curation removed keeps its place with an empty `value` (agents and tool
rules name blocks; removing one could break the agent). A value longer than the block's `limit`
is refused (Letta would refuse it on import). Times in the file are the file's own: the current
schema has none per block, and the old one's `updated_at` is left as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import ExportError, ReaderError
from ..files import quote, read_text
from ..records import Memory, Store
from . import OneFileWriter, Rendered, register_writer
from .letta import AgentFile, read_agent_file
from .parsing import value_span

DEFAULT_LIMIT = 20_000  # Letta's CORE_MEMORY_BLOCK_CHAR_LIMIT for a new block

Edit = tuple[int, int, str]  # replace text[start:end] with the string


def source_file(store: Store) -> Path:
    """The agent file a store was loaded from; an `ExportError` when it was not loaded from one."""
    origin = str(store.origin or "").split("#", 1)[0]
    path = Path(origin) if origin else None
    if path is None or not path.is_file():
        raise ExportError("a letta-af export writes the curated blocks back into the agent file the store was "
                          f"loaded from; this store came from {quote(origin) or 'no file'!r}: load it from the .af file")
    return path


def agent_file_for(source: Store, store_out: Store) -> tuple[str, Store]:
    """The agent file text with `store_out`'s blocks in place, and the store that text reads back as."""
    path = source_file(source)
    text = read_text(path)
    try:
        agent = read_agent_file(text, path)
    except ReaderError as exc:
        raise ExportError(f"the agent file no longer loads: {exc}") from None
    if Store(tuple(b.memory for b in agent.blocks)).digest != source.digest:
        raise ExportError(f"{quote(path)} changed since the store was loaded from it; load it again and re-plan")
    style = _Style.of(text)
    by_id = {m.id: m for m in store_out.memories}
    edits = [edit for block in agent.blocks if (edit := _value_edit(text, block, by_id.pop(block.memory.id, None), style))]
    edits += _new_blocks(text, agent, [m for m in store_out.memories if m.id in by_id], style)
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    written = read_agent_file(text, path)
    return text, Store(tuple(b.memory for b in written.blocks), id=source.id, name=source.name)


@register_writer("letta-af", tree=False, reader="letta-agent", extensions=(".af",),
                 description="The Letta agent file the store was loaded from, with the curated blocks in place")
class LettaAgentFile(OneFileWriter):
    """The Letta agent file `source` was loaded from, `store`'s blocks in place (`agent_file_for`)."""

    def render(self, store: Store, source: Store | None = None) -> Rendered:
        text, written = agent_file_for(source if source is not None else store, store)
        return Rendered({"": text}, written)


class _Style:
    """How the file is written (indentation, separators, escapes), so appended JSON looks the same."""

    def __init__(self, indent: int | None, separators: tuple[str, str], ascii_only: bool) -> None:
        self.indent, self.separators, self.ascii_only = indent, separators, ascii_only

    @classmethod
    def of(cls, text: str) -> _Style:
        found = re.search(r"\n( +)\S", text)
        indent = len(found.group(1)) if found else None
        head = text[:2000]
        if indent:
            separators = (",", ": ")
        else:
            separators = (", ", ": ") if '": ' in head else (",", ":")
        return cls(indent, separators, text.isascii())

    def dumps(self, value: Any, depth: str = "") -> str:
        out = json.dumps(value, indent=self.indent, separators=self.separators, ensure_ascii=self.ascii_only)
        return out.replace("\n", "\n" + depth) if self.indent else out


def _check_limit(label: str, value: str, limit: Any) -> None:
    if isinstance(limit, int) and not isinstance(limit, bool) and len(value) > limit:
        raise ExportError(f"block {label!r} would hold {len(value):,} characters; its limit is {limit:,} "
                          "(Letta refuses it): shorten it in review, or raise the block's limit")


def _value_edit(text: str, block: Any, memory: Memory | None, style: _Style) -> Edit | None:
    value = memory.content if memory is not None else ""
    if value == block.memory.content:
        return None
    _check_limit(block.label, value, block.memory.meta.get("limit"))
    start, end = value_span(text, [*block.loc, "value"])
    return start, end, style.dumps(value)


def _label(path: str) -> str:
    """The label of a new block: its path without `/blocks/` and `.md`."""
    label = path.removeprefix("/blocks/").lstrip("/")
    return label[:-3] if label.endswith(".md") else label


def _new_block(memory: Memory, ident: str, schema: str) -> dict[str, Any]:
    label = _label(memory.path)
    _check_limit(label, memory.content, DEFAULT_LIMIT)
    if schema == "old":
        return {"created_at": memory.created_at.replace(tzinfo=None).isoformat(), "description": None,
                "is_template": False, "label": label, "limit": DEFAULT_LIMIT, "metadata_": {}, "template_name": None,
                "updated_at": memory.updated_at.replace(tzinfo=None).isoformat(), "value": memory.content}
    return {"value": memory.content, "limit": DEFAULT_LIMIT, "project_id": None, "template_name": None,
            "is_template": False, "template_id": None, "base_template_id": None, "deployment_id": None,
            "entity_id": None, "preserve_on_migration": False, "label": label, "read_only": False,
            "description": None, "metadata": {}, "hidden": None, "id": ident}


def _new_blocks(text: str, agent: AgentFile, memories: list[Memory], style: _Style) -> list[Edit]:
    """Edits appending a block for each new memory (and naming it in the agent's `block_ids`)."""
    if not memories:
        return []
    if agent.schema == "old":
        return [_append(text, ["core_memory"], [_new_block(m, "", "old") for m in memories], style)]
    if len(agent.agents) != 1:
        raise ExportError(f"{len(memories)} new memory file(s) ({memories[0].path}, ...) but the agent file holds "
                          f"{len(agent.agents)} agents: which one should hold the new block is not clear; file the "
                          "new notes under existing blocks in review")
    numbers = [int(m.group(1)) for b in agent.blocks if (m := re.fullmatch(r"block-(\d+)", str(b.memory.id)))]
    first = max(numbers, default=-1) + 1  # after every `block-<n>` the file uses
    ids = [f"block-{first + k}" for k in range(len(memories))]
    blocks = [_new_block(m, ident, "current") for m, ident in zip(memories, ids)]
    named = "block_ids" in agent.agents[0]
    return [_append(text, ["blocks"], blocks, style),
            *([_append(text, ["agents", 0, "block_ids"], ids, style)] if named else [])]


def _append(text: str, loc: list, items: list[Any], style: _Style) -> Edit:
    """An edit that appends `items` to the JSON array at `loc`, in the file's own layout."""
    start, end = value_span(text, loc)
    line_start = text.rfind("\n", 0, start) + 1
    base = re.match(r"[ \t]*", text[line_start:]).group(0)
    depth = base + " " * (style.indent or 0)
    sep = style.separators[0]
    rendered = [style.dumps(item, depth) for item in items]
    body = (sep + "\n").join(depth + r for r in rendered) if style.indent else sep.join(rendered)
    if not text[start + 1:end - 1].strip():  # an empty array: write it whole
        inner = f"\n{body}\n{base}" if style.indent else body
        return start, end, f"[{inner}]"
    last = end - 2
    while text[last] in " \t\r\n":
        last -= 1
    joint = sep + ("\n" if style.indent else "")
    return last + 1, last + 1, joint + body
