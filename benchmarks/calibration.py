"""Calibration: the precision of every rule of the offline judge, measured on labelled data.

Each labelled source runs through the real pipeline (load → analyze → candidates → rules) and
every verdict that would change the store is checked against the labels:

- sample data (`sample-data/labels.json`): merges against the duplicate groups, updates against
  the labelled conflicts (and their winner), deletes against the stale and low-value notes,
  creates against the missing facts; anything else a rule proposes there counts as wrong;
- PAWS dev: each pair as two notes of one document; a merge is right when the pair is a
  paraphrase, wrong otherwise;
- LoCoMo: a merge or update between notes of two speakers, an update from one speaker's sentence
  to the other's note, and any delete of an observation (each one backs QA evidence) is wrong;
  within one speaker's notes, the proposals checked by hand (`benchmarks/labels/locomo_hand.jsonl`,
  keyed by `locomo_item`) count as labelled, the rest are not counted.

The full run writes `workbench/calibration.json`, from which every verdict takes its confidence:
(correct + 1) / (proposed + 2). The quick run measures a subset and writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from workbench.analysis import analyze
from workbench.dream.calibration import RULES, calibration_table
from workbench.dream.questions import is_open
from workbench.dream.rules import judged_candidates
from workbench.focus import Focus
from workbench.io import load_corpus, load_sessions, load_store
from workbench.records import Corpus, Memory, Store

from . import DATA, DATASETS, ROOT, SAMPLE, Section, sample_paths

TABLE = ROOT / "workbench" / "calibration.json"
Tally = dict[str, Counter]  # rule -> Counter(proposed=, correct=)


def proposals(analysis, *, distinct: bool = False):
    """Every verdict a rule reaches, also those withheld (judge-only, or measured below the floor): they are
    measured too; `verdict.withheld` stays set on those. With `distinct`, the `distinct.*` readings of pairs
    come too (action "distinct": right when the two notes are different facts), and the `undecided.*` readings
    of pairs and notes (action "undecided": right when a curator changes the store there — a merge, an update or
    a delete — so its measure is the chance that a judge's answer changes the store)."""
    for candidate, verdict in judged_candidates(analysis, Focus()):
        if verdict.withheld:
            verdict = replace(verdict, action=verdict.withheld)
        if verdict.action != "none":
            yield candidate, verdict
        elif distinct and candidate.kind == "pair" and verdict.rule.startswith("distinct."):
            yield candidate, replace(verdict, action="distinct")
        elif distinct and candidate.kind in ("pair", "note") and verdict.rule.startswith("undecided."):
            yield candidate, replace(verdict, action="undecided")


def _count(tally: Tally, rule: str, correct: bool) -> None:
    tally[rule]["proposed"] += 1
    tally[rule]["correct"] += int(correct)


# --- sample data -----------------------------------------------------------------------------


def sample(dataset: str, tally: Tally) -> None:
    labels = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))["datasets"][dataset]
    corpus = load_corpus(*sample_paths(dataset))
    analysis = analyze(corpus, "tfidf")
    group_of = {n: i for i, g in enumerate(labels["duplicates"]) for n in g["notes"]}
    stale = {s["note"] for s in labels["stale"]} | set(labels["low_value"])
    for candidate, verdict in proposals(analysis, distinct=True):
        _count(tally, verdict.rule, _right_in_sample(candidate, verdict, analysis, labels, group_of, stale))


