"""Benchmarks of the Dream Workbench: speed, scale, quality, embedders, BERTopic, LoCoMo, token cost, loading, fleets.

`python -m benchmarks` runs them all and rewrites BENCHMARKS.md from what it measured;
`python -m benchmarks --quick` runs them at CI size and only prints (or writes `--out`).
Each module has `run(quick: bool) -> Section`; nothing in the report is typed by hand.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample-data"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NAMES = ("calibration", "speed", "scale", "quality", "recall", "embedders", "bertopic", "locomo", "evaluation", "tokens",
         "loading", "focus", "warming", "fleet", "browser")


@dataclass
class Target:
    """A target the report marks met / not met by a measured value."""

    what: str
    measured: str
    target: str
    met: bool | None  # None: could not be measured


@dataclass
class Section:
    """One benchmark's part of the report."""

    name: str
    title: str
    how: str
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # interpretation, generated from the numbers
    skipped: str | None = None
    seconds: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average when it started and ended
    quick: bool = False  # quick sizes: targets are shown, not judged

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.tables.append((list(header), [[cell(v) for v in row] for row in rows]))

    def target(self, what: str, value: float | None, limit: float, unit: str, *, at_least: bool = False,
               digits: int = 2) -> bool | None:
        met = None if value is None or self.quick else (value >= limit if at_least else value <= limit)
        measured = "not measured" if value is None else f"{value:.{digits}f} {unit}".strip()
        measured += " (quick size)" if self.quick else ""
        self.targets.append(Target(what, measured, f"{'≥' if at_least else '≤'} {limit:g} {unit}".strip(), met))
        return met


def cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def judged(met: bool | None, yes: str, no: str) -> str:
    """Words for a verdict; at quick sizes nothing is judged."""
    return {True: yes, False: no, None: "not judged at the quick size against"}[met]


def mark(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not judged"}[met]


# --- measuring ----------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def repeat(fn: Callable[[], object], n: int) -> list[float]:
    return [timed(fn)[0] for _ in range(n)]


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def spread(values: Sequence[float], scale: float = 1.0, unit: str = "s") -> dict[str, str]:
    """median, min–max and IQR of repeated runs as display strings."""
    v = [x * scale for x in values]
    fmt = (lambda x: f"{x:.0f}") if scale >= 1000 else (lambda x: f"{x:.3f}")
    return {"n": str(len(v)), "median": f"{fmt(statistics.median(v))} {unit}",
            "min–max": f"{fmt(min(v))}–{fmt(max(v))}",
            "IQR": f"{fmt(quantile(v, 0.25))}–{fmt(quantile(v, 0.75))}"}


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


# --- shared inputs ------------------------------------------------------------------------

DATASETS = ("coding-assistant", "legal-research")


def sample_paths(dataset: str) -> tuple[Path, Path]:
    """(store, sessions) of a sample dataset, from labels.json."""
    import json

    meta = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))["datasets"][dataset]
    return SAMPLE / meta["store"], SAMPLE / meta["sessions"]


def child_env() -> dict[str, str]:
    """The environment for a benchmark subprocess: this checkout importable, same cache dir."""
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env
