"""Warming: re-plan latency after focus changes, cold vs warmed, on 1,000 notes + 100 sessions.

Each run is a fresh process, as the app is: the synthetic corpus analysed (vectors from the embedding cache,
so the TF-IDF fit is read back at the first new text), planned under the default focus, then — *warmed* only —
`workbench.dream.offline.warm` (what the app's builder thread does after the plan), then a sequence of focus
changes, each re-planned (`dream_offline`) and timed. *Typing*: instructions typed in the focus box at the
default bars (new topics, a horizon in words). *Typing and knobs*: the Speed section's changes, where the bars,
the horizon and the minimum sessions move too (a new bar costs candidates of its own, which no warming
computes). Cold and warmed runs alternate; the plans' JSON of both must be identical.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time

from . import ROOT, Section, child_env, quantile
from .focus import KEYSTROKES
from .speed import INSTRUCTIONS, focus_changes

TYPED = (*INSTRUCTIONS[1:], *KEYSTROKES[1:], "Prune anything older than three months.",
         "Keep the database notes; drop anything older than 45 days.", "Only look at testing and deployment.")
SEQUENCES = ("typing", "typing and knobs")
ARMS = ("cold", "warmed")


def _focuses(sequence: str) -> list:
    from workbench.focus import Focus

    return [Focus(text) for text in TYPED] if sequence == "typing" else focus_changes(len(TYPED))


def child(arm: str, sequence: str, notes: int, sessions: int) -> dict:
    """One process: analyse, plan under the default focus, warm (or not), then time each re-plan."""
    from workbench.analysis import analyze
    from workbench.dream.offline import dream_offline, warm
    from workbench.focus import Focus

    from .synthetic import synthetic_corpus

    corpus = synthetic_corpus(notes, sessions)
    analysis = analyze(corpus, "tfidf")
    dream_offline(corpus, Focus(), analysis=analysis)  # the tuner's first plan
    start = time.perf_counter()
    if arm == "warmed":
        warm(analysis, Focus())
    warm_s = time.perf_counter() - start
    times, digests = [], []
    for focus in _focuses(sequence):
        start = time.perf_counter()
        plan = dream_offline(corpus, focus, analysis=analysis)
        times.append(time.perf_counter() - start)
        digests.append(hashlib.sha256(plan.to_json().encode()).hexdigest()[:16])
    return {"warm_s": warm_s, "times": times, "digests": digests}


def _spawn(arm: str, sequence: str, notes: int, sessions: int, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.warming", "--child", arm, sequence, str(notes),
                          str(sessions)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(notes: int, sessions: int, rounds: int) -> dict[tuple[str, str], list[dict]]:
    """Every run per (sequence, arm), cold and warmed alternating, over one shared embedding cache."""
    runs: dict[tuple[str, str], list[dict]] = {(s, a): [] for s in SEQUENCES for a in ARMS}
    with tempfile.TemporaryDirectory(prefix="wb-warming-") as cache:
        env = {**child_env(), "WORKBENCH_CACHE": cache}
        subprocess.run([sys.executable, "-c", "from benchmarks.synthetic import synthetic_corpus as s; "
                        f"from workbench.analysis import analyze; analyze(s({notes}, {sessions}), 'tfidf')"],
                       cwd=ROOT, env=env, check=True, timeout=900, capture_output=True)  # fills the cache
        for r in range(rounds):
            for sequence in SEQUENCES:
                for arm in ARMS if r % 2 == 0 else ARMS[::-1]:
                    runs[sequence, arm].append(_spawn(arm, sequence, notes, sessions, env))
    return runs


def _stats(results: list[dict]) -> dict[str, float]:
    times = [t * 1000 for r in results for t in r["times"]]
    return {"n": len(times), "median": statistics.median(times), "p90": quantile(times, 0.9), "max": max(times),
            "first": statistics.median(r["times"][0] * 1000 for r in results),
            "warm": statistics.median(r["warm_s"] for r in results)}


def run(quick: bool) -> Section:
    notes, sessions, rounds = (400, 40, 1) if quick else (1000, 100, 3)
    sec = Section("warming", "Warming: the first re-plan at a new topic", __doc__.split("\n\n")[1], quick=quick)
    runs = measure(notes, sessions, rounds)
    rows, stats = [], {}
    for (sequence, arm), results in runs.items():
        stats[sequence, arm] = s = _stats(results)
        rows.append([sequence, arm, f"{len(results)} × {len(results[0]['times'])}", f"{s['median']:.0f} ms",
                     f"{s['p90']:.0f} ms", f"{s['max']:.0f} ms", f"{s['first']:.0f} ms",
                     f"{s['warm']:.2f} s" if arm == "warmed" else "–"])
    sec.table([f"{notes:,} notes + {sessions} sessions", "arm", "runs × changes", "median", "p90", "max",
               "first change (median)", "warm()"], rows)
    for sequence in SEQUENCES:
        cold, warmed = stats[sequence, "cold"], stats[sequence, "warmed"]
        same = all(c["digests"] == w["digests"] for c, w in zip(runs[sequence, "cold"], runs[sequence, "warmed"]))
        sec.lines.append(f"{sequence}: cold / warmed = {cold['median'] / warmed['median']:.1f}× at the median, "
                         f"{cold['p90'] / warmed['p90']:.1f}× at p90, {cold['max'] / warmed['max']:.1f}× at the max, "
                         f"{cold['first'] / warmed['first']:.1f}× on the first change; plans "
                         f"{'identical' if same else 'DIFFERENT'} with and without warming.")
    typed = stats["typing", "warmed"]
    sec.target(f"re-plan after a typed focus change, warmed, {notes:,} notes (p90)", typed["p90"], 200, "ms", digits=0)
    return sec


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    arm, sequence, n, s = sys.argv[2:6]
    print(json.dumps(child(arm, sequence, int(n), int(s))))
elif __name__ == "__main__":
    section = run("--quick" in sys.argv)
    for header, table in section.tables:
        print(" | ".join(header))
        print("\n".join(" | ".join(row) for row in table))
    print("\n".join(section.lines))
