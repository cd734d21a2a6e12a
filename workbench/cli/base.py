"""What every command shares: the registry, the options of stores and outputs, loading and writing.

A command is `fn(args) -> exit code`, registered with `@command(name, *options)`; each option is
`fn(parser)` (`flag(...)` makes one from `add_argument`'s arguments). The first line of the
command's docstring is its line in `workbench --help`, the whole docstring (ending in an
"Example:" block) its description in `workbench NAME --help`.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

Option = Callable[[argparse.ArgumentParser], Any]


class Command:
    """One subcommand: the function that runs it and the options its parser takes."""

    def __init__(self, name: str, fn: Callable[[argparse.Namespace], int], options: tuple[Option, ...]) -> None:
        self.name, self.fn, self.options = name, fn, options
        self.__doc__ = inspect.cleandoc(fn.__doc__ or "")

    @property
    def help(self) -> str:
        return self.__doc__.splitlines()[0] if self.__doc__ else ""

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        for option in self.options:
            option(parser)

    def __call__(self, args: argparse.Namespace) -> int:
        return self.fn(args)


COMMANDS: dict[str, Command] = {}


def command(name: str, *options: Option) -> Callable[[Callable], Command]:
    """Register `fn(args) -> exit code` as the subcommand `name` with these options."""

    def decorate(fn: Callable[[argparse.Namespace], int]) -> Command:
        COMMANDS[name] = Command(name, fn, options)
        return COMMANDS[name]

    return decorate


def flag(*names: str, **kwargs: Any) -> Option:
    """An option as `parser.add_argument(*names, **kwargs)` would add it."""
    return lambda parser: parser.add_argument(*names, **kwargs)


# --- options of stores and outputs ---------------------------------------------------------------

def default_time(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--default-time", default=None,
                        help="ISO time for CSV/Parquet rows without updated_at (otherwise such a row is an error)")


def formats(parser: argparse.ArgumentParser, sessions: bool = True) -> None:
    parser.add_argument("--store-format", default=None, help="name the store format instead of sniffing")
    if sessions:
        parser.add_argument("--sessions-format", default=None, help="name the sessions format instead of sniffing")
    default_time(parser)


def sessions_option(help: str = "session files or directories") -> Option:
    return flag("--sessions", nargs="+", default=None, help=help)


def store(parser: argparse.ArgumentParser) -> None:
    """The positional store, its sessions and their formats."""
    parser.add_argument("store", help="memory store: a directory, JSON, JSONL, CSV or Parquet file")
    sessions_option()(parser)
    formats(parser)


keep_secrets = flag("--keep-secrets", action="store_true",
                    help="write secret values (API keys, passwords) as they are instead of redacting them")
as_json = flag("--json", action="store_true", help="print JSON")
EMBEDDERS = "tfidf, minilm or voyage"


# --- loading and writing -------------------------------------------------------------------------

def corpus(args: argparse.Namespace):
    from ..io import load_corpus

    return load_corpus(args.store, args.sessions, store_format=args.store_format,
                       sessions_format=args.sessions_format, default_time=args.default_time)


def analysis_of(args: argparse.Namespace, read=None, embedder: str | None = None):
    """The analysis of the command's store (from the analysis cache when the content was analysed before),
    with a progress bar on stderr for each stage longer than a second (none with `--quiet`, nor when stderr is
    not a terminal: a log or a script reading the error line gets that line alone)."""
    from ..analysis import load_or_analyze
    from ..progress import ANALYSIS_STAGES, Progress, tqdm_sink

    progress = Progress("analysis", ANALYSIS_STAGES, on_update=tqdm_sink(quiet=getattr(args, "quiet", False) or not _terminal(sys.stderr)))
    return load_or_analyze(read if read is not None else corpus(args), embedder or getattr(args, "embedder", None),
                           progress=progress)


def _terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def load_store(args: argparse.Namespace):
    from ..io import load_store as load

    return load(args.store, args.store_format, default_time=args.default_time)


def load_plan(path: str):
    from ..dream.plan import Plan

    return Plan.load(path)


def inputs(args: argparse.Namespace) -> list[str | None]:
    """The files a command reads, which its outputs may never overwrite."""
    return [getattr(args, "store", None), *(getattr(args, "sessions", None) or []),
            getattr(args, "focus_file", None), getattr(args, "plan", None), getattr(args, "decisions", None)]


def refuse_inputs(out: str, given: list[str | None], option: str = "--out") -> None:
    from ..files import refuse_inputs as refuse

    refuse(out, given, option)


def write_json(path: str, data: Any, keep_secrets: bool) -> None:
    """An output file of JSON data, written atomically, secret values redacted unless asked."""
    from ..files import checked_write
    from ..secrets import json_text

    checked_write(path, json_text(data, keep_secrets=keep_secrets))


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
