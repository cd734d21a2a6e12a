"""Run a function once things have been quiet for a moment (ipywidgets has no debounce)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Debouncer:
    """`debouncer()` (re)starts a timer; `fn` runs on a timer thread `wait` seconds after the last call.

    Runs never overlap: a lock serialises them, so a call that arrives while `fn` runs simply
    schedules one more run. `flush()` runs `fn` now, on the calling thread.
    """

    def __init__(self, fn: Callable[[], None], wait: float = 0.15) -> None:
        self.fn = fn
        self.wait = wait
        self._timer: threading.Timer | None = None
        self._guard = threading.Lock()
        self.running = threading.Lock()

    def __call__(self) -> None:
        with self._guard:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.wait, self._run)
            self._timer.daemon = True
            self._timer.start()

    @property
    def pending(self) -> bool:
        timer = self._timer
        return timer is not None and timer.is_alive()

    def cancel(self) -> None:
        with self._guard:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def flush(self) -> None:
        self.cancel()
        self._run()

    def _run(self) -> None:
        with self.running:
            self.fn()
