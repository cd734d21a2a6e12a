"""Run a function once things have been quiet for a moment (ipywidgets has no debounce)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Debouncer:
    """`debouncer()` (re)starts a timer; `fn` runs on a timer thread `wait` seconds after the last call.

    With `leading`, a call after a quiet spell runs `fn` at once (a single edit is not kept waiting)
    and the calls that follow it within `wait` (a slider being dragged) are coalesced as before.
    Runs never overlap: a lock serialises them, so a call that arrives while `fn` runs simply
    schedules one more run. `flush()` runs `fn` now, on the calling thread.
    """

    def __init__(self, fn: Callable[[], None], wait: float = 0.15, *, leading: bool = False) -> None:
        self.fn = fn
        self.delay = wait
        self.leading = leading
        self._timer: threading.Timer | None = None
        self._guard = threading.Lock()
        self._last = 0.0  # when the last call came
        self.running = threading.Lock()

    def __call__(self) -> None:
        with self._guard:
            now = time.monotonic()
            quiet = now - self._last >= self.delay and not self.pending and not self.running.locked()
            self._last = now
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(0.0 if self.leading and quiet else self.delay, self._run)
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
