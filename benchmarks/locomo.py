"""LoCoMo: dream over each conversation (its observations as the store, its sessions), then ask
how much smaller the store got, how much QA evidence is still backed by a kept note, and whether
retrieval of that evidence (recall@5 over the store's notes) survived the dream."""

from __future__ import annotations

from collections import Counter

import numpy as np

from workbench.analysis import analyze
from workbench.dream.offline import dream_offline
from workbench.focus import Focus
from workbench.io import load_sessions, load_store
from workbench.io.locomo import locomo_qa
from workbench.records import Corpus, Store

from . import DATA, Section, pct

K = 5


def recall_at_k(queries: np.ndarray, vectors: np.ndarray, evidence: list[tuple[str, ...]],
                wanted: list[set[str]]) -> int:
    """Questions whose top-K notes include one whose evidence names one of the question's turns."""
    if len(vectors) == 0:
        return 0
    top = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :K]
    return sum(1 for row, want in zip(top, wanted, strict=True) if any(want & set(evidence[j]) for j in row))


def one_sample(sample_id: str, store: Store, sessions: tuple, qa: list[dict]) -> dict:
    memories = tuple(m for m in store.memories if m.path.startswith(f"/{sample_id}/"))
    mine = tuple(s for s in sessions if s.meta.get("sample_id") == sample_id)
    corpus = Corpus(Store(memories, id=sample_id, name=sample_id), mine)
    analysis = analyze(corpus, "tfidf")
    plan = dream_offline(corpus, Focus(), analysis=analysis)
    before, after = list(corpus.notes), list(plan.output_store.notes)
    questions = [q for q in qa if q["sample_id"] == sample_id and q["evidence"]]
    wanted = [set(q["evidence"]) for q in questions]
    turns = set().union(*wanted) if wanted else set()
    backed_before = turns & {t for n in before for t in n.evidence}
    backed_after = turns & {t for n in after for t in n.evidence}
    lost_by = Counter()  # the operation that removed the notes carrying a lost evidence turn
    op_of = {t.id: f"{op.kind}/{op.reason}" for op in plan.operations for t in op.targets}
    for turn in backed_before - backed_after:
        lost_by.update({op_of.get(n.id, "?") for n in before if turn in n.evidence})
    queries = analysis.embed([q["question"] for q in questions])
    after_vectors = analysis.embed([n.text for n in after]) if after else np.zeros((0, queries.shape[1]))
    speaker = lambda path: path.rsplit("/", 1)[-1].rsplit(".", 1)[0]  # noqa: E731
    turn_of = corpus.turn_by_id
    across = 0
    for op in plan.operations:
        if op.kind not in ("merge", "update"):
            continue
        who = {speaker(t.path) for t in op.targets}
        who |= {turn_of[e.turn_id].meta.get("speaker", "") for e in op.evidence if e.turn_id in turn_of}
        across += len(who - {""}) > 1
    merges = [(sample_id, op.rule, op.confidence, [t.text for t in op.targets]) for op in plan.operations
              if op.kind == "merge"]
    return {
        "sample": sample_id, "sessions": len(mine), "notes_in": len(before), "notes_out": len(after),
        "across": across, "merges": merges,
        "ops": plan.summary()["by_kind"], "evidence": len(turns), "backed_before": len(backed_before),
        "backed_after": len(backed_after), "questions": len(questions), "lost_by": lost_by,
        "hit_before": recall_at_k(queries, analysis.vectors, [n.evidence for n in before], wanted),
        "hit_after": recall_at_k(queries, after_vectors, [n.evidence for n in after], wanted),
    }


def run(quick: bool) -> Section:
    path = DATA / "locomo10.json"
    sec = Section("locomo", "LoCoMo", (
        "Per conversation sample: a store of that sample's per-session observations (`load_store(locomo10.json)`) "
        "and that sample's sessions, analysed with `tfidf` and dreamt by the offline engine under the default Focus. "
        "*Evidence backed*: QA evidence turn ids named in the `evidence` provenance of some note, before and after "
        f"(the output store's notes, `meta.provenance`). *Recall@{K}*: each question with evidence is embedded with "
        f"the analysis's embedder; a hit when one of the top {K} notes by cosine has one of its evidence turns"
        f"{'; first 2 samples (quick)' if quick else ''}."))
    if not path.exists():
        sec.skipped = f"{path} is absent (public data is read from ../shared/data, never copied into the repo)."
        print(f"[locomo] skipped: {sec.skipped}")
        return sec
    store, sessions, qa = load_store(path), load_sessions(path), locomo_qa(path)
    samples = list(dict.fromkeys(q["sample_id"] for q in qa))  # file order
    samples = samples[:2] if quick else samples
    results = [one_sample(sample, store, sessions, qa) for sample in samples]
    total = {k: sum(r[k] for r in results) for k in ("sessions", "notes_in", "notes_out", "evidence",
                                                     "backed_before", "backed_after", "questions",
                                                     "hit_before", "hit_after", "across")}
    rows = []
    for r in [*results, {"sample": "all", "ops": {}, **total}]:
        ops = ", ".join(f"{v} {k}" for k, v in sorted(r["ops"].items())) or ("–" if r["sample"] != "all" else "")
        rows.append([r["sample"], r["sessions"], r["notes_in"], r["notes_out"],
                     pct(1 - r["notes_out"] / max(1, r["notes_in"])), ops,
                     f"{pct(r['backed_before'] / max(1, r['evidence']))} → {pct(r['backed_after'] / max(1, r['evidence']))}",
                     r["questions"], pct(r["hit_before"] / max(1, r["questions"])),
                     pct(r["hit_after"] / max(1, r["questions"]))])
    sec.table(["sample", "sessions", "notes in", "notes out", "smaller by", "operations",
               "QA evidence backed (before → after)", "questions", f"recall@{K} before", f"recall@{K} after"], rows)
    kept = total["backed_after"] / max(1, total["backed_before"])
    shrink = 1 - total["notes_out"] / max(1, total["notes_in"])
    r_before, r_after = total["hit_before"] / max(1, total["questions"]), total["hit_after"] / max(1, total["questions"])
    verdict = ("keeps recall" if r_after >= r_before - 0.01 else f"loses {100 * (r_before - r_after):.1f} points of recall")
    sec.lines.append(f"The dream shrinks the stores by {pct(shrink)} and keeps {pct(kept)} of the evidence that was "
                     f"backed before; recall@{K} {pct(r_before)} → {pct(r_after)}: it {verdict}.")
    sec.target("merges and updates across speakers (every operation approved)", total["across"], 0, "", digits=0)
    sec.target("QA evidence still backed", 100 * kept, 99.0, "%", at_least=True, digits=1)
    sec.target("recall@5 after minus before", 100 * (r_after - r_before), 0.0, "points", at_least=True, digits=1)
    merges = [m for r in results for m in r["merges"]]
    by_rule = Counter(rule for _, rule, _, _ in merges)
    sec.lines.append(f"{len(merges)} merges (" + ", ".join(f"{v} {k}" for k, v in sorted(by_rule.items())) + "); "
                     f"{total['across']} merges or updates join two speakers.")
    lost = sum((r["lost_by"] for r in results), Counter())
    if lost:
        sec.lines.append("Evidence turns no longer backed, by the operation that removed their notes: "
                         + ", ".join(f"{k} {v}" for k, v in lost.most_common()) + ".")
    return sec
