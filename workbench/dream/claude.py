"""The claude engine: Claude judges the analysis's candidates, the shared planner writes the plan.

The analysis finds the candidates (`workbench.candidates`) and the rules give their reading of
each (`workbench.dream.rules`); the model reads only what it must judge — every candidate the
rules would change, and conflicts the rules cannot order — in batches of at most `batch_size`.
Every batch is one Messages API call with a forced tool (`record_verdicts`); its input is
validated with pydantic, a malformed answer is retried once, and a batch that still fails is
reported in `plan.notes` and changes nothing. The model's verdicts become `Verdict`s like the
rules' and go through the same `Planner`, so no engine reaches into another's private parts. A
verdict whose operation cannot apply (a 150 kB insight would break the 100 kB memory limit) is
dropped on its own and named in `plan.notes`; every other verdict stands.

    plan = dream(corpus, Focus("Prioritize coding style"), engine="claude", model="claude-sonnet-4-6")
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import anthropic
from pydantic import BaseModel, Field, ValidationError, field_validator

from ..analysis import Analysis
from ..candidates import Candidate
from ..errors import EngineError, ReaderError
from ..focus import Focus, check, select_sessions
from ..records import Corpus, Note, check_path, iso
from . import _client, rules
from .plan import Operation, Plan, fit_operations
from .planner import Planner
from .rules import Verdict, judged_candidates

ENGINE_VERSION = "0.2.0"
TOOL_NAME = "record_verdicts"
log = logging.getLogger(__name__)

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


class ModelVerdict(BaseModel):
    """One verdict of the tool input."""

    candidate: str
    decision: Literal["accept", "reject"]
    keep: str | None = None
    text: str | None = None
    path: str | None = None
    rationale: str = Field(min_length=3, max_length=600)
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("text", "rationale")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return " ".join(value.split()) if value is not None else None


class Answer(BaseModel):
    """The whole tool input."""

    verdicts: list[ModelVerdict]


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


def find_candidates(analysis: Analysis, focus: Focus) -> list[Prompt]:
    """What the model must judge: every candidate the rules would act on, and conflicts they cannot
    order, within the focus scopes and operation kinds."""
    planner = Planner(analysis, focus)
    wanted = {"duplicate": "merge", "conflict": "update", "session_conflict": "update", "prune": "delete",
              "insight": "create"}
    out: list[Prompt] = []
    for candidate, verdict in judged_candidates(analysis, focus):
        kind = _prompt_kind(candidate, verdict)
        if kind is None or wanted[kind] not in focus.kinds or not all(planner.eligible(i) for i in candidate.notes):
            continue
        out.append(_prompt(len(out) + 1, kind, candidate, verdict, analysis))
    return out


# --- one call per batch ------------------------------------------------------------------


def _system(focus: Focus) -> list[dict[str, Any]]:
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


def _request(batch: Sequence[Prompt], number: int, total: int, system: list, model: str,
             max_tokens: int) -> dict[str, Any]:
    ids = ", ".join(c.id for c in batch)
    content = [
        {"type": "text", "text": f"Batch {number} of {total}: judge these {len(batch)} candidates ({ids}). "
                                 f"Call {TOOL_NAME} once, with exactly one verdict per candidate."},
        {"type": "text", "text": json.dumps({"candidates": [c.prompt for c in batch]}, ensure_ascii=False)},
    ]
    return {"model": model, "max_tokens": max_tokens, "system": system, "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME}, "messages": [{"role": "user", "content": content}]}


def _validate(message: Any, batch: Sequence[Prompt]) -> dict[str, ModelVerdict]:
    """The verdicts by candidate id; raises `_Malformed` naming what is wrong."""
    use = next((b for b in message.content if getattr(b, "type", "") == "tool_use" and b.name == TOOL_NAME), None)
    if use is None:
        raise _Malformed(f"no {TOOL_NAME} call in the answer", None)
    block = {"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}
    try:
        if message.stop_reason == "max_tokens":
            raise ValueError("the answer was cut off at max_tokens")
        answer = Answer.model_validate(use.input)
        by_id = {c.id: c for c in batch}
        verdicts: dict[str, ModelVerdict] = {}
        for v in answer.verdicts:
            if v.candidate not in by_id or v.candidate in verdicts:
                raise ValueError(f"verdict for {'unknown' if v.candidate not in by_id else 'repeated'} "
                                 f"candidate {v.candidate!r}")
            _check_verdict(v, by_id[v.candidate])
            verdicts[v.candidate] = v
        missing = [c.id for c in batch if c.id not in verdicts]
        if missing:
            raise ValueError(f"no verdict for {', '.join(missing)}")
    except (ValidationError, ValueError) as exc:
        raise _Malformed(str(exc).replace("\n", "; ")[:500], block) from None
    return verdicts


def _check_verdict(v: ModelVerdict, c: Prompt) -> None:
    if v.decision == "reject":
        return
    if c.keep and v.keep is not None and v.keep not in c.keep:
        raise ValueError(f"{c.id}: keep must be one of {', '.join(c.keep)}, got {v.keep!r}")
    if c.kind == "conflict" and c.proposal is None and v.keep is None:
        raise ValueError(f"{c.id}: accepting this conflict needs `keep`")
    if v.text is not None and not v.text:
        raise ValueError(f"{c.id}: text is empty")
    if v.path is not None:
        try:
            check_path(v.path)
        except ReaderError as exc:
            raise ValueError(f"{c.id}: {exc.message}") from None


class _Malformed(Exception):
    def __init__(self, why: str, block: dict[str, Any] | None) -> None:
        super().__init__(why)
        self.why, self.block = why, block


def _retry_request(request: dict[str, Any], block: dict[str, Any] | None, why: str) -> dict[str, Any]:
    """The same request plus the bad answer and what was wrong with it."""
    if block is None:
        note = {"type": "text", "text": f"Your answer was invalid: {why}. Call {TOOL_NAME} again."}
        return {**request, "messages": [*request["messages"], {"role": "assistant", "content": "(no tool call)"},
                                        {"role": "user", "content": [note]}]}
    result = {"type": "tool_result", "tool_use_id": block["id"], "is_error": True,
              "content": f"Invalid: {why}. Call {TOOL_NAME} again with one valid verdict per candidate."}
    return {**request, "messages": [*request["messages"], {"role": "assistant", "content": [block]},
                                    {"role": "user", "content": [result]}]}


@dataclass
class _Outcome:
    verdicts: dict[str, ModelVerdict] | None
    calls: list[dict[str, Any]]
    error: str | None = None
    fatal: Exception | None = None


def _judge(client: Any, request: dict[str, Any], batch: Sequence[Prompt], number: int, timeout: float,
           model: str) -> _Outcome:
    """One batch: call, validate, retry a malformed answer once.

    Transient errors are retried by `_client.call` (a long `retry-after` is not waited for); a 200
    whose body is not a message (malformed JSON, HTML, empty) counts as a malformed answer.
    """
    calls: list[dict[str, Any]] = []
    for attempt in (1, 2):
        started = time.perf_counter()
        try:
            message = _client.call(lambda c, body=request: c.messages.create(**body, timeout=timeout), client)
        except anthropic.AnthropicError as exc:
            return _Outcome(None, calls, _client.describe_error(exc, timeout), exc if _client.is_fatal(exc) else None)
        except ValueError as exc:  # a 200 whose body is not JSON
            message, bad = None, _client.describe_error(exc)
        else:
            bad = None if _client.is_message(message) else (
                f"the API answered 200 with something that is not a message ({type(message).__name__})")
        if bad is not None:
            log.warning("batch %d: unreadable answer (attempt %d): %s", number, attempt, bad)
            if attempt == 2:
                return _Outcome(None, calls, f"unreadable answer twice ({bad})")
            continue
        usage = _client.usage_dict(message.usage)
        calls.append({"batch": number, "attempt": attempt, **usage,
                      "cost_usd": _client.estimate_cost(model, usage),
                      "seconds": round(time.perf_counter() - started, 3)})
        try:
            verdicts = _validate(message, batch)
            return _Outcome(verdicts, calls)
        except _Malformed as bad_answer:
            log.warning("batch %d: malformed answer (attempt %d): %s", number, attempt, bad_answer.why)
            if attempt == 2:
                return _Outcome(None, calls, f"malformed answer twice ({bad_answer.why})")
            request = _retry_request(request, bad_answer.block, bad_answer.why)
    raise AssertionError("unreachable")


# --- the model's verdicts as verdicts ----------------------------------------------------

ACTION = {"duplicate": "merge", "conflict": "update", "session_conflict": "update", "prune": "delete",
          "insight": "create"}


def as_verdict(p: Prompt, v: ModelVerdict) -> Verdict:
    """The model's verdict in the judges' common form. Its confidence is the model's own, capped by
    what Claude's verdicts of this kind were measured to be worth (see `_ceiling`)."""
    if v.decision == "reject":
        return Verdict(p.candidate.id, "none", "claude", v.confidence, v.rationale, judge="claude")
    confidence, rationale = v.confidence, v.rationale
    cap, why = _ceiling(p.kind)
    if confidence > cap:
        confidence, rationale = cap, f"{rationale} (Claude said {v.confidence:.2f}; {cap:.2f} at most: {why})"
    proposal = p.proposal
    keep = v.keep or (proposal.keep if proposal else None)
    if p.kind == "session_conflict":
        keep = p.candidate.notes[0]
    text = v.text or (proposal.text if proposal else None)
    return Verdict(p.candidate.id, ACTION[p.kind], "claude", confidence, rationale, keep=keep, text=text,
                   path=v.path if p.kind == "insight" else None, judge="claude")


