"""What Claude reads: the system prompt, the candidates as prompts, the forced tool, the requests.

The analysis finds the candidates (`workbench.candidates`) and the rules give their reading of
each (`workbench.dream.rules`); `prompts_for` keeps what the model must judge — every
candidate the rules would change, and conflicts the rules cannot order — within the focus. A
request sends each note and quoted sentence once, in tables under short aliases (n1, q1, sessions
s1) the candidates name; `Prompt.keep` maps the note aliases back to ids.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ...analysis import Analysis
from ...candidates import Candidate
from ...focus import Focus
from ...records import Note
from ...statements import Statement
from ..plan import Question
from ..planner import Planner
from ..questions import ask
from ..rules import Verdict, judged_candidates

TOOL_NAME = "record_verdicts"

SYSTEM = """\
You review proposed changes to the long-term memory store of an AI agent. The store holds notes \
(one fact each) in markdown documents; a note's `section` (its headings) and `under` (the list items \
it is nested in) are part of what it means. Past sessions show what the user said since. Analysis \
code has already found the candidates below and says how they differ (`analysis`, with the rule \
that proposed the change and that rule's measured precision); you judge each one. A false merge or \
deletion silently loses a fact: when in doubt, reject.

Each batch lists every note it cites once under `notes` (alias n1, n2, …: path, section, under, \
updated, text) and every quoted sentence of a session turn once under `quotes` (alias q1, …: session \
s1, s2, …, time in UTC, role, text; «…» marks the quoted sentence inside its turn). Candidates name \
them by alias, and so does `keep`; a proposal's `quote` proposes that quoted sentence as the `text`.

Candidate kinds and what `accept` does:
- conflict: two notes give one subject different values. accept = keep one value (`keep` = that \
note's alias; `text` may reword it) and drop the other. reject = they do not really conflict.
- session_conflict: a later session turn states a different value than a note. accept = rewrite \
the note to the latest value (`text`, default the proposal). reject = the note still holds.
- duplicate: notes that may say the same thing. accept = merge them into one (`keep` = the note \
kept in place, `text` = its wording, default the proposal). reject = they differ in a fact that \
matters (a negation, swapped roles, another value or date): a false merge silently deletes a fact.
- prune: a note whose expiry date or deadline has passed, or an old one-off that no recent session \
mentions. accept = delete it. reject = the agent still needs it.
- insight: a fact stated in several sessions that no note holds. accept = add it (`text` = one \
self-contained sentence, `path` = a document path starting with '/', default the proposal). \
reject = not durable or not worth remembering.

Judge only from the notes and quotes given; never invent facts. The researcher's focus \
instructions below override these defaults. For every candidate give a `decision`, a \
one-sentence `rationale` a reviewer can check, and a calibrated `confidence` in [0, 1] \
(0.9 or more only when the evidence is unambiguous)."""

TOOL = {
    "name": TOOL_NAME,
    "description": "Record exactly one verdict for every candidate of this batch.",
    "input_schema": {
        "type": "object",
        "properties": {"verdicts": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "candidate": {"type": "string", "description": "the candidate id, e.g. c3"},
                "decision": {"type": "string", "enum": ["accept", "reject"]},
                "keep": {"type": "string", "description": "conflict, duplicate: the alias of the note to keep, e.g. n2"},
                "text": {"type": "string", "description": "optional new wording of the resulting note"},
                "path": {"type": "string", "description": "insight: optional document path, starting with '/'"},
                "rationale": {"type": "string", "description": "one sentence: why"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["candidate", "decision", "rationale", "confidence"],
        }}},
        "required": ["verdicts"],
    },
}

# What accepting a candidate of each kind does, as an operation kind.
ACTION = {"duplicate": "merge", "conflict": "update", "session_conflict": "update", "prune": "delete",
          "insight": "create"}


@dataclass(frozen=True)
class Prompt:
    """A candidate as the model reads it, and what `accept` means (the rules' proposal, if any).

    `prompt` names notes and quotes by short aliases (n1, q1); `rows` holds the table rows it names,
    sent once per request; `keep` maps the aliases `keep` may name back to note ids."""

    id: str
    kind: str  # conflict | session_conflict | duplicate | prune | insight
    prompt: dict[str, Any]
    candidate: Candidate
    proposal: Verdict | None = None
    keep: dict[str, str] = field(default_factory=dict)  # note alias -> note id
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # alias -> notes or quotes table row


# --- candidates as prompts ---------------------------------------------------------------


