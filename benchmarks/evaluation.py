"""Evaluation: which questions the memory could answer before a dream and cannot after.

LoCoMo (all 10 conversations): each conversation's observations are the store, its QA items of
categories 1-4 the probes; the offline engine dreams and every operation is approved. The sample
data: probes generated from each store, the offline plan, and a planted wrong merge that the
report must name. Every regression's attribution is checked: omitting the attributed operations
must answer every regressed probe again."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

from workbench.analysis import analyze
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Operation, Plan, Result, Target
from workbench.evaluate import TOKEN_METHOD, Evaluator, Report
from workbench.focus import Focus
from workbench.io import load_corpus, load_sessions, load_store
from workbench.probes import locomo_probes
from workbench.records import Corpus, Store

from . import DATA, DATASETS, Section, judged, pct, sample_paths

K = 5
TARGET_S = 30.0


def exact(evaluator: Evaluator, plan: Plan, report: Report) -> bool:
    """Applying every operation except the attributed ones answers every regressed probe again."""
    union = {i for r in report.regressions for i in r.broken_by}
    _, view = evaluator.after([op for op in plan.operations if op.id not in union])
    again = evaluator.answer(view, [i for i, r in enumerate(report.results) if r.regression])
    return all(a.answered for a in again)


def causes(report: Report) -> Counter:
    """Regressions by the kind/reason of the operations that caused them."""
    return Counter(f"{report.operations[i].kind}/{report.operations[i].reason}"
                   for r in report.regressions for i in r.broken_by)


def locomo_sample(sample_id: str, store: Store, sessions: tuple, probes: list) -> dict:
    corpus = Corpus(Store(tuple(m for m in store.memories if m.path.startswith(f"/{sample_id}/")),
                          id=sample_id, name=sample_id),
                    tuple(s for s in sessions if s.meta.get("sample_id") == sample_id))
    t0 = time.perf_counter()
    analysis = analyze(corpus, "tfidf")
    plan = dream_offline(corpus, Focus(), analysis=analysis)
    t1 = time.perf_counter()
    evaluator = Evaluator(analysis, [p for p in probes if p.id.startswith(f"{sample_id}/")], k=K)
    report = evaluator.report(plan)
    t2 = time.perf_counter()
    return {"sample": sample_id, "report": report, "exact": exact(evaluator, plan, report),
            "dream_s": t1 - t0, "eval_s": t2 - t1, "operations": len(plan.operations)}


def locomo(sec: Section, quick: bool) -> None:
    path = DATA / "locomo10.json"
    if not path.exists():
        sec.lines.append(f"LoCoMo skipped: {path} is absent (public data is read from ../shared/data, never copied).")
        print(f"[evaluation] LoCoMo skipped: {path} is absent")
        return
    t0 = time.perf_counter()
    store, sessions, probes = load_store(path), load_sessions(path), locomo_probes(path)
    load_s = time.perf_counter() - t0
    samples = list(dict.fromkeys(p.id.split("/")[0] for p in probes))[: 2 if quick else None]
    results = [locomo_sample(s, store, sessions, probes) for s in samples]
    rows, total = [], Counter()
    for r in results:
        rep, d = r["report"], r["report"].to_dict()
        cells = {"probes": len(rep.results), "answered_before": d["before"]["answered"],
                 "answered_after": d["after"]["answered"], "retrieved_before": d["before"]["retrieved"],
                 "retrieved_after": d["after"]["retrieved"], "regressions": len(rep.regressions),
                 "gains": len(rep.gains), "tokens_before": rep.tokens[0], "tokens_after": rep.tokens[1],
                 "operations": r["operations"]}
        total.update(cells)
        rows.append([r["sample"], cells["operations"], cells["probes"],
                     f"{cells['answered_before']} → {cells['answered_after']}",
                     f"{cells['retrieved_before']} → {cells['retrieved_after']}", cells["regressions"], cells["gains"],
                     ", ".join(f"{n} {c}" for c, n in causes(rep).most_common()) or "–",
                     f"{rep.tokens[0]:,} → {rep.tokens[1]:,}", f"{r['eval_s']:.2f}"])
    eval_s = sum(r["eval_s"] for r in results)
    rows.append(["all", total["operations"], total["probes"], f"{total['answered_before']} → {total['answered_after']}",
                 f"{total['retrieved_before']} → {total['retrieved_after']}", total["regressions"], total["gains"],
                 ", ".join(f"{n} {c}" for c, n in sum((causes(r["report"]) for r in results), Counter()).most_common()),
                 f"{total['tokens_before']:,} → {total['tokens_after']:,}", f"{eval_s:.2f}"])
    sec.table(["LoCoMo sample", "operations", "probes", "answered (before → after)", "evidence retrieved",
               "regressions", "gains", "regressions caused by", "tokens", "evaluation s"], rows)
    met = sec.target(f"LoCoMo, {len(results)} conversations: evaluation time", eval_s, TARGET_S, "s", digits=1)
    why = Counter(r.why for res in results for r in res["report"].regressions)
    all_exact = all(r["exact"] for r in results)
    attributed = sum(1 for res in results for r in res["report"].regressions if r.broken_by)
    n = max(1, total["probes"])
    sec.lines += [
        f"{total['probes']:,} LoCoMo questions (categories 1-4) on {len(results)} conversations, top {K} notes: "
        f"answered {total['answered_before']} ({pct(total['answered_before'] / n)}) before and "
        f"{total['answered_after']} ({pct(total['answered_after'] / n)}) after every operation is approved; "
        f"evidence retrieved {pct(total['retrieved_before'] / n)} → {pct(total['retrieved_after'] / n)}. "
        "*Answered* needs a retrieved note backed by the question's evidence turns that also contains the answer "
        "(normalized words); most LoCoMo answers are worded otherwise than the observations, hence the gap to "
        "*retrieved*.",
        f"{total['regressions']} regressions ({', '.join(f'{v} {k}' for k, v in why.most_common()) or 'none'}), "
        f"{attributed} attributed to operations; omitting the attributed operations answers all of them again: "
        f"{'yes' if all_exact else 'NO'}.",
        f"Evaluation of all {len(results)} conversations took {eval_s:.1f} s ({judged(met, 'within', 'over')} "
        f"the {TARGET_S:g} s target); loading LoCoMo took {load_s:.1f} s and analysis plus the offline dream "
        f"{sum(r['dream_s'] for r in results):.1f} s more. Tokens: {TOKEN_METHOD}.",
    ]


def planted_merge(corpus: Corpus, plan: Plan, evaluator: Evaluator) -> tuple[Plan, Operation] | None:
    """A wrong merge of two untouched notes that state different values (the second one's is lost)."""
    used = {t.id for op in plan.operations for t in op.targets}
    free = [p for p in evaluator.probes if p.evidence[0] not in used]
    notes = corpus.note_by_id
    for a in free:
        for b in free:
            keep, lose = notes[a.evidence[0]], notes[b.evidence[0]]
            if keep.path != lose.path and b.answers[0].lower() not in keep.text.lower():
                op = Operation("merge", "duplicate", (Target(keep.id, keep.path, keep.text),
                                                      Target(lose.id, lose.path, lose.text)),
                               Result(keep.path, keep.text, note_id=keep.id), "planted wrong merge", confidence=0.99)
                return replace(plan, operations=[*plan.operations, op]), op
    return None


def sample(sec: Section, quick: bool) -> None:
    rows = []
    for dataset in DATASETS[:1] if quick else DATASETS:
        store, sessions = sample_paths(dataset)
        corpus = load_corpus(store, sessions)
        analysis = analyze(corpus, "tfidf")
        plan = dream_offline(corpus, Focus(), analysis=analysis)
        t0 = time.perf_counter()
        evaluator = Evaluator(analysis, k=K)
        report = evaluator.report(plan)
        seconds = time.perf_counter() - t0
        attributed = sum(1 for r in report.regressions if r.broken_by)
        planted = planted_merge(corpus, plan, evaluator)
        named = "–"
        if planted is not None:
            wrong_plan, op = planted
            named = "yes" if op.id in evaluator.report(wrong_plan).breaks else "NO"
        before, after = report.answered
        rows.append([dataset, len(corpus.notes), len(evaluator.probes), f"{before} → {after}", len(report.regressions),
                     f"{attributed} of {len(report.regressions)}", "yes" if exact(evaluator, plan, report) else "NO",
                     ", ".join(f"{n} {c}" for c, n in causes(report).most_common()) or "–",
                     f"{report.tokens[0]:,} → {report.tokens[1]:,}", named, f"{seconds:.2f}"])
    sec.table(["sample data", "notes", "generated probes", "answered (before → after)", "regressions", "attributed",
               "exact", "regressions caused by", "tokens", "planted wrong merge named", "evaluation s"], rows)
    sec.lines.append(
        "Generated probes: one per note that states a value (the note with its value blanked is the question, the value "
        "the answer). They measure retention, not paraphrase retrieval: every deletion of a note with a value is a "
        "regression by design, and a conflict update that replaces an old value shows as *answer changed*.")


def run(quick: bool) -> Section:
    sec = Section("evaluation", "Evaluation: questions answered before and after a dream", (
        f"Retrieval with the analysis's embedder (`tfidf`), top {K} notes. A probe is answered when a retrieved note is "
        "backed by its evidence (a note it descends from, or a provenance turn) and contains an acceptable answer. "
        "Regressions are attributed by leaving operations out (1-minimal per probe, widened until leaving out their "
        f"union answers every regressed probe){'; quick: 2 LoCoMo conversations, one sample dataset' if quick else ''}."),
        quick=quick)
    locomo(sec, quick)
    sample(sec, quick)
    return sec
