"""A plan scored against ground-truth labels: precision and recall per phase, and every contradiction.

    labels = load_labels("sample-data/labels.json", "coding-assistant")
    score(plan, labels)   # {"duplicates": {"precision": …, "recall": …}, …, "contradictions": [...]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

from ..dream.plan import Plan


def load_labels(path: str | Path, dataset: str) -> dict[str, Any]:
    """One dataset's labels from a labels file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["datasets"][dataset]


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def _pairs(groups) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in combinations(sorted(g), 2)}


def score(plan: Plan, labels: Mapping[str, Any]) -> dict[str, Any]:
    """Per phase: precision and recall of what the plan did against the labels, plus contradictions."""
    notes = labels["notes"]
    merges = [op for op in plan.operations if op.kind == "merge"]
    updates = [op for op in plan.operations if op.kind == "update"]
    deletes = {t.id: op for op in plan.operations if op.kind == "delete" for t in op.targets}
    creates = [op for op in plan.operations if op.kind == "create"]
    removed_by = {t.id: op for op in merges + updates for t in op.targets
                  if op.result is None or op.result.note_id != t.id}

    true_dup = _pairs(g["notes"] for g in labels["duplicates"])
    found_dup = _pairs([t.id for t in op.targets] for op in merges)
    dup_hits = len(true_dup & found_dup)

    conflicts = labels["conflicts"]
    resolved = 0
    conflict_ops = set()
    for c in conflicts:
        value = c["latest_value"].lower()
        for op in updates:
            if c["old"] in {t.id for t in op.targets} and op.result is not None:
                text = op.result.text.lower()
                if value in text or any(w in text for w in _value_words(value)) or (c["new"] and op.result.note_id == c["new"]):
                    resolved += 1
                    conflict_ops.add(op.id)
                    break
    conflict_targets = {c["old"] for c in conflicts} | {c["new"] for c in conflicts if c["new"]}
    update_precision_hits = sum(1 for op in updates if {t.id for t in op.targets} & conflict_targets)

    stale = {s["note"] for s in labels["stale"]}
    low = set(labels["low_value"])
    pruned_ok = {n for n in deletes if n in stale | low or notes.get(n, {}).get("label") in ("stale", "low_value", "conflict_old", "duplicate")}

    keep = set(labels["keep"])
    lost_keep = sorted(n for n in keep if n in deletes or (n in removed_by and not _carried(n, removed_by[n], labels)))

    facts = labels["missing_facts"]
    found_facts = 0
    matched_creates = set()
    for fact in facts:
        for op in creates:
            text = op.result.text.lower()
            turns = {e.turn_id for e in op.evidence}
            if sum(k.lower() in text for k in fact["keywords"]) * 2 >= len(fact["keywords"]) or turns & set(fact["turns"]):
                found_facts += 1
                matched_creates.add(op.id)
                break

    contradictions = []
    for pair in labels["near_misses"]:
        for op in merges + updates:
            ids = {t.id for t in op.targets}
            if set(pair["notes"]) <= ids:
                contradictions.append(f"{op.id} {op.kind}s a near-miss pair ({pair['why']})")
    contradictions += [f"{deletes[n].id} deletes keep-note {n}" for n in sorted(keep & set(deletes))]
    contradictions += [f"{removed_by[n].id} removes keep-note {n} without carrying it" for n in lost_keep if n not in deletes]

    return {
        "duplicates": {"precision": _ratio(dup_hits, len(found_dup)), "recall": _ratio(dup_hits, len(true_dup)),
                       "groups_merged": _ratio(sum(1 for g in labels["duplicates"] if _pairs([g["notes"]]) <= found_dup),
                                               len(labels["duplicates"]))},
        "conflicts": {"precision": _ratio(update_precision_hits, len(updates)),
                      "recall": _ratio(resolved, len(conflicts))},
        "stale": {"precision": _ratio(len(set(deletes) & stale), len(set(deletes) - low) or 0) if deletes else None,
                  "recall": _ratio(len(set(deletes) & stale), len(stale))},
        "low_value": {"recall": _ratio(len(set(deletes) & low), len(low))},
        "prune": {"precision": _ratio(len(pruned_ok), len(deletes)), "recall": _ratio(len(set(deletes) & (stale | low)), len(stale | low))},
        "keep": {"kept": _ratio(len(keep) - len(lost_keep) - len(keep & set(deletes) - set(lost_keep)), len(keep))},
        "insights": {"precision": _ratio(len(matched_creates), len(creates)), "recall": _ratio(found_facts, len(facts))},
        "contradictions": contradictions,
    }


def _value_words(value: str) -> list[str]:
    words = [w.strip("`.,()") for w in value.split()]
    return [w for w in words if len(w) > 3 and w not in ("every", "after", "passes", "deploys")][:1]


def _carried(note_id: str, op, labels: Mapping[str, Any]) -> bool:
    """A keep-note removed by a merge/update is fine when its group's survivor carries the fact."""
    for group in labels["duplicates"]:
        if note_id in group["notes"] and op.result is not None and op.result.note_id in group["notes"]:
            return True
    for c in labels["conflicts"]:
        if note_id in (c["old"], c["new"]) and op.result is not None:
            return True
    return False
