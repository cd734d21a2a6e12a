"""Run a function once things have been quiet for a moment (ipywidgets has no debounce)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Debouncer:
    """`debouncer()` (re)starts a timer; `fn` runs on a timer thread `wait` seconds after the last call.

    Runs never overlap: a lock serialises them, so a call that arrives while `fn` runs simply
    schedules one more run. `flush()` runs `fn` now, on the calling thread.
    """

    def __init__(self, fn: Callable[[], None], wait: float = 0.15) -> None:
        self.fn = fn
        self.delay = wait
        self._timer: threading.Timer | None = None
        self._guard = threading.Lock()
        self.running = threading.Lock()

    def __call__(self) -> None:
        with self._guard:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self._run)
            self._timer.daemon = True
            self._timer.start()

    @property
    def pending(self) -> bool:
        timer = self._timer
        return timer is not None and timer.is_alive()

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until no run is pending or under way; False if that took longer than `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            timer = self._timer
            if timer is not None and timer.is_alive():
                timer.join(max(0.0, deadline - time.monotonic()))
                continue
            if self.running.acquire(timeout=max(0.0, deadline - time.monotonic())):
                self.running.release()
                if not self.pending:
                    return True
        return False

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