def _right_in_sample(candidate, verdict, analysis, labels, group_of, stale) -> bool:
    if verdict.action == "undecided":
        if candidate.kind == "note":
            return candidate.notes[0] in stale
        return not _right_in_sample(candidate, replace(verdict, action="distinct"), analysis, labels, group_of, stale)
    if verdict.action == "distinct":
        a, b = candidate.notes
        same = a in group_of and group_of.get(a) == group_of.get(b)
        return not same and not any({c["old"], c["new"]} == {a, b} for c in labels["conflicts"])
    if verdict.action == "merge":
        a, b = candidate.notes
        return a in group_of and group_of.get(a) == group_of.get(b)
    if verdict.action == "update" and candidate.kind == "pair":
        return any({c["old"], c["new"]} == set(candidate.notes) and c["new"] == verdict.keep for c in labels["conflicts"])
    if verdict.action == "update":
        turn = analysis.statement_by_id[candidate.statements[0]].turn_id
        return any(c["old"] == candidate.notes[0] and c["new_evidence"] and c["new_evidence"]["turn_id"] == turn
                   for c in labels["conflicts"])
    if verdict.action == "delete":
        return candidate.notes[0] in stale
    if verdict.action == "create":
        text = candidate.signals["text"].lower()
        turns = {analysis.statement_by_id[s].turn_id for s in candidate.statements}
        return any(sum(k.lower() in text for k in f["keywords"]) * 2 >= len(f["keywords"]) or turns & set(f["turns"])
                   for f in labels["missing_facts"])
    return False


# --- PAWS ------------------------------------------------------------------------------------


