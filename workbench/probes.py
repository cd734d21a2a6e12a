"""Probes: questions a memory store should answer, with the evidence that answers them.

    probes = load_probes("probes.jsonl", corpus)        # written by a researcher (JSONL or CSV)
    probes = locomo_probes("locomo10.json")             # LoCoMo QA, categories 1-4
    probes = generate_probes(corpus.store)              # one per note that states a value
    probes = session_probes(analysis)                   # the sessions' questions and supporting sentences

A probe has an `id`, a `question`, acceptable `answers` and `evidence`: note ids
(`<memory id>#<n>`), memory paths (`/…`) or session turn ids; a researcher's probe needs at
least one of the two. `workbench.evaluate` asks the store each probe by retrieval: the answer
must be held by the top k notes (matched by `workbench.answers`) and, when evidence is given, a
note backed by it must be among them; each is a net of its own.

What a generated probe can test: the note's own wording with its value blanked out is the
question and the value is the answer, so retrieval before the dream succeeds almost by
construction. A generated probe therefore measures *retention* (is this value still stated by
a note that descends from the original one, and still found among the top k?), not whether
the store answers paraphrased or multi-hop questions; LoCoMo's QA or a researcher's file
does that. A probe whose value a conflict update replaced on purpose is reported as
"answer changed", which is what such an update is meant to do.

A session probe is what a person asked or said in a session: a user question, or a session
sentence that states a note's fact (at the analysis's support bar), with that note as its
evidence and no answer. Only the evidence net watches it: is the note, or one descending from it,
still among the top k for the words people actually used?
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ReaderError
from .records import Corpus, Note, Store

if TYPE_CHECKING:
    from .analysis import Analysis

LOCOMO_CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
COLUMNS = ("id", "question")
OPTIONAL = ("answer", "evidence", "category")
LIST_SEPARATOR = "|"  # several answers or evidence ids in one CSV cell
MAX_TEXT = 4096  # characters of a question or of one answer (as of focus instructions)


@dataclass(frozen=True)
class Probe:
    """A question, the answers accepted for it, and the notes, paths or turns that answer it."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    source: str = "file"  # file | locomo | generated | session
    category: str | None = None  # LoCoMo's category; a session probe's "question" or "fact"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "question": self.question}
        if self.answers:
            out["answer"] = list(self.answers) if len(self.answers) > 1 else self.answers[0]
        out["evidence"] = list(self.evidence)
        out["source"] = self.source
        if self.category:
            out["category"] = self.category
        return out


# --- a researcher's file ----------------------------------------------------------------------


def load_probes(path: str | Path, corpus: Corpus | None = None) -> list[Probe]:
    """Probes from a JSONL or CSV file (or LoCoMo's JSON), every evidence id checked against `corpus`.

    Any problem raises one `ReaderError` naming the file, line and field; nothing is returned.
    """
    from .files import read_head, read_text
    from .io.parsing import iter_jsonl

    path = Path(path)
    if path.suffix.lower() == ".json" and '"conversation"' in read_head(path):
        return locomo_probes(path)
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path, read_text(path))
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = list(iter_jsonl(path))
    else:
        raise ReaderError("probes are read from .jsonl, .csv or LoCoMo .json files", source=str(path))
    probes = _parse_rows(path, rows)
    if corpus is not None:
        check_evidence(probes, corpus, source=str(path), lines={p.id: n for p, (n, _) in zip(probes, rows)})
    return probes


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _csv_records(path, reader)
    except csv.Error as exc:
        from .io.parsing import csv_error

        raise csv_error(exc, path, reader.line_num) from None


