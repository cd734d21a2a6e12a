"""Check the held-out label files against the stores as load_corpus loads them.

Rules (see /work/shared/LABELLING.md, "A file of items"):
- every substring in `notes` is a verbatim, case-sensitive substring of some Note.text;
- without `min_matches`, each substring matches exactly one note and the item's
  substrings name different notes;
- with `min_matches: N`, the item's substrings together match exactly N notes;
- for `superseded`, `keep` matches exactly one note: the one named by the last entry of `notes`.

Run from the repo root: PYTHONPATH=. .venv/bin/python benchmarks/labels/heldout/check.py
"""
import json
import sys
from collections import Counter
from pathlib import Path

from workbench import load_corpus

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "data" / "heldout"
STORES = {
    "home-assistant": DATA / "home-assistant.af",
    "sre-agent": DATA / "sre-agent",
    "sales-crm": DATA / "sales-crm",
    "tutor": DATA / "tutor.af",
    "oss-maintainer": DATA / "oss-maintainer",
    "clinic-desk": DATA / "clinic-desk.af",
    "bike-shop": DATA / "bike-shop",
    "grant-office": DATA / "grant-office.af",
}
KINDS = ("duplicate", "superseded", "stale", "forbidden_merge")
REQUIRED = ("store", "id", "kind", "notes", "why")


def matching(notes, sub):
    return [i for i, n in enumerate(notes) if sub in n.text]


def check_store(store, path, label_file):
    problems = []
    counts = Counter()
    corpus = load_corpus(str(path))
    notes = corpus.notes
    seen_ids = set()
    for lineno, line in enumerate(label_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{label_file.name}:{lineno}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: bad JSON: {e}")
            continue
        for key in REQUIRED:
            if key not in item:
                problems.append(f"{where}: missing field {key!r}")
        iid = item.get("id", where)
        where = f"{where} [{iid}]"
        if iid in seen_ids:
            problems.append(f"{where}: duplicate id")
        seen_ids.add(iid)
        if item.get("store") != store:
            problems.append(f"{where}: store is {item.get('store')!r}, expected {store!r}")
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: unknown kind {kind!r}")
            continue
        counts[kind] += 1
        subs = item.get("notes") or []
        if not isinstance(subs, list) or not subs:
            problems.append(f"{where}: notes must be a non-empty list")
            continue
        hits = [matching(notes, s) for s in subs]
        for s, h in zip(subs, hits):
            if not h:
                problems.append(f"{where}: no note contains {s!r}")
        mm = item.get("min_matches")
        if mm is not None:
            union = set().union(*map(set, hits))
            if len(union) != mm:
                problems.append(f"{where}: min_matches={mm} but substrings match {len(union)} notes")
        else:
            for s, h in zip(subs, hits):
                if len(h) > 1:
                    problems.append(f"{where}: {s!r} matches {len(h)} notes, expected 1")
            singles = [h[0] for h in hits if len(h) == 1]
            if len(singles) != len(set(singles)):
                problems.append(f"{where}: two substrings name the same note")
            if kind in ("duplicate", "superseded", "forbidden_merge") and len(subs) < 2:
                problems.append(f"{where}: {kind} needs at least two notes (or min_matches)")
        if kind == "superseded":
            keep = item.get("keep")
            if not keep:
                problems.append(f"{where}: superseded item without keep")
            else:
                kh = matching(notes, keep)
                if len(kh) != 1:
                    problems.append(f"{where}: keep {keep!r} matches {len(kh)} notes, expected 1")
                elif hits[-1] and kh[0] not in hits[-1]:
                    problems.append(f"{where}: keep does not match the newer (last) note")
                elif len(hits) > 1 and kh[0] in set().union(*map(set, hits[:-1])):
                    problems.append(f"{where}: keep also matches an older note")
        elif "keep" in item:
            problems.append(f"{where}: keep only belongs on superseded items")
    return len(notes), counts, problems


def main():
    all_problems = []
    total = Counter()
    for store, path in STORES.items():
        label_file = HERE / f"{store}.jsonl"
        if not label_file.exists():
            all_problems.append(f"{store}: missing {label_file.name}")
            continue
        n_notes, counts, problems = check_store(store, path, label_file)
        total.update(counts)
        print(f"{store}: {n_notes} notes, {sum(counts.values())} items  "
              + "  ".join(f"{k}={counts[k]}" for k in KINDS))
        all_problems.extend(f"{store}: {p}" for p in problems)
    print("total: " + "  ".join(f"{k}={total[k]}" for k in KINDS))
    for p in all_problems:
        print("PROBLEM", p)
    print("clean" if not all_problems else f"{len(all_problems)} problem(s)")
    return 0 if not all_problems else 1


if __name__ == "__main__":
    sys.exit(main())
