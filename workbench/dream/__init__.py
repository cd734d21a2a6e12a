"""Dream engines, one registry: `offline` (default), `claude` (Messages API), `platform` (Dreams API).

    plan = dream(corpus, Focus("Prioritize coding style"), engine="offline")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import UnknownNameError
from ..focus import Focus
from ..records import Corpus
from .plan import Evidence, Operation, Plan, Result, Target, apply_operations

ENGINES: dict[str, Callable[..., Plan]] = {}


def register_engine(name: str) -> Callable[[Callable[..., Plan]], Callable[..., Plan]]:
    """Register `fn(corpus, focus, **options) -> Plan` as a dream engine."""

    def decorate(fn: Callable[..., Plan]) -> Callable[..., Plan]:
        ENGINES[name] = fn
        return fn

    return decorate


def get_engine(name: str) -> Callable[..., Plan]:
    """The engine registered as `name`; a built-in (`workbench.dream.<name>`, its `ENGINE`) loads on
    first use. `UnknownNameError` names the known engines."""
    if name not in ENGINES:
        import importlib

        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            module = None
        if module is not None and hasattr(module, "ENGINE"):
            ENGINES[name] = module.ENGINE
    if name not in ENGINES:
        known = ", ".join(dict.fromkeys(["offline", "claude", "platform", *ENGINES]))
        raise UnknownNameError(f"unknown engine {name!r}; known engines: {known}")
    return ENGINES[name]


def engine_options(name: str) -> frozenset[str] | None:
    """The options (keyword arguments) the engine `name` takes; None when it takes any."""
    import inspect

    params = list(inspect.signature(get_engine(name)).parameters.values())[2:]  # after corpus, focus
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


def engine_version(name: str) -> str | None:
    """The `ENGINE_VERSION` of the module that defines the engine `name` (None when it has none)."""
    import sys

    return getattr(sys.modules.get(get_engine(name).__module__), "ENGINE_VERSION", None)


def dream(corpus: Corpus, focus: Focus | None = None, *, engine: str = "offline", **options: Any) -> Plan:
    """Run a dream engine over a corpus and return its plan (the input store is never modified)."""
    return get_engine(engine)(corpus, focus or Focus(), **options)


__all__ = ["dream", "register_engine", "get_engine", "engine_options", "engine_version", "ENGINES", "Plan",
           "Operation", "Target", "Result", "Evidence", "apply_operations"]
