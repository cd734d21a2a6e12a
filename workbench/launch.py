"""Starting JupyterLab and Voila for the workbench (what `workbench lab` and `workbench app` run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .errors import WorkbenchError


def _root_flags() -> list[str]:
    """JupyterLab refuses to start as root unless told; add the flag only then."""
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def widget_check() -> str | None:
    """A readable fix when the widget front-ends are not importable where Jupyter runs, else None."""
    missing = []
    for module in ("ipywidgets", "anywidget", "plotly"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        return (f"missing {', '.join(missing)} in {sys.executable}; install them into the environment that runs "
                f"Jupyter: {sys.executable} -m pip install 'dream-workbench'")
    import ipywidgets

    if int(ipywidgets.__version__.split(".")[0]) < 8:
        return f"ipywidgets {ipywidgets.__version__} is too old; run {sys.executable} -m pip install 'ipywidgets>=8'"
    return None


def run_lab(notebook: str, port: int | None = None, open_browser: bool = True) -> int:
    problem = widget_check()
    if problem:
        raise WorkbenchError(problem)
    if not Path(notebook).exists():
        raise WorkbenchError("no such notebook; run `workbench lab` from the project folder", source=notebook)
    command = [sys.executable, "-m", "jupyterlab", notebook, *_root_flags()]
    if port:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return subprocess.call(command)


def run_app(notebook: str, port: int | None = None, open_browser: bool = True) -> int:
    problem = widget_check()
    if problem:
        raise WorkbenchError(problem)
    try:
        import voila  # noqa: F401
    except ImportError:
        raise WorkbenchError(f"`workbench app` needs Voila: {sys.executable} -m pip install 'dream-workbench[app]'") from None
    if not Path(notebook).exists():
        raise WorkbenchError("no such notebook; run `workbench app` from the project folder", source=notebook)
    command = [sys.executable, "-m", "voila", notebook]
    if port:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return subprocess.call(command)
