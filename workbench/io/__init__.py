"""Reading and writing: one registry of readers, chosen by sniffing content, overridable by name.

A reader turns one file (or a store directory) into `Loaded` memories and/or sessions::

    @register_reader("my-format", provides=("sessions",), reads=("file",), extensions=(".log",))
    class MyFormat:
        def sniff(self, path, head): return 0.9 if head.startswith("MYLOG") else 0.0
        def read(self, path): return Loaded(sessions=[...])

`load_store`, `load_sessions` and `load_corpus` are what callers use. A loader either returns
everything or raises one `WorkbenchError`; it never returns a half-loaded corpus. A format named
instead of sniffed must fit: it provides what is asked for, and reads a file or a folder as the
path is (`reads`), else one error says so and names the format sniffed.

Writers register the same way, by name, beside the readers of their format: `dir` and `zip` in
`store_files`, `json` and `mem0` in `store_json`, `letta-af` in `letta_af`. A writer renders a store
to text (`render`: every file, and the store they read back as), writes rendered files at a new
path (`write`), and saves a store (`save`: `write_store`). `workbench.export` writes every snapshot
format through `get_writer`, and `workbench.verify` renders through it again to compare::

    @register_writer("my-format", tree=False, reader="my-format", extensions=(".my",))
    class MyFormat(OneFileWriter):
        def render(self, store, source=None): return Rendered({"": text_of(store)}, store)
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import ReaderError, UnknownNameError
from ..files import quote, read_head, write_text
from ..records import Corpus, Memory, Session, Store


@dataclass
class Loaded:
    """What a reader found in one source."""

    memories: list[Memory] | None = None
    sessions: list[Session] = field(default_factory=list)
    store_id: str | None = None
    store_name: str | None = None
    versions: list[dict[str, Any]] = field(default_factory=list)


class Reader(Protocol):
    name: str
    provides: tuple[str, ...]
    extensions: tuple[str, ...]
    reads: tuple[str, ...] | None  # "file", "folder" or both; None: not said (not checked)

    def sniff(self, path: Path, head: str) -> float: ...

    def read(self, path: Path) -> Loaded: ...


READERS: dict[str, Reader] = {}
DEFAULT_READERS = (
    "workbench.io.store_files",
    "workbench.io.store_json",
    "workbench.io.store_table",
    "workbench.io.sessions_platform",
    "workbench.io.sessions_chat",
    "workbench.io.letta",
    "workbench.io.claude_memory",
    "workbench.io.locomo",
)


def register_reader(
    name: str, *, provides: Sequence[str], extensions: Sequence[str] = (), description: str = "",
    reads: Sequence[str] | None = None,
) -> Callable[[type], type]:
    """Class decorator: register a reader under `name` (built-ins register the same way).

    `reads` says what a path given to it is: `("file",)`, `("folder",)` or both (None: not said)."""

    def decorate(cls: type) -> type:
        reader = cls()
        reader.name = name
        reader.provides = tuple(provides)
        reader.extensions = tuple(extensions)
        reader.reads = tuple(reads) if reads is not None else None
        reader.description = description or (cls.__doc__ or "").strip().splitlines()[0]
        READERS[name] = reader
        return cls

    return decorate


def _load_defaults() -> None:
    import importlib

    for module in DEFAULT_READERS:
        importlib.import_module(module)


def get_reader(name: str) -> Reader:
    """The reader registered under `name`."""
    _load_defaults()
    if name not in READERS:
        raise UnknownNameError(f"unknown format {name!r}; known formats: {', '.join(sorted(READERS))}")
    return READERS[name]


def readers() -> dict[str, Reader]:
    """Every registered reader by name."""
    _load_defaults()
    return dict(READERS)


def sniff(path: str | Path, want: str) -> Reader:
    """The reader that best recognises `path` among those that provide `want`."""
    path = Path(path)
    _load_defaults()
    head = "" if path.is_dir() else read_head(path)
    scored = []
    for reader in READERS.values():
        if want not in reader.provides:
            continue
        score = reader.sniff(path, head)
        if score > 0:
            scored.append((score, reader.name, reader))
    if not scored:
        known = ", ".join(sorted(r.name for r in READERS.values() if want in r.provides))
        raise ReaderError(
            f"cannot tell which format holds {want}; name it with format=... (one of: {known})",
            source=str(path),
        )
    return max(scored, key=lambda item: (item[0], item[1]))[2]


def _sniffed(path: Path, want: str) -> str:
    try:
        return f"sniffed: {sniff(path, want).name}"
    except ReaderError:
        return f"no format holding {want} recognises it"


def named_reader(format: str, path: Path, want: str) -> Reader:
    """The reader named `format`, if it fits `path`: it provides `want` and reads what `path` is
    (a file or a folder); otherwise one `ReaderError` saying so and naming the format sniffed."""
    reader = get_reader(format)
    if want not in reader.provides:
        what = "memory store" if want == "memories" else want
        raise ReaderError(f"format {format!r} holds no {what}, only {' and '.join(reader.provides)} "
                          f"({_sniffed(path, want)})", source=quote(path))
    shape = "folder" if path.is_dir() else "file"
    if reader.reads is not None and shape not in reader.reads:
        raise ReaderError(f"format {format!r} reads a {' or a '.join(reader.reads)}; this is a {shape} "
                          f"({_sniffed(path, want)})", source=quote(path))
    return reader


def _check_exists(path: Path) -> None:
    """The path exists and is a folder or a regular file (a FIFO or device would hang a reader)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ReaderError("no such file or directory", source=quote(path)) from None
    except (OSError, RuntimeError) as exc:  # a loop of symbolic links, a name too long
        raise ReaderError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", source=quote(path)) from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise ReaderError("not a regular file or folder (a pipe, device or socket)", source=quote(path))


