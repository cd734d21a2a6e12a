"""Chat transcripts: Anthropic Messages JSON, OpenAI chat JSONL and Claude Code session JSONL.

Content blocks map the same way in every format: `text` keeps the message's role, `tool_use`
becomes a `tool` turn `name: <json input>`, `tool_result` a `tool` turn with its text, and
`thinking` is skipped (private reasoning, not conversation). One message may give several turns;
the first keeps the message id, the others get `.1`, `.2`, ... appended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ReaderError
from ..files import read_text
from ..records import Session, Turn, parse_time, stable_id
from . import Loaded, register_reader
from .parsing import ItemLines, item_lines, iter_jsonl, load_json, located, require

Piece = tuple[str, str, dict[str, Any]]  # (role, text, meta)

ANTHROPIC_ROLES = {"user": "user", "assistant": "agent", "system": "system"}
OPENAI_ROLES = {
    "system": "system", "developer": "system", "user": "user",
    "assistant": "agent", "tool": "tool", "function": "tool",
}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _result_text(content: Any) -> str:
    """The text of a tool result's `content` (a string or text blocks; images are skipped)."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise ReaderError(f"expected text or a list of blocks, got {type(content).__name__}", field="content")
    return "\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))


def block_pieces(content: Any, role: str) -> list[Piece]:
    """(role, text, meta) for an Anthropic-style `content`: a string or a list of blocks."""
    if isinstance(content, str):
        return [(role, content, {})]
    if content is None:
        return []
    if not isinstance(content, list):
        raise ReaderError(f"expected text or a list of blocks, got {type(content).__name__}", field="content")
    pieces: list[Piece] = []
    for index, block in enumerate(content):
        if isinstance(block, str):
            pieces.append((role, block, {}))
            continue
        try:
            kind = require(block, "type")
            if kind == "text":
                pieces.append((role, require(block, "text"), {}))
            elif kind.endswith("tool_use"):
                text = f"{require(block, 'name')}: {_dumps(block.get('input', {}))}"
                pieces.append(("tool", text, {"block": kind, "name": block["name"], "tool_use_id": block.get("id")}))
            elif kind.endswith("tool_result"):
                meta = {"block": kind, "tool_use_id": block.get("tool_use_id")}
                if block.get("is_error"):
                    meta["is_error"] = True
                pieces.append(("tool", _result_text(block.get("content")), meta))
            # thinking, images, documents and unknown blocks carry nothing a dream reads
        except ReaderError as exc:
            exc.field = f"content[{index}].{exc.field}" if exc.field else f"content[{index}]"
            raise
    return pieces


def _merge(pieces: list[Piece]) -> list[Piece]:
    """Join consecutive plain-text pieces of the same role; tool pieces stay separate."""
    out: list[Piece] = []
    for role, text, meta in pieces:
        if out and not meta and not out[-1][2] and out[-1][0] == role:
            out[-1] = (role, out[-1][1] + "\n" + text, {})
        else:
            out.append((role, text, dict(meta)))
    return [p for p in out if p[1].strip()]


def _add_turns(turns: list[Turn], session_id: str, base_id: str, pieces: list[Piece],
               at: Any, meta: dict[str, Any], time_field: str = "timestamp") -> None:
    when = parse_time(at, field_name=time_field) if at not in (None, "") else None
    for k, (role, text, extra) in enumerate(_merge(pieces)):
        turns.append(Turn(
            id=base_id if k == 0 else f"{base_id}.{k}",
            session_id=session_id,
            role=role,
            text=text,
            at=when,
            position=len(turns),
            meta={**meta, **{key: v for key, v in extra.items() if v is not None}},
        ))


def _stamp(message: dict) -> tuple[Any, str]:
    """A message's optional time and the key it came from (`created_at` or `timestamp`)."""
    key = "created_at" if message.get("created_at") not in (None, "") else "timestamp"
    return message.get(key), key


