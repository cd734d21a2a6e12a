"""Managed Agents sessions: a session JSON with `events`, a bare list of events, or an events page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ReaderError
from ..files import read_text
from ..records import Session, Turn, parse_time, stable_id
from . import Loaded, register_reader
from .parsing import item_lines, load_json, located, require

EVENT_ROLES = {"user": "user", "agent": "agent", "system": "system", "session": "system"}


def blocks_text(content: Any) -> str:
    """The text of a list of content blocks (text blocks joined; other blocks skipped)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block, str):
            parts.append(block)
    return "\n".join(parts)


def event_role_text(event: dict) -> tuple[str, str] | None:
    """(role, text) for an event worth keeping as a turn, or None to skip it."""
    kind = require(event, "type")
    family, _, action = kind.partition(".")
    if "tool_use" in action:
        return "tool", f"{event.get('name', 'tool')}: {json.dumps(event.get('input', {}), ensure_ascii=False, sort_keys=True)}"
    if "tool_result" in action:
        return "tool", blocks_text(event.get("content"))
    if action in ("message", "thread_message_received", "thread_message_sent"):
        role = EVENT_ROLES.get(family)
        return (role, blocks_text(event.get("content"))) if role else None
    return None


def events_to_turns(session_id: str, events: list, path: Path, text: str, key: str | None) -> list[Turn]:
    lines = item_lines(text, key)  # computed only if an error needs a line
    turns: list[Turn] = []
    for index, event in enumerate(events):
        with located(path, lines.at(index), f"{key or ''}[{index}]"):
            kept = event_role_text(event)
            if kept is None or not kept[1].strip():
                continue
            at = event.get("processed_at") or event.get("created_at")
            turns.append(Turn(
                id=str(event.get("id") or f"{session_id}:{index}"),
                session_id=session_id,
                role=kept[0],
                text=kept[1],
                at=parse_time(at, field_name="processed_at") if at else None,
                position=len(turns),
                meta={"type": event["type"], **({"name": event["name"]} if event.get("name") else {})},
            ))
    return turns


@register_reader("managed-agents-session", provides=("sessions",), reads=("file",), extensions=(".json",))
class ManagedAgentsSession:
    """A Managed Agents session (`{"id", "created_at", "title", "events": [...]}`) or its events."""

    def sniff(self, path: Path, head: str) -> float:
        if '"user.message"' in head or '"agent.message"' in head:
            return 1.0
        return 0.5 if '"events"' in head and '"processed_at"' in head else 0.0

    def read(self, path: Path) -> Loaded:
        text = read_text(path)
        data = load_json(path, text)
        if isinstance(data, list):
            header: dict = {}
            events, key = data, None
        elif isinstance(data, dict):
            header = data
            key = "events" if "events" in data else "data"
            with located(path):
                events = require(data, key, list)
        else:
            raise ReaderError("expected a session object or a list of events", source=str(path))
        session_id = str(header.get("id") or stable_id("sesn_", str(path.name)))
        turns = events_to_turns(session_id, events, path, text, key)
        with located(path, None, "created_at"):
            started = header.get("created_at")
            started_at = parse_time(started, field_name="created_at") if started else (turns[0].at if turns else None)
        title = header.get("title") or next((t.text[:80] for t in turns if t.role == "user"), path.stem)
        return Loaded(sessions=[Session(session_id, started_at, title, tuple(turns), origin=str(path))])
