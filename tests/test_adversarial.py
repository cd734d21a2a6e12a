"""An adversarial table of verdicts: each case a tiny store (and sessions) with what must (not) happen.

`tests/data/adversarial/cases.jsonl` was written apart from the rules, from general knowledge of
language and of how agents write memory, plus cases quoted from LoCoMo and real Letta agent files:
negation in several languages, antonyms, role swaps, different values, nested bullets, sibling
items, different speakers, true duplicates, paraphrases a rule cannot prove, certain conflicts,
keep-notes that look stale or trivial, expiry traps, insights and chit-chat, other scripts and
pathological notes. Each case runs the whole offline engine (analyze → candidates → rules →
planner) and asserts its expectation:

- merge: the two notes are merged; no_merge: never proposed as a merge, at any confidence;
- update: the old note is replaced by the new value; no_auto_change: nothing changes them at or
  above the automatic-approval bar; keep: never deleted or rewritten, not even as a suggestion;
- expire: deleted; insight: a created note contains the phrase; no_insight: nothing created.
"""

from __future__ import annotations

from functools import cache

import pytest

from benchmarks.adversarial import cases, corpus_of
from workbench.analysis import analyze
from workbench.dream.offline import dream_offline
from workbench.dream.plan import Plan
from workbench.focus import Focus
from workbench.review import AUTO_BAR

CASES = list(cases())


@cache
def plan_of(case_id: str) -> Plan:
    case = next(c for c in CASES if c["id"] == case_id)
    corpus = corpus_of(case)
    return dream_offline(corpus, Focus(), analysis=analyze(corpus, "tfidf"))


def squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def touching(plan: Plan, text: str) -> list:
    return [op for op in plan.operations if any(squash(t.text) == squash(text) for t in op.targets)]


def merged_together(plan: Plan, a: str, b: str) -> bool:
    for op in plan.operations:
        if op.kind != "merge":
            continue
        texts = [squash(t.text) for t in op.targets]
        if squash(a) == squash(b) and texts.count(squash(a)) >= 2:
            return True
        if squash(a) != squash(b) and squash(a) in texts and squash(b) in texts:
            return True
    return False


def check(case: dict, plan: Plan) -> str | None:
    """What went wrong, or None."""
    (kind, want), = case["expect"].items()
    if kind == "merge" and not merged_together(plan, *want):
        return "not merged"
    if kind == "no_merge" and merged_together(plan, *want):
        return "merged"
    if kind == "update":
        ops = [op for op in touching(plan, want["old"]) if op.kind == "update"]
        if not ops:
            return "not updated"
    if kind == "no_auto_change":
        auto = [op for text in want for op in touching(plan, text) if op.confidence >= AUTO_BAR]
        if auto:
            return f"changed automatically: {auto[0].kind} {auto[0].rule} {auto[0].confidence}"
    if kind == "keep":
        for text in want:
            for op in touching(plan, text):
                target = next(t for t in op.targets if squash(t.text) == squash(text))
                kept = op.result is not None and op.result.note_id == target.id and squash(op.result.text) == squash(text)
                if not kept:
                    return f"{op.kind} ({op.rule}) of a keep-note"
    if kind == "expire" and not any(op.kind == "delete" for text in want for op in touching(plan, text)):
        return "not pruned"
    if kind == "insight" and not any(op.kind == "create" and squash(want) in squash(op.result.text)
                                     for op in plan.operations):
        return "no insight"
    if kind == "no_insight" and any(op.kind == "create" for op in plan.operations):
        return "created " + next(op.result.text for op in plan.operations if op.kind == "create")
    return None


# Precision cases (a false merge, change or deletion) must all hold; recall cases (a merge,
# update, expiry or insight the rules should find) are listed in KNOWN_MISSES when the rules,
# precision first, leave them to a judge.
PRECISION = ("no_merge", "no_auto_change", "keep", "no_insight")
KNOWN_MISSES = {
    "upd-10", "upd-14", "real-letta-01", "real-letta-02", "real-letta-04",  # a new value in other words
    "ins-01", "ins-02", "ins-03", "ins-07", "ins-08",  # the same fact in other words in each session
    "ins-04",  # "Ada" only ever opens a sentence, so nothing shows it is a name
    "ins-05", "real-locomo-19",  # restated with a verb in another voice or tense
    "ins-06", "ins-09",  # restated in a longer sentence: the rule is measured below even odds (LoCoMo), for a judge
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_offline_engine_keeps_its_verdict_on_every_adversarial_case(case):
    problem = check(case, plan_of(case["id"]))
    (kind, _), = case["expect"].items()
    if problem and case["id"] in KNOWN_MISSES and kind not in PRECISION:
        pytest.xfail(f"recall left to a judge: {problem}")
    assert problem is None, f"{case['id']} ({case['category']}): {problem} — {case['why']}"
