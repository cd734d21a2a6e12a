"""Small helpers the readers share: strict UTF-8, JSON with line numbers, error locations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ReaderError, WorkbenchError

HEAD_BYTES = 65_536


def read_text(path: Path, *, bom: bool = True) -> str:
    """The file's text; non-UTF-8 bytes are an error naming the line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReaderError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start + (len(data) - len(exc.object))  # utf-8-sig reports offsets past the BOM
        line = data[:start].count(b"\n") + 1
        raise ReaderError(
            f"not valid UTF-8 (byte 0x{data[start]:02x}); save the file as UTF-8",
            source=str(path),
            line=line,
        ) from None


def read_head(path: Path) -> str:
    """The first bytes of a file as text, for sniffing (never fails on encoding)."""
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")


def load_json(path: Path, text: str | None = None) -> Any:
    """Parse a JSON document; malformed JSON names the line and column."""
    text = read_text(path) if text is None else text
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(
            f"malformed JSON: {exc.msg} (column {exc.colno})", source=str(path), line=exc.lineno
        ) from None


def iter_jsonl(path: Path, text: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, object) for every non-blank line of a JSON Lines file."""
    text = read_text(path) if text is None else text
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 is valid inside JSON
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReaderError(
                f"malformed JSON: {exc.msg} (column {exc.colno})", source=str(path), line=number
            ) from None


def item_lines(text: str, key: str | None = None) -> list[int]:
    """Line numbers where each item of a JSON array starts (the top-level array, or `key`'s).

    Lets an error inside `memories[7]` name the line a person can open, not just the index.
    """
    decoder = json.JSONDecoder()
    pos = _value_start(text, key, decoder) if key is not None else _skip_space(text, 0)
    if pos is None or not text.startswith("[", pos):
        return []
    pos += 1
    lines: list[int] = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(text.count("\n", 0, pos) + 1)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return lines


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _value_start(text: str, key: str, decoder: json.JSONDecoder) -> int | None:
    """Where the value of the top-level object's `key` starts (a key, not a string that equals it)."""
    pos = _skip_space(text, 0)
    if not text.startswith("{", pos):
        return None
    pos += 1
    try:
        while True:
            pos = _skip_space(text, pos)
            if not text.startswith('"', pos):
                return None
            name, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if not text.startswith(":", pos):
                return None
            pos = _skip_space(text, pos + 1)
            if name == key:
                return pos
            _, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if not text.startswith(",", pos):
                return None
            pos += 1
    except json.JSONDecodeError:
        return None


@contextmanager
def located(source: str | Path, line: int | None = None, where: str | None = None) -> Iterator[None]:
    """Fill in the file and line of any WorkbenchError raised inside, and wrap stray errors."""
    try:
        yield
    except WorkbenchError as exc:
        if exc.source is None:
            exc.source = str(source)
            exc.line = exc.line or line
        if where and exc.field and not exc.field.startswith(where):
            exc.field = f"{where}.{exc.field}"
        elif where and not exc.field:
            exc.field = where
        exc.args = (str(exc),)
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else f"unexpected shape ({exc})"
        raise ReaderError(detail, source=str(source), line=line, field=where) from None


def require(data: Any, name: str, kind: type | tuple[type, ...] = str) -> Any:
    """`data[name]`, which must exist and have the given type."""
    if not isinstance(data, dict):
        raise ReaderError(f"expected an object, got {type(data).__name__}")
    if data.get(name) is None:
        raise ReaderError("missing", field=name)
    value = data[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ReaderError(f"expected {expected}, got {type(value).__name__}", field=name)
    return value
