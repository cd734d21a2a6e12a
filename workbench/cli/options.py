"""Options generated from the dataclasses they fill: every field of `Focus` and of `Guardrail`.

A field `horizon_days` becomes `--horizon-days`; its type and default are read from the dataclass
and its help from the field's `metadata["help"]`, so the command line mirrors the Python API and
nothing is typed twice. Lists take several values and repeat (`--include a b --include c`),
dicts take `KEY=VALUE` pairs (`--weights "code style=2"`), booleans are `--x` / `--no-x`, and
optional numbers default to None (the engine's or embedder's own default).
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError

ALIASES = {"instructions": ("--focus",)}  # the name scripts and the README have always used


def flag_of(field: dataclasses.Field) -> str:
    """The option a dataclass field is given as: `--` and its name with dashes."""
    return "--" + field.name.replace("_", "-")


def default_of(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


class _Switch(argparse.BooleanOptionalAction):
    """`--x` / `--no-x`, with the help as written (Python 3.10 appends the default itself)."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, help=help, **kwargs)
        self.help = help


def _pair(key_type: type, value_type: type):
    def parse(text: str) -> tuple[Any, Any]:
        key, sep, value = text.rpartition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            return key_type(key.strip()), value_type(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE with a {value_type.__name__} value, "
                                             f"got {text!r}") from None

    parse.__name__ = "KEY=VALUE"
    return parse


def _unwrap(hint: Any) -> Any:
    """`int | None` → int; anything else as it is."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        kept = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return hint


def _shown(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def spec(field: dataclasses.Field, hint: Any) -> dict[str, Any]:
    """`add_argument` keywords for a field of type `hint`, its default and its help."""
    help_text = field.metadata.get("help")
    if not help_text:
        raise TypeError(f"field {field.name} has no metadata['help']: describe it where it is defined")
    base, default = _unwrap(hint), default_of(field)
    origin, args = typing.get_origin(base), typing.get_args(base)
    out: dict[str, Any] = {"dest": field.name, "help": help_text}
    if "metavar" in field.metadata:
        out["metavar"] = field.metadata["metavar"]
    if "choices" in field.metadata:
        out["choices"] = list(field.metadata["choices"])
    if base is bool:
        return {**out, "action": _Switch, "default": default,
                "help": f"{help_text} (default: --{'' if default else 'no-'}{field.name.replace('_', '-')})"}
    if origin in (list, tuple):
        out.update(nargs="+", action="extend", type=args[0] if args else str, default=None)
    elif origin is dict:
        out.update(nargs="+", action="extend", type=_pair(*args), default=None)
        out.setdefault("metavar", "KEY=VALUE")
    else:
        out.update(type=base, default=default)
    if default not in (None, [], {}, ""):
        out["help"] += f" (default: {_shown(default)})"
    return out


def add_fields(parser: argparse.ArgumentParser, cls: type, title: str, *, skip: tuple[str, ...] = ()) -> None:
    """One option per field of the dataclass `cls`, in a group of `parser`'s help titled `title`."""
    group = parser.add_argument_group(title)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name not in skip:
            group.add_argument(flag_of(field), *ALIASES.get(field.name, ()), **spec(field, hints[field.name]))


def values_of(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The fields of `cls` as the options give them; lists and dicts only when given (else the
    dataclass's own default)."""
    hints = typing.get_type_hints(cls)
    out = {}
    for field in dataclasses.fields(cls):
        value = getattr(args, field.name, None)
        if value is not None:
            out[field.name] = dict(value) if typing.get_origin(_unwrap(hints[field.name])) is dict else value
    return out


# --- the focus ------------------------------------------------------------------------------------

def focus_options(parser: argparse.ArgumentParser) -> None:
    """Every `Focus` field as an option, and `--focus-file` to read the instructions from a file."""
    from ..focus import Focus

    add_fields(parser, Focus, "focus (every field of workbench.focus.Focus)")
    parser.add_argument("--focus-file", default=None, help="read the focus instructions from a file")


def focus_of(args: argparse.Namespace, text: str | None = None):
    """The `Focus` the options describe; the instructions come from one place: `text` (a positional
    argument), `--focus` or `--focus-file`."""
    from ..files import read_text
    from ..focus import Focus

    values = values_of(args, Focus)
    given = [text is not None, bool(values.get("instructions")), bool(args.focus_file)]
    if sum(given) > 1:
        raise WorkbenchError("give the instructions once: as the argument, --focus or --focus-file" if text is not None
                             else "give the instructions once: --focus or --focus-file")
    if text is not None:
        values["instructions"] = text
    elif args.focus_file:
        values["instructions"] = read_text(Path(args.focus_file))
    return Focus(**values)


# --- the guardrail --------------------------------------------------------------------------------

def guardrail_options(parser: argparse.ArgumentParser) -> None:
    from ..review import Guardrail

    add_fields(parser, Guardrail, "guardrail (every field of workbench.review.Guardrail)")


def guardrail_of(args: argparse.Namespace):
    from ..review import Guardrail

    return Guardrail(**values_of(args, Guardrail))
