"""Evaluation: which questions the memory could answer before a dream and cannot after.

LoCoMo (all 10 conversations): each conversation's observations are the store, its QA items of
categories 1-4 the probes; the offline engine dreams and every operation is approved. The sample
data: probes generated from each store, the offline plan, and a planted wrong merge that the
report must name. Every regression's attribution is checked: omitting the attributed operations
must answer every regressed probe again."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from workbench.analysis import analyze
from workbench.answers import F1_THRESHOLD
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Operation, Plan, Result, Target
from workbench.evaluate import TOKEN_METHOD, Evaluator, Report, restored
from workbench.focus import Focus
from workbench.io import load_corpus, load_sessions, load_store
from workbench.probes import contains_answer, locomo_probes
from workbench.records import Corpus, Store

from . import DATA, DATASETS, Section, judged, pct, sample_paths
from .damage import check, plant

K = 5
TARGET_S = 30.0
WATCHED_TARGET = 0.60  # of LoCoMo QA (categories 1-4) watched before any dream
FLAGGED_TARGET = 0.95  # of the damaged answered probes flagged by planted damage
DAMAGE_N = 10  # deletions, wrong values and harmless merges per conversation
MATCHES = Path(__file__).resolve().parents[1] / "tests" / "data" / "answer_matches.jsonl"
THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0)


def exact(evaluator: Evaluator, plan: Plan, report: Report) -> bool:
    """Applying every operation except the attributed ones restores every regressed probe (both nets)."""
    union = {i for r in report.regressions for i in r.broken_by}
    _, view = evaluator.after([op for op in plan.operations if op.id not in union])
    rows = [i for i, r in enumerate(report.results) if r.regression]
    return all(restored(evaluator.before[i], a) for i, a in zip(rows, evaluator.answer(view, rows)))


def old_rule(evaluator: Evaluator) -> int:
    """Probes the rule before issue 24 counted: an evidence-backed top-k note containing every answer word."""
    view = evaluator.before_view
    rows = list(range(len(evaluator.probes)))
    count = 0
    for row, hits in zip(rows, evaluator.top(view, rows) if rows else []):
        probe = evaluator.probes[row]
        backed = [view.notes[j] for j in hits if set(view.notes[j].evidence) & set(probe.evidence)]
        count += any(contains_answer(n.text, probe.answers) for n in backed)
    return count


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
            "old_rule": old_rule(evaluator), "dream_s": t1 - t0, "eval_s": t2 - t1,
            "operations": len(plan.operations), "corpus": corpus, "analysis": analysis}


def locomo(sec: Section, quick: bool) -> list[dict]:
    """Every conversation dreamt offline and evaluated; returns the per-conversation results."""
    path = DATA / "locomo10.json"
    if not path.exists():
        sec.lines.append(f"LoCoMo skipped: {path} is absent (public data is read from ../shared/data, never copied).")
        print(f"[evaluation] LoCoMo skipped: {path} is absent")
        return []
    t0 = time.perf_counter()
    store, sessions, probes = load_store(path), load_sessions(path), locomo_probes(path)
    load_s = time.perf_counter() - t0
    samples = list(dict.fromkeys(p.id.split("/")[0] for p in probes))[: 2 if quick else None]
    results = [locomo_sample(s, store, sessions, probes) for s in samples]
    rows, total, rules = [], Counter(), Counter()
    for r in results:
        rep, d = r["report"], r["report"].to_dict()
        cells = {"probes": len(rep.results), "old_rule": r["old_rule"], "answered_before": d["before"]["answered"],
                 "answered_after": d["after"]["answered"], "retrieved_before": d["before"]["retrieved"],
                 "retrieved_after": d["after"]["retrieved"], "watched_before": d["before"]["watched"],
                 "answer_regressions": len(rep.answer_regressions),
                 "retrieval_regressions": len(rep.retrieval_regressions), "regressions": len(rep.regressions),
                 "gains": len(rep.gains), "tokens_before": rep.tokens[0], "tokens_after": rep.tokens[1],
                 "operations": r["operations"]}
        total.update(cells)
        rules.update(d["before"]["matched_by"])
        rows.append(_locomo_row(r["sample"], cells, causes(rep), r["eval_s"]))
    eval_s = sum(r["eval_s"] for r in results)
    rows.append(_locomo_row("all", total, sum((causes(r["report"]) for r in results), Counter()), eval_s))
    sec.table(["LoCoMo sample", "operations", "probes", "old rule", "answered (before → after)",
               "evidence retrieved", "watched before", "regressions (answer / retrieval)", "gains",
               "regressions caused by", "tokens", "evaluation s"], rows)
    n = max(1, total["probes"])
    watched = total["watched_before"] / n
    sec.target(f"LoCoMo QA watched before any dream (a net holds), {len(results)} conversations", watched * 100,
               WATCHED_TARGET * 100, "%", at_least=True, digits=1)
    met = sec.target(f"LoCoMo, {len(results)} conversations: evaluation time", eval_s, TARGET_S, "s", digits=1)
    why = Counter(r.why for res in results for r in res["report"].regressions)
    all_exact = all(r["exact"] for r in results)
    attributed = sum(1 for res in results for r in res["report"].regressions if r.broken_by)
    sec.lines += [
        f"{total['probes']:,} LoCoMo questions (categories 1-4) on {len(results)} conversations, top {K} notes. "
        f"Before any dream the old rule (an evidence-backed note containing every answer word) counted "
        f"{total['old_rule']} ({pct(total['old_rule'] / n)}); the answer net holds {total['answered_before']} "
        f"({pct(total['answered_before'] / n)}: {', '.join(f'{v} {k}' for k, v in rules.most_common())}; "
        f"token F1 ≥ {F1_THRESHOLD:g}), the retrieval net {total['retrieved_before']} "
        f"({pct(total['retrieved_before'] / n)}), and at least one of them {total['watched_before']} "
        f"({pct(watched)}): that many questions would be reported if a dream took their answer or evidence away.",
        f"After every operation of the offline dream is approved: answered {total['answered_after']}, "
        f"retrieved {total['retrieved_after']}; {total['answer_regressions']} answer and "
        f"{total['retrieval_regressions']} retrieval regressions "
        f"({', '.join(f'{v} {k}' for k, v in why.most_common()) or 'none'}), {attributed} attributed to operations; "
        f"omitting the attributed operations restores all of them: {'yes' if all_exact else 'NO'}.",
        f"Evaluation of all {len(results)} conversations took {eval_s:.1f} s ({judged(met, 'within', 'over')} "
        f"the {TARGET_S:g} s target); loading LoCoMo took {load_s:.1f} s and analysis plus the offline dream "
        f"{sum(r['dream_s'] for r in results):.1f} s more. Tokens: {TOKEN_METHOD}.",
    ]
    return results


def _locomo_row(name: str, cells: Counter | dict, caused: Counter, seconds: float) -> list:
    return [name, cells["operations"], cells["probes"], cells["old_rule"],
            f"{cells['answered_before']} → {cells['answered_after']}",
            f"{cells['retrieved_before']} → {cells['retrieved_after']}", cells["watched_before"],
            f"{cells['answer_regressions']} / {cells['retrieval_regressions']}", cells["gains"],
            ", ".join(f"{n} {c}" for c, n in caused.most_common()) or "–",
            f"{cells['tokens_before']:,} → {cells['tokens_after']:,}", f"{seconds:.2f}"]


def planted_damage(sec: Section, results: list[dict], quick: bool) -> None:
    """Per conversation: N deletions, N wrong values and N harmless merges of copies; what the report flags."""
    if not results:
        return
    rows, total, on_harmless, all_exact = [], Counter(), [], True
    for r in results[: 1 if quick else None]:
        probes = r["report"].results
        base = Evaluator(r["analysis"], [x.probe for x in probes], k=K)
        damage = plant(base, DAMAGE_N, seed=24)
        t0 = time.perf_counter()
        evaluator = Evaluator(analyze(Corpus(damage.store), "tfidf"), base.probes, k=K)
        report = evaluator.report(damage.plan)
        seconds = time.perf_counter() - t0
        found = check(evaluator, damage, report)
        total.update({k: found[k] for k in ("damaged", "flagged", "extra", "operations")})
        total.update(deleted=len(damage.deleted), rewritten=len(damage.rewritten), harmless=len(damage.harmless))
        on_harmless += found["on_harmless"]
        all_exact &= found["exact"]
        rows.append([r["sample"], len(damage.deleted), len(damage.rewritten), len(damage.harmless), found["damaged"],
                     found["flagged"], found["extra"], len(found["on_harmless"]), "yes" if found["exact"] else "NO",
                     f"{seconds:.2f}"])
    share = total["flagged"] / total["damaged"] if total["damaged"] else None
    rows.append(["all", total["deleted"], total["rewritten"], total["harmless"], total["damaged"], total["flagged"],
                 total["extra"], len(on_harmless), "yes" if all_exact else "NO", ""])
    sec.table(["planted damage", "deleted", "wrong values", "harmless merges", "damaged answered probes", "flagged",
               "other regressions", "blamed on a harmless merge", "exact", "evaluation s"], rows)
    sec.target("planted damage: damaged answered probes flagged", None if share is None else share * 100,
               FLAGGED_TARGET * 100, "%", at_least=True, digits=1)
    sec.target("planted damage: regressions blamed on a harmless operation", len(on_harmless), 0, "", digits=0)
    sec.lines.append(
        f"Planted damage on {len(rows) - 1} conversation(s): {DAMAGE_N} random notes holding a watched answer "
        f"deleted, up to {DAMAGE_N} others rewritten with a wrong value (a number changed, a month moved, a name "
        f"swapped), and {DAMAGE_N} exact copies (added first) merged into their originals. A probe is *damaged* when "
        f"every top-k note holding its answer was deleted or lost the answer; {total['flagged']} of "
        f"{total['damaged']} damaged probes were flagged ({pct(share) if share is not None else '–'}), "
        f"{len(on_harmless)} regressions were blamed on a harmless merge, and leaving out the blamed operations "
        f"restores every flagged probe: {'yes' if all_exact else 'NO'}. *Other regressions*: flagged probes not "
        "counted as damaged (evidence deleted while a copy of the answer survives elsewhere, or pushed out of the "
        "top k).")


def threshold(sec: Section) -> float | None:
    """The token-F1 threshold measured on the hand-labelled sample: the highest with the best accuracy."""
    from workbench.answers import held

    rows = [json.loads(line) for line in MATCHES.read_text(encoding="utf-8").splitlines() if line.strip()]
    table, best = [], (-1.0, None)
    for t in THRESHOLDS:
        said = [bool(held((r["answer"],), [(r["note"], _day(r["written"]))], threshold=t)) for r in rows]
        tp = sum(s and r["match"] for s, r in zip(said, rows))
        fp = sum(s and not r["match"] for s, r in zip(said, rows))
        fn = sum(r["match"] and not s for s, r in zip(said, rows))
        accuracy = sum(s == r["match"] for s, r in zip(said, rows)) / len(rows)
        best = max(best, (accuracy, t))
        table.append([f"{t:g}", f"{accuracy:.3f}", f"{tp / max(1, tp + fp):.3f}", f"{tp / max(1, tp + fn):.3f}",
                      tp, fp, fn])
    sec.table(["token F1 threshold", "accuracy", "precision", "recall", "right matches", "wrong matches",
               "missed"], table)
    sec.lines.append(
        f"Answer matching on {len(rows)} hand-labelled (answer, note, matches?) pairs ({MATCHES.name}; "
        f"{sum(r['match'] for r in rows)} match): the highest threshold with the best accuracy ({best[0]:.3f}) is "
        f"token F1 ≥ {best[1]:g}; the workbench uses {F1_THRESHOLD:g}.")
    return best[1]


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


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
        f"Retrieval with the analysis's embedder (`tfidf`), top {K} notes. Two nets: a probe is *answered* when the "
        "top k holds an acceptable answer (exact words, numbers normalized, dates read against when each note was "
        f"written, or LoCoMo token F1 ≥ {F1_THRESHOLD:g}), and *retrieved* when a top-k note is backed by its "
        "evidence (a note it descends from, or a provenance turn); *watched* when either holds. Regressions of "
        "either net are attributed by leaving operations out (1-minimal per probe, widened until leaving out their "
        "union restores every regressed probe)"
        f"{'; quick: 2 LoCoMo conversations, one planted-damage conversation, one sample dataset' if quick else ''}."),
        quick=quick)
    threshold(sec)
    results = locomo(sec, quick)
    planted_damage(sec, results, quick)
    sample(sec, quick)
    return sec
