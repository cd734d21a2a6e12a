"""Dream Workbench: see, steer, review and export memory dreams of LLM agents.

    corpus = load_corpus("store.json", "sessions/")
    plan = dream(corpus, Focus("Prioritize coding preferences."))

The widget layer lives in `workbench.ui` and is imported only when asked for.
"""

from importlib import import_module
from typing import Any

# `dream` is bound now: the subpackage `workbench.dream` would otherwise shadow the function.
from .dream import dream

# Public names and the module that defines each: imported on first use (PEP 562), so the command line
# and the readers start without loading pandas, scikit-learn and UMAP.
_PUBLIC = {
    "Analysis": "analysis", "analyze": "analysis", "Operation": "dream.plan", "Plan": "dream.plan",
    "WorkbenchError": "errors", "export_snapshot": "export", "verify_snapshot": "verify", "Focus": "focus",
    "check": "dream.check", "load_corpus": "io", "load_sessions": "io", "load_store": "io", "write_store": "io",
    "Corpus": "records", "Memory": "records", "Note": "records", "Session": "records", "Store": "records",
    "Turn": "records", "Review": "review", "apply": "review",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


from ._version import __version__  # noqa: E402

__all__ = [
    "Analysis", "Corpus", "Focus", "Memory", "Note", "Operation", "Plan", "Review", "Session", "Store", "Turn",
    "WorkbenchError", "analyze", "apply", "check", "dream", "export_snapshot", "load_corpus", "load_sessions",
    "load_store", "verify_snapshot", "write_store", "__version__",
]
