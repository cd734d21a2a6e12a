"""Speed: load + embed + analyze + plan on the sample data (cold and warm cache), re-plan latency
after a focus change, and a whole analysis at 1,000 notes + 100 sessions (warm and cold)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time

from workbench.analysis import analyze
from workbench.dream.offline import dream_offline
from workbench.embed import EmbeddingCache
from workbench.focus import Focus
from workbench.io import load_corpus

from . import DATASETS, ROOT, Section, child_env, judged, quantile, sample_paths, spread, timed
from .synthetic import synthetic_corpus

INSTRUCTIONS = (
    "", "Prioritize work and career facts over hobbies.", "Ignore small talk.", "Only family and health.",
    "Never touch /people/. Drop one-off events.", "Focus on plans, preferences and decisions.",
    "Prefer recent facts over old ones; skip trivia about pets.", "Leave /preferences/ alone.",
)


def pipeline(dataset: str, cache_dir: str) -> dict[str, float]:
    """One end-to-end run: load, analyze (embeds through the cache), plan. Seconds per stage."""
    store, sessions = sample_paths(dataset)
    load, corpus = timed(lambda: load_corpus(store, sessions))
    analysis_s, analysis = timed(lambda: analyze(corpus, "tfidf", cache=EmbeddingCache(cache_dir)))
    plan_s, _ = timed(lambda: dream_offline(corpus, Focus(), analysis=analysis))
    return {"load": load, "analyze": analysis_s, "plan": plan_s, "total": load + analysis_s + plan_s}


def focus_changes(n: int) -> list[Focus]:
    """What a person does with the tuner: move bars, the horizon, edit the instructions."""
    return [Focus(instructions=INSTRUCTIONS[i % len(INSTRUCTIONS)], duplicate_bar=round(0.5 + 0.03 * (i % 12), 2),
                  conflict_bar=round(0.3 + 0.02 * (i % 9), 2), horizon_days=(30, 60, 120, 365)[i % 4],
                  min_sessions=2 + i % 2) for i in range(n)]


def _fresh_process(dataset: str, meaning_notes: int | None = None) -> dict[str, float]:
    """The first run in a new Python process: imports included, cold cache (`meaning_notes` sets how many notes
    the sentence model may read: 0 turns the reading off)."""
    env = child_env()
    with tempfile.TemporaryDirectory() as d:
        if meaning_notes is not None:
            env.update(WORKBENCH_MEANING_NOTES=str(meaning_notes))
        wall, out = timed(lambda: subprocess.run(
            [sys.executable, "-m", "benchmarks.speed", "--child", dataset, d], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=600, check=True))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "imports": wall - result["total"]}  # interpreter start + imports


def run(quick: bool) -> Section:
    runs = 3 if quick else 5
    changes = 10 if quick else 30
    notes, sessions = (400, 40) if quick else (1000, 100)
    datasets = DATASETS[1:] if quick else DATASETS
    sec = Section("speed", "Speed", quick=quick, how=(
        f"Sample data end to end (load → analyze with the `tfidf` embedder → offline plan), {runs} runs each: "
        "*cold* = a fresh, empty embedding-cache directory (the TF-IDF model is fitted and every text embedded), "
        "*warm* = the same directory filled, a new Analysis still computed. Imports are done before timing, and "
        "in-process memo caches (e.g. text profiles) stay filled after the first run; the first run in a new "
        "process (lazy imports and empty memo caches included) is a separate row, and the Scale section's "
        "1,000-note size is a cold run in a new process. Synthetic corpus: "
        f"{notes:,} notes recombined from the sample stores and LoCoMo observations + {sessions} real sessions "
        "(`benchmarks/synthetic.py`)."))
    with tempfile.TemporaryDirectory() as d:
        pipeline(DATASETS[1], d)  # imports and first-call costs, not timed
    rows = []
    for dataset in datasets:
        cold, warm = [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as d:
                cold.append(pipeline(dataset, d))
                warm.append(pipeline(dataset, d))
        for label, results in (("cold", cold), ("warm", warm)):
            total = spread([r["total"] for r in results])
            med = {k: statistics.median(r[k] for r in results) for k in ("load", "analyze", "plan")}
            rows.append([dataset, label, total["n"], f"{med['load']:.3f}", f"{med['analyze']:.3f}",
                         f"{med['plan']:.3f}", total["median"], total["min–max"], total["IQR"]])
        if dataset == DATASETS[0] and not quick:
            first = _fresh_process(dataset)
            rows.append([dataset, "new process", 1, f"{first['load']:.3f}", f"{first['analyze']:.3f}",
                         f"{first['plan']:.3f}", f"{first['total']:.3f} s",
                         f"+ {first['imports']:.2f} s start-up and imports", "–"])
        speedup = statistics.median(r["total"] for r in cold) / statistics.median(r["total"] for r in warm)
        sec.lines.append(f"{dataset}: warm cache is {speedup:.1f}× faster than cold (median total, same run).")
    sec.table(["dataset", "cache", "runs", "load s", "analyze s", "plan s", "total (median)", "min–max",
               "IQR"], rows)

    _meaning_rows(sec, DATASETS[0], 2 if quick else 5)
    corpus = synthetic_corpus(notes, sessions)
    cold_runs, warm_runs = (1, 2) if quick else (runs, runs)
    cold_times, warm_times = [], []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(cold_runs):
            with tempfile.TemporaryDirectory() as fresh:
                cold_times.append(timed(lambda: analyze(corpus, "tfidf", cache=EmbeddingCache(fresh)))[0])
        analysis = analyze(corpus, "tfidf", cache=EmbeddingCache(d))
        for _ in range(warm_runs):
            warm_times.append(timed(lambda: analyze(corpus, "tfidf", cache=EmbeddingCache(d)))[0])
    replans = []
    for focus in focus_changes(changes):
        start = time.perf_counter()
        dream_offline(corpus, focus, analysis=analysis)
        replans.append(time.perf_counter() - start)
    cold_s, warm_s = spread(cold_times), spread(warm_times)
    re_s = spread(replans, 1000, "ms")
    p90 = quantile(replans, 0.9) * 1000
    sec.table([f"{notes:,} notes + {sessions} sessions", "runs", "median", "min–max", "IQR", "p90"], [
        ["re-plan after a focus change (select + restrict + plan)", re_s["n"], re_s["median"], re_s["min–max"],
         re_s["IQR"], f"{p90:.0f} ms"],
        ["full analysis, warm cache", warm_s["n"], warm_s["median"], warm_s["min–max"], warm_s["IQR"],
         f"{quantile(warm_times, 0.9):.3f} s"],
        ["full analysis, cold (tfidf fitted, all embedded)", cold_s["n"], cold_s["median"], cold_s["min–max"],
         cold_s["IQR"], f"{quantile(cold_times, 0.9):.3f} s"],
    ])
    replan_ms = statistics.median(replans) * 1000
    met = sec.target(f"re-plan latency (median), {notes:,} notes", replan_ms, 200, "ms", digits=0)
    sec.lines.append(f"Re-plan median {replan_ms:.0f} ms, p90 {p90:.0f} ms over {len(replans)} focus changes: "
                     f"{judged(met, 'within', 'over')} the 200 ms target.")
    warm_med, cold_med = statistics.median(warm_times), statistics.median(cold_times)
    for what, value, limit in (("warm", warm_med, 1), ("cold", cold_med, 5)):
        met = sec.target(f"full analysis {what}, {notes:,} notes + {sessions} sessions", value, limit, "s")
        sec.lines.append(f"Analysis {what} at {notes:,} notes: median {value:.2f} s, "
                         f"{judged(met, 'within', f'{value / limit:.1f}× over')} the {limit} s target.")
    return sec


def _meaning_rows(sec: Section, dataset: str, runs: int) -> None:
    """End to end in new processes (an empty embedding cache for the analysis; numba's and the sentence model's
    vectors on disk as after a first use), the sentence model's reading of word-differing pairs
    (`workbench.analysis.meaning`) on and off, alternated: what the reading costs."""
    times: dict[str, list[float]] = {"on": [], "off": []}
    for r in range(runs):
        for mode in ("on", "off") if r % 2 == 0 else ("off", "on"):
            first = _fresh_process(dataset, 1000 if mode == "on" else 0)
            times[mode].append(first["total"])
    on, off = (statistics.median(times[m]) for m in ("on", "off"))
    sec.table([f"{dataset}, new process", "runs", "load + analyze + plan (median)"],
              [["sentence model's reading on", runs, f"{on:.2f} s"], ["off (`WORKBENCH_MEANING_NOTES=0`)", runs,
                                                                      f"{off:.2f} s"]])
    sec.lines.append(f"{dataset}: the sentence model's reading costs {on / off:.2f}× end to end in a new process "
                     f"({on:.2f} s against {off:.2f} s, medians, alternated in one run).")


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    print(json.dumps(pipeline(sys.argv[2], sys.argv[3])))
