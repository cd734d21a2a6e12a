"""BERTopic, side by side on the same vectors: our analysis and first map against BERTopic's fit.

Each side runs in a fresh process with an empty cache folder and an empty numba cache (a first
start: imports are done before the clock starts, JIT compilation is timed on both sides). Ours: what the
app shows, in its order: `analyze` (`tfidf`), then the `Workbench` built as in a kernel, which returns with
the map's points drawn (PCA, coloured by topic: the first map); the UMAP layout (computed in a child
process, as the app does) replaces it, while the duplicate and conflict links and the plan are worked out
on a thread and drawn when ready (timed too, not compared). BERTopic: the same TF-IDF+SVD note vectors
(computed as `analyze` computes them, not timed) passed as `embeddings` to `fit_transform`, with
BERTopic's defaults otherwise (UMAP → HDBSCAN → c-TF-IDF, `embedding_model=None`: no
sentence-transformers, no torch), then `visualize_documents` (its own 2-D UMAP map of the documents).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

from . import DATA, ROOT, Section, child_env

VERSION = "0.17.4"
HDBSCAN_VERSION = "0.8.44"
INSTALL = f"{sys.executable} -m pip install --no-deps bertopic=={VERSION} hdbscan=={HDBSCAN_VERSION}"
SIDES = ("ours", "bertopic")
NAMES_SHOWN = 3  # topic names quoted per side, largest topics first
TOO_LONG = 900.0  # seconds before a child is stopped
TARGET_SIZE, FIRST_MAP_RATIO, UMAP_RATIO = 20_000, 10.0, 3.0


def missing() -> str | None:
    """Why BERTopic cannot run here (None when it can): checked in a child, as the runs will import it."""
    if importlib.util.find_spec("bertopic") is None:
        return f"bertopic is not installed; `{INSTALL}` (or `make bench`) installs it without torch."
    probe = subprocess.run([sys.executable, "-c", "import bertopic"], cwd=ROOT, env=child_env(),
                           capture_output=True, text=True, timeout=300)
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"bertopic does not import ({last}); `{INSTALL}` installs the pinned versions."
    return None


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def measure(side: str, size: str, umap: bool, numba: str) -> dict:
    """One run of one side in a fresh process with an empty cache folder and the section's numba cache
    (`numba`); its JSON result (or why it stopped). `umap`: ours also lays out UMAP, BERTopic also draws
    its document map."""
    with tempfile.TemporaryDirectory(prefix="wb-bertopic-") as cache:
        env = {**child_env(), "WORKBENCH_CACHE": cache, "NUMBA_CACHE_DIR": numba, "TQDM_DISABLE": "1"}
        cmd = [sys.executable, "-m", "benchmarks.bertopic", "--child", side, size, "umap" if umap else "-"]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TOO_LONG)
        except subprocess.TimeoutExpired:
            return {"side": side, "stopped": f"stopped at the {TOO_LONG:.0f} s limit"}
    result: dict = {"side": side}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            result.update(json.loads(line))
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        result["stopped"] = f"failed: {last}"
    return result


def sizes(quick: bool) -> list[tuple[str, str]]:
    """(label, size argument for the child): LoCoMo when its data is present, then synthetic sizes."""
    if quick:
        return [("1,000 synthetic", "1000")]
    return [("LoCoMo, 2,541", "locomo"), ("10,000 synthetic", "10000"), ("20,000 synthetic", "20000")]


def _median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None and not r.get("stopped")]
    return statistics.median(values) if values else None


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _ratio(slow: float | None, fast: float | None) -> float | None:
    return None if slow is None or not fast else slow / fast


def run(quick: bool) -> Section:
    reps = 1 if quick else 3
    sec = Section("bertopic", "BERTopic, side by side", quick=quick, how=(
        "Our analysis against BERTopic on the same vectors, "
        + ("one run of each side at one quick size, first map and topics only (no UMAP on our side, no document "
           "map on BERTopic's); numba's cache as this run left it (cold on a fresh run: not judged)"
           if quick else
           "medians of 3 runs of each side, the sides alternated (which goes first swaps each round), after one "
           "untimed warm-up run of each side at 1,000 notes so numba's on-disk cache holds what a machine has after "
           "a first use (both sides share it; BERTopic's UMAP keeps only the few functions umap-learn itself marks "
           "`cache=True`, ours all of them: `workbench.analysis.jit`)")
        + ". Every run is a fresh process with an empty cache folder (no embeddings, fits or layouts kept); "
        "imports are done before the clock starts. *Ours*: what the app shows, in its order: `analyze` (`tfidf`), "
        "then `Workbench(analysis, background=True)` as in a kernel, which returns with the map's points drawn "
        "(PCA, coloured by topic: *first map*); the duplicate and conflict links and the plan follow on a thread "
        "(*links + plan*, not compared: BERTopic has neither) while the UMAP layout is computed in a child process "
        "and replaces the PCA map (*+ UMAP map*). *BERTopic*: the note vectors `analyze` computes (TF-IDF+SVD, 256 dims; computed in the child before the "
        "clock, checked equal to ours) given as `fit_transform(docs, embeddings=vectors)` to "
        "`BERTopic(embedding_model=None)`, its defaults otherwise (UMAP to 5-d → HDBSCAN, min topic size 10 → "
        "c-TF-IDF names); *+ its map*: then `visualize_documents` (BERTopic's own 2-D UMAP of the documents). "
        "Topics: clusters other than the outliers (−1 / unclustered); names of the three largest. Ratios are "
        "BERTopic's time over ours: our first map against BERTopic's fit alone (it has no map yet), our UMAP map "
        "against its fit + map."))
    reason = "full run only (`make bench`): a fresh BERTopic process compiles numba for about 30 s, so even one " \
             "quick size takes minutes of CI" if quick else missing()
    if reason:
        sec.skipped = reason
        print(f"[bertopic] skipped: {reason}", file=sys.stderr)
        return sec
    from workbench.analysis.jit import numba_cache_dir

    numba = numba_cache_dir()  # the run's (`python -m benchmarks` keeps its caches in a temporary folder)
    sec.lines.append(f"bertopic {_version('bertopic')}, hdbscan {_version('hdbscan')} "
                     f"({'the hdbscan package' if importlib.util.find_spec('hdbscan') else 'scikit-learn HDBSCAN fallback'}), "
                     f"umap-learn {_version('umap-learn')}; sentence-transformers "
                     f"{_version('sentence-transformers')}, torch {_version('torch')}.")
    if not quick:
        warm = {side: measure(side, "1000", True, numba) for side in SIDES}
        w_ours, w_theirs = warm["ours"].get("umap_map_s"), warm["bertopic"].get("fit_map_s")
        sec.lines.append(f"Warm-up at 1,000 notes (untimed in the table; numba's cache empty for the first): ours "
                         f"{_seconds(w_ours)} s to the UMAP map, BERTopic {_seconds(w_theirs)} s to topics and map.")
    rows, names_rows, found = [], [], {}
    for label, size in sizes(quick):
        if size == "locomo" and not (DATA / "locomo10.json").exists():
            sec.lines.append(f"LoCoMo skipped: {DATA / 'locomo10.json'} is absent (public data is read from "
                             "../shared/data, never copied into the repo).")
            continue
        runs: dict[str, list[dict]] = {side: [] for side in SIDES}
        for rep in range(reps):
            for side in (SIDES if rep % 2 == 0 else SIDES[::-1]):
                print(f"[bertopic] {label}: {side}, run {rep + 1}/{reps} …", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                result = measure(side, size, not quick, numba)
                shown = {k: v for k, v in result.items() if k != "names"}
                print(f"[bertopic]   {time.perf_counter() - t0:.0f} s wall: {shown}", file=sys.stderr, flush=True)
                runs[side].append(result)
        ours, theirs = runs["ours"], runs["bertopic"]
        f = {"first": _median(ours, "first_map_s"), "umap": _median(ours, "umap_map_s"),
             "links": _median(ours, "links_and_plan_s"),
             "fit": _median(theirs, "fit_s"), "fit_map": _median(theirs, "fit_map_s"),
             "notes": next((r["notes"] for r in ours + theirs if "notes" in r), None),
             "ours_topics": _median(ours, "topics"), "their_topics": _median(theirs, "topics")}
        found[size] = f
        sums = [r["vectors_sum"] for r in ours + theirs if "vectors_sum" in r]
        same = "–" if len(sums) < 2 else "yes" if max(sums) - min(sums) <= 1e-5 * max(sums) else \
            f"NO (sums of |v| {min(sums):.1f}–{max(sums):.1f})"
        stopped = "; ".join(f"{r['side']}: {r['stopped']}" for r in ours + theirs if r.get("stopped"))
        rows.append([label, _seconds(f["first"]), _seconds(f["umap"]) if not quick else "not run (quick)",
                     _seconds(f["links"]),
                     _seconds(f["fit"]), _seconds(f["fit_map"]) if not quick else "not run (quick)",
                     _fmt_ratio(_ratio(f["fit"], f["first"])), _fmt_ratio(_ratio(f["fit_map"], f["umap"])),
                     _topics(ours), _topics(theirs), same, stopped or "finished"])
        names_rows.append([label, _names(ours), _names(theirs)])
    sec.table(["notes", "ours: first map s", "ours: + UMAP map s", "ours: links + plan s", "BERTopic: fit s", "BERTopic: + its map s",
               "first map vs fit", "UMAP map vs fit + map", "topics, ours (unclustered)",
               "topics, BERTopic (outliers)", "same vectors", "outcome"], rows)
    sec.table(["notes", f"our {NAMES_SHOWN} largest topics", f"BERTopic's {NAMES_SHOWN} largest topics"], names_rows)
    if not quick:
        big = found.get(str(TARGET_SIZE), {})
        sec.target(f"BERTopic fit ÷ our first map, {TARGET_SIZE:,} notes", _ratio(big.get("fit"), big.get("first")),
                   FIRST_MAP_RATIO, "×", at_least=True, digits=1)
        sec.target(f"BERTopic fit + map ÷ our UMAP map, {TARGET_SIZE:,} notes",
                   _ratio(big.get("fit_map"), big.get("umap")), UMAP_RATIO, "×", at_least=True, digits=1)
        sec.target(f"our topics at {TARGET_SIZE:,} notes (tens to hundreds, named)", big.get("ours_topics"), 10, "",
                   at_least=True, digits=0)
    for f in found.values():
        r1 = _ratio(f["fit"], f["first"])
        if r1 is None:
            continue
        line = (f"{f['notes']:,} notes: our first map {f['first']:.1f} s, BERTopic's topics {f['fit']:.1f} s: "
                + (f"{r1:.1f}× ahead" if r1 >= 1 else f"{1 / r1:.1f}× behind"))
        r2 = _ratio(f["fit_map"], f["umap"])
        if r2 is not None:
            line += (f"; with the UMAP map {f['umap']:.1f} s against BERTopic's topics and map {f['fit_map']:.1f} s: "
                     + (f"{r2:.1f}× ahead" if r2 >= 1 else f"{1 / r2:.1f}× behind"))
        if f["ours_topics"] is not None and f["their_topics"] is not None:
            line += f"; {f['ours_topics']:.0f} topics against {f['their_topics']:.0f}"
        sec.lines.append(line + ".")
    return sec


def _fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}×"


def _topics(runs: list[dict]) -> str:
    done = [r for r in runs if "topics" in r]
    if not done:
        return "–"
    r = done[0]  # the same vectors and seeds: counts can still vary a little between runs (threads)
    counts = sorted({x["topics"] for x in done})
    count = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{count}; {r['outliers'] / max(1, r['notes']):.0%}"


def _names(runs: list[dict]) -> str:
    done = [r for r in runs if r.get("names")]
    return "; ".join(f"“{n}”" for n in done[0]["names"]) if done else "–"


# --- the child ----------------------------------------------------------------------------


def _corpus(size: str):
    if size == "locomo":
        from workbench.io import load_sessions, load_store
        from workbench.records import Corpus

        path = DATA / "locomo10.json"
        return Corpus(load_store(path), tuple(load_sessions(path)))
    from .synthetic import synthetic_corpus

    return synthetic_corpus(int(size), 100)


def _emit(**item) -> None:
    print(json.dumps(item), flush=True)


def _ours(corpus, umap: bool) -> None:
    """What a person sees in the app: `analyze`, then the Workbench (as in a kernel: the map drawn first, the
    links, the plan and the tabs on a thread, the UMAP layout in a child process), each moment timed."""
    import workbench.analysis as A
    from workbench.embed import EmbeddingCache
    from workbench.ui import Workbench

    if umap:  # as the app imports it (numba's code kept on disk): not what is measured, as on BERTopic's side
        from workbench.analysis.jit import import_cached

        import_cached("umap")
    start = time.perf_counter()
    analysis = A.analyze(corpus, "tfidf", cache=EmbeddingCache())
    analyzed = time.perf_counter() - start
    wb = Workbench(analysis, layout=A.layout_umap_aside if umap else None, background=True, autosave=False,
                   resume=False)  # returns with the map's points drawn (PCA, coloured by topic)
    first = time.perf_counter() - start
    clusters = analysis.clusters
    kept = clusters[clusters["cluster"] >= 0]
    names = [kept.loc[kept["cluster"] == c, "label"].iloc[0] for c in sorted(kept["cluster"].unique())[:NAMES_SHOWN]]
    _emit(first_map_s=first, analyze_s=analyzed, notes=len(analysis.note_ids),
          vectors_sum=float(abs(analysis.vectors).sum()), topics=int(kept["cluster"].nunique()),
          outliers=int((clusters["cluster"] < 0).sum()), names=names)
    if umap:
        wb.explorer.layout_thread.join()
        if wb.explorer.layout_name == "UMAP":
            _emit(umap_map_s=time.perf_counter() - start)
    wb.wait()
    _emit(links_and_plan_s=time.perf_counter() - start, links=wb.explorer.total_links)


def _bertopic(corpus, umap: bool) -> None:
    import numpy as np
    from bertopic import BERTopic
    from threadpoolctl import threadpool_limits

    from workbench.analysis.core import _embed, _statements
    from workbench.analysis.neighbours import EXACT_LIMIT
    from workbench.embed import EmbeddingCache, get_embedder

    docs = [n.text for n in corpus.notes]
    with threadpool_limits(limits=1 if len(docs) < EXACT_LIMIT else None):  # as `analyze` computes them
        statements = _statements(corpus.sessions, None)
        vectors, _ = _embed(get_embedder("tfidf"), EmbeddingCache(), docs, [s.text for s in statements], None)
    vectors = np.asarray(vectors)
    _emit(notes=len(docs), vectors_sum=float(abs(vectors).sum()))
    start = time.perf_counter()
    model = BERTopic(embedding_model=None)
    topics, _ = model.fit_transform(docs, embeddings=vectors)
    fit = time.perf_counter() - start
    info = model.get_topic_info()
    named = info[info["Topic"] >= 0].sort_values("Count", ascending=False)
    _emit(fit_s=fit, topics=int((info["Topic"] >= 0).sum()), outliers=int(sum(1 for t in topics if t < 0)),
          names=[str(n) for n in named["Name"].head(NAMES_SHOWN)])
    if umap:
        model.visualize_documents(docs, embeddings=vectors)
        _emit(fit_map_s=time.perf_counter() - start)


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    os.environ.setdefault("TQDM_DISABLE", "1")
    (_ours if sys.argv[2] == "ours" else _bertopic)(_corpus(sys.argv[3]), sys.argv[4] == "umap")
