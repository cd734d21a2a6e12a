"""Work that takes a while, shown as it runs: an animated bar, what is being done, seconds so far."""

from __future__ import annotations

import threading
import time

import ipywidgets as w

from . import _html


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
