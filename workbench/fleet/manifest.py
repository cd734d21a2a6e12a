"""A fleet's manifest: which stores (and sessions) to dream over, one entry per store.

Three shapes, sniffed by what the path is:

- JSON Lines, one object a line: `{"id": "u1", "store": "u1/store.json", "sessions": "u1/sessions"}`
  (`sessions` a path or a list of paths, optional; `store_format`, `sessions_format`, `store_id`
  (the platform store to dream on) and `probes` (a probes file for this store) optional);
- CSV with a header row and the same columns (several sessions paths separated by `|`);
- a folder of stores: every entry of the folder that holds a store is one store, named after it.
  A sub-folder with a `store.*` file (or a `memories/` folder) and a `sessions/` folder is a store
  with its sessions; any other sub-folder is a directory store; a `.json`, `.jsonl`, `.csv` or
  `.parquet` file is a store file.

Relative paths are read from the manifest's own folder. A manifest that cannot be read as a
whole (malformed JSON, no `id`, an id given twice) is one `ReaderError` naming the line; a line
naming a store that is missing or broken is *not* an error here: that store's row reports it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReaderError
from ..files import read_text
from ..io.parsing import csv_error, iter_jsonl

LIST_SEPARATOR = "|"
COLUMNS = ("id", "store", "sessions", "store_format", "sessions_format", "store_id", "probes")
STORE_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".parquet")


@dataclass(frozen=True)
class Entry:
    """One store of a fleet, as the manifest names it (paths resolved against the manifest)."""

    id: str
    store: str
    sessions: tuple[str, ...] = ()
    store_format: str | None = None
    sessions_format: str | None = None
    store_id: str | None = None  # the platform memory store to dream on (default: the loaded store's id)
    probes: str | None = None  # a probes file for this store (default: generated from the store)
    line: int | None = None
    problem: str | None = None  # what is wrong with this line (reported in its row, never raised)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "store": self.store, "sessions": list(self.sessions),
                "store_format": self.store_format, "sessions_format": self.sessions_format,
                "store_id": self.store_id, "probes": self.probes}


def read_fleet_manifest(path: str | Path) -> list[Entry]:
    """The entries of a JSONL or CSV manifest, or of a folder of stores (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise ReaderError("no such file or directory", source=str(path))
    if path.is_dir():
        entries = _folder(path)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        entries = [_entry(row, path, line) for line, row in iter_jsonl(path)]
    elif path.suffix.lower() == ".csv":
        entries = [_entry(row, path, line) for line, row in _csv_rows(path)]
    else:
        raise ReaderError("a fleet manifest is a .jsonl or .csv file, or a folder of stores", source=str(path))
    if not entries:
        raise ReaderError("the manifest names no store", source=str(path))
    seen: dict[str, int | None] = {}
    for entry in entries:
        if entry.id in seen:
            where = f" (also on line {seen[entry.id]})" if seen[entry.id] else ""
            raise ReaderError(f"id {entry.id!r} is given twice{where}", source=str(path), line=entry.line,
                              field="id")
        seen[entry.id] = entry.line
    return entries


def _csv_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        return _csv_records(path, reader)
    except csv.Error as exc:
        raise csv_error(exc, path, reader.line_num) from None


def _csv_records(path: Path, reader: csv.DictReader) -> list[tuple[int, dict[str, Any]]]:
    if reader.fieldnames is None or "id" not in reader.fieldnames or "store" not in reader.fieldnames:
        raise ReaderError("the header row must name the columns id and store (sessions optional)",
                          source=str(path), line=1)
    rows = []
    for row in reader:
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        sessions = (row.get("sessions") or "").strip()
        row["sessions"] = [s.strip() for s in sessions.split(LIST_SEPARATOR) if s.strip()]
        rows.append((reader.line_num, {k: (v.strip() if isinstance(v, str) else v) or None
                                       for k, v in row.items() if k is not None}))
    return rows


def _text(row: dict[str, Any], name: str, source: Path, line: int) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ReaderError(f"expected text, got {type(value).__name__}", source=str(source), line=line, field=name)
    return value


def _resolve(base: Path, value: str) -> str:
    candidate = Path(value).expanduser()
    return str(candidate if candidate.is_absolute() else base / candidate)


def _entry(row: Any, source: Path, line: int) -> Entry:
    if not isinstance(row, dict):
        raise ReaderError(f"expected an object, got {type(row).__name__}", source=str(source), line=line)
    raw_id = row.get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise ReaderError("missing", source=str(source), line=line, field="id")
    if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
        raise ReaderError(f"expected text, got {type(raw_id).__name__}", source=str(source), line=line, field="id")
    base = source.parent
    problem = None
    store = _text(row, "store", source, line)
    if store is None:
        problem = f"{source.name}:{line}: field 'store': missing"
    sessions = row.get("sessions")
    if sessions is None or sessions == "":
        sessions = []
    elif isinstance(sessions, str):
        sessions = [sessions]
    if not isinstance(sessions, list) or not all(isinstance(s, str) and s for s in sessions):
        raise ReaderError("expected a path or a list of paths", source=str(source), line=line, field="sessions")
    probes = _text(row, "probes", source, line)
    extra = {k: v for k, v in row.items() if k not in COLUMNS}
    return Entry(id=str(raw_id).strip(), store=_resolve(base, store) if store else "",
                 sessions=tuple(_resolve(base, s) for s in sessions),
                 store_format=_text(row, "store_format", source, line),
                 sessions_format=_text(row, "sessions_format", source, line),
                 store_id=_text(row, "store_id", source, line), probes=_resolve(base, probes) if probes else None,
                 line=line, problem=problem, extra=extra)


def _folder(folder: Path) -> list[Entry]:
    entries = []
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.name.startswith((".", "_")):
            continue
        if child.is_dir():
            sessions = child / "sessions"
            stores = [p for p in sorted(child.iterdir()) if p.name != "sessions" and not p.name.startswith(".")
                      and (p.stem == "store" or p.name == "memories")]
            if sessions.is_dir() and stores:
                entries.append(Entry(child.name, str(stores[0]), (str(sessions),)))
            else:
                entries.append(Entry(child.name, str(child)))
        elif child.suffix.lower() in STORE_SUFFIXES:
            entries.append(Entry(child.stem, str(child)))
    return entries


__all__ = ["Entry", "read_fleet_manifest", "COLUMNS", "LIST_SEPARATOR"]
