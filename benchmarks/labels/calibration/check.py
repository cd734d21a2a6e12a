"""Check the calibration labels against the calibration stores as the workbench loads them.

The stores are in ../../data/calibration/ (written for this purpose, CC0); the labels, one JSONL
file per store, are beside this file, in the form of ../shared/LABELLING.md.

For every item and every substring it quotes (`notes`, and `keep` for a superseded item), the
notes whose `text` contains the substring are counted. An item is clean when

- every substring matches at least one note;
- the notes matched by all its substrings together are exactly the number it means: its
  `min_matches` when given (verbatim copies, or one line repeated under different titles), else
  one note per distinct substring — so without `min_matches` every substring matches exactly one
  note, and two substrings never name the same note;
- no single substring matches more notes than that number;
- for a superseded item, `keep` matches exactly one note, and that note is the newer one (the one
  the last entry of `notes` matches), and the older and newer substrings name different notes.

    python benchmarks/labels/calibration/check.py                 # every store
    python benchmarks/labels/calibration/check.py data-team       # some of them

Prints the counts per store and kind, then every problem; exit status 0 when clean, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from workbench import load_corpus

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "data" / "calibration"

# store name -> path under benchmarks/data/calibration
STORES = {
    "data-team": "data-team",
    "claude-code": "claude-code",
    "support-agent": "support-agent.jsonl",
    "research-agent": "research-agent",
}

KINDS = ("duplicate", "superseded", "stale", "forbidden_merge")


def read_items(path: Path) -> tuple[list[dict], list[str]]:
    items, problems = [], []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{no}: not JSON ({exc})")
    return items, problems


def check_form(store: str, item: dict) -> list[str]:
    iid = item.get("id", "?")
    out = []
    if item.get("store") != store:
        out.append(f"{iid}: store is {item.get('store')!r}, expected {store!r}")
    if not str(iid).startswith(f"{store}-"):
        out.append(f"{iid}: id does not start with {store}-")
    kind = item.get("kind")
    if kind not in KINDS:
        out.append(f"{iid}: kind {kind!r} is not one of {list(KINDS)}")
    notes = item.get("notes")
    if not isinstance(notes, list) or not notes or not all(isinstance(s, str) and s for s in notes):
        out.append(f"{iid}: notes must be a non-empty list of non-empty strings")
    if not isinstance(item.get("why"), str) or not item["why"].strip():
        out.append(f"{iid}: why is missing")
    if kind in ("duplicate", "superseded", "forbidden_merge") and isinstance(notes, list):
        named = item.get("min_matches", len(set(notes)))
        if named < 2:
            out.append(f"{iid}: a {kind} item names at least two notes")
    if kind in ("superseded", "forbidden_merge") and isinstance(notes, list) and len(notes) < 2:
        out.append(f"{iid}: a {kind} item quotes two notes")
    if kind == "superseded" and not isinstance(item.get("keep"), str):
        out.append(f"{iid}: a superseded item needs keep (a substring of the newer value)")
    if kind != "superseded" and "keep" in item:
        out.append(f"{iid}: only a superseded item has keep")
    if "min_matches" in item and (
        not isinstance(item["min_matches"], int) or item["min_matches"] < 1
    ):
        out.append(f"{iid}: min_matches must be a positive integer")
    return out


def check_item(item: dict, texts: list[str]) -> list[str]:
    iid = item["id"]
    out = []
    notes = item["notes"]
    expected = item.get("min_matches", len(set(notes)))
    union: set[int] = set()
    matches: dict[str, set[int]] = {}
    for s in notes:
        hit = {i for i, t in enumerate(texts) if s in t}
        matches[s] = hit
        union |= hit
        if not hit:
            out.append(f"{iid}: matches no note: {s!r}")
        elif len(hit) > expected:
            out.append(f"{iid}: matches {len(hit)} notes (at most {expected}): {s!r}")
    if all(matches.values()) and len(union) != expected:
        out.append(f"{iid}: its substrings name {len(union)} notes, expected exactly {expected}")
    if item["kind"] == "superseded" and all(matches.values()):
        keep = item["keep"]
        kept = {i for i, t in enumerate(texts) if keep in t}
        newer = matches[notes[-1]]
        if len(kept) != 1:
            out.append(f"{iid}: keep matches {len(kept)} notes (exactly 1): {keep!r}")
        elif not kept <= newer:
            out.append(f"{iid}: keep is not in the newer note (the last entry of notes): {keep!r}")
        older = set().union(*(matches[s] for s in notes[:-1]))
        if older & newer:
            out.append(f"{iid}: the older and the newer substrings name the same note")
    return out


def check_store(store: str) -> tuple[Counter, list[str]]:
    labels = HERE / f"{store}.jsonl"
    if not labels.exists():
        return Counter(), [f"{store}: no label file {labels.name}"]
    corpus = load_corpus(str(DATA / STORES[store]))
    texts = [n.text for n in corpus.notes]
    items, problems = read_items(labels)
    counts: Counter = Counter()
    seen: set[str] = set()
    for item in items:
        iid = item.get("id", "?")
        if iid in seen:
            problems.append(f"{iid}: id used twice")
        seen.add(iid)
        form = check_form(store, item)
        problems += form
        if not form:
            problems += check_item(item, texts)
        counts[item.get("kind")] += 1
    counts["notes in store"] = len(texts)
    return counts, problems


def main(argv: list[str]) -> int:
    stores = argv or list(STORES)
    unknown = [s for s in stores if s not in STORES]
    if unknown:
        print(f"unknown store(s): {', '.join(unknown)}; known: {', '.join(STORES)}")
        return 2
    all_problems: list[str] = []
    header = f"{'store':<16}{'notes':>7}" + "".join(f"{k:>17}" for k in KINDS)
    print(header)
    totals: Counter = Counter()
    for store in stores:
        counts, problems = check_store(store)
        totals.update(counts)
        print(
            f"{store:<16}{counts['notes in store']:>7}" + "".join(f"{counts[k]:>17}" for k in KINDS)
        )
        all_problems += problems
    if len(stores) > 1:
        print(
            f"{'total':<16}{totals['notes in store']:>7}"
            + "".join(f"{totals[k]:>17}" for k in KINDS)
        )
    for p in all_problems:
        print("PROBLEM", p)
    print("clean" if not all_problems else f"{len(all_problems)} problem(s)")
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