def _csv_records(path: Path, reader: csv.DictReader) -> list[tuple[int, dict[str, Any]]]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    for name in COLUMNS:
        if name not in header:
            raise ReaderError(f"missing column (the header has {', '.join(header) or 'nothing'})",
                              source=str(path), line=1, field=name)
    reader.fieldnames = header
    rows = []
    line = 1
    for row in reader:
        line_start, line = line + 1, reader.line_num
        if None in row:
            raise ReaderError("more cells than columns", source=str(path), line=line_start)
        cells = {k: (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        rows.append((line_start, {k: _split(v) if k in ("answer", "evidence") else v for k, v in cells.items()}))
    return rows


def _split(cell: str) -> list[str] | None:
    parts = [p.strip() for p in cell.split(LIST_SEPARATOR) if p.strip()]
    return parts or None


def _parse_rows(path: Path, rows: Iterable[tuple[int, Any]]) -> list[Probe]:
    probes: list[Probe] = []
    first: dict[str, int] = {}
    for line, row in rows:
        probe = _probe(row, str(path), line)
        if probe.id in first:
            raise ReaderError(f"duplicate probe id {probe.id!r} (first on line {first[probe.id]})",
                              source=str(path), line=line, field="id")
        first[probe.id] = line
        probes.append(probe)
    if not probes:
        raise ReaderError("no probes in the file", source=str(path))
    return probes


def _probe(row: Any, source: str, line: int) -> Probe:
    where = {"source": source, "line": line}
    if not isinstance(row, Mapping):
        raise ReaderError(f"expected an object, got {type(row).__name__}", **where)
    for name in COLUMNS:
        if name not in row or row[name] is None:
            raise ReaderError("missing", field=name, **where)
    ident = row["id"]
    if isinstance(ident, bool) or not isinstance(ident, (str, int)) or not str(ident).strip():
        raise ReaderError(f"expected a non-empty string, got {ident!r}", field="id", **where)
    question = row["question"]
    if not isinstance(question, str) or not question.strip():
        raise ReaderError("empty question" if isinstance(question, str) else
                          f"expected a string, got {type(question).__name__}", field="question", **where)
    _check_size(question, "question", where)
    answers, evidence = _strings(row.get("answer"), "answer", where), _strings(row.get("evidence"), "evidence", where)
    if not answers and not evidence:
        raise ReaderError("a probe needs an answer or evidence (note ids, memory paths or turn ids); "
                          "with neither it can never be answered", field="answer", **where)
    return Probe(str(ident).strip(), " ".join(question.split()), answers, evidence, "file",
                 str(row["category"]) if row.get("category") not in (None, "") else None)


def _strings(value: Any, name: str, where: dict[str, Any]) -> tuple[str, ...]:
    """A string, a number or a list of them, as non-empty strings (None: nothing)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ReaderError(f"expected a string or a list of strings, got {type(item).__name__}",
                              field=name, **where)
        text = str(item).strip()
        if not text:
            raise ReaderError("empty string", field=name, **where)
        if name == "answer":
            _check_size(text, name, where)
        out.append(text)
    return tuple(dict.fromkeys(out))


def _check_size(text: str, name: str, where: dict[str, Any]) -> None:
    if len(text) > MAX_TEXT:
        raise ReaderError(f"{len(text):,} characters; a probe's {name} holds at most {MAX_TEXT:,}", field=name,
                          **where)


def check_evidence(probes: Sequence[Probe], corpus: Corpus, *, source: str | None = None,
                   lines: Mapping[str, int] | None = None) -> None:
    """Every evidence id must name a note, a memory path or a turn of the corpus (or a note's provenance)."""
    notes = corpus.note_by_id
    paths = corpus.store.by_path
    turns = set(corpus.turn_by_id) | {t for n in corpus.notes for t in n.evidence}
    for probe in probes:
        for item in probe.evidence:
            if item in notes or item in paths or item in turns:
                continue
            kind = "memory path" if item.startswith("/") else "note id" if "#" in item else "note or turn id"
            raise ReaderError(f"unknown {kind} {item!r} (probe {probe.id!r})", source=source,
                              line=(lines or {}).get(probe.id), field="evidence")


# --- LoCoMo ---------------------------------------------------------------------------------


def locomo_probes(path: str | Path, *, categories: Iterable[int] = tuple(LOCOMO_CATEGORIES),
                  samples: Iterable[str] | None = None) -> list[Probe]:
    """LoCoMo QA items of the chosen categories (adversarial category 5 has no answer), with evidence turns."""
    from .io.locomo import locomo_qa

    wanted = set(categories)
    unknown = wanted - set(LOCOMO_CATEGORIES)
    if unknown:
        raise ReaderError(f"LoCoMo categories are 1-4 here (5 is adversarial, without an answer); got {sorted(unknown)}")
    chosen = set(samples) if samples is not None else None
    probes = []
    counts: dict[str, int] = {}
    for item in locomo_qa(path):
        if item["category"] not in wanted or (chosen is not None and item["sample_id"] not in chosen):
            continue
        if not item["evidence"] or not item.get("answer"):
            continue
        n = counts[item["sample_id"]] = counts.get(item["sample_id"], 0) + 1
        probes.append(Probe(f"{item['sample_id']}/qa{n}", item["question"], (item["answer"],),
                            tuple(item["evidence"]), "locomo", LOCOMO_CATEGORIES[item["category"]]))
    return probes


# --- generated from the store ---------------------------------------------------------------

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_VALUE = re.compile(
    r"`[^`\n]+`"                                                    # a code span
    rf"|\b\d{{1,2}} {_MONTH}(?:,? \d{{4}})?\b|\b{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b"  # a date
    rf"|\b{_MONTH},? \d{{4}}\b"
    r"|(?<![\w`])[\w@#:/.+-]*\d[\w@#:/.%+-]*(?<![.:/-])"            # a number, version, host, time
    r"|(?<![\w`])[A-Za-z]+(?:[._@#][A-Za-z0-9]+)+\b"                # an identifier (a.b, a_b, a@b)
    r"|\b[a-z]+[A-Z]\w*\b"                                          # camelCase
)
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
MIN_QUESTION_WORDS = 3


def note_value(text: str, names: Iterable[str] = ()) -> tuple[int, int] | None:
    """The span of a note's value: its last code span, date, number, version or identifier,
    else its last proper name after the first word (the subject); None when it states none."""
    spans = [m.span() for m in _VALUE.finditer(text)]
    if not spans:
        lowered = set(names)
        spans = [m.span() for m in _WORD.finditer(text)
                 if m.start() > 0 and m.group(0)[0].isupper() and m.group(0).lower() in lowered]
    return spans[-1] if spans else None


def generate_probes(store: Store | Corpus, *, limit: int | None = None) -> list[Probe]:
    """One probe per note that states a value: the note with its value blanked is the question,
    the value is the answer, the note and its provenance turns are the evidence (offline, deterministic)."""
    from .compare import proper_nouns

    notes: Sequence[Note] = store.notes
    names = proper_nouns([n.text for n in notes])
    probes = []
    for note in notes:
        probe = note_probe(note, names)
        if probe is not None:
            probes.append(probe)
    return probes[:limit] if limit is not None else probes


def note_probe(note: Note, names: Iterable[str] = ()) -> Probe | None:
    """The generated probe of one note (None for code blocks and notes without a value)."""
    if note.kind == "code":
        return None
    text = " ".join(note.text.split())
    span = note_value(text, names)
    if span is None:
        return None
    start, end = span
    value = text[start:end].strip("`").strip()
    question = (text[:start] + "___" + text[end:]).strip()
    if len(_WORD.findall(question)) < MIN_QUESTION_WORDS or not normalize(value):
        return None
    return Probe(f"gen:{note.id}", question, (value,), (note.id, *note.evidence), "generated")


# --- from the sessions ----------------------------------------------------------------------

SESSION_PROBES = 400  # the most session probes taken, in statement order
QUESTION_SHARE = 0.8  # a user question needs this share of the support bar to count as asking about a note


def session_probes(analysis: Analysis, *, limit: int | None = SESSION_PROBES) -> list[Probe]:
    """Probes from the sessions: each session sentence that supports a note (the same fact, at the
    analysis's support bar) and each user question close to a note, with that note as evidence
    (the closest one) and no answer, so the evidence net watches them."""
    mentions = analysis.mentions
    support_bar = analysis.bars["support"]
    statements = {s.id: s for s in analysis.statements}
    best: dict[str, tuple[float, str]] = {}
    asked: dict[str, tuple[float, str]] = {}
    for row in mentions[mentions.similarity >= support_bar * QUESTION_SHARE].itertuples():
        said = statements[row.statement]
        if row.relation == "duplicate" and row.similarity >= support_bar:
            chosen = best
        elif said.role == "user" and said.text.rstrip().endswith("?"):
            chosen = asked
        else:
            continue
        if row.similarity > chosen.get(row.statement, (-1.0, ""))[0]:
            chosen[row.statement] = (row.similarity, row.note)
    best = {**asked, **best}  # a question that also states a note's fact keeps the note it states
    probes = []
    for statement_id, (_, note_id) in sorted(best.items()):
        said = statements[statement_id]
        kind = "question" if said.text.rstrip().endswith("?") else "fact"
        probes.append(Probe(f"session:{statement_id}", " ".join(said.text.split()), (), (note_id,), "session", kind))
    return probes[:limit] if limit is not None else probes


# --- answers --------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_PUNCT = re.compile(r"[^\w\s]")
_POSSESSIVE = re.compile(r"'s\b")


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's answer normalization)."""
    text = _PUNCT.sub(" ", _POSSESSIVE.sub("", str(text).lower().replace("’", "'")))
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """True when every word of one acceptable answer occurs in `text` (normalized, any order)."""
    words = set(normalize(text).split())
    return any(set(normalize(a).split()) <= words for a in answers if normalize(a))


__all__ = ["Probe", "load_probes", "check_evidence", "locomo_probes", "generate_probes", "note_probe", "session_probes",
           "note_value", "normalize", "contains_answer", "LOCOMO_CATEGORIES"]
