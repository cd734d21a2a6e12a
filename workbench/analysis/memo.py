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
_LOCKS: WeakKeyDictionary[Any, dict[Hashable, threading.RLock]] = WeakKeyDictionary()
_LOCK = threading.Lock()


def memoized(owner: Any, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per (owner, key); `owner` must be hashable by identity and weakly referable.

    Two threads asking for the same key at once compute it once: the second waits for the first
    (a view and the builder thread of the app ask for the same findings).
    """
    table = _TABLES.get(owner)  # the common case, a value already there, takes no lock
    if table is not None and key in table:
        return table[key]
    table = _table(owner)
    with _key_lock(owner, key):
        if key not in table:
            table[key] = compute()
    return table[key]


def computed(owner: Any, key: Hashable) -> bool:
    """True when `memoized(owner, key, …)` would return at once (its value is there)."""
    table = _TABLES.get(owner)
    return table is not None and key in table


def _table(owner: Any) -> dict[Hashable, Any]:
    with _LOCK:
        table = _TABLES.get(owner)
        if table is None:
            table = _TABLES[owner] = {}
        return table


def _key_lock(owner: Any, key: Hashable) -> threading.RLock:
    with _LOCK:
        locks = _LOCKS.get(owner)
        if locks is None:
            locks = _LOCKS[owner] = {}
        return locks.setdefault(key, threading.RLock())


def forget(owner: Any) -> None:
    """Drop everything derived from `owner` (tests, and a benchmark that times a cold re-plan)."""
    with _LOCK:
        _TABLES.pop(owner, None)
        _LOCKS.pop(owner, None)
