"""The labels notes open with (`Status: open`, `**Why:**`, `@alice:`) and what they say about a document.

A label repeated across the sections or documents of one shape is the key of a record; the signals
of a pair candidate (`workbench.candidates`) ask whether a note is such an attribute line, an item
of a list, or one version of a record another document holds.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .analysis import Analysis, memoized
from .compare import key_of, profile
from .markdown import label_body
from .records import EPOCH, Note
from .text import CHANGE_MARKERS, find_dates


@lru_cache(maxsize=200_000)
def label_of(text: str) -> str:
    """The label a note opens with: the key of `Key: value`, or `**Label:**`, or a name before a colon
    (`@handle: …`), or a term in bold, quotes or code that a definition follows (`**detach** `<path>` - …`,
    `"create": …`); "" when it has none."""
    label, _ = label_body(text)
    if label:
        return label
    if key_of(text) is not None:
        return text.split(":", 1)[0].strip()
    head = _NAMED_LABEL.match(text) or _TERM.match(text)
    return head.group(1).strip() if head else ""


_NAMED_LABEL = re.compile(r"^\s*([@#]?[\w.\-/]+[\w])\s*:\s+\S")
# a term in bold, quotes or code that a definition follows: `**title** (required): …`, `"create": …`,
# `**detach** `<path>` - remove from context`
_TERM = re.compile(r"^\s*(?:\*\*|__|[\"“`])([^*_\"”`\n]{1,40}?)(?:\*\*|__|[\"”`])(?:\s*\([^)\n]{0,30}\)|\s*`[^`\n]{0,30}`)?"
                   r"\s*(?::|[—–-]\s)\s*\S")


def record_labels(analysis: Analysis) -> frozenset[tuple[str, str]]:
    """(document, label) of labels that open notes in two sections or more of one document, in three documents
    or more, or in two documents of one shape (sharing another label): the keys of records (`Status`,
    `Description`, `Reporter` under each issue, `Plan:` in each customer's file, `**Why:**` under each rule),
    whose lines belong to their own title or document."""
    def compute() -> frozenset[tuple[str, str]]:
        places: dict[tuple[str, str], set[str]] = {}
        documents: dict[str, set[str]] = {}
        labels: dict[str, set[str]] = {}
        for n in analysis.corpus.notes:
            label = label_of(n.text).casefold()
            if label:
                places.setdefault((n.memory_id, label), set()).add(n.section)
                documents.setdefault(label, set()).add(n.memory_id)
                labels.setdefault(n.memory_id, set()).add(label)

        def template(label: str) -> bool:  # documents of one shape: they share another label too
            docs = sorted(documents[label])
            return any(len(labels[a] & labels[b]) >= 2 for i, a in enumerate(docs) for b in docs[i + 1:])
        return frozenset(key for key, sections in places.items()
                         if len(sections) >= 2 or len(documents[key[1]]) >= 3 or template(key[1]))
    return memoized(analysis, "record_labels", compute)


def is_attribute(analysis: Analysis, note: Note) -> bool:
    """An attribute line of a record: a label its document uses under two titles or more, or that three
    documents use (`Status: open`, `Plan: Pro`)."""
    label = label_of(note.text).casefold()
    return bool(label) and (note.memory_id, label) in record_labels(analysis)


def one_record(analysis: Analysis, a: Note, b: Note) -> bool:
    """Two documents of one shape hold one record (two versions of one entity) when every other label they
    share carries the same value in both: `First name: Chad` and `First name: Sarah` beside the same
    `Occupation: …` are one person's name, not two customers' plans."""
    if a.memory_id == b.memory_id:
        return False
    by_memory = _labelled(analysis)
    values_a, values_b = by_memory.get(a.memory_id), by_memory.get(b.memory_id)
    if not values_a or not values_b:
        return False
    shared = (values_a.keys() & values_b.keys()) - {label_of(a.text).casefold()}
    return bool(shared) and all(values_a[k] == values_b[k] for k in shared)


def _labelled(analysis: Analysis) -> dict[str, dict[str, str]]:
    """Memory id → label (casefolded) → the whitespace-normalised text of the document's last note opening with it."""
    def compute() -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for n in analysis.corpus.notes:
            if label := label_of(n.text):
                out.setdefault(n.memory_id, {})[label.casefold()] = " ".join(n.text.split())
        return out
    return memoized(analysis, "labelled_values", compute)


def is_list_item(analysis: Analysis, note: Note) -> bool:
    """A label that opens three notes or more of one section: the items of a list (`Hypothesis: …`), not a slot."""
    label = label_of(note.text).casefold()
    return bool(label) and sum(label_of(n.text).casefold() == label for n in document_notes(analysis, note.memory_id)
                               if n.section == note.section) >= 3


def label_subjects_differ(a: Note, b: Note, analysis: Analysis) -> bool:
    """Both notes open with a label that names a subject (a handle, a name, code, a path, a value) and the two
    labels differ: `@alice: a suspected bot` and `@bob: a suspected bot` are about two accounts. One label
    naming no subject the other lacks (“GitHub” ↔ “GitHub handle”, “Maya has a new number” ↔ “Babysitter Maya
    Torres”) is one subject, said two ways."""
    return labels_differ(label_of(a.text), label_of(b.text), analysis, named=True)


def labels_differ(la: str, lb: str, analysis: Analysis, named: bool = False) -> bool:
    """Two labels name two subjects: each names one once its change words and dates are set aside, they differ,
    and neither names only what the other does; with `named`, each must name a name or value."""
    la, lb = label_subject(la), label_subject(lb)
    if not la or not lb or la.casefold() == lb.casefold():
        return False
    pa, pb = profile(la, _names(analysis)), profile(lb, _names(analysis))
    sa, sb = pa.names | pa.values, pb.names | pb.values
    if named and not (sa and sb):
        return False
    return not (sa and sb and (sa <= sb or sb <= sa))


@lru_cache(maxsize=20_000)
def label_subject(label: str) -> str:
    """A label without the words that name no subject: change words (“Correction”, “Update”, “As of”) and dates
    (“(2026-05-19)”, “Nov 18”); "" when nothing else is left."""
    spans = [(m.start, m.end) for m in find_dates(label, EPOCH)]
    spans += [m.span() for m in CHANGE_MARKERS.finditer(label)]
    kept = "".join(" " if any(s <= i < e for s, e in spans) else ch for i, ch in enumerate(label))
    kept = re.sub(r"\(\s*\)|[\s,;:\-–—]+$|^[\s,;:\-–—]+", "", re.sub(r"\s+", " ", kept)).strip()
    return kept if re.search(r"[^\W\d_]", kept) else ""


def _names(analysis: Analysis) -> frozenset[str]:
    return memoized(analysis, "label_names", lambda: frozenset(
        w for p in analysis.profiles.values() for w, k in zip(p.sequence, p.kinds) if k == "name"))


def document_notes(analysis: Analysis, memory_id: str) -> list[Note]:
    """The notes of one document."""
    by_memory = memoized(analysis, "notes_by_memory", lambda: _by_memory(analysis))
    return by_memory.get(memory_id, [])


def _by_memory(analysis: Analysis) -> dict[str, list[Note]]:
    out: dict[str, list[Note]] = {}
    for n in analysis.corpus.notes:
        out.setdefault(n.memory_id, []).append(n)
    return out
