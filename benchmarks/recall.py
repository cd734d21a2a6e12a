"""Recall on real memory: what a careful curator would act on, and how much of it a dream reaches.

A separate judge, blind to the rules, listed the obvious items of real Letta agents
(`benchmarks/labels/letta_*.jsonl`, written as `../shared/LABELLING.md` describes): duplicates,
superseded values and stale notes, plus look-alike pairs that must never be merged. Each store is
dreamt with the default focus, and an item counts as found when an operation — or a question of
the plan, within its budget — touches its notes the right way:

- duplicate: one merge (or a duplicate question) over two of its copies;
- superseded: the older note rewritten or removed while the newer value is kept;
- stale: the note removed or rewritten (or a stale question about it).

An operation is wrong when it merges or rewrites across a forbidden pair. Operations the labels say
nothing about are counted, not judged (`benchmarks/labels/README.md` says how they are judged).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from workbench.analysis import analyze
from workbench.dream.calibration import AUTO_BAR
from workbench.dream.offline import plan_from_analysis
from workbench.dream.plan import Plan
from workbench.focus import Focus
from workbench.io import load_corpus
from workbench.records import Corpus

from . import DATA, ROOT, Section, pct

LABELS = ROOT / "benchmarks" / "labels"
STORES = {"void": "letta_void_current_schema.af", "lettabot": "letta_lettabot_current_schema.af",
          "co-3": "letta_co-3_current_schema.af", "loop": "letta_loop_current_schema.af"}
CALIBRATION = {"data-team": "data-team", "claude-code": "claude-code", "support-agent": "support-agent.jsonl",
               "research-agent": "research-agent"}  # written blind to the rules (benchmarks/data/calibration/)
# Written blind to the rules after the rules' last change and never tuned on, nor read by calibration.py
# (benchmarks/data/heldout/): what recall is on stores the rules have not seen.
HELDOUT = {"home-assistant": "home-assistant.af", "sre-agent": "sre-agent", "sales-crm": "sales-crm", "tutor": "tutor.af",
           "oss-maintainer": "oss-maintainer", "clinic-desk": "clinic-desk.af",
           "bike-shop": "bike-shop", "grant-office": "grant-office.af"}
TARGET_FOUND = 0.80
TARGET_WRONG = 0.05


@dataclass
class Score:
    """How one plan meets one store's labelled items."""

    store: str
    notes: int
    operations: int
    questions: int
    questions_found: int
    found: Counter = field(default_factory=Counter)  # kind -> found by an operation
    asked: Counter = field(default_factory=Counter)  # kind -> found only by a question
    total: Counter = field(default_factory=Counter)  # kind -> labelled items
    wrong: list[str] = field(default_factory=list)  # operation ids that merge a forbidden pair
    wrong_auto: list[str] = field(default_factory=list)
    auto: int = 0
    missed: list[str] = field(default_factory=list)
    marks: Counter = field(default_factory=Counter)  # C / H / W of the operations a blind judge marked
    judged_wrong: list[str] = field(default_factory=list)
    judged_wrong_auto: list[str] = field(default_factory=list)
    unjudged: int = 0  # operations the judge never saw (the plan changed since)

    @property
    def recall(self) -> float:
        items = sum(self.total.values())
        return (sum(self.found.values()) + sum(self.asked.values())) / items if items else 1.0


def read_marks(store: str) -> dict[str, str]:
    """Operation id → C / H / W, as a separate judge marked the operations (`benchmarks/labels/ops/`)."""
    path = LABELS / "ops" / f"{store}.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["operation"]: row["mark"] for row in rows}


def read_items(store: str) -> list[dict]:
    path = LABELS / "calibration" / f"{store}.jsonl" if store in CALIBRATION else \
        LABELS / "heldout" / f"{store}.jsonl" if store in HELDOUT else LABELS / f"letta_{store}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def matching(corpus: Corpus, substring: str) -> set[str]:
    return {n.id for n in corpus.notes if substring in n.text}


def score(store: str, corpus: Corpus, plan: Plan, items: list[dict]) -> Score:
    """Found / total per kind, and the operations that merge a forbidden pair."""
    out = Score(store, len(corpus.notes), len(plan.operations), len(plan.questions), plan.questions_found)
    for item in items:
        groups = [matching(corpus, s) for s in item["notes"]]
        if item["kind"] == "forbidden_merge":
            a, b = groups if len(groups) == 2 else (groups[0], groups[0])
            for op in plan.operations:
                ids = {t.id for t in op.targets}
                if op.kind in ("merge", "update") and ids & a and ids & (b - (ids & a) if a == b else b):
                    out.wrong.append(op.id)
                    if op.confidence >= AUTO_BAR:
                        out.wrong_auto.append(op.id)
            continue
        out.total[item["kind"]] += 1
        if _found_by_operation(item, groups, plan, corpus):
            out.found[item["kind"]] += 1
        elif _found_by_question(item, groups, plan):
            out.asked[item["kind"]] += 1
        else:
            out.missed.append(item["id"])
    out.auto = sum(op.confidence >= AUTO_BAR for op in plan.operations)
    marks = read_marks(store)
    for op in plan.operations:
        mark = marks.get(op.id)
        if mark is None:
            out.unjudged += 1
            continue
        out.marks[mark] += 1
        if mark == "W":
            out.judged_wrong.append(op.id)
            if op.confidence >= AUTO_BAR:
                out.judged_wrong_auto.append(op.id)
    out.wrong = sorted(set(out.wrong))
    out.wrong_auto = sorted(set(out.wrong_auto))
    return out


