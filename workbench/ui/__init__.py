"""The workbench in Jupyter: ipywidgets over the package's stages (no logic of their own).

    from workbench.ui import Workbench
    wb = Workbench.from_paths("store.json", "sessions/")
    wb

This package is the only place that imports ipywidgets and plotly's FigureWidget; the logic
modules never import it.
"""

from __future__ import annotations

try:
    import ipywidgets  # noqa: F401
    import plotly.graph_objects  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the UI dependencies
    raise ImportError(
        f"workbench.ui needs ipywidgets>=8, anywidget and plotly ({exc.name} is missing): "
        "pip install 'dream-workbench'  (or: pip install 'ipywidgets>=8' anywidget plotly)"
    ) from None

from ._payloads import FocusForm, Picked
from .app import Workbench
from .conflicts import ConflictTimeline
from .explorer import Explorer
from .review import ReviewPanel
from .tuner import FocusTuner

__all__ = ["Workbench", "Explorer", "FocusTuner", "ReviewPanel", "ConflictTimeline", "Picked", "FocusForm"]
