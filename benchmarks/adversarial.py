"""The adversarial cases (`tests/data/adversarial/cases.jsonl`, written blind to the rules): each a small
store (and sessions) with what a careful curator expects of one of its notes or pairs.

The suite asserts every case (`tests/test_adversarial.py`); the calibration counts the rules' readings of
the notes a case names as right or wrong (`benchmarks/calibration.py`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from workbench.records import Corpus, Memory, Session, Store, Turn, parse_time, stable_id

CASES_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "adversarial" / "cases.jsonl"


@cache
def cases() -> tuple[dict, ...]:
    return tuple(json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def corpus_of(case: dict) -> Corpus:
    """The case's store and sessions; a later, empty session fixes the dream's 'now' when it names one."""
    memories = tuple(Memory(stable_id("mem_", case["id"], m["path"]), m["path"], m["content"],
                            parse_time(m["updated_at"]), parse_time(m["updated_at"])) for m in case["memories"])
    sessions = []
    for s in case.get("sessions", []):
        turns = tuple(Turn(f"{s['id']}-t{i}", s["id"], t["role"], t["text"], parse_time(t["at"]), i)
                      for i, t in enumerate(s["turns"]))
        sessions.append(Session(s["id"], turns[0].at if turns else None, s.get("title", ""), turns))
    if case.get("as_of"):
        at = parse_time(case["as_of"])
        sessions.append(Session("as_of", at, "as of", ()))
    return Corpus(Store(memories), tuple(sessions))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def right(case: dict, corpus: Corpus, candidate, verdict) -> bool | None:
    """Whether a reading of the case's notes is right (None: the case says nothing about it)."""
    (kind, want), = case["expect"].items()
    texts = [squash(corpus.note_by_id[i].text) for i in candidate.notes]
    if kind in ("merge", "no_merge") and candidate.kind == "pair" and sorted(texts) == sorted(map(squash, want)):
        if verdict.action == "merge":
            return kind == "merge"
        if verdict.action == "distinct":
            return kind == "no_merge"
        if verdict.action == "undecided":  # right when a judge's answer should change the store
            return kind == "merge"
    if kind == "update" and candidate.kind == "pair" and set(texts) == {squash(want["old"]), squash(want["new"])}:
        if verdict.action == "undecided":
            return True
        kept = squash(corpus.note_by_id[verdict.keep].text) if verdict.keep in corpus.note_by_id else ""
        if verdict.action == "update":
            return kept == squash(want["new"])
        if verdict.action in ("distinct", "merge"):
            return False
    if kind == "keep" and verdict.action in ("delete", "undecided") and candidate.kind == "note" \
            and set(texts) & set(map(squash, want)):
        return False
    if kind == "expire" and candidate.kind == "note" and set(texts) & set(map(squash, want)):
        return verdict.action in ("delete", "undecided")
    return None