class _Tables:
    """The notes and quotes the prompts cite, each under a short alias given once per run."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.aliases: dict[tuple[str, str], str] = {}  # (prefix, note, statement or session id) -> alias
        self.counts: Counter[str] = Counter()  # aliases given, by prefix
        self.rows: dict[str, dict[str, Any]] = {}

    def _alias(self, key: str, prefix: str) -> tuple[str, bool]:
        """The alias of `key`, and whether it is new."""
        if (prefix, key) in self.aliases:
            return self.aliases[prefix, key], False
        self.counts[prefix] += 1
        self.aliases[prefix, key] = f"{prefix}{self.counts[prefix]}"
        return self.aliases[prefix, key], True

    def note(self, note: Note) -> str:
        alias, new = self._alias(note.id, "n")
        if new:
            row: dict[str, Any] = {"path": note.path}
            if note.section:
                row["section"] = note.section
            if note.parents:
                row["under"] = list(note.parents)
            self.rows[alias] = {**row, "updated": _when(note.updated_at), "text": note.text}
        return alias

    def quote(self, statement: Statement, context: bool) -> str | None:
        """The alias of a quoted sentence; with `context`, its row shows the sentence inside its turn."""
        turn = self.analysis.corpus.turn_by_id.get(statement.turn_id)
        if turn is None:
            return None
        alias, new = self._alias(statement.id, "q")
        if new:
            session = self._alias(statement.session_id, "s")[0]
            self.rows[alias] = {"session": session, "at": _when(turn.at), "role": turn.role, "text": statement.text}
        if context:
            self.rows[alias]["text"] = _in_turn(statement.text, turn.text)
        return alias


def _when(at: datetime | None) -> str | None:
    """A time to the minute, UTC."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if at else None


def _in_turn(quote: str, turn: str, width: int = 120) -> str:
    """The quote marked «…» inside up to `width` characters of its turn on each side."""
    at = turn.find(quote)
    if at < 0 or turn.strip() == quote.strip():
        return quote if at >= 0 else f"«{quote}» (turn: {turn[:2 * width]})"
    before, after = turn[:at], turn[at + len(quote):]
    if len(before) > width:
        before = "…" + before[-width:].split(" ", 1)[-1]
    if len(after) > width:
        after = after[:width].rsplit(" ", 1)[0] + "…"
    return f"{before}«{quote}»{after}"


def _prompt_kind(candidate: Candidate, verdict: Verdict) -> str | None:
    """What the model is asked about a candidate, or None when there is nothing to judge."""
    s = candidate.signals
    action = verdict.action if verdict.action != "none" else verdict.withheld
    if candidate.kind == "pair":
        if action == "merge":
            return "duplicate"
        if action == "update":
            return "conflict"
        if s["parents_differ"] or s["subjects_differ"]:
            return None
        if s["relation"] in ("verbatim", "same_words", "subset"):  # the context may or may not matter
            return "duplicate"
        return "conflict" if s["relation"] in ("negation", "value", "words") and not s["ordered"] else None
    if candidate.kind == "note":  # a passed date, or an old one-off the rules leave to a judge
        return "prune"
    return {("session", "update"): "session_conflict", ("insight", "create"): "insight"}.get(
        (candidate.kind, action))


def _analysis(verdict: Verdict) -> str:
    """The rules' reading: the reason, the rule and its measured precision (said once)."""
    if verdict.action == "none" and not verdict.withheld:
        return f"{verdict.reason}; no rule decides it."
    if f"rule {verdict.rule} is measured" in verdict.reason:  # said with its precision already
        return verdict.reason
    return f"{verdict.reason} (rule {verdict.rule}, precision {verdict.confidence:.2f})"


def _proposal(kind: str, candidate: Candidate, verdict: Verdict, notes: dict[str, str],
              quotes: dict[str, str]) -> dict[str, Any]:
    """What `accept` does by default: notes named by alias, a text that is a quote by the quote's alias
    (`notes`: alias -> note id; `quotes`: alias -> the quoted sentence)."""
    text = {"session_conflict": verdict.text, "insight": candidate.signals.get("text")}.get(kind)
    if text:
        same = [q for q, said in quotes.items() if said == text]
        return {"quote": same[0]} if same else {"text": text}
    if kind in ("conflict", "duplicate") and verdict.keep:
        return {"keep": next(a for a, i in notes.items() if i == verdict.keep)}
    if kind == "prune" and verdict.action == "none":  # a rule's proposal is named in the analysis
        return {"reason": candidate.signals["why"]}
    return {}


def _prompt(n: int, kind: str, candidate: Candidate, verdict: Verdict, tables: _Tables) -> Prompt:
    analysis = tables.analysis
    notes = {tables.note(analysis.corpus.note_by_id[i]): i for i in candidate.notes}
    prompt: dict[str, Any] = {"id": f"c{n}", "kind": kind, "notes": list(notes), "analysis": _analysis(verdict)}
    statements = [analysis.statement_by_id[i] for i in candidate.statements if i in analysis.statement_by_id]
    quotes = {q: s.text for s in statements if (q := tables.quote(s, context=kind == "session_conflict"))}
    if quotes:
        prompt["quotes"] = list(quotes)
    prompt["proposal"] = _proposal(kind, candidate, verdict, notes, quotes)
    keep = notes if kind in ("conflict", "duplicate") else {}
    proposed = verdict if verdict.action != "none" or verdict.withheld else None
    rows = {a: tables.rows[a] for a in [*notes, *quotes]}
    return Prompt(f"c{n}", kind, prompt, candidate, proposed, keep, rows)


