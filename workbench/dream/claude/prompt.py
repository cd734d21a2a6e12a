"""What Claude reads: the system prompt, the candidates as prompts, the forced tool, the requests.

The analysis finds the candidates (`workbench.candidates`) and the rules give their reading of
each (`workbench.dream.rules`); `prompts_for` keeps what the model must judge — every
candidate the rules would change, and conflicts the rules cannot order — within the focus.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...analysis import Analysis
from ...candidates import Candidate
from ...focus import Focus
from ...records import Note, iso
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

Candidate kinds and what `accept` does:
- conflict: two notes give one subject different values. accept = keep one value (`keep` = that \
note's id; `text` may reword it) and drop the other. reject = they do not really conflict.
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

Judge only from the notes and turns given; never invent facts. The researcher's focus \
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
                "keep": {"type": "string", "description": "conflict, duplicate: the id of the note to keep"},
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
    """A candidate as the model reads it, and what `accept` means (the rules' proposal, if any)."""

    id: str
    kind: str  # conflict | session_conflict | duplicate | prune | insight
    prompt: dict[str, Any]
    candidate: Candidate
    proposal: Verdict | None = None
    keep: tuple[str, ...] = ()  # note ids `keep` may name


# --- candidates as prompts ---------------------------------------------------------------


def _note(note: Note) -> dict[str, Any]:
    out: dict[str, Any] = {"id": note.id, "path": note.path, "text": note.text, "updated_at": iso(note.updated_at)}
    if note.section:
        out["section"] = note.section
    if note.parents:
        out["under"] = list(note.parents)
    return out


def _turns(analysis: Analysis, quotes: Sequence[tuple[str, str, str]], context: bool = False) -> list[dict[str, Any]]:
    """The quoted sentences (session id, turn id, quote); with `context`, also the start of the turn."""
    turns = analysis.corpus.turn_by_id
    out = []
    for session_id, turn_id, quote in quotes:
        turn = turns.get(turn_id)
        if turn is None:
            continue
        item = {"session_id": session_id, "turn_id": turn_id, "at": iso(turn.at), "role": turn.role, "quote": quote}
        if context and turn.text.strip() != quote.strip():
            item["turn"] = turn.text[:300]
        out.append(item)
    return out


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


def _prompt(n: int, kind: str, candidate: Candidate, verdict: Verdict, analysis: Analysis) -> Prompt:
    notes = analysis.corpus.note_by_id
    statements = analysis.statement_by_id
    prompt: dict[str, Any] = {"id": f"c{n}", "kind": kind, "notes": [_note(notes[i]) for i in candidate.notes]}
    if verdict.action != "none" or verdict.withheld:
        prompt["analysis"] = f"{verdict.reason} (rule {verdict.rule}, measured precision {verdict.confidence:.2f})"
    else:
        prompt["analysis"] = f"{verdict.reason}; no rule decides it."
    quotes = [(statements[i].session_id, statements[i].turn_id, statements[i].text)
              for i in candidate.statements if i in statements]
    if quotes:
        prompt["turns"] = _turns(analysis, quotes, context=kind == "session_conflict")
    proposal: dict[str, Any] = {}
    if kind in ("conflict", "duplicate") and verdict.keep:
        proposal = {"keep": verdict.keep}
    elif kind == "session_conflict":
        proposal = {"text": verdict.text}
    elif kind == "prune":
        proposal = {"reason": verdict.rule if verdict.action != "none" else candidate.signals["why"]}
    elif kind == "insight":
        proposal = {"text": candidate.signals["text"]}
    prompt["proposal"] = proposal
    keep = candidate.notes if kind in ("conflict", "duplicate") else ()
    proposed = verdict if verdict.action != "none" or verdict.withheld else None
    return Prompt(f"c{n}", kind, prompt, candidate, proposed, keep)


# A question of the plan as the kind of prompt that answers it (a session question reads like a conflict).
QUESTION_KIND = {"duplicate": "duplicate", "conflict": "conflict", "stale": "prune", "insight": "insight"}


def prompts_for(analysis: Analysis, focus: Focus) -> list[Prompt]:
    """What the model must judge: every candidate the rules would act on, conflicts they cannot order,
    and the questions the offline plan would put to a person — within the focus scopes and kinds."""
    planner = Planner(analysis, focus)
    judged = judged_candidates(analysis, focus)
    asked = {c: q.kind for q in ask(planner, judged, focus.questions_per_note)[0] for c in q.candidates}
    out: list[Prompt] = []
    for candidate, verdict in judged:
        kind = _prompt_kind(candidate, verdict)
        if kind is None and candidate.id in asked and candidate.kind != "session":
            kind = QUESTION_KIND[asked[candidate.id]]
        if kind is None or ACTION[kind] not in focus.kinds or not all(planner.eligible(i) for i in candidate.notes):
            continue
        out.append(_prompt(len(out) + 1, kind, candidate, verdict, analysis))
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


def request(batch: Sequence[Prompt], number: int, total: int, system: list, model: str,
            max_tokens: int) -> dict[str, Any]:
    """The Messages request judging one batch of candidates, with the tool forced."""
    ids = ", ".join(c.id for c in batch)
    content = [
        {"type": "text", "text": f"Batch {number} of {total}: judge these {len(batch)} candidates ({ids}). "
                                 f"Call {TOOL_NAME} once, with exactly one verdict per candidate."},
        {"type": "text", "text": json.dumps({"candidates": [c.prompt for c in batch]}, ensure_ascii=False)},
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
