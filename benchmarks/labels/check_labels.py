"""Check the hand labels of the real Letta stores against the notes as the workbench loads them.

For every item of every `letta_<store>.jsonl` beside this file, and every substring it quotes
(`notes`, and `keep` for a superseded item), count the notes whose `text` contains it. An item is
reported when a substring matches no note, or more notes than its `min_matches` (default 1)
allows; also when a line is not of the labelling guide's form (../shared/LABELLING.md).

    python benchmarks/labels/check_labels.py            # every store
    python benchmarks/labels/check_labels.py void loop  # some of them

Exit status 0 when every item is clean, 1 when a problem is reported. The agent files are read
from ../shared/data (never copied into the repository); when that folder is absent the check is
skipped with a message and exits 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from workbench import load_corpus

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1].parent / "shared" / "data"

# store name -> agent file in ../shared/data
STORES = {
    "void": "letta_void_current_schema.af",
    "lettabot": "letta_lettabot_current_schema.af",
    "co-3": "letta_co-3_current_schema.af",
    "loop": "letta_loop_current_schema.af",
}

KINDS = {"duplicate", "superseded", "stale", "forbidden_merge"}


def label_file(store: str) -> Path:
    return HERE / f"letta_{store}.jsonl"


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
    """Problems with the shape of one item (the guide's JSONL form)."""
    iid = item.get("id", "?")
    out = []
    if item.get("store") != store:
        out.append(f"{iid}: store is {item.get('store')!r}, expected {store!r}")
    if item.get("kind") not in KINDS:
        out.append(f"{iid}: kind {item.get('kind')!r} is not one of {sorted(KINDS)}")
    notes = item.get("notes")
    if not isinstance(notes, list) or not notes or not all(isinstance(s, str) and s for s in notes):
        out.append(f"{iid}: notes must be a non-empty list of non-empty strings")
    if not isinstance(item.get("why"), str) or not item["why"].strip():
        out.append(f"{iid}: why is missing")
    kind = item.get("kind")
    if kind in ("superseded", "forbidden_merge") and isinstance(notes, list) and len(notes) < 2:
        out.append(f"{iid}: a {kind} item names two notes")
    if kind == "superseded" and not isinstance(item.get("keep"), str):
        out.append(f"{iid}: a superseded item needs keep (a substring of the newer value)")
    if "min_matches" in item and (not isinstance(item["min_matches"], int) or item["min_matches"] < 1):
        out.append(f"{iid}: min_matches must be a positive integer")
    return out


def check_store(store: str, path: Path) -> list[str]:
    corpus = load_corpus(str(path))
    texts = [n.text for n in corpus.notes]
    items, problems = read_items(label_file(store))
    seen: set[str] = set()
    for item in items:
        iid = item.get("id", "?")
        if iid in seen:
            problems.append(f"{iid}: id used twice")
        seen.add(iid)
        form = check_form(store, item)
        problems += form
        if form:
            continue
        allowed = item.get("min_matches", 1)
        for sub in item["notes"]:
            hits = sum(sub in t for t in texts)
            if hits == 0:
                problems.append(f"{iid}: matches no note: {sub[:80]!r}")
            elif hits > allowed:
                problems.append(f"{iid}: matches {hits} notes (allowed {allowed}): {sub[:80]!r}")
        if item["kind"] == "superseded":
            newer = [t for t in texts if item["notes"][-1] in t]
            if not any(item["keep"] in t for t in newer):
                problems.append(f"{iid}: keep is not in the newer note: {item['keep'][:80]!r}")
    return problems


def main(argv: list[str]) -> int:
    names = argv or list(STORES)
    unknown = [n for n in names if n not in STORES]
    if unknown:
        print(f"unknown store(s) {unknown}; known: {list(STORES)}")
        return 2
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (the public Letta agent files live in ../shared/data)")
        return 0
    bad = 0
    for name in names:
        path = DATA / STORES[name]
        if not path.is_file():
            print(f"{name}: skipped, {path} is absent")
            continue
        if not label_file(name).is_file():
            print(f"{name}: no label file {label_file(name).name}")
            bad += 1
            continue
        problems = check_store(name, path)
        count = sum(1 for line in label_file(name).read_text(encoding="utf-8").splitlines() if line.strip())
        print(f"{name}: {count} items, {len(problems)} problem(s)")
        for p in problems:
            print(f"  {p}")
        bad += len(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
