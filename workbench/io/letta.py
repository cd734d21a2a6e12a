"""Letta (MemGPT) agent files (`.af`), old and current schema: memory blocks as a store, messages as sessions.

Two schemas are read:

- the current one (letta-ai/agent-file today): top-level `agents`, `blocks`, `tools`, `groups`,
  `files`, `sources`, `mcp_servers`, `skills`, `metadata`; each agent names its blocks by
  `block_ids` (and may carry inline `memory_blocks`) and holds its own `messages`;
- the old one (Letta 0.6): one agent object with `core_memory` blocks and `messages`.

Each block becomes the document `/blocks/<label>.md` holding its `value` unchanged (a label used by
two blocks gets `@<block id>` before `.md`; a label that cannot be a path is percent-encoded); its
`label`, `limit`, `description`, `read_only` and `metadata` are the memory's `meta`. Each agent's
messages are one session. Choices, so the transcript reads like the conversation the user saw:

- user messages may be Letta's JSON envelopes: `user_message` is unwrapped to its `message`,
  `heartbeat` and `login` are skipped, anything else (`system_alert`, ...) becomes a `system` turn;
- an assistant message with tool calls keeps its text and reasoning (the inner monologue) off the
  transcript, in the `meta["inner"]` of the turns it produced: a `send_message` call becomes an
  `agent` turn with the visible `message`, any other call a `tool` turn `name: <json arguments>`;
  an assistant message without tool calls is an `agent` turn with its text;
- tool returns of `send_message` (delivery receipts) are skipped, other returns are `tool` turns;
- only the first `system` message is kept: later ones are the system prompt re-rendered after a
  memory edit; `approval` messages (a person's yes or no to a tool call) are skipped.

A block an agent names but the file does not hold is an error naming the agent and the id.
Writing back is `workbench.io.letta_af`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote as percent

from ..errors import ReaderError, WorkbenchError
from ..files import quote, read_text, safe_name
from ..records import EPOCH, Memory, Session, Turn, parse_time, stable_id
from . import Loaded, register_reader
from .parsing import ItemLines, item_lines, line_of, located, parse_json, require
from .sessions_platform import blocks_text

ROLES = {"user": "user", "assistant": "agent", "tool": "tool", "function": "tool", "system": "system",
         "approval": "system"}
SKIPPED_EVENTS = ("heartbeat", "login")
META_KEYS = ("label", "limit", "description", "read_only", "metadata")


@dataclass(frozen=True)
class Block:
    """One memory block: the memory it reads as, and where its object sits in the file."""

    memory: Memory
    loc: tuple[str | int, ...]  # ("blocks", 3), ("core_memory", 1) or ("agents", 0, "memory_blocks", 2)
    label: str


@dataclass
class AgentFile:
    """What an agent file holds, as the workbench reads it."""

    schema: str  # "current" | "old"
    blocks: list[Block]
    sessions: list[Session]
    id: str | None
    name: str | None
    agents: list[dict[str, Any]] = field(default_factory=list)


def _time(value: Any, name: str) -> datetime | None:
    return parse_time(value, field_name=name) if value not in (None, "") else None


# --- paths from labels ---------------------------------------------------------------------------


def _label_path(label: str) -> str:
    """`/blocks/<label>.md`; a label whose parts cannot be file names is percent-encoded whole."""
    parts = [p for p in label.split("/") if p]
    try:
        if not parts:
            raise WorkbenchError("empty")
        for part in parts:
            safe_name(part)
    except WorkbenchError:
        parts = [percent(label, safe="") or "%00"]
    return "/blocks/" + "/".join(parts) + ".md"


def block_paths(blocks: list[tuple[str, str]]) -> list[str]:
    """Paths for (label, block id) pairs; a path two blocks would share gets `@<block id>`."""
    base = [_label_path(label) for label, _ in blocks]
    counts = Counter(base)
    return [path if counts[path] == 1 else f"{path[:-3]}@{percent(ident, safe='')}.md"
            for path, (_, ident) in zip(base, blocks)]


def _block_meta(block: dict) -> dict[str, Any]:
    return {k: block[k] for k in META_KEYS if block.get(k) is not None}


# --- messages ------------------------------------------------------------------------------------


def _envelope(text: str) -> dict | None:
    """Letta's JSON envelope around a user-side message, or None for plain text."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("type"), str) else None


