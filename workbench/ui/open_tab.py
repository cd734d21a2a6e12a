"""The Open & save tab: open another store (by path or by upload), save a session to a file or load one,
start fresh. It holds its widgets and acts on the Workbench it is given, through what `Bench` names."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as w

from ..analysis import Analysis
from ..errors import WorkbenchError
from ..launch import project_dir
from ..progress import ANALYSIS_STAGES, Progress
from ..session import CarryOver, stage_uploads
from . import _html
from ._progress import Ticker
from .explorer import _in_kernel


class Bench(Protocol):
    """What the tab acts on (the Workbench): its notice, what is open, and opening and sessions."""

    notice: w.HTML
    analysis: Analysis

    def open(self, store: str | Path, sessions: str | Path | Iterable[str | Path] | None = None, *,
             source: str | None = None, progress: Progress | None = None) -> Any: ...

    def save_session(self, path: str | Path) -> Path: ...

    def load_session(self, path: str | Path) -> CarryOver: ...

    def start_fresh(self) -> Any: ...


class OpenTab:
    """The tab (`widget`): a store to open, by path or upload; the session's file and its status line."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        wide = w.Layout(width="520px")
        self.store_path = w.Text(placeholder="a store: folder, .json, .jsonl, .csv …", description="store",
                                 layout=wide, style={"description_width": "70px"})
        self.sessions_path = w.Text(placeholder="sessions: a folder or file (optional)", description="sessions",
                                    layout=wide, style={"description_width": "70px"})
        self.open_button = w.Button(description="Open", icon="folder-open", button_style="primary",
                                    layout=w.Layout(width="auto"))
        self.store_upload = w.FileUpload(description="Upload a store file", multiple=False, accept="",
                                         layout=w.Layout(width="auto"))
        self.sessions_upload = w.FileUpload(description="Upload session files", multiple=True, accept="",
                                            layout=w.Layout(width="auto"))
        self.open_upload_button = w.Button(description="Open the uploaded files", icon="upload",
                                           layout=w.Layout(width="auto"))
        self.open_status = w.HTML()
        self.session_file = w.Text(placeholder="my-review.session.json", description="session file", layout=wide,
                                   style={"description_width": "90px"})
        self.save_button = w.Button(description="Save session", icon="save", layout=w.Layout(width="auto"))
        self.load_button = w.Button(description="Load session", icon="folder-open", layout=w.Layout(width="auto"))
        self.fresh_button = w.Button(description="Start fresh", icon="eraser", layout=w.Layout(width="auto"),
                                     tooltip="forget the decisions on this store (the autosave is kept as .bak)")
        self.session_status = w.HTML()
        self._ticker = Ticker(self.open_status, delay=0.0)
        self.open_button.on_click(lambda _: self._open_paths())
        self.open_upload_button.on_click(lambda _: self._open_uploads())
        self.save_button.on_click(lambda _: self._save_to_file())
        self.load_button.on_click(lambda _: self._load_from_file())
        self.fresh_button.on_click(lambda _: bench.start_fresh())
        self.widget = self._laid_out()

    def _laid_out(self) -> w.VBox:
        label = lambda text: w.HTML(f"<b>{text}</b>")  # noqa: E731
        return w.VBox([
            label("Open your own store and sessions"),
            w.HTML('<div class="wb-small wb-muted">A path on the machine that runs the kernel, or upload files '
                   "(a store file and any number of session files).</div>"),
            self.store_path, self.sessions_path, w.HBox([self.open_button]),
            w.HBox([self.store_upload, self.sessions_upload, self.open_upload_button],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
            self.open_status,
            label("Your session: focus, decisions, selection"),
            self.session_status,
            w.HBox([self.session_file, self.save_button, self.load_button, self.fresh_button],
                   layout=w.Layout(flex_flow="row wrap", align_items="center")),
        ])

    # -- opening ----------------------------------------------------------------------------
    def _open_paths(self) -> None:
        store, sessions = self.store_path.value.strip(), self.sessions_path.value.strip()
        if not store:
            self.open_status.value = _html.notice("Type the path of a store first.", "error")
            return
        self._open(store, sessions or None)

    def _open_uploads(self) -> None:
        stores = [(f["name"], f["content"]) for f in self.store_upload.value]
        sessions = [(f["name"], f["content"]) for f in self.sessions_upload.value]
        if not stores:
            self.open_status.value = _html.notice("Upload a store file first.", "error")
            return
        folder = Path(tempfile.mkdtemp(prefix="workbench-upload-"))
        try:
            [store] = stage_uploads(stores, folder / "store")
            staged = stage_uploads(sessions, folder / "sessions") if sessions else None
        except WorkbenchError as exc:
            self.open_status.value = _html.notice(_html.esc(exc), "error")
            return
        self._open(store, staged, f"{stores[0][0]} (uploaded)")

    def _open(self, store, sessions, source: str | None = None) -> None:
        """In a kernel on a thread of its own, so the map in view keeps answering."""
        self._ticker.start(f"opening {Path(str(store)).name}: loading, analysing, planning")
        if _in_kernel():
            threading.Thread(target=self._open_now, args=(store, sessions, source), daemon=True,
                             name="workbench-open").start()
        else:
            self._open_now(store, sessions, source)

    def _open_now(self, store, sessions, source: str | None = None) -> None:
        ticker, bench = self._ticker, self.bench
        progress = Progress("analysis", ANALYSIS_STAGES, on_update=lambda p: setattr(ticker, "text", p.text))
        try:
            bench.open(store, sessions, source=source, progress=progress)
        except (WorkbenchError, OSError) as exc:
            ticker.stop(_html.notice(f"<b>Cannot open it:</b> {_html.esc(exc)}", "error"))
            return
        a = bench.analysis
        opened = _html.notice(f"Opened {_html.esc(store)}: {len(a.corpus.memories):,} memories, "
                              f"{len(a.note_ids):,} notes, {len(a.corpus.sessions):,} sessions.", "ok")
        ticker.stop(opened)
        bench.notice.value = opened + bench.notice.value  # the tabs now show the new store, from Explore

    # -- the session's file -----------------------------------------------------------------
    def _save_to_file(self) -> None:
        path = self.session_file.value.strip()
        if not path:
            self.session_status.value = _html.notice("Type a file name to save the session to.", "error")
            return
        try:
            written = self.bench.save_session(_in_project(path))
        except WorkbenchError as exc:
            self.session_status.value = _html.notice(_html.esc(exc), "error")
            return
        self.session_status.value = _html.notice(f"Saved to <code>{_html.esc(written.resolve())}</code>.", "ok")

    def _load_from_file(self) -> None:
        path = self.session_file.value.strip()
        if not path:
            self.session_status.value = _html.notice("Type the file name of a saved session.", "error")
            return
        try:
            restored = self.bench.load_session(_in_project(path))
        except WorkbenchError as exc:
            self.session_status.value = _html.notice(_html.esc(exc), "error")
            return
        self.session_status.value = _html.notice(f"Loaded {_html.esc(path)}: {_html.esc(restored.message)}",
                                                 "warn" if restored.dropped else "ok")


def _in_project(path: str) -> Path:
    """A path typed in the app: relative ones start in the project folder (as snapshot folders do)."""
    typed = Path(path).expanduser()
    return typed if typed.is_absolute() else project_dir() / typed
