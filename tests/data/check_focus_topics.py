"""Check the hand labels in focus_topics.jsonl against the stores they name.

Each row names a store, a focus phrasing, the topic phrase inside it, and two
lists of notes: those the topic must match and those it must not match. A list
entry is a verbatim substring of a note's text as the loader reads it
(``Note.text``). A plain string must occur in exactly one note; an object
``{"text": ..., "min_matches": N}`` is used when a verbatim copy of the note
appears N times in the store, and must then occur in exactly N notes (so a
label never silently widens if the store changes).

The checker verifies, per row:
  * every entry resolves to the expected number of notes;
  * no note is in both lists;
  * no note is listed twice in one list;
  * ``generic`` rows have an empty must_match;
  * the topic phrase occurs in the focus phrasing (case-insensitive);
and warns when a row has fewer than 3 must_not_match entries.

Only ``workbench.load_corpus`` is used. The Letta stores live in the shared data
folder ``../shared/data`` next to the repository root; when it is absent those
rows are skipped with a message. Exit status is 1 when any error is found.

    python tests/data/check_focus_topics.py [path/to/focus_topics.jsonl]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
sys.path.insert(0, str(REPO_ROOT))

from workbench import load_corpus  # noqa: E402

SAMPLE_STORES = {
    "coding-assistant": REPO_ROOT / "sample-data" / "coding-assistant" / "store.json",
    "legal-research": REPO_ROOT / "sample-data" / "legal-research" / "store.json",
}
LETTA_STORES = {
    "void": SHARED_DATA / "letta_void_current_schema.af",
    "lettabot": SHARED_DATA / "letta_lettabot_current_schema.af",
    "co-3": SHARED_DATA / "letta_co-3_current_schema.af",
    "loop": SHARED_DATA / "letta_loop_current_schema.af",
}
STORES = {**SAMPLE_STORES, **LETTA_STORES}
REQUIRED = ("id", "store", "focus", "topic", "must_match", "must_not_match", "why")


def _entry(entry):
    """(substring, expected count) of a list entry, or None when malformed."""
    if isinstance(entry, str) and entry:
        return entry, 1
    if isinstance(entry, dict) and isinstance(entry.get("text"), str) and entry["text"]:
        n = entry.get("min_matches", 1)
        if isinstance(n, int) and n >= 1 and set(entry) <= {"text", "min_matches"}:
            return entry["text"], n
    return None


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("focus_topics.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    errors: list[str] = []
    warnings: list[str] = []
    corpora: dict[str, list] = {}
    skipped: dict[str, int] = defaultdict(int)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # rows, mm entries, mm notes, mnm entries, mnm notes
    seen_ids: set[str] = set()

    for row in rows:
        rid = row.get("id", "?")
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            errors.append(f"{rid}: missing keys {missing}")
            continue
        if rid in seen_ids:
            errors.append(f"{rid}: duplicate row id")
        seen_ids.add(rid)
        store = row["store"]
        if store not in STORES:
            errors.append(f"{rid}: unknown store {store!r}")
            continue
        if row["topic"].lower() not in row["focus"].lower():
            errors.append(f"{rid}: topic {row['topic']!r} does not occur in focus {row['focus']!r}")
        if row.get("generic") and row["must_match"]:
            errors.append(f"{rid}: generic row must have an empty must_match")
        if not STORES[store].exists():
            skipped[store] += 1
            continue
        if store not in corpora:
            corpora[store] = load_corpus(str(STORES[store])).notes
        notes = corpora[store]

        listed: dict[str, set[str]] = {}
        for key in ("must_match", "must_not_match"):
            ids: set[str] = set()
            n_notes = 0
            for entry in row[key]:
                parsed = _entry(entry)
                if parsed is None:
                    errors.append(f"{rid}: {key}: malformed entry {entry!r}")
                    continue
                text, expected = parsed
                hits = [n.id for n in notes if text in n.text]
                if len(hits) != expected:
                    errors.append(
                        f"{rid}: {key}: {text[:60]!r} matches {len(hits)} notes, expected {expected}"
                    )
                dup = ids.intersection(hits)
                if dup:
                    errors.append(f"{rid}: {key}: {text[:60]!r} lists note(s) already listed: {sorted(dup)}")
                ids.update(hits)
                n_notes += len(hits)
            listed[key] = ids
            s = stats[store]
            if key == "must_match":
                s[1] += len(row[key])
                s[2] += n_notes
            else:
                s[3] += len(row[key])
                s[4] += n_notes
        both = listed["must_match"] & listed["must_not_match"]
        if both:
            errors.append(f"{rid}: note(s) in both lists: {sorted(both)}")
        if len(row["must_not_match"]) < 3:
            warnings.append(f"{rid}: only {len(row['must_not_match'])} must_not_match entries")
        stats[store][0] += 1

    print(f"{path.name}: {len(rows)} rows")
    print(f"{'store':<18}{'rows':>6}{'match':>8}{'(notes)':>9}{'not':>7}{'(notes)':>9}")
    total = [0, 0, 0, 0, 0]
    for store in STORES:
        if store in stats:
            s = stats[store]
            total = [a + b for a, b in zip(total, s)]
            print(f"{store:<18}{s[0]:>6}{s[1]:>8}{s[2]:>9}{s[3]:>7}{s[4]:>9}")
    print(f"{'total':<18}{total[0]:>6}{total[1]:>8}{total[2]:>9}{total[3]:>7}{total[4]:>9}")
    generic = sum(1 for r in rows if r.get("generic"))
    empty = sum(1 for r in rows if not r.get("must_match"))
    print(f"generic rows: {generic}; rows matching nothing (incl. generic): {empty}")
    for store, n in skipped.items():
        print(f"SKIPPED {n} row(s) for {store}: {STORES[store]} not found "
              f"(the Letta stores live in {SHARED_DATA})")
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
