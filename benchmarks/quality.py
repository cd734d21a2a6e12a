"""Quality: per-phase precision and recall on the labelled sample data (`workbench.evaluate.score`)
for each engine × embedder available, beside two naive baselines expressed as Plans; and on PAWS,
calling a pair "duplicate" by a plain cosine bar versus the structural check."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import numpy as np

from workbench.analysis import analyze, default_bars
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Operation, Plan, Result, Target, apply_operations
from workbench.embed import embed_texts, get_embedder, minilm_available
from workbench.evaluate import load_labels, score
from workbench.focus import Focus
from workbench.io import load_corpus
from workbench.records import Corpus
from workbench.review import AUTO_BAR

from . import DATA, DATASETS, SAMPLE, Section, sample_paths
from .calibration import paws_rows, paws_verdicts

ROWS = (("duplicates", "precision"), ("duplicates", "recall"), ("conflicts", "precision"), ("conflicts", "recall"),
        ("stale", "precision"), ("stale", "recall"), ("low_value", "recall"), ("prune", "precision"),
        ("prune", "recall"), ("keep", "kept"), ("insights", "precision"), ("insights", "recall"))


@cache
def sample_analysis(dataset: str, embedder: str = "tfidf"):
    """(corpus, analysis) of a sample dataset, computed once per run (shared with `tokens`)."""
    store, sessions = sample_paths(dataset)
    corpus = load_corpus(store, sessions)
    return corpus, analyze(corpus, embedder)


def _plan(corpus: Corpus, name: str, ops: list[Operation]) -> Plan:
    return Plan(engine=name, engine_version="baseline", focus=Focus(), inputs={"notes": len(corpus.notes)},
                operations=ops, output_store=apply_operations(corpus.store, ops, at=corpus.as_of),
                input_store=corpus.store)


def exact_dedup(corpus: Corpus) -> Plan:
    """Baseline (a): merge byte-identical notes into the first one, nothing else."""
    groups: dict[str, list] = {}
    for note in corpus.notes:
        groups.setdefault(note.text, []).append(note)
    ops = [Operation(kind="merge", reason="duplicate", targets=tuple(Target(n.id, n.path, n.text) for n in group),
                     result=Result(group[0].path, group[0].text, note_id=group[0].id),
                     rationale="byte-identical text", confidence=1.0)
           for group in groups.values() if len(group) > 1]
    return _plan(corpus, "exact-dedup", ops)


def delete_old(corpus: Corpus, horizon_days: int) -> Plan:
    """Baseline (b): delete every note last written before the horizon."""
    cutoff = corpus.as_of - timedelta(days=horizon_days)
    ops = [Operation(kind="delete", reason="stale", targets=(Target(n.id, n.path, n.text),), result=None,
                     rationale=f"older than {horizon_days} days", confidence=1.0)
           for n in corpus.notes if n.updated_at < cutoff]
    return _plan(corpus, f"delete-older-than-{horizon_days}d", ops)


def _value(s: dict, phase: str, metric: str) -> str:
    v = s.get(phase, {}).get(metric)
    return "–" if v is None else f"{v:.2f}"


def sample_tables(sec: Section) -> None:
    labels_path = SAMPLE / "labels.json"
    embedders = ["tfidf"] + (["minilm"] if minilm_available() else [])
    if not minilm_available():
        sec.lines.append("`minilm` is not installed here (`minilm_available()` is False): only `tfidf` is scored.")
    sec.lines.append("The `claude` engine is not scored here: against the fake server its verdicts are whatever "
                     "the stand-in responder says; it is measured for token cost in the Tokens section.")
    for dataset in DATASETS:
        labels = load_labels(labels_path, dataset)
        scored = {}
        for name in embedders:
            corpus, analysis = sample_analysis(dataset, name)
            scored[f"offline + {name}"] = score(dream_offline(corpus, Focus(), analysis=analysis), labels)
        horizon = Focus().horizon_days
        scored["exact dedup (baseline)"] = score(exact_dedup(corpus), labels)
        scored[f"delete > {horizon} d old (baseline)"] = score(delete_old(corpus, horizon), labels)
        names = list(scored)
        rows = [[f"{phase} {metric}", *[_value(scored[n], phase, metric) for n in names]] for phase, metric in ROWS]
        rows.append(["contradictions (count)", *[str(len(scored[n]["contradictions"])) for n in names]])
        sec.table([f"{dataset}", *names], rows)
        off, dedup, old = scored[names[0]], scored[names[-2]], scored[names[-1]]
        sec.lines.append(
            f"{dataset}: offline duplicates P/R {_value(off, 'duplicates', 'precision')}/"
            f"{_value(off, 'duplicates', 'recall')} vs exact dedup {_value(dedup, 'duplicates', 'precision')}/"
            f"{_value(dedup, 'duplicates', 'recall')}; offline keeps {_value(off, 'keep', 'kept')} of keep-notes vs "
            f"{_value(old, 'keep', 'kept')} for delete-by-age, whose prune recall is {_value(old, 'prune', 'recall')} "
            f"(offline {_value(off, 'prune', 'recall')}).")


def _prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float, int]:
    tp = int((pred & gold).sum())
    p = tp / max(1, int(pred.sum()))
    r = tp / max(1, int(gold.sum()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), int((pred & ~gold).sum())


def paws(sec: Section, quick: bool) -> None:
    if not (DATA / "paws_wiki_labeled_final_dev.tsv").exists():
        sec.lines.append(f"PAWS skipped: {DATA / 'paws_wiki_labeled_final_dev.tsv'} is absent.")
        return
    limit = 1000 if quick else None
    rows = paws_rows(limit)
    labels, judged = paws_verdicts(limit)
    gold = np.array(labels)
    none = ("", 0.0, "", True, False)
    proposed = np.array([judged.get(i, none)[2] == "merge" and not judged.get(i, none)[3] for i in range(len(rows))])
    auto = proposed & np.array([judged.get(i, none)[1] >= AUTO_BAR for i in range(len(rows))])
    asked = proposed | np.array([judged.get(i, none)[4] for i in range(len(rows))])
    texts = [t for a, b, _ in rows for t in (a, b)]
    vectors = embed_texts(texts, get_embedder("tfidf"))
    cos = np.einsum("ij,ij->i", vectors[0::2], vectors[1::2])
    bar = default_bars("tfidf")["duplicate"]
    table = []
    for label, pred in ((f"cosine ≥ {bar:.2f} (a plain similarity bar)", cos >= bar),
                        ("the rules propose a merge (any confidence)", proposed),
                        ("a merge, or a question to a judge (every reading left open)", asked),
                        (f"the rules merge automatically (confidence ≥ {AUTO_BAR})", auto)):
        p, r, f1, false = _prf(pred, gold)
        table.append([label, f"{p:.3f}", f"{r:.3f}", int(pred.sum()), false,
                      f"{100 * false / max(1, int((~gold).sum())):.2f} %"])
    sec.table([f"PAWS dev, {len(rows):,} pairs ({gold.mean():.0%} paraphrases)", "precision", "recall (paraphrases merged)",
               "merges", "false merges", "non-paraphrases merged"], table)
    share = 100 * _prf(proposed, gold)[3] / max(1, int((~gold).sum()))
    sec.target("PAWS non-paraphrases merged by operations (any confidence)", share, 0.5, "%")
    found = 100 * _prf(asked, gold)[1]
    sec.target("PAWS paraphrases found (operations + questions)", found, 50.0, "%", at_least=True)
    sec.lines.append(f"PAWS: a plain cosine bar merges {table[0][4]} non-paraphrases; the rules propose "
                     f"{table[1][3]} merges of which {table[1][4]} join non-paraphrases ({share:.2f} % of them), "
                     f"and merge {table[1][2]} of the paraphrases.")


def run(quick: bool) -> Section:
    sec = Section("quality", "Quality", (
        "Sample data (`sample-data/labels.json`): the offline engine under the default Focus, scored per phase "
        "with `workbench.evaluate.score`, beside two naive baselines built as Plans so the same scorer applies: "
        "(a) merge byte-identical notes only, (b) delete every note last written before the default horizon. "
        "PAWS: each pair as two notes of one document through the whole pipeline (candidates, the rules' "
        f"verdicts), beside a plain cosine bar{'; first 1,000 pairs (quick)' if quick else ''}."))
    sample_tables(sec)
    paws(sec, quick)
    return sec
