"""Scale: a cold analysis at growing store sizes, each in its own process (so peak RSS is per size),
with the time of every `analyze` step; the first drawn map and the UMAP layout at 10k notes.

A child prints one JSON line per finished step, so a size stopped at its time limit still
reports where the time went. The parent also samples the child's RSS and stops it above a cap.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from . import ROOT, Section, child_env

RSS_CAP_MB = 8 * 1024  # stop a child above this: the machine is shared
TARGET_S, TARGET_MB = 60, 2048  # the issue: 100k notes analysed in ≤ 60 s and ≤ 2 GB peak RSS


def _rss_mb(pid: int) -> float:
    try:
        text = open(f"/proc/{pid}/status").read()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else 0.0


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def measure(notes: int, sessions: int, limit: float, layout: str = "", env: dict | None = None) -> dict:
    """Run one size in a child process; its steps, peak RSS, and why it stopped (if it did).

    `layout`: "" (analysis only), "map" (+ the first drawn map), "umap" (+ map and UMAP layout). Each child
    has an empty cache folder: the 1-thread run at 1,000 notes once read the default run's kept TF-IDF fit
    (0.2 s against 9.2 s for the fit), which made one thread look 2.5× faster.
    """
    with tempfile.TemporaryDirectory(prefix="wb-scale-") as cache:  # its own: no fit kept by an earlier child
        return _measure(notes, sessions, limit, layout, {**child_env(), **(env or {}), "WORKBENCH_CACHE": cache})


def _measure(notes: int, sessions: int, limit: float, layout: str, env: dict) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.scale", "--child", str(notes), str(sessions), layout or "-"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak, stopped = [0.0], [None]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _rss_mb(proc.pid))
            if peak[0] > RSS_CAP_MB:
                stopped[0] = f"stopped above {RSS_CAP_MB / 1024:.0f} GB RSS"
                proc.kill()
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        stopped[0] = stopped[0] or f"stopped at the {limit:.0f} s time limit"
    result = {"notes": notes, "steps": {}, "stopped": stopped[0], "peak_mb": peak[0]}
    for line in out.splitlines():
        item = json.loads(line)
        if "step" in item:
            result["steps"][item["step"]] = item["seconds"]
        else:
            result.update(item)
        result["peak_mb"] = max(result["peak_mb"], item.get("maxrss_mb", 0))
    if proc.returncode and not result["stopped"]:
        result["stopped"] = f"failed (exit {proc.returncode})"
    return result


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y on log x (the exponent of y ∝ x^k)."""
    if len(xs) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def run(quick: bool, budget: float | None = None) -> Section:
    budget = budget or (120.0 if quick else 480.0)
    sizes = [1000, 3000] if quick else [1000, 10_000, 100_000]
    map_size, layout = sizes[1], "map" if quick else "umap"
    sec = Section("scale", "Scale", quick=quick, how=(
        f"Cold analysis (`analyze` with `tfidf`, empty cache, then its `findings`) of the synthetic corpus at {', '.join(f'{s:,}' for s in sizes)} "
        "notes + 100 sessions, each size in a fresh process; peak RSS is the larger of the child's "
        "own high-water mark (`VmHWM`) and the parent's sampling of its `VmRSS` every 0.2 s. Step times are exclusive (`benchmarks/phases.py`). "
        f"At {map_size:,} notes: the first drawn map (analysis done + `plots.embedding_map` built on the PCA "
        f"coordinates){' and `layout_umap` (first call in the process, numba JIT included)' if not quick else ''}. "
        "The 1,000-note size runs twice, side by side: default BLAS/OpenMP threads and one thread. "
        f"This benchmark had a {budget:.0f} s budget in this run; a size that runs past what is left is "
        "stopped and reported as such, with the steps it finished."))
    start = time.perf_counter()
    results, single = [], {}
    for notes in sizes:
        left = budget - (time.perf_counter() - start)
        if left < 30:
            results.append({"notes": notes, "steps": {}, "stopped": "not run: the benchmark's time budget was spent",
                            "peak_mb": 0.0})
            continue
        print(f"[scale] {notes:,} notes (limit {left:.0f} s) …", file=sys.stderr, flush=True)
        results.append(measure(notes, 100, left, layout if notes == map_size else ""))
        if notes == sizes[0]:  # the same size with one BLAS thread, side by side
            left = min(300.0, budget - (time.perf_counter() - start))
            single = measure(notes, 100, max(30.0, left), env=ONE_THREAD)
    done = [r for r in results if not r["stopped"]]
    rows = []
    for r in results:
        seconds = r.get("analyze")
        spent = sum(r["steps"].values())
        rows.append([f"{r['notes']:,}", r.get("statements", "–"),
                     f"{seconds:.1f}" if seconds else f"> {spent:.0f} (unfinished)" if r["steps"] else "–",
                     f"{r['peak_mb']:.0f}", r.get("conflicts", "–"), r.get("name_swaps", "–"),
                     r["stopped"] or "finished"])
    sec.table(["notes", "statements", "analyze s", "peak RSS MB", "conflict pairs", "of which name swaps",
               "outcome"], rows)
    labels = sorted({k for r in results for k in r["steps"]}, key=lambda k: -max(r["steps"].get(k, 0) for r in results))
    sec.table(["step (exclusive s)", *[f"{r['notes']:,}" for r in results]],
              [[k, *[f"{r['steps'][k]:.2f}" if k in r["steps"] else "–" for r in results]] for k in labels])
    first = results[0]
    if first.get("analyze") and single.get("analyze"):
        sec.table([f"{first['notes']:,} notes, cold", "analyze s", "tfidf fit s", "PCA map s", "peak RSS MB"], [
            [label, f"{r['analyze']:.1f}", f"{r['steps'].get('tfidf fit (vocabulary + SVD)', 0):.2f}",
             f"{r['steps'].get('PCA map', 0):.2f}", f"{r['peak_mb']:.0f}"]
            for label, r in (("default BLAS/OpenMP threads", first), ("1 thread (OPENBLAS/OMP_NUM_THREADS=1)", single))])
        a, b = first["analyze"], single["analyze"]
        how = "about as fast as" if max(a, b) / min(a, b) < 1.1 else \
            f"{max(a, b) / min(a, b):.1f}× {'faster' if b < a else 'slower'} than"
        sec.lines.append(f"BLAS threads at {first['notes']:,} notes: one thread is {how} the default "
                         f"({b:.1f} s vs {a:.1f} s, same run).")
    k_time = slope([r["notes"] for r in done], [r["analyze"] for r in done])
    k_mem = slope([r["notes"] for r in done], [r["peak_mb"] for r in done])
    if k_time is not None:
        sec.lines.append(f"Fitted exponent over the finished sizes: time ∝ notes^{k_time:.2f}, "
                         f"peak RSS ∝ notes^{k_mem:.2f}.")
    for r in results:
        if r["steps"]:
            worst = max(r["steps"], key=r["steps"].get)
            share = r["steps"][worst] / max(1e-9, sum(r["steps"].values()))
            sec.lines.append(f"{r['notes']:,} notes: slowest step “{worst}” ({r['steps'][worst]:.1f} s, "
                             f"{share:.0%} of the timed steps){'; ' + r['stopped'] if r['stopped'] else ''}.")
    big = results[-1]
    if not quick:
        met_t = sec.target("analysis at 100k notes, time", big.get("analyze"), TARGET_S, "s", digits=1)
        sec.target("analysis at 100k notes, peak memory", big["peak_mb"] if big.get("analyze") else None,
                   TARGET_MB, "MB", digits=0)
        if big.get("analyze") is None:
            sec.targets[-2].measured = f"> {sum(big['steps'].values()):.0f} s ({big['stopped']})"
            sec.targets[-2].met = False if big["steps"] else None
            sec.targets[-1].measured = f"≥ {big['peak_mb']:.0f} MB when stopped"
            sec.targets[-1].met = False if big["peak_mb"] > TARGET_MB else None
            if k_time is not None:
                last = done[-1]
                guess = last["analyze"] * (100_000 / last["notes"]) ** k_time
                sec.lines.append(f"Extrapolated from the fitted exponent: about {guess:.0f} s at 100k notes "
                                 f"(an estimate, not a measurement).")
        elif met_t is not None:
            sec.lines.append(f"100k notes analysed in {big['analyze']:.0f} s with {big['peak_mb']:.0f} MB peak.")
    mapped = next((r for r in results if r["notes"] == map_size), {})
    if mapped.get("map_s") is not None:
        first_map = mapped["analyze"] + mapped["map_s"]
        umap_s = mapped.get("umap_s")
        sec.table([f"at {map_size:,} notes", "seconds"], [
            ["first drawn map: analysis + `embedding_map` (PCA)", f"{first_map:.1f}"],
            ["  of which the figure", f"{mapped['map_s']:.2f}"],
            ["UMAP layout (`layout_umap`, after the analysis)", f"{umap_s:.1f}" if umap_s is not None
             else "not run (quick)" if quick else "did not finish"]])
        sec.lines.append(f"At {map_size:,} notes the first map is drawn after {first_map:.0f} s "
                         f"({mapped['analyze'] / first_map:.0%} of it the analysis)"
                         + (f"; the UMAP layout takes {umap_s:.0f} s more." if umap_s is not None else "."))
    return sec


