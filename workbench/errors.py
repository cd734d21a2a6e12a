"""The one error type of the workbench, and its few refinements.

Every problem a user can cause (bad input, an unknown name, a limit) raises a
`WorkbenchError` whose message names the file, line and field when there is one:

    store.jsonl:12: field 'created_at': expected an ISO 8601 time, got '12/3'

The CLI prints that one line and exits 2; Python callers can catch the built-in
base too (`ValueError`, `KeyError`), sklearn style.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """A problem the user can fix; the message says what and where."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = str(self.source) + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}{what}{self.message}"


class ReaderError(WorkbenchError, ValueError):
    """Input that cannot be read: malformed, missing a field, or breaking a limit."""


class UnknownNameError(WorkbenchError, KeyError):
    """A name (reader, embedder, engine) that no registry knows."""

    def __str__(self) -> str:  # KeyError would quote the message
        return WorkbenchError.__str__(self)


class LimitError(WorkbenchError, ValueError):
    """A platform limit was exceeded (sessions per dream, instruction length, sizes)."""


class EngineError(WorkbenchError, RuntimeError):
    """A dream engine could not run or finish (no key, API failure, malformed answer)."""


class ExportError(WorkbenchError, OSError):
    """A snapshot could not be written or verified."""


class ReaderWarning(UserWarning):
    """Input that loads, with something a person should know (a link to a missing file, say).

    The message names the file and line like an error does; the CLI prints it as one line.
    """
