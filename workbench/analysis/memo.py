"""Results derived from an analysis, kept as long as the analysis lives (never inside it).

    groups = memoized(analysis, ("duplicates", 0.6), lambda: compute(analysis, 0.6))

An `Analysis` is frozen; what the engines and views derive from it under given bars (candidates,
verdicts, findings) is computed once per analysis and key, and dropped with the analysis. It is computed
with the cyclic garbage collector paused (`gc_paused`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
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
            with gc_paused():
                table[key] = compute()
    return table[key]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: an analysis holds millions of long-lived objects (tokens, profiles,
    pairs) and what is derived from it allocates millions more (candidates, verdicts), so each collection walks
    them all (at 100,000 notes 16 full ones took 24 s of the analysis; at 20,000 notes the findings computed
    again in a process that had collected took 16 s with collections, 11 s without; in a fresh process the
    first collection after the analysis walks it once whatever this does). What it leaves behind goes to the
    next collection after it. Nested or in
    two threads, the collector is enabled again only by the block that paused it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
