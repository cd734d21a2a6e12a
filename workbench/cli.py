"""`workbench …`: a thin command line over the package; each command calls one function.

Errors print one line (`workbench: error: …`) and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import WorkbenchError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str, help: str) -> Callable:
    """Register `fn(args) -> exit code` as a subcommand; `fn.arguments(parser)` adds its options."""

    def decorate(fn: Callable) -> Callable:
        fn.help = help
        COMMANDS[name] = fn
        return fn

    return decorate


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _corpus(args: argparse.Namespace):
    from .io import load_corpus

    return load_corpus(args.store, args.sessions, store_format=args.store_format,
                       sessions_format=args.sessions_format)


def _store_options(parser: argparse.ArgumentParser, sessions: bool = True) -> None:
    parser.add_argument("store", help="memory store: a directory, JSON, JSONL, CSV or Parquet file")
    if sessions:
        parser.add_argument("--sessions", nargs="+", default=None, help="session files or directories")
    parser.add_argument("--store-format", default=None, help="name the store format instead of sniffing")
    parser.add_argument("--sessions-format", default=None, help="name the sessions format instead of sniffing")


@command("inspect", "counts, time span, notes per memory, largest files")
def inspect(args: argparse.Namespace) -> int:
    """Example: workbench inspect sample-data/coding-assistant/store.json --sessions sample-data/coding-assistant/sessions"""
    summary = _corpus(args).summary()
    if args.json:
        _print_json(summary)
        return 0
    print(f"{summary['memories']} memories, {summary['notes']} notes, {summary['sessions']} sessions, "
          f"{summary['turns']} turns, {summary['bytes']:,} bytes")
    print(f"time span: {summary['first']} .. {summary['last']}")
    npm = summary["notes_per_memory"]
    print(f"notes per memory: min {npm['min']}, median {npm['median']}, max {npm['max']}")
    print("largest files:")
    for item in summary["largest"]:
        print(f"  {item['bytes']:>8,} B  {item['notes']:>4} notes  {item['path']}")
    return 0


inspect.arguments = lambda p: (_store_options(p), p.add_argument("--json", action="store_true", help="print JSON"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Dream Workbench: see, steer and review memory dreams.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in COMMANDS.items():
        p = sub.add_parser(name, help=fn.help, description=(fn.__doc__ or fn.help))
        fn.arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
