"""Starting JupyterLab and Voila for the workbench (what `workbench lab` and `workbench app` run).

`lab_command` and `app_command` build the command lines; `run_lab` and `run_app` check the
environment first (widget front ends, Voila, the notebook) and then run them. The real-browser
tests start the servers with the same command lines, plus a token and private config folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import WorkbenchError

LAB_NOTEBOOK = "notebooks/00_quickstart.ipynb"
APP_NOTEBOOK = "notebooks/app.ipynb"
PROJECT_ENV = "WORKBENCH_PROJECT"  # the folder `workbench lab` / `app` was started in; kernels inherit it


def project_dir() -> Path:
    """The project folder: where `workbench lab` or `workbench app` was started (else the working folder).

    Relative paths a person types in the app (a snapshot folder, a session file) start here, not in
    the notebook's folder where Jupyter starts the kernel.
    """
    return Path(os.environ.get(PROJECT_ENV) or Path.cwd())


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


def _notebook(notebook: str | Path, command: str) -> Path:
    path = Path(notebook)
    if not path.is_file():
        raise WorkbenchError(f"no such notebook; run `workbench {command}` from the project folder "
                             f"(the one with notebooks/) or pass --notebook", source=str(notebook))
    return path


def lab_command(notebook: str | Path = LAB_NOTEBOOK, *, port: int | None = None, open_browser: bool = True,
                extra: Sequence[str] = (), root: str | Path | None = None) -> list[str]:
    """The JupyterLab command line: served from the project folder (`root`, default the current one), so the
    file browser shows `sample-data/` and `notebooks/`, with the notebook opened.

    A notebook given as a positional argument would make its own folder the root; it is opened by URL instead,
    and the file browser stays at the root (`file-browser-path=/`) rather than moving into `notebooks/`.
    """
    root = Path(root or Path.cwd()).resolve()
    path = Path(notebook)
    relative = (path.resolve().relative_to(root) if path.is_absolute() and path.resolve().is_relative_to(root)
                else path).as_posix()
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
               f"--LabApp.default_url=/lab/tree/{relative}?file-browser-path=/", *_root_flags()]
    if port:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return [*command, *extra]


def app_command(notebook: str | Path = APP_NOTEBOOK, *, port: int | None = None, open_browser: bool = True,
                extra: Sequence[str] = (), kernel_limits: Mapping[str, int] | None = None) -> list[str]:
    """The Voila command line: the notebook run and shown as a page, without its code.

    Kernels are pre-heated: Voila runs the notebook in a waiting kernel before anyone asks, so a page
    request is answered with a Workbench that is already built (measured in the browser tests). Voila
    runs through `workbench.voila_app`: a page template that loads nothing from other hosts, idle
    kernels of closed pages culled, and a cap on kernels (`voila_options`).
    """
    from .voila_app import voila_options

    command = [sys.executable, "-m", "workbench.voila_app", str(notebook), *voila_options(**(kernel_limits or {}))]
    if port:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return [*command, *extra]


def _run(command: list[str]) -> int:
    env = {**os.environ, PROJECT_ENV: str(Path.cwd().resolve())}
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:  # the server got the same Ctrl-C and stops by itself
        return 130


def run_lab(notebook: str = LAB_NOTEBOOK, port: int | None = None, open_browser: bool = True) -> int:
    problem = widget_check()
    if problem:
        raise WorkbenchError(problem)
    return _run(lab_command(_notebook(notebook, "lab"), port=port, open_browser=open_browser))


def run_app(notebook: str = APP_NOTEBOOK, port: int | None = None, open_browser: bool = True) -> int:
    problem = widget_check()
    if problem:
        raise WorkbenchError(problem)
    try:
        import voila  # noqa: F401
    except ImportError:
        raise WorkbenchError(f"`workbench app` needs Voila: {sys.executable} -m pip install 'dream-workbench[app]'") from None
    return _run(app_command(_notebook(notebook, "app"), port=port, open_browser=open_browser))
