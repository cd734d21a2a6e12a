"""Memory stores as tables: CSV or Parquet with `path`, `content` and `updated_at` columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ReaderError
from ..files import read_text
from ..records import Memory, parse_time
from . import Loaded, register_reader
from .parsing import located

REQUIRED = ("path", "content")


TIMES = ("updated_at", "created_at")
NO_TIME = "no time: the row has no updated_at (or created_at); give one, or pass --default-time (default_time=)"


def _rows(frame, path: Path, lines: list[int] | None, default_time: Any = None) -> list[Memory]:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ReaderError(f"missing column(s) {', '.join(missing)}; need path, content and updated_at",
                          source=str(path), line=1 if lines is not None else None, field=missing[0])
    fallback = parse_time(default_time, field_name="default_time") if default_time is not None else None
    if fallback is None and not any(c in frame.columns for c in TIMES):
        raise ReaderError("missing column updated_at: every memory needs a time; add the column, or pass "
                          "--default-time (default_time=)", source=str(path),
                          line=1 if lines is not None else None, field="updated_at")
    out = []
    for index, row in enumerate(frame.to_dict("records")):
        line = lines[index] if lines is not None and index < len(lines) else None
        record = {k: (None if _is_missing(v) else v) for k, v in row.items()}
        with located(path, line, None if line else f"row {index}"):
            if not any(record.get(c) for c in TIMES):
                if fallback is None:
                    raise ReaderError(NO_TIME, field="updated_at")
                record["updated_at"] = fallback
            out.append(Memory.from_dict(record, origin=f"{path}:{line}" if line else f"{path}#row{index}"))
    return out


def _row_lines(text: str) -> list[int]:
    """The line each data row starts on (a quoted cell may span several lines; blank lines are skipped)."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    starts, previous = [], 0
    try:
        for row in reader:
            if row:
                starts.append(previous + 1)
            previous = reader.line_num
    except csv.Error:
        pass
    return starts[1:]


def _is_missing(value) -> bool:
    try:
        return value != value or value is None  # NaN
    except Exception:
        return False


@register_reader("csv", provides=("memories",), reads=("file",), extensions=(".csv",))
class CsvStore:
    """CSV with `path`, `content`, `updated_at` (and optional `id`, `created_at`) columns."""

    options = ("default_time",)

    def sniff(self, path: Path, head: str) -> float:
        return 0.9 if path.suffix.lower() == ".csv" else 0.0

    def read(self, path: Path, default_time: Any = None) -> Loaded:
        import io

        import pandas as pd

        text = read_text(path)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ReaderError(f"malformed CSV: {exc}", source=str(path)) from None
        frame = frame.replace({"": None})
        return Loaded(memories=_rows(frame, path, _row_lines(text), default_time))


@register_reader("parquet", provides=("memories",), reads=("file",), extensions=(".parquet",))
class ParquetStore:
    """Parquet with `path`, `content`, `updated_at` (and optional `id`, `created_at`) columns."""

    options = ("default_time",)

    def sniff(self, path: Path, head: str) -> float:
        return 0.95 if head.startswith("PAR1") or path.suffix.lower() == ".parquet" else 0.0

    def read(self, path: Path, default_time: Any = None) -> Loaded:
        import pandas as pd

        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise ReaderError(f"cannot read Parquet: {exc}", source=str(path)) from None
        return Loaded(memories=_rows(frame, path, None, default_time))