def _all(groups: list[set[str]]) -> set[str]:
    return set().union(*groups) if groups else set()


def _found_by_operation(item: dict, groups: list[set[str]], plan: Plan, corpus: Corpus) -> bool:
    notes = _all(groups)
    for op in plan.operations:
        ids = {t.id for t in op.targets}
        if item["kind"] == "duplicate" and op.kind == "merge" and len(ids & notes) >= 2:
            return True
        if item["kind"] == "superseded" and op.kind in ("update", "delete") and ids & groups[0]:
            kept = op.result.text if op.result is not None else ""
            rewritten = op.result is not None and op.result.note_id in groups[0] and not ids & groups[-1]
            if op.kind == "delete" or item.get("keep", "") in kept or ids & groups[-1] and op.result \
                    and op.result.note_id in groups[-1] or rewritten:  # the older rewritten, the newer kept as it is
                return True
        if item["kind"] == "stale" and op.kind in ("delete", "update", "merge") and ids & notes:
            removed = op.kind == "delete" or (op.result is not None and op.result.note_id not in notes) \
                or op.kind == "update"
            if removed:
                return True
    return False


def _found_by_question(item: dict, groups: list[set[str]], plan: Plan) -> bool:
    notes = _all(groups)
    for q in plan.questions:
        ids = {t.id for t in q.targets}
        if item["kind"] == "duplicate" and q.kind == "duplicate" and len(ids & notes) >= 2:
            return True
        if item["kind"] == "superseded" and q.kind == "conflict" and ids & groups[0] and (
                len(groups) < 2 or ids & groups[-1] or any(c.operation and c.operation.kind == "update"
                                                           for c in q.choices)):
            return True
        if item["kind"] == "stale" and q.kind in ("stale", "conflict", "duplicate") and ids & notes and any(
                c.operation is not None and {t.id for t in c.operation.targets} & notes for c in q.choices):
            return True
    return False


def dream_store(store: str) -> tuple[Corpus, Plan]:
    path = ROOT / "benchmarks" / "data" / "calibration" / CALIBRATION[store] if store in CALIBRATION \
        else ROOT / "benchmarks" / "data" / "heldout" / HELDOUT[store] if store in HELDOUT else DATA / STORES[store]
    corpus = load_corpus(path)
    return corpus, plan_from_analysis(analyze(corpus, "tfidf"), Focus())


def run(quick: bool) -> Section:
    sec = Section("recall", "Recall on real memory (Letta agents labelled by a blind judge)", __doc__.split("\n\n")[1])
    if not DATA.exists() or not LABELS.exists():
        sec.skipped = f"public data not found at {DATA}"
        return sec
    rows, scores = [], []
    for store in (("void", "lettabot") if quick else (*STORES, *CALIBRATION, *HELDOUT)):
        corpus, plan = dream_store(store)
        s = score(store, corpus, plan, read_items(store))
        scores.append(s)
        items = sum(s.total.values())
        judged = sum(s.marks.values())
        rows.append([store, s.notes, s.operations, s.auto, f"{s.questions} of {s.questions_found}",
                     items, sum(s.found.values()), sum(s.asked.values()), pct(s.recall),
                     len(s.wrong), f"{s.marks['C']}/{s.marks['H']}/{s.marks['W']}" if judged else "–",
                     s.unjudged, len(s.judged_wrong_auto)])
    sec.table(["store", "notes", "operations", "pass the auto bar", "questions (of found)", "labelled items",
               "found by operations", "found by questions", "found", "operations over a forbidden pair",
               "judged C/H/W", "not judged", "W that pass the auto bar"], rows)
    kinds = sorted({k for s in scores for k in s.total})
    sec.table(["store", *[f"{k}: found/total" for k in kinds]],
              [[s.store, *[f"{s.found[k] + s.asked[k]}/{s.total[k]}" for k in kinds]] for s in scores])
    for s in scores:
        sec.target(f"{s.store}: labelled items found (operations + questions)", s.recall, TARGET_FOUND, "",
                   at_least=True)
        if s.operations:
            sec.target(f"{s.store}: operations over a forbidden pair", len(s.wrong) / s.operations, TARGET_WRONG, "")
        sec.target(f"{s.store}: wrong among operations that pass the auto bar", len(s.wrong_auto), 0, "")
    missed = [f"{s.store}: {', '.join(s.missed)}" for s in scores if s.missed]
    if missed:
        sec.lines.append("Missed items (ids in benchmarks/labels/): " + "; ".join(missed) + ".")
    return sec


if __name__ == "__main__":
    import sys

    for store in sys.argv[1:] or [*STORES, *CALIBRATION, *HELDOUT]:
        corpus, plan = dream_store(store)
        s = score(store, corpus, plan, read_items(store))
        print(store, f"recall {s.recall:.2f}", dict(s.found), dict(s.asked), dict(s.total), "wrong", s.wrong,
              "judged", dict(s.marks), "W", s.judged_wrong, "unjudged", s.unjudged,
              "missed", s.missed, f"ops {s.operations} questions {s.questions}/{s.questions_found}")