def paws_rows(limit: int | None) -> list[tuple[str, str, bool]]:
    """(sentence 1, sentence 2, is a paraphrase) of PAWS dev, the first `limit` rows."""
    with open(DATA / "paws_wiki_labeled_final_dev.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[:limit]
    return [(r["sentence1"], r["sentence2"], r["label"] == "1") for r in rows]


@cache
def paws_verdicts(limit: int | None) -> tuple[list[bool], dict[int, tuple[str, float, str, bool]]]:
    """Labels, and for each pair the rules judged: (rule, confidence, action, withheld) of what they reached
    (action "distinct" for a `distinct.*` reading, "open" for one left to a judge as a question).

    Each pair is two notes of one document (`/paws/NNNNN.md`) through the whole pipeline.
    """
    rows = paws_rows(limit)
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    memories = [Memory(f"paws{i:05d}", f"/paws/{i:05d}.md", f"- {a}\n- {b}\n", at, at) for i, (a, b, _) in enumerate(rows)]
    analysis = analyze(Corpus(Store(tuple(memories))), "tfidf")
    judged: dict[int, tuple[str, float, str, bool]] = {}
    for candidate, verdict in judged_candidates(analysis, Focus()):
        first, second = (n.split("#")[0] for n in candidate.notes[:2]) if len(candidate.notes) == 2 else ("", "-")
        if candidate.kind != "pair" or first != second:
            continue
        action = verdict.withheld or verdict.action
        if verdict.action == "none" and not verdict.withheld:
            action = "distinct" if verdict.rule.startswith("distinct.") else \
                "undecided" if verdict.rule.startswith("undecided.") else "none"
        judged[int(first[4:])] = (verdict.rule, verdict.confidence, action, bool(verdict.withheld),
                                  is_open(verdict))
    return [label for _, _, label in rows], judged


def paws(tally: Tally, limit: int | None) -> dict[str, int]:
    labels, judged = paws_verdicts(limit)
    merged = Counter()
    for i, (rule, _, action, withheld, _open) in judged.items():
        if action in ("none", "undecided", "distinct"):  # PAWS is half paraphrases by design: how often a pair
            continue  # read as distinct or undecided needs a change there is no store's rate (proposals are measured)
        _count(tally, rule, not labels[i] if action == "distinct" else action == "merge" and labels[i])
        if action == "merge" and not withheld:
            merged["paraphrases merged" if labels[i] else "non-paraphrases merged"] += 1
    merged["paraphrases"] = sum(labels)
    merged["non-paraphrases"] = len(labels) - merged["paraphrases"]
    return dict(merged)


# --- LoCoMo ----------------------------------------------------------------------------------


def _speaker(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


HAND = Path(__file__).parent / "labels" / "locomo_hand.jsonl"


def locomo_item(analysis, candidate, verdict) -> dict:
    """A LoCoMo proposal as a person reads it (no rule, no confidence); its `id` keys the hand labels."""
    notes = analysis.corpus.note_by_id
    item = {"sample": analysis.corpus.store.id, "action": verdict.action,
            "notes": [{"text": notes[n].text, "file": notes[n].path.split("/", 2)[-1],
                       "written": notes[n].updated_at.date().isoformat()} for n in candidate.notes]}
    if candidate.kind == "session":
        st = analysis.statement_by_id[candidate.statements[0]]
        turn = analysis.corpus.turn_by_id[st.turn_id]
        item["said"] = {"speaker": turn.meta.get("speaker"), "text": st.text, "at": st.at.date().isoformat(),
                        "turn": turn.text}
        item["proposed_text"] = verdict.text
    if candidate.kind == "insight":
        item["said"] = [{"speaker": analysis.corpus.turn_by_id[analysis.statement_by_id[m].turn_id].meta.get("speaker"),
                         "text": analysis.statement_by_id[m].text,
                         "session": analysis.statement_by_id[m].session_id} for m in candidate.statements]
        item["proposed_text"] = candidate.signals["text"]
    if verdict.action in ("merge", "update") and candidate.kind == "pair":
        item["kept"] = notes[verdict.keep].text if verdict.keep in notes else None
    item["id"] = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:12]
    return item


def hand_labels() -> dict[str, bool]:
    """Hand-checked LoCoMo proposals (`benchmarks/labels/locomo_hand.jsonl`): id → correct."""
    if not HAND.exists():
        return {}
    rows = [json.loads(line) for line in HAND.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["id"]: bool(row["correct"]) for row in rows}


def locomo(tally: Tally, samples: int | None, hand: Tally | None = None) -> dict[str, int]:
    """Cross-speaker operations and deletes are wrong; within one speaker, hand-checked proposals count
    in `hand`, the rest are not labelled."""
    path = DATA / "locomo10.json"
    store, sessions = load_store(path), load_sessions(path)
    ids = list(dict.fromkeys(s.meta.get("sample_id") for s in sessions))[:samples]
    labels = hand_labels()
    seen = Counter()
    for sample_id in ids:
        memories = tuple(m for m in store.memories if m.path.startswith(f"/{sample_id}/"))
        mine = tuple(s for s in sessions if s.meta.get("sample_id") == sample_id)
        analysis = analyze(Corpus(Store(memories, id=sample_id), mine), "tfidf")
        notes = analysis.corpus.note_by_id
        for candidate, verdict in proposals(analysis, distinct=True):
            speakers = {_speaker(notes[n].path) for n in candidate.notes}
            if candidate.kind == "session":
                turn = analysis.corpus.turn_by_id[analysis.statement_by_id[candidate.statements[0]].turn_id]
                speakers.add(turn.meta.get("speaker", ""))
            if verdict.action == "distinct":
                if len(speakers - {""}) > 1:
                    _count(tally, verdict.rule, True)
                    seen["distinct readings across speakers"] += 1
                continue
            if verdict.action == "undecided":  # a change across speakers, or of an observation, is wrong
                if candidate.kind == "note" or len(speakers - {""}) > 1:
                    _count(tally, verdict.rule, False)
                    seen["undecided readings across speakers or of one observation"] += 1
                continue
            if verdict.action == "delete":
                _count(tally, verdict.rule, False)
                seen["deletes"] += 1
            elif len(speakers - {""}) > 1:
                _count(tally, verdict.rule, False)
                seen[f"{verdict.action}s across speakers"] += 1
            elif hand is not None and (key := locomo_item(analysis, candidate, verdict)["id"]) in labels:
                _count(hand, verdict.rule, labels[key])
                seen[f"{verdict.action}s within one speaker, hand-checked"] += 1
            else:
                seen[f"{verdict.action}s within one speaker (unlabelled)"] += 1
    return dict(seen)


# --- stores written blind to the rules -------------------------------------------------------

CALIBRATION_STORES = Path(__file__).parent / "data" / "calibration"


def written_stores(tally: Tally) -> dict[str, int]:
    """The stores a separate writer made for measuring (`benchmarks/data/calibration/`, labels in
    `benchmarks/labels/calibration/`): a merge, update or delete is right when it matches a labelled item, a
    `distinct` reading when its notes are no labelled duplicate or superseded pair."""
    from .recall import CALIBRATION, matching, read_items

    seen = Counter()
    for store, name in CALIBRATION.items():
        corpus = load_corpus(CALIBRATION_STORES / name)
        analysis = analyze(corpus, "tfidf")
        items = read_items(store)
        groups = [(item, [matching(corpus, text) for text in item["notes"]]) for item in items]
        for candidate, verdict in proposals(analysis, distinct=True):
            right = _right_in_written(candidate, verdict, groups)
            _count(tally, verdict.rule, right)
            seen[f"{verdict.action} {'right' if right else 'wrong'}"] += 1
    return dict(seen)


def _right_in_written(candidate, verdict, groups) -> bool:
    notes = set(candidate.notes)
    together = lambda kinds: any(item["kind"] in kinds and len(notes & set().union(*g)) >= 2 for item, g in groups)  # noqa: E731
    if verdict.action == "undecided":
        if candidate.kind == "note":
            return any(item["kind"] == "stale" and notes & set().union(*g) for item, g in groups)
        return together(("duplicate", "superseded"))
    if verdict.action == "distinct":
        return not together(("duplicate", "superseded"))
    if verdict.action == "merge":
        return together(("duplicate",))
    if verdict.action == "update" and candidate.kind == "pair":
        return any(item["kind"] == "superseded" and notes <= set().union(*g) and len(notes & g[0]) == 1
                   and (verdict.keep in g[-1] or verdict.rewrite and verdict.keep in g[0])  # or the older rewritten
                   for item, g in groups if len(g) >= 2)
    if verdict.action == "delete":
        return any(item["kind"] == "stale" and notes & set().union(*g) for item, g in groups)
    return False


# --- the adversarial cases ------------------------------------------------------------------


def adversarial(tally: Tally) -> dict[str, int]:
    """Each adversarial case's store through the rules; a reading of the notes the case names counts as
    right or wrong by what the case expects (`benchmarks/adversarial.py`)."""
    from .adversarial import cases, corpus_of, right

    seen = Counter()
    for case in cases():
        corpus = corpus_of(case)
        for candidate, verdict in proposals(analyze(corpus, "tfidf"), distinct=True):
            verdict_right = right(case, corpus, candidate, verdict)
            if verdict_right is not None:
                _count(tally, verdict.rule, verdict_right)
                seen[f"{verdict.action} {'right' if verdict_right else 'wrong'}"] += 1
    return dict(seen)


# --- a person's answers ----------------------------------------------------------------------

ANSWERS = Path(__file__).parent / "labels" / "answers"


def answer_files() -> list[Path]:
    """Labels a person gave in a review (`Review.save_labels`): `benchmarks/labels/answers/*.jsonl`, and the
    files `$WORKBENCH_ANSWERS` names (separated by the path separator)."""
    files = sorted(ANSWERS.glob("*.jsonl")) if ANSWERS.exists() else []
    files += [Path(p) for p in os.environ.get("WORKBENCH_ANSWERS", "").split(os.pathsep) if p]
    return files


def answers(tally: Tally, files: list[Path]) -> dict[str, int]:
    """Each labelled decision or answer counts for its rule: right or wrong as the person said."""
    seen = Counter()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("correct") is None or not row.get("rule"):
                continue
            _count(tally, row["rule"], bool(row["correct"]))
            seen[f"{'right' if row['correct'] else 'wrong'}"] += 1
    return dict(seen)


# --- the table -------------------------------------------------------------------------------


def measure(quick: bool) -> tuple[Tally, dict[str, Tally], dict[str, dict]]:
    """Counts per rule in all, per source, and what each source saw."""
    by_source: dict[str, Tally] = {}
    seen: dict[str, dict] = {}
    for dataset in DATASETS:
        by_source[dataset] = defaultdict(Counter)
        sample(dataset, by_source[dataset])
    if (DATA / "paws_wiki_labeled_final_dev.tsv").exists():
        by_source["PAWS dev"] = defaultdict(Counter)
        seen["PAWS dev"] = paws(by_source["PAWS dev"], 1000 if quick else None)
    if answer_files():
        by_source["answers in reviews"] = defaultdict(Counter)
        seen["answers in reviews"] = answers(by_source["answers in reviews"], answer_files())
    by_source["adversarial cases"] = defaultdict(Counter)
    seen["adversarial cases"] = adversarial(by_source["adversarial cases"])
    if CALIBRATION_STORES.exists():
        by_source["stores written blind"] = defaultdict(Counter)
        seen["stores written blind"] = written_stores(by_source["stores written blind"])
    if (DATA / "locomo10.json").exists():
        by_source["LoCoMo"] = defaultdict(Counter)
        by_source["LoCoMo hand-checked"] = defaultdict(Counter)
        seen["LoCoMo"] = locomo(by_source["LoCoMo"], 2 if quick else None, by_source["LoCoMo hand-checked"])
    total: Tally = defaultdict(Counter)
    for tally in by_source.values():
        for rule, counts in tally.items():
            total[rule].update(counts)
    return total, by_source, seen


def write_table(total: Tally, by_source: dict[str, Tally], path: Path = TABLE) -> None:
    counts = lambda tally: {rule: {"proposed": int(tally[rule]["proposed"]), "correct": int(tally[rule]["correct"])}  # noqa: E731
                            for rule in RULES if tally[rule]["proposed"]}
    data = {"format": 1, "written_by": "python -m benchmarks calibration", "sources": list(by_source),
            "confidence": "(correct + 1) / (proposed + 2)", "rules": counts(total),
            "by_source": {name: counts(tally) for name, tally in by_source.items()}}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
    calibration_table.cache_clear()


def run(quick: bool) -> Section:
    sec = Section("calibration", "Calibration of the rules", (
        "Every rule of the offline judge on labelled data (see `benchmarks/calibration.py`): sample-data labels, "
        "PAWS dev pairs as two notes of one document, LoCoMo cross-speaker operations and deletes. *Confidence* is "
        "what a verdict of the rule carries: (correct + 1) / (proposed + 2). Automatic approval (default bar 0.97) "
        f"applies only rules whose confidence reaches it{'; PAWS first 1,000 pairs and LoCoMo first 2 samples (quick), nothing written' if quick else '; this run wrote `workbench/calibration.json`'}."))
    total, by_source, seen = measure(quick)
    sources = list(by_source)
    rows = []
    for rule in RULES:
        n, k = total[rule]["proposed"], total[rule]["correct"]
        per = "; ".join(f"{s} {by_source[s][rule]['correct']}/{by_source[s][rule]['proposed']}"
                        for s in sources if by_source[s][rule]["proposed"])
        rows.append([f"`{rule}`", n, k, f"{k / n:.3f}" if n else "–", f"{(k + 1) / (n + 2):.3f}", per or "–"])
    sec.table(["rule", "proposed", "correct", "precision", "confidence", "by source (correct/proposed)"], rows)
    for source, what in seen.items():
        sec.lines.append(f"{source}: " + ", ".join(f"{k} {v}" for k, v in sorted(what.items())) + ".")
    auto = [r for r in RULES if total[r]["proposed"] and (total[r]["correct"] + 1) / (total[r]["proposed"] + 2) >= 0.97]
    sec.lines.append("Rules that pass the default automatic-approval bar (0.97): "
                     + (", ".join(f"`{r}`" for r in auto) or "none") + ".")
    if not quick:
        write_table(total, by_source)
    return sec
