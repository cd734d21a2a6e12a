"""The records every stage passes along: memories, notes, sessions, turns, stores, corpora.

Plain frozen dataclasses. A `Memory` has the shape of the Managed Agents memory object, so a
platform export loads unchanged; a `Note` is one fact inside a memory (a bullet, a numbered
item, a `Key: value` line, a paragraph or a code block), located by its character span so a
document can be rewritten note by note and written back whole (`markdown` finds the facts of a
document and writes it back; this module makes records of them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import ReaderError
from .markdown import parse

if TYPE_CHECKING:
    import pandas as pd

MAX_PATH_BYTES = 1024
MAX_CONTENT_BYTES = 102_400
MAX_SESSIONS = 100
ROLES = ("user", "agent", "tool", "system")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def sha256(text: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 bytes, as the platform computes `content_sha256`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_id(prefix: str, *parts: str) -> str:
    """A short id derived from content, so loading the same thing twice gives the same id."""
    return prefix + sha256("\x1f".join(parts))[:24]


def parse_time(value: Any, *, field_name: str = "time") -> datetime:
    """An aware UTC datetime from an ISO 8601 string, epoch seconds or a datetime."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        dt = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=timezone.utc)
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value.strip()) else value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ReaderError(f"expected an ISO 8601 time, got {value!r}", field=field_name) from None
    else:
        raise ReaderError(f"expected an ISO 8601 time, got {value!r}", field=field_name)
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    """RFC 3339 text with a `Z`, as the platform writes times."""
    if dt is None:
        return None
    text = dt.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def check_path(path: str) -> str:
    """Refuse memory paths that are not absolute, escape the store, or break the size limit."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ReaderError(f"memory path must start with '/', got {path!r}", field="path")
    if "\x00" in path or "\\" in path:
        raise ReaderError(f"memory path contains a NUL byte or backslash: {path!r}", field="path")
    parts = path.split("/")[1:]
    if any(p in ("..", ".") for p in parts) or path.endswith("/") or "" in parts:
        raise ReaderError(f"memory path must name a file inside the store, got {path!r}", field="path")
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise ReaderError(f"memory path is longer than {MAX_PATH_BYTES} bytes", field="path")
    return path


@dataclass(frozen=True, slots=True)
class Memory:
    """One document of a memory store (the platform's memory object)."""

    id: str
    path: str
    content: str
    created_at: datetime
    updated_at: datetime
    version_id: str | None = None
    author: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        check_path(self.path)
        if not isinstance(self.content, str):
            raise ReaderError("memory content must be text", field="content")
        size = len(self.content.encode("utf-8"))
        if size > MAX_CONTENT_BYTES:
            raise ReaderError(
                f"memory {self.path} is {size:,} bytes; the limit is {MAX_CONTENT_BYTES:,}",
                field="content",
            )

    @property
    def sha256(self) -> str:
        return sha256(self.content)

    @property
    def provenance(self) -> Mapping[str, Sequence[str]]:
        """Turn ids that support each note, keyed by note text (kept in `meta`)."""
        return self.meta.get("provenance", {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str = "") -> Memory:
        """Build from the platform's memory JSON (also accepts `version_id`/`meta`)."""
        if not isinstance(data, Mapping):
            raise ReaderError(f"expected a memory object, got {type(data).__name__}")
        for name in ("path", "content"):
            if data.get(name) is None:
                raise ReaderError("missing", field=name)
        created_from = "created_at" if data.get("created_at") else "updated_at"
        created = parse_time(data.get(created_from) or EPOCH, field_name=created_from)
        updated = parse_time(data.get("updated_at") or created, field_name="updated_at")
        return cls(
            id=str(data.get("id") or stable_id("mem_", data["path"])),
            path=data["path"],
            content=data["content"],
            created_at=created,
            updated_at=updated,
            version_id=data.get("memory_version_id") or data.get("version_id"),
            author=data.get("author"),
            meta=dict(data.get("meta") or {}),
            origin=origin,
        )

    def to_dict(self) -> dict[str, Any]:
        """The platform's memory JSON (plus `meta` when there is any)."""
        out: dict[str, Any] = {
            "type": "memory",
            "id": self.id,
            "path": self.path,
            "content": self.content,
            "content_sha256": self.sha256,
            "content_size_bytes": len(self.content.encode("utf-8")),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
        if self.version_id:
            out["memory_version_id"] = self.version_id
        if self.author:
            out["author"] = self.author
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


@dataclass(frozen=True, slots=True)
class Note:
    """One fact inside a memory document."""

    id: str
    memory_id: str
    path: str
    position: int
    text: str
    kind: str  # bullet | numbered | title | field | paragraph | quote | code | table | html
    section: str  # the headings and titles above it, joined by " / "
    start: int
    end: int
    created_at: datetime
    updated_at: datetime
    evidence: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()  # texts of the list items this note is nested in, outermost first
    parent: str | None = None  # id of the list item this note is nested in
    dated_by: str = "memory"  # what its times come from: "memory", or "memory_version:<id>" (see `Store.notes`)

    @property
    def context(self) -> tuple[str, ...]:
        """What the note means inside: its section headings and its parent items."""
        return (*([self.section] if self.section else []), *self.parents)


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a transcript."""

    id: str
    session_id: str
    role: str
    text: str
    at: datetime | None
    position: int
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Session:
    """A transcript: an ordered run of turns."""

    id: str
    started_at: datetime | None
    title: str
    turns: tuple[Turn, ...]
    origin: str = field(default="", compare=False)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ended_at(self) -> datetime | None:
        times = [t.at for t in self.turns if t.at is not None]
        return max(times) if times else self.started_at


@dataclass(frozen=True)
class Store:
    """A memory store: documents with unique paths. Never modified in place."""

    memories: tuple[Memory, ...]
    id: str | None = None
    name: str | None = None
    origin: str = field(default="", compare=False)
    versions: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "memories", tuple(self.memories))
        for key in ("path", "id"):
            seen: dict[str, Memory] = {}
            for memory in self.memories:
                value = getattr(memory, key)
                first = seen.setdefault(value, memory)
                if first is not memory:
                    where = f" (first at {first.origin})" if first.origin else ""
                    raise ReaderError(
                        f"duplicate memory {key} {value!r}{where}", source=memory.origin or None, field=key
                    )

    @cached_property
    def by_id(self) -> dict[str, Memory]:
        return {m.id: m for m in self.memories}

    @cached_property
    def by_path(self) -> dict[str, Memory]:
        return {m.path: m for m in self.memories}

    @cached_property
    def notes(self) -> tuple[Note, ...]:
        """The notes of every memory, dated by `memory_versions` where the store has them.

        A note takes the time of the first version of the latest unbroken run of versions whose
        content holds its lines (`dated_by="memory_version:<id>"`), else its memory's times
        (`dated_by="memory"`); only versions that reach the memory's current content date notes. Entries of a table of contents (`meta["index"]`, such as Claude
        Code's `MEMORY.md`) are not notes: they are never merged, pruned or updated.
        """
        history = version_history(self.versions)
        out: list[Note] = []
        for memory in self.memories:
            notes = [n for n in split_notes(memory) if not is_index_entry(memory, n)]
            out += dated_notes(memory, notes, history.get(memory.id, ()))
        return tuple(out)

    @property
    def digest(self) -> str:
        """SHA-256 over every (path, content) pair, independent of order and ids."""
        return sha256("\n".join(f"{m.path}\x1f{m.sha256}" for m in sorted(self.memories, key=lambda m: m.path)))

    def to_dict(self) -> dict[str, Any]:
        """The Managed Agents store JSON."""
        out: dict[str, Any] = {"type": "memory_store"}
        if self.id:
            out["id"] = self.id
        if self.name:
            out["name"] = self.name
        out["memories"] = [m.to_dict() for m in self.memories]
        if self.versions:
            out["memory_versions"] = [dict(v) for v in self.versions]
        return out


@dataclass(frozen=True)
class Corpus:
    """What a dream reads: one store and the sessions to learn from."""

    store: Store
    sessions: tuple[Session, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sessions", tuple(self.sessions))

    @property
    def memories(self) -> tuple[Memory, ...]:
        return self.store.memories

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.store.notes

    @cached_property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(t for s in self.sessions for t in s.turns)

    @cached_property
    def note_by_id(self) -> dict[str, Note]:
        return {n.id: n for n in self.notes}

    @cached_property
    def turn_by_id(self) -> dict[str, Turn]:
        return {t.id: t for t in self.turns}

    @cached_property
    def session_by_id(self) -> dict[str, Session]:
        return {s.id: s for s in self.sessions}

    @cached_property
    def as_of(self) -> datetime:
        """The latest time in the corpus: the deterministic 'now' of a dream (read once: every re-plan asks)."""
        times = [m.updated_at for m in self.memories]
        times += [t for s in self.sessions for t in (s.started_at, s.ended_at) if t is not None]
        return max(times, default=EPOCH)

    def summary(self, top: int = 5) -> dict[str, Any]:
        """Counts, time span, notes per memory and the largest files (what `workbench inspect` prints)."""
        per_memory: dict[str, int] = {}
        for note in self.notes:
            per_memory[note.memory_id] = per_memory.get(note.memory_id, 0) + 1
        counts = [per_memory.get(m.id, 0) for m in self.memories]
        times = [m.updated_at for m in self.memories] + [m.created_at for m in self.memories]
        times += [t for s in self.sessions for t in (s.started_at, s.ended_at) if t is not None]
        largest = sorted(self.memories, key=lambda m: (-len(m.content.encode()), m.path))[:top]
        return {
            "memories": len(self.memories),
            "notes": len(self.notes),
            "sessions": len(self.sessions),
            "turns": len(self.turns),
            "bytes": sum(len(m.content.encode()) for m in self.memories),
            "first": iso(min(times)) if times else None,
            "last": iso(max(times)) if times else None,
            "notes_per_memory": {
                "min": min(counts, default=0),
                "median": sorted(counts)[len(counts) // 2] if counts else 0,
                "max": max(counts, default=0),
            },
            "largest": [{"path": m.path, "bytes": len(m.content.encode()), "notes": per_memory.get(m.id, 0)} for m in largest],
            "store_digest": self.store.digest,
        }

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """DataFrames for memories, notes, sessions and turns, indexed by id."""
        import pandas as pd

        memories = pd.DataFrame(
            [
                {"id": m.id, "path": m.path, "notes": 0, "bytes": len(m.content.encode()),
                 "created_at": m.created_at, "updated_at": m.updated_at, "content": m.content}
                for m in self.memories
            ],
            columns=["id", "path", "notes", "bytes", "created_at", "updated_at", "content"],
        ).set_index("id")
        notes = pd.DataFrame(
            [
                {"id": n.id, "memory_id": n.memory_id, "path": n.path, "position": n.position,
                 "kind": n.kind, "section": n.section, "text": n.text,
                 "created_at": n.created_at, "updated_at": n.updated_at, "evidence": list(n.evidence)}
                for n in self.notes
            ],
            columns=["id", "memory_id", "path", "position", "kind", "section", "text",
                     "created_at", "updated_at", "evidence"],
        ).set_index("id")
        if len(memories):
            memories["notes"] = notes.groupby("memory_id").size().reindex(memories.index, fill_value=0)
        sessions = pd.DataFrame(
            [
                {"id": s.id, "title": s.title, "started_at": s.started_at, "ended_at": s.ended_at,
                 "turns": len(s.turns), "origin": s.origin}
                for s in self.sessions
            ],
            columns=["id", "title", "started_at", "ended_at", "turns", "origin"],
        ).set_index("id")
        turns = pd.DataFrame(
            [
                {"id": t.id, "session_id": t.session_id, "position": t.position, "role": t.role,
                 "at": t.at, "text": t.text}
                for t in self.turns
            ],
            columns=["id", "session_id", "position", "role", "at", "text"],
        ).set_index("id")
        return {"memories": memories, "notes": notes, "sessions": sessions, "turns": turns}


# --- notes: the facts of a memory document, as records --------------------------------------------


def split_notes(memory: Memory) -> list[Note]:
    """The notes of a memory document, in order; ids are `<memory id>#<position>`.

    The parts come from `markdown.parse` (a list item's text, a paragraph, a `Key: value` line, a
    block quote, or a whole code block, table or HTML block; headings and titles are the `section`
    of the notes under them, list items the parents of the items nested in them); a note adds the
    memory's id, path and times and the turns that support its text (`Memory.provenance`).
    """
    provenance = memory.provenance
    return [Note(id=f"{memory.id}#{position}", memory_id=memory.id, path=memory.path, position=position,
                 text=part.text, kind=part.kind, section=part.section, start=part.start, end=part.end,
                 created_at=memory.created_at, updated_at=memory.updated_at,
                 evidence=tuple(provenance.get(part.text, ())), parents=part.parents,
                 parent=f"{memory.id}#{part.parent}" if part.parent is not None else None)
            for position, part in enumerate(parse(memory.content))]


# --- dating notes from memory versions, and tables of contents ---------------------------------

INDEX_ENTRY = re.compile(r"^\[[^\]]+\]\((?![A-Za-z][\w+.-]*:|#)[^)\s]+\)")  # [Title](file.md), not a URL


def is_index_entry(memory: Memory, note: Note) -> bool:
    """A link to a file in a table of contents (a memory with `meta["index"]`), not a fact."""
    return bool(memory.meta.get("index")) and INDEX_ENTRY.match(note.text) is not None


def version_history(versions: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[datetime, str | None, str]]]:
    """(time, content or None, version id) of each memory's versions, oldest first; undated ones left out."""
    history: dict[str, list[tuple[datetime, str | None, str]]] = {}
    for order, version in enumerate(versions):
        try:
            at = parse_time(version.get("created_at"), field_name="created_at")
        except ReaderError:
            continue
        content = version.get("content")
        if version.get("operation") == "deleted":
            content = ""
        history.setdefault(str(version.get("memory_id")), []).append(
            (at, content if isinstance(content, str) else None, str(version.get("id") or order)))
    for runs in history.values():
        runs.sort(key=lambda v: v[0])
    return history


def dated_notes(memory: Memory, notes: list[Note], history: Sequence[tuple[datetime, str | None, str]]) -> list[Note]:
    """`notes` with the time of the version their lines first appeared in (since they last were absent).

    Only a history that reaches the memory's content (its latest version holds that content, as
    the platform records every write) dates notes: after a write the versions do not show, any
    line may have been rewritten then.
    """
    if not history or history[-1][1] != memory.content:
        return notes
    texts = [f"\n{v[1].replace(chr(13) + chr(10), chr(10))}\n" if v[1] is not None else None for v in history]
    out = []
    for note in notes:
        lines = "\n" + memory.content[note.start:note.end].replace("\r\n", "\n") + "\n"
        since = None
        for (at, _, ident), text in zip(history, texts):
            if text is None:
                continue  # a version listed without its content says nothing about the line
            since = (since or (at, ident)) if lines in text else None
        out.append(replace(note, created_at=since[0], updated_at=since[0], dated_by=f"memory_version:{since[1]}")
                   if since else note)
    return out