# --- the child ----------------------------------------------------------------------------


def _emit(**item) -> None:
    """One JSON line, with the peak RSS so far (VmHWM: this process's own; `ru_maxrss` would include
    the parent's RSS at fork time, which Linux carries across exec)."""
    match = re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()) if os.path.exists("/proc/self/status") \
        else None
    if match:
        item["maxrss_mb"] = int(match.group(1)) / 1024
    else:
        import resource

        item["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(item), flush=True)


def _name_swaps(analysis, found) -> int:
    """Store conflicts whose two notes are the same text once person names are blanked."""
    from .synthetic import NAMES, _sources

    names = set(NAMES) | set(_sources()[1])
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")
    notes = analysis.corpus.note_by_id
    return sum(1 for c in found.conflicts if c.source == "store"
               and pattern.sub("@", notes[c.older].text) == pattern.sub("@", notes[c.newer].text))


def _child(notes: int, sessions: int, layout: str) -> None:
    import workbench.analysis as A
    from workbench.embed import EmbeddingCache
    from workbench.findings import findings

    from .phases import timing_phases
    from .synthetic import synthetic_corpus

    corpus = synthetic_corpus(notes, sessions)
    import sklearn.decomposition  # noqa: F401  (imports are not what is measured)
    import sklearn.feature_extraction.text  # noqa: F401

    with tempfile.TemporaryDirectory() as d, timing_phases() as steps:
        seen: dict[str, float] = {}
        stop = threading.Event()

        def report() -> None:  # every second, the steps that moved: a stopped child still tells
            while not stop.wait(1.0):
                for key, value in list(steps.items()):
                    if seen.get(key) != value:
                        seen[key] = value
                        _emit(step=key, seconds=value)

        reporter = threading.Thread(target=report, daemon=True)
        reporter.start()
        start = time.perf_counter()
        analysis = A.analyze(corpus, "tfidf", cache=EmbeddingCache(d))
        mid = time.perf_counter()
        found = findings(analysis)  # what the first map's links and the tables read: part of the analysis before
        _ = found.duplicates, found.conflicts, found.notes, found.insights  # each part is computed when first read
        steps["findings (duplicates, conflicts, status, insights)"] = time.perf_counter() - mid
        elapsed = time.perf_counter() - start
        stop.set()
        reporter.join()
        for key, value in steps.items():
            _emit(step=key, seconds=value)
    _emit(analyze=elapsed, statements=len(analysis.statements), conflicts=len(found.conflicts),
          name_swaps=_name_swaps(analysis, found))
    if layout in ("map", "umap"):
        from workbench import plots

        start = time.perf_counter()
        plots.embedding_map(analysis)
        _emit(map_s=time.perf_counter() - start)
    if layout == "umap":
        start = time.perf_counter()
        A.layout_umap(analysis)
        _emit(umap_s=time.perf_counter() - start)


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    os.environ.setdefault("TQDM_DISABLE", "1")
    _child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].strip("-"))
