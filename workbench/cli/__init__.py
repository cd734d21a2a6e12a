"""`workbench …`: a thin command line over the package; each command calls one function.

- `base`: the registry (`@command`), options of stores and outputs, loading and writing.
- `options`: options generated from dataclasses: every field of `Focus` (for `focus`, `dream`,
  `fleet`) and of `Guardrail` (for `review`), with type, default and help read from the field.
- `reading` (inspect, analyze, pull), `dreaming` (focus, dream, fleet), `deciding` (review,
  export, verify), `evaluating` (eval), `apps` (lab, app): the commands, one group a module.

Only the chosen command's options are built, so `workbench inspect` never imports the dream rules.
Errors print one line (`workbench: error: …`) and exit with status 2, never a traceback; so does a
mistyped option.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterable, Sequence

from ..errors import WorkbenchError
from . import apps, deciding, dreaming, evaluating, reading  # registers the commands
from .base import COMMANDS

_PYTHON_SHOWWARNING = warnings.showwarning
GROUPS = tuple(m.__name__ for m in (reading, dreaming, deciding, evaluating, apps))  # the order of `--help`


class UsageError(Exception):
    """A command line argparse cannot read."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{message} (see `{self.prog} --help`)")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """The docstring as written (its Example block intact), options as argparse lays them out."""


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with `commands`, only those get their options (the rest, a line of help)."""
    chosen = set(COMMANDS if commands is None else commands)
    parser = _Parser(prog="workbench", description="Dream Workbench: see, steer and review memory dreams.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, cmd in sorted(COMMANDS.items(), key=lambda item: GROUPS.index(item[1].fn.__module__)):
        p = sub.add_parser(name, help=cmd.help, description=cmd.__doc__, formatter_class=_Formatter)
        if name in chosen:
            cmd.arguments(p)
            p.add_argument("-q", "--quiet", action="store_true", help="no progress bars on stderr (there are none when stderr is not a terminal)")
    return parser


def _fail(message: str) -> int:
    from ..files import quote

    print(f"workbench: error: {quote(message)}", file=sys.stderr)
    return 2


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A `ReaderWarning` as one line (`workbench: warning: MEMORY.md:4: ...`); others as Python shows them."""
    from ..errors import ReaderWarning
    from ..files import quote

    if issubclass(category, ReaderWarning):
        print(f"workbench: warning: {quote(str(message))}", file=sys.stderr)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    named = next((a for a in argv if not a.startswith("-")), None)  # the command: the first word
    try:
        args = build_parser([named] if named in COMMANDS else ()).parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc))
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return COMMANDS[args.command](args)
    except WorkbenchError as exc:
        return _fail(str(exc))
    except OSError as exc:  # a full disk, a permission: one line, never a traceback
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except RecursionError:
        return _fail("input nested too deeply to read")
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130


__all__ = ["COMMANDS", "build_parser", "main"]
