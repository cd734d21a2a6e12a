"""Work that takes a while, shown as it runs: the app's one owner of progress widgets.

`StepBar`: the bar a notebook cell shows while it loads, analyses and plans (numbered steps; a step
that reports a `workbench.progress.Progress` moves the bar with its stages, counts and estimate).
`Ticker`: an animated line of what is being done and the seconds so far, for work with no count.
"""

from __future__ import annotations

import threading
import time

import ipywidgets as w

from ..progress import Progress
from . import _html


class StepBar:
    """An IntProgress shown while the notebook cell runs (nothing outside IPython).

    It is displayed with a display id and, when done, that display is replaced by an empty
    output: the saved notebook (or Voila's page) then holds no reference to a widget that no
    longer exists, so nothing says "Error displaying widget: model not found".
    """

    SCALE = 1000  # bar units per step

    def __init__(self, steps: int, enabled: bool = True) -> None:
        self.steps = steps
        self.done = 0
        self.bar = w.IntProgress(value=0, min=0, max=steps * self.SCALE, description="starting",
                                 style={"description_width": "initial"}, layout=w.Layout(width="640px"))
        self.handle = None
        if enabled:
            try:
                from IPython import get_ipython
                from IPython.display import display
            except ImportError:  # pragma: no cover
                return
            if get_ipython() is not None:
                self.handle = display(self.bar, display_id=True)

    @property
    def shown(self) -> bool:
        return self.handle is not None

    def step(self, text: str) -> None:
        """Start the next step (`text` says what it does)."""
        self.done += 1
        self.bar.description = f"{self.done}/{self.steps} · {text}" if self.steps > 1 else text
        self.bar.value = min(self.bar.max, (self.done - 1) * self.SCALE)

    def show(self, progress: Progress) -> None:
        """Within the current step: a `Progress`'s stage, count and estimate (its `on_update` sink)."""
        self.bar.description = progress.text
        self.bar.value = min(self.bar.max, int((max(0, self.done - 1) + progress.fraction) * self.SCALE))

    def close(self) -> None:
        """Clear the bar's display (then drop the model, which nothing shows any more)."""
        if self.handle is not None:
            self.handle.update({"text/plain": ""}, raw=True)
            self.handle = None
        self.bar.close()


class Ticker:
    """Write `text · N s` (and a moving bar) into an HTML widget every `interval` s until `stop`.

    Nothing is shown for work that ends within `delay` seconds, so a quick update does not flicker.
    """

    def __init__(self, out: w.HTML, *, interval: float = 0.5, delay: float = 0.3) -> None:
        self.out = out
        self.interval = interval
        self.delay = delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.text = ""
        self.hint = ""
        self.started = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, text: str, hint: str = "") -> Ticker:
        self.stop()
        self.text, self.hint = text, hint
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), daemon=True, name="workbench-ticker")
        self._thread.start()
        return self

    def stop(self, final: str | None = None) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(2)
        if final is not None:
            self.out.value = final

    def _run(self, stop: threading.Event) -> None:
        if stop.wait(self.delay):
            return
        while not stop.is_set():
            self.out.value = _html.busy(self.text, time.perf_counter() - self.started, self.hint)
            stop.wait(self.interval)
