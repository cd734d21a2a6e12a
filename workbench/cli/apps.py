"""Commands that open the notebooks: `lab` (JupyterLab) and `app` (the Workbench as a page, Voila)."""

from __future__ import annotations

import argparse

from ..launch import APP_NOTEBOOK, LAB_NOTEBOOK
from .base import Option, command, flag


def _launch_options(notebook) -> tuple[Option, ...]:
    return (flag("--notebook", default=notebook, help="the notebook to open"),
            flag("--port", type=int, default=None, help="the port to serve on (default: the server's own)"),
            flag("--no-browser", action="store_true", help="do not open a browser"))


@command("lab", *_launch_options(LAB_NOTEBOOK))
def lab(args: argparse.Namespace) -> int:
    """Open JupyterLab on the notebooks (quickstart first).

    Example:
      workbench lab --port 8888
    """
    from ..launch import run_lab

    return run_lab(args.notebook, port=args.port, open_browser=not args.no_browser)


@command("app", *_launch_options(APP_NOTEBOOK))
def app(args: argparse.Namespace) -> int:
    """Serve the Workbench as a standalone page (Voila).

    Example:
      workbench app --port 8866
    """
    from ..launch import run_app

    return run_app(args.notebook, port=args.port, open_browser=not args.no_browser)
