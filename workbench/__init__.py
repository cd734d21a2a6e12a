"""Dream Workbench: see, steer, review and export memory dreams of LLM agents.

    corpus = load_corpus("store.json", "sessions/")
    plan = dream(corpus, Focus("Prioritize coding preferences."))

The widget layer lives in `workbench.ui` and is imported only when asked for.
"""

from .analysis import Analysis, analyze
from .dream import dream
from .dream.check import check
from .dream.plan import Operation, Plan
from .errors import WorkbenchError
from .export import export_snapshot, verify_snapshot
from .focus import Focus
from .io import load_corpus, load_sessions, load_store, write_store
from .records import Corpus, Memory, Note, Session, Store, Turn
from .review import Review, apply

__version__ = "0.1.0"

__all__ = [
    "Analysis", "Corpus", "Focus", "Memory", "Note", "Operation", "Plan", "Review", "Session", "Store", "Turn",
    "WorkbenchError", "analyze", "apply", "check", "dream", "export_snapshot", "load_corpus", "load_sessions",
    "load_store", "verify_snapshot", "write_store", "__version__",
]
