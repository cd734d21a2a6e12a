"""Focus: topics matched by meaning on labelled rows, and the tuner's keystroke at 1,000 notes.

Topic matching is measured on tests/data/focus_topics.jsonl: 69 focus phrasings over six stores (the two
samples and four Letta agents read from ../shared/data), each with the notes its topic must and must not
match, labelled by a judge blind to the matcher. Only labelled notes count: precision = labelled-positive
matches / labelled matches, recall = labelled-positive matches / labelled positives (label texts that name
no note of the store as loaded are left out and counted). Each embedder family's similarity bar
(`workbench.scopes.TOPIC_BARS`) is the bar with the highest F1 among those with precision ≥ 0.9; the curve
shows every bar. A keystroke: compile the text, match every scope, plan, and diff against the plan without
focus (`workbench.views.focus.scope_report`) on a 1,000-note synthetic corpus with its analysis done; and the
same keystroke in the Focus tuner, widgets included (the scopes' rows, the plan against no focus, the bars'
histograms; with a bar away from its default, that bar's own plan too, drawn after the preview).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import DATA, ROOT, Section, judged

LABELS = ROOT / "tests" / "data" / "focus_topics.jsonl"
STORES = {
    "coding-assistant": ROOT / "sample-data" / "coding-assistant" / "store.json",
    "legal-research": ROOT / "sample-data" / "legal-research" / "store.json",
    "void": DATA / "letta_void_current_schema.af",
    "lettabot": DATA / "letta_lettabot_current_schema.af",
    "co-3": DATA / "letta_co-3_current_schema.af",
    "loop": DATA / "letta_loop_current_schema.af",
}
BARS = tuple(round(b, 2) for b in np.arange(0.2, 0.91, 0.02))
TARGET_PRECISION, TARGET_RECALL, KEYSTROKE_MS = 0.9, 0.8, 200.0
KEYSTROKES = ("P", "Prioritize coding", "Prioritize coding preferences.",
              "Prioritize coding preferences. Never touch /team/.",
              "Prioritize coding preferences. Never touch /team/. Ignore small talk.",
              "Focus on deployment notes. Forget anything about lunch.", "Only look at testing.",
              "Keep everything about the database. Prune old debugging notes.")


@dataclass(frozen=True)
class Row:
    """One labelled row: a topic over a store, the note ids it must and must not match."""

    id: str
    store: str
    topic: str
    positives: frozenset[str]
    negatives: frozenset[str]
    unresolved: int  # label texts that name no note of the store as loaded


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def available_stores() -> tuple[dict[str, Path], dict[str, str]]:
    """The stores that can be read, and why each other one is skipped."""
    found = {name: path for name, path in STORES.items() if path.exists()}
    return found, {name: f"{path} not found (the Letta stores are read from {DATA})"
                   for name, path in STORES.items() if name not in found}


@lru_cache(maxsize=8)
def analyses(embedder: str = "tfidf") -> dict[str, object]:
    """Every available store, loaded and analysed with one embedder (cached for the test and the report)."""
    from workbench.analysis import analyze
    from workbench.io import load_corpus

    return {name: analyze(load_corpus(str(path)), embedder) for name, path in available_stores()[0].items()}


def labelled_rows(found: Mapping[str, object]) -> list[Row]:
    """The labelled rows over the analysed stores, their label texts resolved to note ids."""
    rows = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        if data["store"] not in found:
            continue
        notes = found[data["store"]].corpus.notes
        sides, unresolved = [], 0
        for key in ("must_match", "must_not_match"):
            ids = set()
            for entry in data[key]:
                text = entry if isinstance(entry, str) else entry["text"]
                hits = {n.id for n in notes if text in n.text}
                unresolved += not hits
                ids |= hits
            sides.append(frozenset(ids))
        rows.append(Row(data["id"], data["store"], data["topic"], sides[0], sides[1], unresolved))
    return rows


def row_counts(analysis, row: Row, matched: frozenset[str]) -> Counts:
    return Counts(len(row.positives & matched), len(row.negatives & matched), len(row.positives - matched))


def measure(found: Mapping[str, object], rows: Sequence[Row]) -> dict[str, Counts]:
    """Precision and recall of `match_topic` per store, at the bars in force."""
    from workbench.scopes import match_topic

    out: dict[str, Counts] = {}
    for row in rows:
        out.setdefault(row.store, Counts()).add(row_counts(found[row.store], row, match_topic(found[row.store], row.topic).notes))
    return out


def curve(found: Mapping[str, object], rows: Sequence[Row], bars: Sequence[float] = BARS) -> list[tuple[float, Counts]]:
    """Precision, recall and F1 over every labelled row at each similarity bar (words always match)."""
    from workbench.scopes import comparable, lexical_rows, topic_scores
    from workbench.topics import phrase_stems

    totals = {bar: Counts() for bar in bars}
    for row in rows:
        analysis = found[row.store]
        words = phrase_stems(row.topic)
        lexical = lexical_rows(analysis, words) if words else set()
        scores = topic_scores(analysis, row.topic) if words and comparable(analysis, words) else None
        for bar in bars:
            hits = set(lexical) | (set(np.flatnonzero(scores >= bar)) if scores is not None else set())
            totals[bar].add(row_counts(analysis, row, frozenset(analysis.note_ids[i] for i in hits)))
    return list(totals.items())


def chosen_bar(points: Sequence[tuple[float, Counts]]) -> float:
    """The bar with the highest F1 among those with precision ≥ 0.9 (the highest F1 when none reaches it)."""
    good = [p for p in points if p[1].precision >= TARGET_PRECISION] or list(points)
    return max(good, key=lambda p: (round(p[1].f1, 6), p[0]))[0]


def keystrokes(notes: int, rounds: int) -> tuple[float, list[float]]:
    """Seconds of the first keystroke after an analysis (it embeds every note's place, and a TF-IDF model read
    from the cache is fitted at its first new text), then of each keystroke (scopes + matched counts + plan
    diff) on a synthetic corpus."""
    import time

    from workbench.analysis import analyze
    from workbench.focus import Focus
    from workbench.views.focus import scope_report

    from .synthetic import synthetic_corpus

    analysis = analyze(synthetic_corpus(notes, 100), "tfidf")
    start = time.perf_counter()
    scope_report(analysis, Focus("Prioritize the invoices."))  # once per analysis
    first = time.perf_counter() - start
    times = []
    for r in range(rounds):
        for text in KEYSTROKES:
            start = time.perf_counter()
            scope_report(analysis, Focus(text + " " * r))
            times.append(time.perf_counter() - start)
    return first, times


def tuner_keystrokes(notes: int, rounds: int, duplicate_bar: float | None = None) -> list[float]:
    """Seconds of each keystroke in the Focus tuner (widgets included: the plan, the scopes with their counts
    and what each changed, the plan against no focus, the knobs' histograms), after a first one that fills
    the caches; with `duplicate_bar`, the bar's own diff against its default is planned too."""
    import time

    from workbench.analysis import analyze
    from workbench.focus import Focus
    from workbench.ui import FocusTuner

    from .synthetic import synthetic_corpus

    tuner = FocusTuner(analyze(synthetic_corpus(notes, 100), "tfidf"),
                       Focus("Prioritize the invoices.", duplicate_bar=duplicate_bar))
    times = []
    for r in range(rounds):
        for text in KEYSTROKES:
            start = time.perf_counter()
            tuner.focus = Focus(text + " " * r, duplicate_bar=duplicate_bar)  # the controls set, one re-plan
            times.append(time.perf_counter() - start)
    return times


def run(quick: bool) -> Section:
    sec = Section("focus", "Focus: topics by meaning, and the tuner's keystroke", __doc__.split("\n\n")[1], quick=quick)
    _, skipped = available_stores()
    for embedder in ("tfidf",) if quick else ("tfidf", "minilm"):
        _matching(sec, embedder)
    if skipped:
        sec.lines.append("Skipped: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()) + ".")
    notes = 400 if quick else 1000
    first, times = keystrokes(notes, 2 if quick else 5)
    median = statistics.median(times) * 1000
    sec.table(["notes", "keystrokes", "median ms", "max ms", "first keystroke after the analysis, s"],
              [[notes, len(times), median, max(times) * 1000, first]])
    met = sec.target(f"keystroke → scopes + matched counts + plan diff at {notes:,} notes (median)", median,
                     KEYSTROKE_MS, "ms", digits=0)
    sec.lines.append(f"The tuner's keystroke takes {median:.0f} ms at the median at {notes:,} notes: "
                     f"{judged(met, 'within', 'over')} the {KEYSTROKE_MS:.0f} ms target.")
    rounds = 2 if quick else 5
    widgets = {"default bars": tuner_keystrokes(notes, rounds), "duplicate bar 0.5": tuner_keystrokes(notes, rounds, 0.5)}
    sec.table(["the tuner's keystroke (widgets included)", "keystrokes", "median ms", "max ms"],
              [[name, len(t), statistics.median(t) * 1000, max(t) * 1000] for name, t in widgets.items()])
    sec.target(f"the tuner's keystroke, widgets included, at {notes:,} notes (median)",
               statistics.median(widgets["default bars"]) * 1000, KEYSTROKE_MS, "ms", digits=0)
    return sec


def _matching(sec: Section, embedder: str) -> None:
    from workbench.scopes import TOPIC_BARS

    found = analyses(embedder)
    rows = labelled_rows(found)
    points = curve(found, rows)
    best = chosen_bar(points)
    sec.table([f"{embedder} bar", "precision", "recall", "F1"],
              [[bar, c.precision, c.recall, c.f1] for bar, c in points if round(bar * 50) % 2 == 0 or bar == best])
    per_store = measure(found, rows)
    total = Counts()
    for counts in per_store.values():
        total.add(counts)
    sec.table([f"{embedder}: store (bar {TOPIC_BARS.get(embedder, 0):.2f})", "rows", "precision", "recall", "F1"],
              [[s, sum(r.store == s for r in rows), c.precision, c.recall, c.f1] for s, c in per_store.items()]
              + [["all", len(rows), total.precision, total.recall, total.f1]])
    sec.target(f"{embedder}: topic precision over all rows", total.precision, TARGET_PRECISION, "", at_least=True)
    sec.target(f"{embedder}: topic recall over all rows", total.recall, TARGET_RECALL, "", at_least=True)
    unresolved = sum(r.unresolved for r in rows)
    sec.lines.append(f"{embedder}: the measured bar (highest F1 with precision ≥ {TARGET_PRECISION}) is {best:.2f}; "
                     f"`TOPIC_BARS` holds {TOPIC_BARS.get(embedder, 0):.2f}. {unresolved} label text(s) name no note "
                     "of the store as loaded and are left out.")
