"""Results derived from an analysis, kept as long as the analysis lives (never inside it).

    groups = memoized(analysis, ("duplicates", 0.6), lambda: compute(analysis, 0.6))

An `Analysis` is frozen; what the engines and views derive from it under given bars (candidates,
verdicts, findings) is computed once per analysis and key, and dropped with the analysis.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")
_TABLES: WeakKeyDictionary[Any, dict[Hashable, Any]] = WeakKeyDictionary()
_LOCK = threading.Lock()


def memoized(owner: Any, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per (owner, key); `owner` must be hashable by identity and weakly referable."""
    with _LOCK:
        table = _TABLES.get(owner)
        if table is None:
            table = _TABLES[owner] = {}
    if key not in table:
        table[key] = compute()
    return table[key]


def forget(owner: Any) -> None:
    """Drop everything derived from `owner` (tests, and a benchmark that times a cold re-plan)."""
    with _LOCK:
        _TABLES.pop(owner, None)