def _read(reader: Reader, path: Path, options: dict[str, Any]) -> Loaded:
    """`reader.read(path, **options)`; an option the reader does not take is an error naming it."""
    options = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(options) - set(getattr(reader, "options", ())))
    if unknown:
        raise ReaderError(f"format {reader.name!r} takes no {', '.join(unknown)} (its records carry their own)",
                          source=str(path))
    return reader.read(path, **options)


def load_store(path: str | Path, format: str | None = None, *, default_time: Any = None) -> Store:
    """Read a memory store from a directory or file (format sniffed unless named).

    `default_time` dates the rows of a CSV or Parquet table that have no `updated_at` (without
    it such a row is an error naming its line, never a memory silently dated 1970).
    """
    path = Path(path)
    _check_exists(path)
    reader = named_reader(format, path, "memories") if format else sniff(path, "memories")
    loaded = _read(reader, path, {"default_time": default_time})
    if loaded.memories is None:
        raise ReaderError(f"format {reader.name!r} holds no memory store", source=str(path))
    return Store(
        tuple(loaded.memories),
        id=loaded.store_id,
        name=loaded.store_name or path.stem,
        origin=str(path),
        versions=tuple(loaded.versions),
    )


SESSION_SUFFIXES = (".json", ".jsonl", ".af")