def _arguments(call: dict, where: str) -> tuple[str, dict]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ReaderError("missing", field=f"{where}.function.name")
    raw = function.get("arguments") or "{}"
    try:
        args = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise ReaderError(f"malformed JSON arguments: {raw[:60]!r}", field=f"{where}.function.arguments") from None
    if not isinstance(args, dict):
        raise ReaderError("expected a JSON object", field=f"{where}.function.arguments")
    return function["name"], args


def _reasoning(content: Any) -> str:
    """The reasoning parts of a current-schema message (`{"type": "reasoning", "reasoning": ...}`)."""
    if not isinstance(content, list):
        return ""
    return "\n".join(part["reasoning"] for part in content
                     if isinstance(part, dict) and part.get("type") == "reasoning" and isinstance(part.get("reasoning"), str))


def _tool_text(message: dict, text: str) -> str:
    """A tool message's text, or its `tool_returns`' responses when it has none (current schema)."""
    if text.strip():
        return text
    returns = message.get("tool_returns") or []
    return "\n".join(str(r.get("func_response") or r.get("stdout") or "") for r in returns if isinstance(r, dict))


def _user_turns(text: str) -> list[tuple[str, str, dict]]:
    envelope = _envelope(text)
    if envelope is None:
        return [("user", text, {})]
    kind = envelope["type"]
    if kind in SKIPPED_EVENTS:
        return []
    body = envelope.get("message")
    body = body.strip() if isinstance(body, str) else text
    return [("user" if kind == "user_message" else "system", body, {"type": kind})]


def _assistant_turns(message: dict, text: str, calls: dict[str, str]) -> list[tuple[str, str, dict]]:
    tool_calls = message.get("tool_calls") or []
    thoughts = "\n".join(t for t in (_reasoning(message.get("content")), text if tool_calls else "") if t.strip())
    inner = {"inner": thoughts} if thoughts.strip() else {}
    if not tool_calls:
        return [("agent", text, inner)]
    out = []
    for k, call in enumerate(tool_calls):
        name, args = _arguments(call, f"tool_calls[{k}]")
        if call.get("id"):
            calls[call["id"]] = name
        if name == "send_message":
            if not isinstance(args.get("message"), str):
                raise ReaderError("missing", field=f"tool_calls[{k}].function.arguments.message")
            out.append(("agent", args["message"], dict(inner)))
        else:
            shown = {key: v for key, v in args.items() if key != "request_heartbeat"}
            text_ = f"{name}: {json.dumps(shown, ensure_ascii=False, sort_keys=True)}"
            out.append(("tool", text_, {**inner, "name": name, "tool_call_id": call.get("id")}))
    return out


def message_turns(message: Any, calls: dict[str, str], first_system: bool) -> list[tuple[str, str, dict]]:
    """(role, text, meta) for one Letta message; `calls` maps tool call ids to function names."""
    role = require(message, "role")
    if role not in ROLES:
        raise ReaderError(f"expected one of {', '.join(ROLES)}, got {role!r}", field="role")
    content = message.get("content")
    text = content if isinstance(content, str) else blocks_text(content)
    if role == "approval":
        return []
    if role == "system":
        return [("system", text, {})] if first_system else []
    if role == "user":
        return _user_turns(text)
    if role in ("tool", "function"):
        call_id = message.get("tool_call_id")
        name = calls.get(call_id) if call_id else message.get("name")
        if name == "send_message":
            return []
        meta = {k: v for k, v in (("name", name), ("tool_call_id", call_id)) if v}
        return [("tool", _tool_text(message, text), meta)]
    return _assistant_turns(message, text, calls)