def _ceiling(kind: str) -> tuple[float, str]:
    """The most a Claude verdict of this kind may claim, and why: its measured precision, or below the
    automatic bar while unmeasured (a calibration run with a key adds rows `claude.<kind>`)."""
    score = rules.measured(f"claude.{kind}")
    if score is None:
        return rules.UNMEASURED_CEILING, "Claude's verdicts are not measured yet"
    return score, f"the measured precision of Claude's {kind} verdicts"


# --- the engine --------------------------------------------------------------------------


def _estimate(requests: list[dict[str, Any]], batches: list[list[Prompt]], model: str) -> dict[str, Any]:
    """Dry run: the calls and their token estimate (bytes / 4), the cached prefix written once."""
    prefix = _client.approx_tokens(json.dumps(TOOL, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    prefix += sum(_client.approx_tokens(b["text"]) for b in requests[0]["system"]) if requests else 0
    calls, total = [], dict.fromkeys(_client.USAGE_KEYS, 0)
    for i, (request, batch) in enumerate(zip(requests, batches, strict=True)):
        body = sum(_client.approx_tokens(b["text"]) for b in request["messages"][0]["content"])
        usage = {"input_tokens": body, "output_tokens": 60 * len(batch),
                 "cache_creation_input_tokens": prefix if i == 0 else 0,
                 "cache_read_input_tokens": prefix if i else 0}
        _client.add_usage(total, usage)
        calls.append({"batch": i + 1, "candidates": [c.id for c in batch],
                      "kinds": {k: sum(c.kind == k for c in batch) for k in sorted({c.kind for c in batch})},
                      **usage, "request": request})
    return {"dry_run": True, "estimate": "UTF-8 bytes / 4 per prompt; 60 output tokens per candidate",
            "calls": calls, "total": total, "cost_usd": _client.estimate_cost(model, total)}


def dream_claude(corpus: Corpus, focus: Focus | None = None, *, client: Any = None,
                 model: str = _client.DEFAULT_MODEL, batch_size: int = 20, max_tokens: int = 4096,
                 timeout: float = 120.0, max_retries: int = 2, dry_run: bool = False,
                 analysis: Analysis | None = None, embedder: Any = None, cache: Any = None) -> Plan:
    """Plan a dream with Claude judging the analysis's candidates (see the module docstring).

    `client` is an `anthropic.Anthropic` (default: one from the SDK's configuration, with
    `max_retries` and `timeout`); `dry_run=True` sends nothing and returns the calls it would make.
    """
    from ..analysis import analyze

    focus = focus or Focus()
    if not 1 <= batch_size <= 100:
        raise ReaderError("batch_size must be between 1 and 100", field="batch_size")
    started = time.perf_counter()
    sessions = select_sessions(corpus.sessions, focus)
    if not dry_run:
        client = _client.make_client(client, engine="claude", max_retries=max_retries, timeout=timeout)
    if analysis is None:
        analysis = analyze(corpus, embedder, cache=cache)
    view = analysis.restricted({s.id for s in sessions})
    resolved = focus.resolved()  # the knobs with what the instructions compiled to
    candidates = find_candidates(view, resolved)
    batches = [candidates[i:i + batch_size] for i in range(0, len(candidates), batch_size)]
    system = _system(focus)
    requests = [_request(b, i + 1, len(batches), system, model, max_tokens) for i, b in enumerate(batches)]
    plan = Plan(engine="claude", engine_version=ENGINE_VERSION, focus=focus, model=model,
                inputs=_inputs(view, len(candidates), len(batches), batch_size), operations=[],
                output_store=view.corpus.store)
    if dry_run:
        plan.usage = _estimate(requests, batches, model)
        plan.notes.append(f"dry run: nothing was sent; {len(requests)} call(s) would judge {len(candidates)} "
                          f"candidate(s), about {sum(plan.usage['total'].values()):,} tokens")
        return plan
    outcomes = (_judge(client, request, batch, number, timeout, model)  # sent one by one, as folded
                for number, (request, batch) in enumerate(zip(requests, batches, strict=True), start=1))
    judged, calls, failed = _fold(batches, outcomes, plan.notes)
    if batches and failed == len(batches):
        raise EngineError(f"every batch failed ({len(batches)} of {len(batches)}); nothing was judged. First: "
                          + next(n for n in plan.notes if n.startswith("batch ")).split(" failed: ", 1)[1])
    _complete(plan, view, resolved, focus, judged, calls, model)
    plan.timings = {"total": time.perf_counter() - started}
    return plan


def _fold(batches: Sequence[Sequence[Prompt]], outcomes: Iterable[_Outcome],
          notes: list[str]) -> tuple[list[tuple[Any, Verdict]], list[dict[str, Any]], int]:
    """(candidate, verdict) pairs, calls made and batches failed; a failed batch is noted, a fatal one raises."""
    judged, calls, failed = [], [], 0
    for number, (batch, outcome) in enumerate(zip(batches, outcomes, strict=True), start=1):
        calls += outcome.calls
        if outcome.fatal is not None:
            raise EngineError(f"the claude engine stopped at batch {number} of {len(batches)}: {outcome.error}")
        if outcome.verdicts is None:
            failed += 1
            notes.append(f"batch {number} of {len(batches)} ({batch[0].id}–{batch[-1].id}) failed: "
                         f"{outcome.error}; its {len(batch)} candidate(s) were left unchanged")
            continue
        judged += [(c.candidate, as_verdict(c, outcome.verdicts[c.id])) for c in batch]
        log.info("batch %d of %d: %d verdicts", number, len(batches), len(batch))
    return judged, calls, failed


def _complete(plan: Plan, view: Analysis, resolved: Focus, focus: Focus, judged: list[tuple[Any, Verdict]],
              calls: list[dict[str, Any]], model: str) -> None:
    """Operations, output store and usage of `plan` from the verdicts (one path for calls and batches)."""
    planner = Planner(view, resolved)
    operations = _within_focus(planner.plan(judged), focus, plan.notes)
    plan.notes += planner.remarks
    plan.operations, plan.output_store, dropped = fit_operations(view.corpus.store, operations,
                                                                 at=view.corpus.as_of)
    for op, why in dropped:  # one answer that cannot apply (a 150 kB insight) costs only itself
        plan.notes.append(f"dropped {op.id} ({op.kind}, {op.reason}): {why}; Claude's verdict on it was "
                          "rejected and the notes it read are left unchanged")
    rejected = sum(verdict.action == "none" for _, verdict in judged)
    plan.usage = _usage(calls, model, accepted=len(judged) - rejected, rejected=rejected)


def _inputs(view: Analysis, candidates: int, batches: int, batch_size: int) -> dict[str, Any]:
    corpus = view.corpus
    return {"store_digest": corpus.store.digest, "store_id": corpus.store.id,
            "sessions": [s.id for s in corpus.sessions], "embedder": view.embedder_id, "as_of": iso(corpus.as_of),
            "notes": len(corpus.notes), "memories": len(corpus.memories), "candidates": candidates,
            "batches": batches, "batch_size": batch_size}


def _within_focus(ops: list[Operation], focus: Focus, remarks: list[str]) -> list[Operation]:
    """Drop operations whose model-written text or path breaks the focus scopes (and say so)."""
    probe = Plan("claude", ENGINE_VERSION, focus, {}, ops, None)  # type: ignore[arg-type]
    bad = {v.operation: v for v in check(probe, focus)}
    for op_id, v in bad.items():
        remarks.append(f"dropped {op_id}: {v.detail} ({v.scope})")
    return [op for op in ops if op.id not in bad]


def _usage(calls: list[dict[str, Any]], model: str, **verdicts: int) -> dict[str, Any]:
    total = dict.fromkeys(_client.USAGE_KEYS, 0)
    for call in calls:
        _client.add_usage(total, call)
    return {"calls": calls, "total": total, "cost_usd": _client.estimate_cost(model, total),
            "prices_per_mtok": dict(zip(("input", "output"), _client.price(model) or (None, None), strict=True)),
            "verdicts": verdicts}


ENGINE = dream_claude


# --- at fleet scale: the same requests through the Message Batches API (workbench.fleet) ----


@dataclass
class Prepared:
    """What `dream_claude` would send for one corpus, without sending it (see `prepare`)."""

    view: Analysis
    focus: Focus
    resolved: Focus
    batches: list[list[Prompt]]
    requests: list[dict[str, Any]]
    plan: Plan
    model: str
    started: float


def prepare(corpus: Corpus, focus: Focus | None = None, *, analysis: Analysis | None = None,
            model: str = _client.DEFAULT_MODEL, batch_size: int = 20, max_tokens: int = 4096,
            embedder: Any = None, cache: Any = None) -> Prepared:
    """The candidate batches and the Messages requests `dream_claude` would send, built the same way
    (deterministic: the same corpus and focus give the same requests)."""
    from ..analysis import analyze

    focus = focus or Focus()
    if not 1 <= batch_size <= 100:
        raise ReaderError("batch_size must be between 1 and 100", field="batch_size")
    started = time.perf_counter()
    sessions = select_sessions(corpus.sessions, focus)
    if analysis is None:
        analysis = analyze(corpus, embedder, cache=cache)
    view = analysis.restricted({s.id for s in sessions})
    resolved = focus.resolved()
    candidates = find_candidates(view, resolved)
    batches = [candidates[i:i + batch_size] for i in range(0, len(candidates), batch_size)]
    system = _system(focus)
    requests = [_request(b, i + 1, len(batches), system, model, max_tokens) for i, b in enumerate(batches)]
    plan = Plan(engine="claude", engine_version=ENGINE_VERSION, focus=focus, model=model,
                inputs={**_inputs(view, len(candidates), len(batches), batch_size), "message_batches": True},
                operations=[], output_store=view.corpus.store)
    return Prepared(view, focus, resolved, batches, requests, plan, model, started)


def judge_answer(client: Any, prepared: Prepared, number: int, answer: Any, *, timeout: float = 120.0) -> _Outcome:
    """Batch `number`'s verdicts from its Message Batches result; a result that failed (errored,
    expired, canceled: `answer` is then the reason as text) or that does not validate is retried
    on its own through `messages.create` (a malformed answer with what was wrong with it)."""
    batch, request, model = prepared.batches[number - 1], prepared.requests[number - 1], prepared.model
    if isinstance(answer, str):
        log.warning("batch %d: the Message Batches request %s; retried on its own", number, answer)
        retry = _judge(client, request, batch, number, timeout, model)
        return _Outcome(retry.verdicts, [{**c, "via": "retry"} for c in retry.calls], retry.error, retry.fatal)
    usage = _client.usage_dict(answer.usage)
    calls = [{"batch": number, "attempt": 1, "via": "message_batch", **usage,
              "cost_usd": _client.estimate_batch_cost(model, usage), "seconds": 0.0}]
    try:
        return _Outcome(_validate(answer, batch), calls)
    except _Malformed as bad:
        log.warning("batch %d: malformed answer in the Message Batch: %s; retried on its own", number, bad.why)
        retry = _judge(client, _retry_request(request, bad.block, bad.why), batch, number, timeout, model)
        return _Outcome(retry.verdicts, calls + [{**c, "via": "retry", "attempt": c["attempt"] + 1}
                                                  for c in retry.calls], retry.error, retry.fatal)


def finish(prepared: Prepared, outcomes: dict[int, _Outcome]) -> Plan:
    """The plan from every batch's outcome, exactly as `dream_claude` makes it from its calls."""
    plan, batches = prepared.plan, prepared.batches
    answers = [outcomes.get(number) or _Outcome(None, [], "no answer") for number in range(1, len(batches) + 1)]
    judged, calls, _failed = _fold(batches, answers, plan.notes)
    _complete(plan, prepared.view, prepared.resolved, prepared.focus, judged, calls, prepared.model)
    costs = [c.get("cost_usd") for c in calls]
    plan.usage["cost_usd"] = round(sum(costs), 6) if calls and None not in costs else plan.usage["cost_usd"]
    plan.usage["batch_discount"] = _client.BATCH_DISCOUNT
    plan.timings = {"total": time.perf_counter() - prepared.started}
    return plan