def _session_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(
        p for p in _walk(path)
        if p.suffix in SESSION_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise ReaderError(f"no session files ({', '.join(SESSION_SUFFIXES)}) found", source=str(path))
    return files


def _walk(folder: Path) -> Iterable[Path]:
    """Regular files under `folder`, any depth; links to folders are not followed (no loops)."""
    import os

    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in filenames:
            file = Path(dirpath) / name
            if file.is_file():  # a FIFO, socket or broken link is skipped
                yield file


def load_sessions(paths: str | Path | Iterable[str | Path], format: str | None = None) -> tuple[Session, ...]:
    """Read sessions from files or directories of files, ordered by start time."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sessions: list[Session] = []
    for path in map(Path, paths):
        _check_exists(path)
        for file in _session_files(path):  # a folder of sessions is read file by file
            reader = named_reader(format, file, "sessions") if format else sniff(file, "sessions")
            sessions.extend(reader.read(file).sessions)
    seen: dict[str, Session] = {}
    for session in sessions:
        first = seen.setdefault(session.id, session)
        if first is not session:
            raise ReaderError(f"session id {session.id!r} appears twice (also in {first.origin})",
                              source=session.origin, field="id")
    return tuple(sorted(sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id)))


def load_corpus(
    store: str | Path | Store,
    sessions: str | Path | Iterable[str | Path] | None = None,
    *,
    store_format: str | None = None,
    sessions_format: str | None = None,
    default_time: Any = None,
) -> Corpus:
    """Read a store and (optionally) sessions into one `Corpus` (`default_time`: see `load_store`)."""
    if not isinstance(store, Store):
        store = load_store(store, store_format, default_time=default_time)
    loaded = load_sessions(sessions, sessions_format) if sessions is not None else ()
    return Corpus(store, loaded)


# --- writers ----------------------------------------------------------------------------------


@dataclass
class Rendered:
    """What a writer makes of a store: the text of every file it writes, and the store they read back as."""

    files: dict[str, str]  # by relative POSIX path (`notes/a.md`); `""` is the one file of a one-file format
    store: Store


class Writer(Protocol):
    name: str
    tree: bool  # True: a folder of memory files and the sidecar (dir, zip); False: one file (json, mem0, letta-af)
    reader: str | None  # the reader that loads the written file back as the same store (None: none does)
    extensions: tuple[str, ...]
    description: str

    def render(self, store: Store, source: Store | None = None) -> Rendered: ...

    def write(self, files: Mapping[str, str], path: Path) -> None: ...

    def save(self, store: Store, path: Path, *, force: bool = False) -> Path: ...


class OneFileWriter:
    """What a one-file writer shares: `write` and `save` of the one rendered file (named `""`)."""

    def write(self, files: Mapping[str, str], path: Path) -> None:
        path.write_bytes(files[""].encode("utf-8"))

    def save(self, store: Store, path: Path, *, force: bool = False) -> Path:
        """Write the file atomically (a file there is replaced; a folder or a link is not)."""
        return write_text(path, self.render(store, store).files[""])


WRITERS: dict[str, Writer] = {}
DEFAULT_WRITERS = ("workbench.io.store_files", "workbench.io.store_json", "workbench.io.letta_af")


def register_writer(
    name: str, *, tree: bool, reader: str | None = None, extensions: Sequence[str] = (), description: str = "",
) -> Callable[[type], type]:
    """Class decorator: register a writer under `name` (built-ins register the same way).

    `tree` says what it writes: a folder of memory files and the sidecar (a snapshot holds them
    under `memories/`, its manifest inside), or one file (a snapshot's manifest goes beside it).
    `reader` names the reader that loads the written file back as the same store, if one does."""

    def decorate(cls: type) -> type:
        writer = cls()
        writer.name = name
        writer.tree = tree
        writer.reader = reader
        writer.extensions = tuple(extensions)
        writer.description = description or (cls.__doc__ or "").strip().splitlines()[0]
        WRITERS[name] = writer
        return cls

    return decorate


def _load_writers() -> None:
    import importlib

    for module in DEFAULT_WRITERS:
        importlib.import_module(module)


def get_writer(name: str) -> Writer:
    """The writer registered under `name`."""
    _load_writers()
    if name not in WRITERS:
        raise UnknownNameError(f"unknown output format {name!r}; known formats: {', '.join(sorted(WRITERS))}")
    return WRITERS[name]


def writers() -> dict[str, Writer]:
    """Every registered writer by name: the built-ins in the order of `DEFAULT_WRITERS` (dir, zip,
    json, mem0, letta-af), then any other in the order registered."""
    _load_writers()
    rank = {module: i for i, module in enumerate(DEFAULT_WRITERS)}
    return dict(sorted(WRITERS.items(), key=lambda item: rank.get(type(item[1]).__module__, len(rank))))


def write_store(store: Store, path: str | Path, format: str = "dir", *, force: bool = False) -> Path:
    """Write `store` at `path` in a registered format (`dir`: a folder of files; `json`: the Managed
    Agents store JSON; see `writers()`); returns the path.

    The result is exactly `store`, written atomically: a reader sees the old file or folder or the
    new one. A folder is replaced only when it is empty or holds nothing but what this tool wrote
    there (the sidecar and the memory files it lists); `force=True` replaces any folder. For
    checked, auditable output use `workbench.export`.
    """
    return get_writer(format).save(store, Path(path), force=force)


__all__ = [
    "Loaded", "Reader", "READERS", "register_reader", "get_reader", "named_reader", "readers", "sniff",
    "load_store", "load_sessions", "load_corpus", "OneFileWriter", "Rendered", "Writer", "WRITERS",
    "register_writer", "get_writer", "writers", "write_store",
]