def _title(turns: list[Turn], fallback: str) -> str:
    return next((" ".join(t.text.split())[:80] for t in turns if t.role == "user"), fallback)


def _first_line(head: str) -> str:
    return head.lstrip().split("\n", 1)[0].strip()


def _json_line(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _looks_jsonl(head: str) -> bool:
    """True when the first two non-blank lines are each a whole JSON object."""
    lines = [line for line in head.split("\n") if line.strip()]
    return len(lines) >= 2 and isinstance(_json_line(lines[0]), dict) and lines[1].lstrip().startswith("{")


def _foreign(head: str) -> bool:
    """Markers of formats other readers own (Letta, LoCoMo, platform events, Claude Code)."""
    return any(m in head for m in ('"core_memory"', '"sample_id"', '"dia_id"', '"user.message"',
                                   '"agent.message"', '"sessionId"', '"parentUuid"'))


# --- Anthropic Messages ---------------------------------------------------------------------


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def _nested_lines(text: str, start_line: int | None, key: str) -> ItemLines:
    """`item_lines` for `key` inside the item that starts at `start_line` (lazy, as `item_lines`)."""
    return ItemLines(text, key, start_line)


def anthropic_session(data: Any, path: Path, text: str, index: int | None,
                      line: int | None, prefix: str) -> Session:
    """One transcript: `{"id"?, "model"?, "system"?, "messages": [...]}` or a bare list of messages."""
    if isinstance(data, list):
        messages, header, key = data, {}, None
        lines = item_lines(text) if index is None else ItemLines(text, None, None)
    else:
        with located(path, line, prefix or None):
            messages, header, key = require(data, "messages", list), data, "messages"
        lines = item_lines(text, key) if index is None else _nested_lines(text, line, key)
    parts = (path.name,) if index is None else (path.name, str(index))
    session_id = str(header.get("id") or stable_id("sesn_", *parts))
    turns: list[Turn] = []
    system = header.get("system")
    if system:
        with located(path, line, _join(prefix, "system")):
            pieces = block_pieces(system, "system")
            _add_turns(turns, session_id, f"{session_id}:system", pieces, header.get("created_at"), {}, "created_at")
    for number, message in enumerate(messages):
        where = f"{_join(prefix, key or '')}[{number}]"
        with located(path, lambda n=number: lines.get(n) or line, where):
            role = require(message, "role")
            if role not in ANTHROPIC_ROLES:
                raise ReaderError(f"expected 'user' or 'assistant', got {role!r}", field="role")
            base = str(message.get("id") or f"{session_id}:{number}")
            pieces = block_pieces(message.get("content"), ANTHROPIC_ROLES[role])
            at, stamp_key = _stamp(message)
            _add_turns(turns, session_id, base, pieces, at, {"message_role": role}, stamp_key)
    with located(path, line, _join(prefix, "created_at")):
        started = header.get("created_at")
        started_at = parse_time(started, field_name="created_at") if started else next(
            (t.at for t in turns if t.at is not None), None)
    meta = {k: header[k] for k in ("model",) if header.get(k)}
    title = header.get("title") or _title(turns, path.stem)
    return Session(session_id, started_at, title, tuple(turns), origin=f"{path}:{line}" if line else str(path), meta=meta)


@register_reader("anthropic-messages", provides=("sessions",), reads=("file",), extensions=(".json",))
class AnthropicMessages:
    """An Anthropic Messages transcript (`{"system"?, "messages": [...]}`), a list of messages or of transcripts."""

    def sniff(self, path: Path, head: str) -> float:
        start = head.lstrip()[:1]
        if start not in ("{", "[") or path.suffix.lower() == ".jsonl" or _looks_jsonl(head) or _foreign(head):
            return 0.0
        if '"role"' not in head or not ('"user"' in head or '"assistant"' in head):
            return 0.0
        anthropic = ('"tool_use"', '"tool_result"', '"thinking"', '"stop_reason"', '"claude-')
        return 0.9 if any(m in head for m in anthropic) else 0.75

    def read(self, path: Path) -> Loaded:
        text = read_text(path)
        data = load_json(path, text)
        if isinstance(data, dict):
            return Loaded(sessions=[anthropic_session(data, path, text, None, None, "")])
        if not isinstance(data, list):
            raise ReaderError("expected a transcript object or a list of messages", source=str(path))
        if data and all(isinstance(item, dict) and "messages" in item for item in data):
            lines = item_lines(text)
            return Loaded(sessions=[
                anthropic_session(item, path, text, i, lines.get(i), f"[{i}]")
                for i, item in enumerate(data)
            ])
        return Loaded(sessions=[anthropic_session(data, path, text, None, None, "")] if data else [])


# --- OpenAI chat JSONL ------------------------------------------------------------------------


def openai_pieces(message: dict) -> list[Piece]:
    """(role, text, meta) for one OpenAI chat message, its tool calls as extra `tool` pieces."""
    role = require(message, "role")
    if role not in OPENAI_ROLES:
        raise ReaderError(f"expected one of {', '.join(OPENAI_ROLES)}, got {role!r}", field="role")
    mapped = OPENAI_ROLES[role]
    content = message.get("content")
    if isinstance(content, list):
        texts = []
        for index, part in enumerate(content):
            if not isinstance(part, dict):
                raise ReaderError(f"expected a content part, got {type(part).__name__}", field=f"content[{index}]")
            value = part.get("text") if part.get("type") == "text" else part.get("refusal")
            if isinstance(value, str):
                texts.append(value)
        content = "\n".join(texts)
    elif content is not None and not isinstance(content, str):
        raise ReaderError(f"expected text or a list of parts, got {type(content).__name__}", field="content")
    meta = {k: message[k] for k in ("name", "tool_call_id") if message.get(k)}
    pieces: list[Piece] = [(mapped, content or "", meta | {"message_role": role})]
    calls = list(message.get("tool_calls") or [])
    if message.get("function_call"):
        calls.append({"function": message["function_call"]})
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise ReaderError("missing", field=f"tool_calls[{index}].function")
        name = function.get("name")
        if not isinstance(name, str):
            raise ReaderError("missing", field=f"tool_calls[{index}].function.name")
        arguments = function.get("arguments", "")
        if isinstance(arguments, str):
            parsed = _json_line(arguments)
            arguments = parsed if parsed is not None else arguments
        args_text = arguments if isinstance(arguments, str) else _dumps(arguments)
        pieces.append(("tool", f"{name}: {args_text}", {"message_role": role, "name": name, "tool_call_id": call.get("id")}))
    return pieces


@register_reader("openai-chat-jsonl", provides=("sessions",), reads=("file",), extensions=(".jsonl",))
class OpenAIChatJsonl:
    """OpenAI chat JSONL: one `{"messages": [...]}` conversation per line, or one message per line."""

    def sniff(self, path: Path, head: str) -> float:
        first = _first_line(head)
        if not first.startswith("{") or _foreign(first) or '"role"' not in first:
            return 0.0
        data = _json_line(first)
        if data is None:  # a first line longer than the head
            return 0.6 if first.startswith('{"messages"') else 0.0
        if isinstance(data.get("messages"), list):
            return 0.9
        if data.get("role") in OPENAI_ROLES and "content" in data:
            return 0.85
        return 0.0

    def read(self, path: Path) -> Loaded:
        sessions: list[Session] = []
        single: list[Turn] = []
        mode = None
        single_id = stable_id("sesn_", path.name)
        for line, item in iter_jsonl(path):
            with located(path, line):
                if not isinstance(item, dict):
                    raise ReaderError(f"expected a JSON object, got {type(item).__name__}")
                kind = "conversation" if "messages" in item else "message"
                if mode is None:
                    mode = kind
                elif kind != mode:
                    raise ReaderError(f"expected one {mode} per line (as on the first line)")
                if mode == "message":
                    at, key = _stamp(item)
                    _add_turns(single, single_id, f"{single_id}:{len(single)}", openai_pieces(item), at, {}, key)
                    continue
                messages = require(item, "messages", list)
                session_id = str(item.get("id") or stable_id("sesn_", path.name, str(len(sessions))))
                turns: list[Turn] = []
                for number, message in enumerate(messages):
                    with located(path, line, f"messages[{number}]"):
                        if not isinstance(message, dict):
                            raise ReaderError(f"expected a message object, got {type(message).__name__}")
                        at, key = _stamp(message)
                        _add_turns(turns, session_id, f"{session_id}:{number}", openai_pieces(message), at, {}, key)
                started = next((t.at for t in turns if t.at is not None), None)
                sessions.append(Session(session_id, started, _title(turns, f"{path.stem} #{len(sessions) + 1}"),
                                        tuple(turns), origin=f"{path}:{line}"))
        if mode == "message":
            started = next((t.at for t in single if t.at is not None), None)
            sessions.append(Session(single_id, started, _title(single, path.stem), tuple(single), origin=str(path)))
        return Loaded(sessions=sessions)


# --- Claude Code session JSONL ----------------------------------------------------------------


def _claude_code_lines(path: Path) -> Iterator[tuple[int, dict]]:
    for line, item in iter_jsonl(path):
        if not isinstance(item, dict):
            raise ReaderError(f"expected a JSON object, got {type(item).__name__}", source=str(path), line=line)
        yield line, item


@register_reader("claude-code-jsonl", provides=("sessions",), reads=("file",), extensions=(".jsonl",))
class ClaudeCodeJsonl:
    """Claude Code session JSONL (`~/.claude/projects/*/*.jsonl`): user, assistant and summary lines."""

    def sniff(self, path: Path, head: str) -> float:
        if not head.lstrip().startswith("{"):
            return 0.0
        return 0.95 if '"sessionId"' in head and ('"parentUuid"' in head or '"uuid"' in head) else 0.0

    def read(self, path: Path) -> Loaded:
        turns: list[Turn] = []
        session_id: str | None = None
        summary: str | None = None
        other_ids: list[str] = []
        for line, item in _claude_code_lines(path):
            with located(path, line):
                kind = require(item, "type")
                if kind == "summary" and summary is None and isinstance(item.get("summary"), str):
                    summary = item["summary"]
                if kind not in ("user", "assistant") or item.get("isMeta"):
                    continue
                uuid = require(item, "uuid")
                sid = require(item, "sessionId")
                if item.get("isSidechain") and item.get("agentId"):
                    sid = f"{sid}/agent-{item['agentId']}"  # a subagent file shares its parent's sessionId
                if session_id is None:
                    session_id = sid
                elif sid != session_id and sid not in other_ids:
                    other_ids.append(sid)
                message = require(item, "message", dict)
                with located(path, line, "message"):
                    pieces = block_pieces(message.get("content"), "user" if kind == "user" else "agent")
                if kind == "user" and any(p[0] == "user" for p in pieces):
                    pieces = [p for p in pieces if p[0] == "user"]  # a typed message, not tool output
                meta = {"type": kind, "parentUuid": item.get("parentUuid"), "cwd": item.get("cwd")}
                if item.get("isSidechain"):
                    meta["sidechain"] = True
                _add_turns(turns, session_id, uuid, pieces, item.get("timestamp"),
                           {k: v for k, v in meta.items() if v is not None})
        if session_id is None:
            if summary is None:
                raise ReaderError("no user or assistant lines", source=str(path))
            session_id = stable_id("sesn_", path.name)
        started = next((t.at for t in turns if t.at is not None), None)
        title = summary or _title(turns, path.stem)
        meta = {"session_ids": [session_id, *other_ids]} if other_ids else {}
        return Loaded(sessions=[Session(session_id, started, title, tuple(turns), origin=str(path), meta=meta)])