def _session(messages: list, session_id: str, title: str, source: Path, lines: ItemLines, where: str,
             meta: dict[str, Any]) -> Session:
    """One agent's messages as a session (`where` is the messages' place in the file, for errors)."""
    turns: list[Turn] = []
    calls: dict[str, str] = {}
    seen_system = False
    started = None
    for index, message in enumerate(messages):
        with located(source, lines.at(index), f"{where}[{index}]"):
            pieces = message_turns(message, calls, not seen_system)
            seen_system = seen_system or message.get("role") == "system"
            at = _time(message.get("created_at"), "created_at")
            started = started or at
            base = str(message.get("id") or f"{session_id}:{index}")
            kept = [p for p in pieces if p[1].strip()]
            for k, (role, body, extra) in enumerate(kept):
                turns.append(Turn(
                    id=base if k == 0 else f"{base}.{k}", session_id=session_id, role=role, text=body, at=at, position=len(turns), meta={**extra, "letta_role": message["role"]},
                ))
    return Session(session_id, started, title, tuple(turns), origin=str(source), meta=meta)


# --- the two schemas -----------------------------------------------------------------------------


def _memory(block: dict, ident: str, path: str, times: tuple[Any, Any], origin: str) -> Memory:
    """One block as a memory; `times` are the fallbacks (created, updated) when the block has none."""
    value = require(block, "value")
    created_at = _time(block.get("created_at") or times[0], "created_at") or EPOCH
    updated_at = _time(block.get("updated_at") or times[1], "updated_at") or created_at
    return Memory(id=ident, path=path, content=value, created_at=created_at, updated_at=max(created_at, updated_at),
                  meta=_block_meta(block), origin=origin)


def _old_schema(data: dict, text: str, source: Path) -> AgentFile:
    with located(source):
        raw = require(data, "core_memory", list)
        messages = require(data, "messages", list)
    name = data.get("name") if isinstance(data.get("name"), str) else None
    agent_key = str(data.get("id") or name or source.name)
    lines = item_lines(text, "core_memory")
    labels = []
    for index, block in enumerate(raw):
        with located(source, lines.at(index), f"core_memory[{index}]"):
            labels.append(require(block, "label"))
    ids = [str(b.get("id") or stable_id("mem_", agent_key, label)) for b, label in zip(raw, labels)]
    blocks = []
    for index, (block, path) in enumerate(zip(raw, block_paths(list(zip(labels, ids))))):
        with located(source, lines.at(index), f"core_memory[{index}]"):
            memory = _memory(block, ids[index], path, (data.get("created_at"), None), f"{source}#/core_memory/{index}")
        blocks.append(Block(memory, ("core_memory", index), labels[index]))
    session = _session(messages, stable_id("sesn_", agent_key), name or source.stem, source,
                       item_lines(text, "messages"), "messages",
                       {k: data[k] for k in ("agent_type", "description") if data.get(k)})
    return AgentFile("old", blocks, [session], data.get("id") if isinstance(data.get("id"), str) else None, name,
                     [data])


def _current_blocks(data: dict, text: str, source: Path) -> tuple[list[tuple[dict, tuple]], dict[str, int]]:
    """Every block object with its location: the file's `blocks`, then agents' inline `memory_blocks`."""
    found: list[tuple[dict, tuple]] = []
    by_id: dict[str, int] = {}
    lines = item_lines(text, "blocks")
    for index, block in enumerate(data["blocks"]):
        with located(source, lines.at(index), f"blocks[{index}]"):
            ident, _ = require(block, "id"), require(block, "label")
            if ident in by_id:
                raise ReaderError(f"block id {ident!r} appears twice (also blocks[{by_id[ident]}])", field="id")
        by_id[ident] = len(found)
        found.append((block, ("blocks", index)))
    for a, agent in enumerate(data["agents"]):
        inline = agent.get("memory_blocks") if isinstance(agent, dict) else None
        for k, block in enumerate(inline or []):
            with located(source, lambda a=a, k=k: line_of(text, ["agents", a, "memory_blocks", k]),
                         f"agents[{a}].memory_blocks[{k}]"):
                require(block, "label")
            found.append((block, ("agents", a, "memory_blocks", k)))
    return found, by_id


