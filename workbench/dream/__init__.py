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


def _load(name: str) -> Callable[..., Plan]:
    if name not in ENGINES:
        import importlib

        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            module = None
        if module is not None and hasattr(module, "ENGINE"):
            ENGINES[name] = module.ENGINE
    if name not in ENGINES:
        raise UnknownNameError(f"unknown engine {name!r}; known engines: offline, claude, platform")
    return ENGINES[name]


def dream(corpus: Corpus, focus: Focus | None = None, *, engine: str = "offline", **options: Any) -> Plan:
    """Run a dream engine over a corpus and return its plan (the input store is never modified)."""
    return _load(engine)(corpus, focus or Focus(), **options)


__all__ = ["dream", "register_engine", "ENGINES", "Plan", "Operation", "Target", "Result", "Evidence",
           "apply_operations"]
