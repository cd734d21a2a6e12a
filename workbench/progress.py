"""Progress of long work: stages with a share of the whole, counts, and an estimate of what is left.

    progress = Progress("analysis", ANALYSIS_STAGES, on_update=print_it)
    progress.start("embedding", total=2541, unit="notes")
    progress.advance(1200)          # → "analysis 2/5 · embedding 1,200 of 2,541 notes · about 6 s left"

The one owner of progress in the package: work reports to a `Progress`; what shows it is a sink
(`tqdm_sink` on a terminal or in a notebook, the app's bar in `workbench.ui._progress`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

# The stages of `analyze`, each with its usual share of the time (LoCoMo and synthetic stores, cold).
ANALYSIS_STAGES = {"statements": 0.1, "embedding": 0.35, "profiles": 0.2, "pairs": 0.25, "topics": 0.1}

Sink = Callable[["Progress"], None]


class Progress:
    """Where a long task is: its stage (of `stages`), how many of the stage's items are done, and when.

    `on_update` is called when a stage starts, and at most every `interval` seconds while it counts;
    from whichever thread does the work.
    """

    def __init__(self, title: str, stages: Mapping[str, float], *, on_update: Sink | None = None,
                 interval: float = 0.25) -> None:
        total = sum(stages.values()) or 1.0
        self.title = title
        self.shares = {name: share / total for name, share in stages.items()}
        self.on_update = on_update
        self.interval = interval
        self.stage = ""
        self.total: int | None = None
        self.unit = ""
        self.done = 0
        self.started = self.stage_started = time.perf_counter()
        self.finished = False
        self._shown = 0.0
        self._lock = threading.Lock()

    @property
    def number(self) -> int:
        """The stage's number, from 1 (0 before the first)."""
        return list(self.shares).index(self.stage) + 1 if self.stage in self.shares else 0

    def start(self, stage: str, total: int | None = None, unit: str = "") -> None:
        """Begin `stage` (one of the stages), with `total` items to count if it counts."""
        with self._lock:
            self.stage, self.total, self.unit, self.done = stage, total, unit, 0
            self.stage_started = time.perf_counter()
        self._update(force=True)

    def advance(self, n: int = 1) -> None:
        """`n` more items of the stage are done."""
        with self._lock:
            self.done += n
        self._update()

    def finish(self) -> None:
        """The task is done (a sink closes its bar)."""
        self.finished = True
        self._update(force=True)

    def _update(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.on_update is not None and (force or now - self._shown >= self.interval):
            self._shown = now
            self.on_update(self)

    @property
    def fraction(self) -> float:
        """The share of the whole task done: the finished stages' shares and part of the current one's."""
        names = list(self.shares)
        if self.stage not in self.shares:
            return 0.0
        before = sum(self.shares[n] for n in names[: names.index(self.stage)])
        within = min(1.0, self.done / self.total) if self.total else 0.0
        return before + within * self.shares[self.stage]

    def seconds_left(self) -> float | None:
        """The stage's estimated seconds left, from its rate so far (None until a second of counting)."""
        elapsed = time.perf_counter() - self.stage_started
        if not self.total or not self.done or elapsed < 1.0:
            return None
        return max(0.0, elapsed / self.done * (self.total - self.done))

    @property
    def text(self) -> str:
        """`analysis 2/5 · embedding 1,200 of 2,541 notes · about 6 s left`."""
        parts = [f"{self.title} {self.number}/{len(self.shares)}" if self.title else f"{self.number}/{len(self.shares)}",
                 self.stage]
        if self.total:
            parts[-1] += f" {min(self.done, self.total):,} of {self.total:,}{' ' + self.unit if self.unit else ''}"
        left = self.seconds_left()
        if left is not None and left >= 1:
            parts.append(f"about {left:.0f} s left")
        return " · ".join(parts)


def report(progress: Progress | None, stage: str, total: int | None = None, unit: str = "") -> Callable[[int], None]:
    """Start `stage` on `progress` (if any); the function that counts its items."""
    if progress is None:
        return _nothing
    progress.start(stage, total, unit)
    return progress.advance


def _nothing(n: int = 1) -> None:
    return None


def tqdm_sink(*, quiet: bool = False, file: Any = None, delay: float = 1.0) -> Sink:
    """A sink that shows each stage as a tqdm bar (`tqdm.auto`: a widget in a notebook, text on stderr
    elsewhere), only for a stage that lasts more than `delay` seconds; nothing when `quiet`."""
    from tqdm.auto import tqdm

    state: dict[str, Any] = {"bar": None, "stage": None}

    def show(progress: Progress) -> None:
        if quiet:
            return
        if progress.finished:
            if state["bar"] is not None:
                state["bar"].close()
            state["bar"] = None
            return
        if state["stage"] != (progress.stage, progress.number):
            if state["bar"] is not None:
                state["bar"].close()
            state["stage"] = (progress.stage, progress.number)
            state["bar"] = tqdm(total=progress.total, unit=f" {progress.unit}" if progress.unit else "it",
                                desc=f"{progress.title} {progress.number}/{len(progress.shares)} {progress.stage}",
                                file=file or sys.stderr, delay=delay, leave=False, dynamic_ncols=True)
        bar = state["bar"]
        bar.update(progress.done - bar.n)

    return show