def _check_references(data: dict, text: str, source: Path, by_id: dict[str, int]) -> None:
    """Every block an agent names is in the file (else the agent would load without its memory)."""
    for a, agent in enumerate(data["agents"]):
        with located(source, lambda a=a: line_of(text, ["agents", a]), f"agents[{a}]"):
            if not isinstance(agent, dict):
                raise ReaderError(f"expected an agent object, got {type(agent).__name__}")
            ids = agent.get("block_ids") or []
            if not isinstance(ids, list):
                raise ReaderError(f"expected a list of block ids, got {type(ids).__name__}", field="block_ids")
        for k, ident in enumerate(ids):
            if ident not in by_id:
                raise ReaderError(f"agent {agent.get('name') or agent.get('id')!r} names block {ident!r}, which is not "
                                  "in the file's `blocks`", source=quote(source),
                                  line=line_of(text, ["agents", a, "block_ids", k]), field=f"agents[{a}].block_ids[{k}]")


def _current_schema(data: dict, text: str, source: Path) -> AgentFile:
    with located(source):
        require(data, "agents", list)
        require(data, "blocks", list)
    found, by_id = _current_blocks(data, text, source)
    _check_references(data, text, source, by_id)
    file_key = ",".join(str(a.get("id") or a.get("name")) for a in data["agents"]) or source.name
    ids = [str(b["id"]) if "id" in b and loc[0] == "blocks" else stable_id("mem_", file_key, *map(str, loc))
           for b, loc in found]
    paths = block_paths([(b["label"], ident) for (b, _), ident in zip(found, ids)])
    exported = data.get("created_at")
    blocks = []
    for (block, loc), ident, path in zip(found, ids, paths):
        where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(loc))
        with located(source, lambda loc=loc: line_of(text, list(loc)), where):
            memory = _memory(block, ident, path, (exported, exported), f"{source}#/{'/'.join(map(str, loc))}")
        blocks.append(Block(memory, loc, block["label"]))
    sessions = []
    for a, agent in enumerate(data["agents"]):
        messages = agent.get("messages") or []
        with located(source, None, f"agents[{a}].messages"):
            if not isinstance(messages, list):
                raise ReaderError(f"expected a list, got {type(messages).__name__}")
        lines = ItemLines(text, "messages", line_of(text, ["agents", a]) if messages else None)
        name = agent.get("name") if isinstance(agent.get("name"), str) else None
        session = _session(messages, stable_id("sesn_", file_key, str(agent.get("id") or a)), name or source.stem,
                           source, lines, f"agents[{a}].messages",
                           {k: agent[k] for k in ("agent_type", "description") if agent.get(k)})
        if session.turns:
            sessions.append(session)
    first = data["agents"][0] if data["agents"] else {}
    name = first.get("name") if isinstance(first.get("name"), str) else None
    return AgentFile("current", blocks, sessions, first.get("id") if isinstance(first.get("id"), str) else None,
                     name, list(data["agents"]))


def read_agent_file(text: str, source: Path) -> AgentFile:
    """Parse an agent file's text (either schema) into blocks and sessions; one `ReaderError` if malformed."""
    data = parse_json(text, source)
    if not isinstance(data, dict):
        raise ReaderError("expected an agent file object", source=quote(source), line=1)
    if "core_memory" in data:
        return _old_schema(data, text, source)
    if "agents" in data:
        return _current_schema(data, text, source)
    raise ReaderError("missing: neither `agents` (current schema) nor `core_memory` (old schema)",
                      source=quote(source), line=1, field="agents")


@register_reader("letta-agent", provides=("memories", "sessions"), reads=("file",), extensions=(".af",))
class LettaAgent:
    """A Letta agent file (`.af`), current schema (`agents`, `blocks`) or old (`core_memory`)."""

    def sniff(self, path: Path, head: str) -> float:
        if not head.lstrip().startswith("{"):
            return 0.0
        if '"core_memory"' in head and '"messages"' in head:
            return 0.95
        if '"agents"' in head and ('"block_ids"' in head or '"blocks"' in head):
            return 0.95
        if path.suffix.lower() != ".af":
            return 0.0
        return 0.8 if '"core_memory"' in head or '"agents"' in head else 0.5  # an .af is Letta's: say what it lacks

    def read(self, path: Path) -> Loaded:
        agent = read_agent_file(read_text(path), path)
        return Loaded(memories=[b.memory for b in agent.blocks], sessions=agent.sessions, store_id=agent.id,
                      store_name=agent.name)
