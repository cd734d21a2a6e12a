"""Letta (MemGPT) agent files (`.af`): core memory blocks as a store, the message history as a session.

Choices, so the transcript reads like the conversation the user saw:

- each `core_memory` block becomes `/core/<label>.md` holding its `value` unchanged;
- user messages are Letta's JSON envelopes: `user_message` is unwrapped to its `message`,
  `heartbeat` and `login` are skipped, anything else (`system_alert`, ...) becomes a `system` turn;
- an assistant message with tool calls keeps its text (the inner monologue) off the transcript,
  in the `meta["inner"]` of the turns it produced: a `send_message` call becomes an `agent` turn
  with the visible `message`, any other call a `tool` turn `name: <json arguments>`;
  an assistant message without tool calls is an `agent` turn with its text;
- tool returns of `send_message` (delivery receipts) are skipped, other returns are `tool` turns;
- only the first `system` message is kept: later ones are the system prompt re-rendered after a
  core memory edit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ReaderError
from ..records import EPOCH, Memory, Session, Turn, parse_time, stable_id
from . import Loaded, register_reader
from ._util import item_lines, load_json, located, read_text, require
from .sessions_platform import blocks_text

ROLES = {"user": "user", "assistant": "agent", "tool": "tool", "system": "system"}
SKIPPED_EVENTS = ("heartbeat", "login")


def _time(value: Any, name: str):
    return parse_time(value, field_name=name) if value not in (None, "") else None


def core_memory(block: Any, agent_key: str, created: Any, origin: str) -> Memory:
    """One core memory block as the document `/core/<label>.md`."""
    label = require(block, "label")
    value = require(block, "value")
    created_at = _time(block.get("created_at") or created, "created_at") or EPOCH
    updated_at = _time(block.get("updated_at"), "updated_at") or created_at
    return Memory(
        id=str(block.get("id") or stable_id("mem_", agent_key, label)),
        path=f"/core/{label}.md",
        content=value,
        created_at=created_at,
        updated_at=updated_at,
        meta={"limit": block.get("limit"), "description": block.get("description")},
        origin=origin,
    )


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


def message_turns(message: Any, calls: dict[str, str], first_system: bool) -> list[tuple[str, str, dict]]:
    """(role, text, meta) for one Letta message; `calls` maps tool call ids to function names."""
    role = require(message, "role")
    if role not in ROLES:
        raise ReaderError(f"expected one of {', '.join(ROLES)}, got {role!r}", field="role")
    content = message.get("content")
    text = content if isinstance(content, str) else blocks_text(content)
    if role == "system":
        return [("system", text, {})] if first_system else []
    if role == "user":
        envelope = _envelope(text)
        if envelope is None:
            return [("user", text, {})]
        kind = envelope["type"]
        if kind in SKIPPED_EVENTS:
            return []
        body = envelope.get("message")
        body = body.strip() if isinstance(body, str) else text
        return [("user" if kind == "user_message" else "system", body, {"type": kind})]
    if role == "tool":
        name = message.get("name") if not message.get("tool_call_id") else calls.get(message["tool_call_id"])
        if name == "send_message":
            return []
        return [("tool", text, {k: v for k, v in (("name", name), ("tool_call_id", message.get("tool_call_id"))) if v})]
    tool_calls = message.get("tool_calls") or []
    if not tool_calls:
        return [("agent", text, {})]
    inner = {"inner": text} if text.strip() else {}
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


@register_reader("letta-agent", provides=("memories", "sessions"), extensions=(".af",))
class LettaAgent:
    """A Letta agent file (`.af`): `core_memory` blocks and the `messages` history."""

    def sniff(self, path: Path, head: str) -> float:
        if not head.lstrip().startswith("{"):
            return 0.0
        if '"core_memory"' in head and '"messages"' in head:
            return 0.95
        return 0.8 if path.suffix.lower() == ".af" and '"core_memory"' in head else 0.0

    def read(self, path: Path) -> Loaded:
        text = read_text(path)
        data = load_json(path, text)
        if not isinstance(data, dict):
            raise ReaderError("expected an agent object", source=str(path))
        with located(path):
            blocks = require(data, "core_memory", list)
            messages = require(data, "messages", list)
        name = data.get("name") if isinstance(data.get("name"), str) else None
        agent_key = str(data.get("id") or name or path.name)
        block_lines = item_lines(text, "core_memory")
        memories = []
        for index, block in enumerate(blocks):
            with located(path, block_lines.at(index), f"core_memory[{index}]"):
                memories.append(core_memory(block, agent_key, data.get("created_at"), f"{path}#core_memory[{index}]"))
        session_id = stable_id("sesn_", agent_key)
        lines = item_lines(text, "messages")
        turns: list[Turn] = []
        calls: dict[str, str] = {}
        seen_system = False
        for index, message in enumerate(messages):
            with located(path, lines.at(index), f"messages[{index}]"):
                pieces = message_turns(message, calls, not seen_system)
                seen_system = seen_system or message.get("role") == "system"
                at = _time(message.get("created_at"), "created_at")
                base = str(message.get("id") or f"{session_id}:{index}")
                kept = [p for p in pieces if p[1].strip()]
                for k, (role, body, meta) in enumerate(kept):
                    turns.append(Turn(
                        id=base if k == 0 else f"{base}.{k}", session_id=session_id, role=role, text=body,
                        at=at, position=len(turns), meta={**meta, "letta_role": message["role"]},
                    ))
        with located(path, lines.at(0), "messages[0].created_at"):
            started = next((_time(m.get("created_at"), "created_at") for m in messages
                            if isinstance(m, dict) and m.get("created_at")), None)
        session = Session(session_id, started, name or path.stem, tuple(turns), origin=str(path),
                          meta={k: data[k] for k in ("agent_type", "description") if data.get(k)})
        return Loaded(memories=memories, sessions=[session], store_id=data.get("id"), store_name=name)