# A question of the plan as the kind of prompt that answers it (a session question reads like a conflict).
QUESTION_KIND = {"duplicate": "duplicate", "conflict": "conflict", "stale": "prune", "insight": "insight"}


def prompts_for(analysis: Analysis, focus: Focus) -> list[Prompt]:
    """What the model must judge: every candidate the rules would act on, conflicts they cannot order,
    and the questions the offline plan would put to a person — within the focus scopes and kinds."""
    planner = Planner(analysis, focus)
    judged = judged_candidates(analysis, focus)
    asked = {c: q.kind for q in ask(planner, judged, focus.questions_per_note)[0] for c in q.candidates}
    out: list[Prompt] = []
    tables = _Tables(analysis)
    for candidate, verdict in judged:
        kind = _prompt_kind(candidate, verdict)
        if kind is None and candidate.id in asked and candidate.kind != "session":
            kind = QUESTION_KIND[asked[candidate.id]]
        if kind is None or ACTION[kind] not in focus.kinds or not all(planner.eligible(i) for i in candidate.notes):
            continue
        out.append(_prompt(len(out) + 1, kind, candidate, verdict, tables))
    return out


def offline_questions(analysis: Analysis, focus: Focus) -> tuple[list[Question], int]:
    """The questions the offline plan would put to a person (the ones the model leaves open stay questions)."""
    planner = Planner(analysis, focus)
    return ask(planner, judged_candidates(analysis, focus), focus.questions_per_note)


# --- the requests ------------------------------------------------------------------------


def system_blocks(focus: Focus) -> list[dict[str, Any]]:
    """The system prompt and the focus, the focus block marked for the prompt cache."""
    text = focus.instructions.strip() or "(none: apply the defaults above)"
    focus_text = "Focus instructions from the researcher:\n" + text
    focus_text += ("\n\nScopes compiled from them and from the researcher's settings, each with the words it "
                   "came from (enforced after you answer: a verdict that breaks one is dropped):\n"
                   + "\n".join(f"- {line}" for line in focus.describe()))
    unclear = [u.describe() for u in focus.compiled.not_understood] if focus.compile_instructions else []
    if unclear:
        focus_text += "\n\nNot compiled into scopes (use them as guidance only):\n" + "\n".join(f"- {u}" for u in unclear)
    if focus.contradictions:
        focus_text += "\n\nContradictions, resolved as stated:\n" + "\n".join(f"- {c}" for c in focus.contradictions)
    return [{"type": "text", "text": SYSTEM},
            {"type": "text", "text": focus_text, "cache_control": {"type": "ephemeral"}}]


def _tables(batch: Sequence[Prompt]) -> dict[str, Any]:
    """The batch as one JSON object: each note and quote once, then the candidates naming them."""
    rows = {a: r for c in batch for a, r in c.rows.items()}
    order = sorted(rows, key=lambda a: (a[0], int(a[1:])))
    return {"notes": {a: rows[a] for a in order if a[0] == "n"},
            "quotes": {a: rows[a] for a in order if a[0] == "q"},
            "candidates": [c.prompt for c in batch]}


def request(batch: Sequence[Prompt], number: int, total: int, system: list, model: str,
            max_tokens: int) -> dict[str, Any]:
    """The Messages request judging one batch of candidates, with the tool forced."""
    content = [
        {"type": "text", "text": f"Batch {number} of {total}: {len(batch)} candidates ({batch[0].id}–{batch[-1].id}). "
                                 f"Call {TOOL_NAME} once, with one verdict per candidate."},
        {"type": "text", "text": json.dumps(_tables(batch), ensure_ascii=False, separators=(",", ":"))},
    ]
    return {"model": model, "max_tokens": max_tokens, "system": system, "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME}, "messages": [{"role": "user", "content": content}]}


def retry_request(request: dict[str, Any], block: dict[str, Any] | None, why: str) -> dict[str, Any]:
    """The same request plus the bad answer (its tool call, if any) and what was wrong with it."""
    if block is None:
        note = {"type": "text", "text": f"Your answer was invalid: {why}. Call {TOOL_NAME} again."}
        return {**request, "messages": [*request["messages"], {"role": "assistant", "content": "(no tool call)"},
                                        {"role": "user", "content": [note]}]}
    result = {"type": "tool_result", "tool_use_id": block["id"], "is_error": True,
              "content": f"Invalid: {why}. Call {TOOL_NAME} again with one valid verdict per candidate."}
    return {**request, "messages": [*request["messages"], {"role": "assistant", "content": [block]},
                                    {"role": "user", "content": [result]}]}
