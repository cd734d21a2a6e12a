"""numba's compiled code kept on disk for UMAP (and the pynndescent it imports), so the JIT is paid once per install.

umap-learn and pynndescent decorate most of their functions with `numba.njit` without `cache=True`,
so every new process (a kernel, the UMAP child) compiles them again: ~20–40 s. `import_cached`
imports such a module with `numba.njit` defaulting to `cache=True`, and `NUMBA_CACHE_DIR` in the
workbench's cache folder; the next process loads the machine code from there. A function numba
cannot cache (a closure, no source file, or one that takes another jitted function as an argument, as
pynndescent's `nn_descent` takes its metric: "uses dynamic globals") is compiled as before, in every
process: that is why the analysis takes its neighbours from faiss, not pynndescent.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from ..embed import cache_dir

CACHED_MODULES = ("pynndescent", "umap")  # umap imports pynndescent; the patch must be in place for both
_LOCK = threading.Lock()


def numba_cache_dir() -> str:
    """Where numba keeps compiled code: `$NUMBA_CACHE_DIR` if set, else `<cache>/numba` (set here for
    this process and the children it starts)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
    return os.environ["NUMBA_CACHE_DIR"]


def _caching(njit: Callable[..., Any]) -> Callable[..., Any]:
    """`numba.njit` with `cache=True` by default (as before where numba cannot locate a function's source)."""

    def compile_cached(make: Callable[[dict[str, Any]], Any], options: dict[str, Any]) -> Any:
        try:
            return make({"cache": True, **options})
        except RuntimeError:  # "cannot cache function …: no locator available"
            return make({**options, "cache": False})

    def njit_cached(*args: Any, **options: Any) -> Any:
        if args and inspect.isfunction(args[0]):  # @numba.njit
            return compile_cached(lambda o: njit(*args, **o), options)
        return lambda fn: compile_cached(lambda o: njit(*args, **o)(fn), options)  # @numba.njit(...)

    return njit_cached


@contextmanager
def _njit_cached_by_default():
    import numba

    original = numba.njit
    numba.njit = _caching(original)
    try:
        yield
    finally:
        numba.njit = original


def import_cached(name: str) -> ModuleType:
    """Import `name` (umap, pynndescent) so that its numba functions are cached on disk."""
    if name in sys.modules:
        return sys.modules[name]
    numba_cache_dir()
    with _LOCK:
        if all(m in sys.modules for m in CACHED_MODULES):
            return importlib.import_module(name)
        import numba.core.config as config

        config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]  # numba may have been imported before the variable was set
        with _njit_cached_by_default():
            for module in CACHED_MODULES:
                importlib.import_module(module)
    return importlib.import_module(name)


def umap_compiled() -> bool:
    """True when numba's cache already holds UMAP's compiled code (a layout starts without the JIT)."""
    from pathlib import Path

    root = Path(numba_cache_dir())
    return root.is_dir() and any(root.glob("umap_*/layouts.*.nbi"))
