"""Parsing what was read, with locations: JSON and JSON Lines with line numbers, error locations.

Readers, the schema, the plan and the probes share these; reading the file itself (a regular file,
strict UTF-8) is `workbench.files`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ReaderError, WorkbenchError
from ..files import quote, read_text


def csv_error(exc: csv.Error, path: Path, lines_read: int) -> ReaderError:
    """A `csv.Error` as one `ReaderError` naming the line (a cell over the csv module's limit, say)."""
    if "field limit" in str(exc):  # raised in the middle of the line after those read
        return ReaderError(f"a cell holds more than {csv.field_size_limit():,} characters", source=str(path),
                           line=lines_read + 1)
    return ReaderError(f"malformed CSV: {exc}", source=str(path), line=lines_read or None)


def parse_json(text: str, source: str | Path) -> Any:
    """Parse a JSON document; malformed, too deep or too large numbers are one `ReaderError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(
            f"malformed JSON: {exc.msg} (column {exc.colno})", source=quote(source), line=exc.lineno
        ) from None
    except RecursionError:
        raise ReaderError("JSON nested too deeply (more than about 1,000 levels)", source=quote(source)) from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        match = re.search(r"\d{4300,}", text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        raise ReaderError(f"a number is too large ({str(exc).split(';')[0]})", source=quote(source),
                          line=line) from None


def load_json(path: Path, text: str | None = None) -> Any:
    """Parse a JSON file; malformed JSON names the line and column."""
    text = read_text(path) if text is None else text
    return parse_json(text, path)


def iter_jsonl(path: Path, text: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, object) for every non-blank line of a JSON Lines file."""
    text = read_text(path) if text is None else text
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): U+2028 is valid inside JSON
        if not line.strip():
            continue
        try:
            yield number, parse_json(line, path)
        except ReaderError as exc:
            exc.line = number
            exc.args = (str(exc),)
            raise


class ItemLines:
    """Line numbers where each item of a JSON array starts (the top-level array, or `key`'s).

    Nothing is computed until a line is asked for (an error message needs one); then every
    item's line is found in one linear pass. `at(index)` is a callable for `located`.
    """

    def __init__(self, text: str, key: str | None = None, start_line: int | None = 1) -> None:
        self.text, self.key, self.start_line = text, key, start_line
        self._lines: list[int] | None = None

    def _compute(self) -> list[int]:
        if self._lines is None:
            text, offset = self.text, 0
            if self.start_line is None:
                self._lines = []
                return self._lines
            for _ in range(self.start_line - 1):
                offset = text.index("\n", offset) + 1
            self._lines = _item_lines(text, self.key, offset)
        return self._lines

    def get(self, index: int) -> int | None:
        lines = self._compute()
        return lines[index] if 0 <= index < len(lines) else None

    def at(self, index: int) -> Callable[[], int | None]:
        return lambda: self.get(index)

    def __len__(self) -> int:
        return len(self._compute())

    def __getitem__(self, index: int) -> int:
        return self._compute()[index]


def item_lines(text: str, key: str | None = None) -> ItemLines:
    """Where each item of a JSON array starts (lazily; see `ItemLines`)."""
    return ItemLines(text, key)


def _item_lines(text: str, key: str | None, offset: int = 0) -> list[int]:
    """Absolute line numbers of the items of the array at `key` (or the top level) from `offset` on."""
    decoder = json.JSONDecoder()
    try:
        pos = _value_start(text, key, decoder, offset) if key is not None else _skip_space(text, offset)
    except RecursionError:
        return []
    if pos is None or not text.startswith("[", pos):
        return []
    pos += 1
    lines: list[int] = []
    line, counted = text.count("\n", 0, pos) + 1, pos
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        line += text.count("\n", counted, pos)  # counted from the last item: linear, not quadratic
        counted = pos
        lines.append(line)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError, ValueError):
            return lines


def line_of(text: str, loc: Sequence[str | int]) -> int | None:
    """The line where the value at `loc` (keys and indexes from the top) starts, if it can be found."""
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    try:
        for part in loc:
            found = _key_start(text, part, decoder, pos) if isinstance(part, str) else _index_start(text, part, decoder, pos)
            if found is None:
                break
            pos = found
    except (json.JSONDecodeError, RecursionError, ValueError):
        pass
    return text.count("\n", 0, pos) + 1


def _index_start(text: str, index: int, decoder: json.JSONDecoder, pos: int) -> int | None:
    if not text.startswith("[", pos):
        return None
    pos += 1
    for i in range(index + 1):
        pos = _skip_space(text, pos)
        if pos >= len(text) or text[pos] == "]":
            return None
        if i == index:
            return pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip_space(text, pos)
        if text.startswith(",", pos):
            pos += 1
    return None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _value_start(text: str, key: str, decoder: json.JSONDecoder, offset: int = 0) -> int | None:
    """Where the value of the top-level object's `key` starts (a key, not a string that equals it)."""
    return _key_start(text, key, decoder, _skip_space(text, offset))


def _key_start(text: str, key: str, decoder: json.JSONDecoder, pos: int) -> int | None:
    """Where the value of `key` starts in the object that starts at `pos`."""
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
def located(source: str | Path, line: int | Callable[[], int | None] | None = None,
            where: str | None = None) -> Iterator[None]:
    """Fill in the file and line of any WorkbenchError raised inside, and wrap stray errors.

    `line` may be a callable (`ItemLines.at(i)`): it is called only when an error needs it.
    """
    try:
        yield
    except WorkbenchError as exc:
        if exc.source is None:
            exc.source = quote(source)
            exc.line = exc.line or _line(line)
        if where and exc.field and not exc.field.startswith(where):
            exc.field = f"{where}.{exc.field}"
        elif where and not exc.field:
            exc.field = where
        exc.args = (str(exc),)
        raise
    except (KeyError, TypeError, AttributeError, ValueError, ArithmeticError, RecursionError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else f"unexpected shape ({_short(exc)})"
        raise ReaderError(detail, source=quote(source), line=_line(line), field=where) from None


def _line(line: int | Callable[[], int | None] | None) -> int | None:
    return line() if callable(line) else line


def _short(exc: BaseException) -> str:
    text = quote(str(exc) or type(exc).__name__)
    return text if len(text) <= 200 else text[:200] + "…"


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


def value_span(text: str, loc: Sequence[str | int]) -> tuple[int, int]:
    """The start and end offsets of the JSON value at `loc` (keys and indexes from the top).

    A writer that splices a new value in at these offsets leaves every other byte as it was.
    `KeyError` when `loc` is not in the document.
    """
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    for part in loc:
        found = _key_start(text, part, decoder, pos) if isinstance(part, str) else _index_start(text, part, decoder, pos)
        if found is None:
            raise KeyError("/".join(map(str, loc)))
        pos = found
    _, end = decoder.raw_decode(text, pos)
    return pos, end


def pointer(loc: Sequence[str | int]) -> str:
    """A JSON pointer (RFC 6901) for keys and indexes from the top: `/blocks/3/value`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in loc)
