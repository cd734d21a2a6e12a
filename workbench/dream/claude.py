"""The claude engine: the offline engine's phases, with Claude judging each candidate.

The analysis finds the candidates (conflict pairs between notes and with later session turns,
duplicate groups, notes to prune, insights stated across sessions), so the model reads only
what it must judge, in batches of at most `batch_size`. Every batch is one Messages API call
with a forced tool (`record_verdicts`); its input is validated with pydantic, a malformed answer
is retried once, and a batch that still fails is reported in `plan.notes` and changes nothing.
The system prompt (with the focus instructions) and the tool are cached across batches.

    plan = dream(corpus, Focus("Prioritize coding style"), engine="claude", model="claude-sonnet-4-6")
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import anthropic
from pydantic import BaseModel, Field, ValidationError, field_validator

from ..analysis import Analysis, conflict_pairs
from ..errors import EngineError, ReaderError
from ..focus import Focus, check, select_sessions
from ..records import Corpus, Note, check_path, iso
from . import _client
from .offline import _Planner, restrict
from .plan import Evidence, Operation, Plan, Result, Target, apply_operations

ENGINE_VERSION = "0.1.0"
TOOL_NAME = "record_verdicts"
log = logging.getLogger(__name__)

SYSTEM = """\
You review proposed changes to the long-term memory store of an AI agent. The store holds notes \
(one fact each) in markdown documents; past sessions show what the user said since. Analysis code \
has already found the candidates below; you judge each one.

Candidate kinds and what `accept` does:
- conflict: two notes give one subject different values. accept = keep one value (`keep` = that \
note's id; `text` may reword it) and drop the other. reject = they do not really conflict.
- session_conflict: a later session turn states a different value than a note. accept = rewrite \
the note to the latest value (`text`, default the proposal). reject = the note still holds.
- duplicate: notes that may say the same thing. accept = merge them into one (`keep` = the note \
kept in place, `text` = its wording, default the proposal). reject = they differ in a fact that \
matters (a negation, swapped roles, another value or date): a false merge silently deletes a fact.
- prune: a note flagged as stale, temporary, small talk or off focus. accept = delete it. \
reject = the agent still needs it.
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


class Verdict(BaseModel):
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

    verdicts: list[Verdict]


@dataclass(frozen=True)
class Candidate:
    """Something the model must judge: the prompt it reads and the operation `accept` means."""

    id: str
    kind: str  # conflict | session_conflict | duplicate | prune | insight
    prompt: dict[str, Any]
    proposal: Operation | None = None
    keep: tuple[str, ...] = ()  # note ids `keep` may name


# --- candidates from the analysis --------------------------------------------------------


def _note(note: Note) -> dict[str, str]:
    return {"id": note.id, "path": note.path, "text": note.text, "updated_at": iso(note.updated_at)}


def _turns(analysis: Analysis, evidence: Sequence[Evidence], context: bool = False) -> list[dict[str, Any]]:
    """The quoted sentences; with `context`, also the start of the turn around each quote."""
    turns = analysis.corpus.turn_by_id
    out = []
    for e in evidence:
        turn = turns.get(e.turn_id or "")
        if e.session_id is None or turn is None:
            continue
        item = {"session_id": e.session_id, "turn_id": e.turn_id, "at": iso(turn.at), "role": turn.role,
                "quote": e.quote}
        if context and turn.text.strip() != e.quote.strip():
            item["turn"] = turn.text[:300]
        out.append(item)
    return out


def _kind(op: Operation) -> str:
    if op.kind == "update":
        return "conflict" if len(op.targets) == 2 else "session_conflict"
    return {"merge": "duplicate", "delete": "prune", "create": "insight"}[op.kind]


def _from_proposal(n: int, op: Operation, analysis: Analysis) -> Candidate:
    notes = analysis.corpus.note_by_id
    kind = _kind(op)
    prompt: dict[str, Any] = {"id": f"c{n}", "kind": kind,
                              "notes": [_note(notes[t.id]) for t in op.targets if t.id in notes],
                              "analysis": op.rationale}
    turns = _turns(analysis, op.evidence, context=kind == "session_conflict")
    if turns:
        prompt["turns"] = turns
    proposal: dict[str, Any] = {}
    if kind in ("conflict", "duplicate"):
        proposal = {"keep": op.result.note_id, "text": op.result.text}
    elif kind == "session_conflict":
        proposal = {"text": op.result.text}
    elif kind == "prune":
        proposal = {"reason": op.reason}
    elif kind == "insight":
        proposal = {"text": op.result.text, "path": op.result.path}
    prompt["proposal"] = proposal
    keep = tuple(t.id for t in op.targets) if kind in ("conflict", "duplicate") else ()
    return Candidate(f"c{n}", kind, prompt, op, keep)


def find_candidates(analysis: Analysis, focus: Focus) -> list[Candidate]:
    """What the model must judge: the offline planner's proposals, conflicts it could not order,
    and episodic notes past the horizon that no recent session supports and that do not read as durable
    rules or preferences (all within the focus scopes)."""
    planner = _Planner(analysis, focus)
    pairs = conflict_pairs(analysis, planner.bars["conflict"])
    planner.store_conflicts(pairs)
    planner.duplicates()
    planner.session_conflicts(pairs)
    planner.prune()
    planner.distill()
    out = [_from_proposal(i + 1, op, analysis) for i, op in enumerate(planner.ops)]
    used, notes = set(planner.used), analysis.corpus.note_by_id
    if "update" in focus.kinds:
        for pair in (p for p in pairs if p.source == "store" and p.winner is None):
            if {pair.older, pair.newer} & used or not (planner.eligible(pair.older) and planner.eligible(pair.newer)):
                continue
            used |= {pair.older, pair.newer}
            prompt = {"id": f"c{len(out) + 1}", "kind": "conflict",
                      "notes": [_note(notes[pair.older]), _note(notes[pair.newer])],
                      "analysis": f"Conflicting values ({pair.detail}), written at the same time; no rule decides it.",
                      "proposal": {}}
            out.append(Candidate(prompt["id"], "conflict", prompt, None, (pair.older, pair.newer)))
    if "delete" in focus.kinds:
        horizon = focus.horizon_days
        for note_id in analysis.note_ids:
            row = planner.rows[note_id]
            if note_id in used or not planner.eligible(note_id) or row.age_days <= horizon or row.durable \
                    or not row.episodic or planner._recently_supported(note_id):
                continue
            note = notes[note_id]
            op = Operation(kind="delete", reason="stale", targets=(planner.target(note_id),), result=None,
                           rationale=(f"Written {note.updated_at:%Y-%m-%d} ({row.age_days:.0f} days old, horizon "
                                      f"{horizon}) and no session within the horizon supports it."),
                           evidence=(Evidence(quote=note.text, note_id=note_id),), confidence=0.5,
                           provenance=note.evidence)
            out.append(_from_proposal(len(out) + 1, op, analysis))
    return out


# --- one call per batch ------------------------------------------------------------------


def _system(focus: Focus) -> list[dict[str, Any]]:
    text = focus.instructions.strip() or "(none: apply the defaults above)"
    scopes = focus.scopes.describe()
    focus_text = "Focus instructions from the researcher:\n" + text
    if scopes:
        focus_text += "\n\nScopes compiled from them (enforced after you answer):\n" + "\n".join(f"- {s}" for s in scopes)
    return [{"type": "text", "text": SYSTEM},
            {"type": "text", "text": focus_text, "cache_control": {"type": "ephemeral"}}]


def _request(batch: Sequence[Candidate], number: int, total: int, system: list, model: str,
             max_tokens: int) -> dict[str, Any]:
    ids = ", ".join(c.id for c in batch)
    content = [
        {"type": "text", "text": f"Batch {number} of {total}: judge these {len(batch)} candidates ({ids}). "
                                 f"Call {TOOL_NAME} once, with exactly one verdict per candidate."},
        {"type": "text", "text": json.dumps({"candidates": [c.prompt for c in batch]}, ensure_ascii=False)},
    ]
    return {"model": model, "max_tokens": max_tokens, "system": system, "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME}, "messages": [{"role": "user", "content": content}]}


def _validate(message: Any, batch: Sequence[Candidate]) -> dict[str, Verdict]:
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
        verdicts: dict[str, Verdict] = {}
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


def _check_verdict(v: Verdict, c: Candidate) -> None:
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
    verdicts: dict[str, Verdict] | None
    calls: list[dict[str, Any]]
    error: str | None = None
    fatal: Exception | None = None


def _judge(client: Any, request: dict[str, Any], batch: Sequence[Candidate], number: int, timeout: float,
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


# --- verdicts to operations --------------------------------------------------------------


def _operation(c: Candidate, v: Verdict, notes: dict[str, Note]) -> Operation:
    """The operation an accepted verdict means, with the model's rationale and confidence."""
    judged = {"rationale": v.rationale, "confidence": v.confidence, "id": ""}
    op = c.proposal
    if c.kind in ("conflict", "duplicate"):
        keep = notes[v.keep or op.result.note_id]
        default = op.result.text if op is not None and keep.id == op.result.note_id else keep.text
        others = [notes[i] for i in c.keep if i != keep.id]
        if c.kind == "conflict":  # loser(s) first, as the offline engine writes them
            order, evidence = [*others, keep], (Evidence(quote=keep.text, note_id=keep.id),)
        else:
            order, evidence = [keep, *others], tuple(Evidence(quote=n.text, note_id=n.id) for n in others)
        return Operation(kind="update" if c.kind == "conflict" else "merge", reason=c.kind,
                         targets=tuple(Target(n.id, n.path, n.text) for n in order),
                         result=Result(keep.path, v.text or default, note_id=keep.id), evidence=evidence,
                         provenance=tuple(sorted({e for n in order for e in n.evidence})), **judged)
    if c.kind in ("session_conflict", "insight"):
        result = replace(op.result, text=v.text or op.result.text,
                         path=(v.path or op.result.path) if c.kind == "insight" else op.result.path)
        return replace(op, result=result, **judged)
    return replace(op, **judged)


def _link(ops: list[tuple[Candidate, Operation]]) -> list[Operation]:
    """Point `depends_on` at the new ids; an update whose note a merge dropped moves to the kept note."""
    new_id = {c.proposal.id: op for c, op in ops if c.proposal is not None}
    out = []
    for _, op in ops:
        depends = tuple(new_id[d].id for d in op.depends_on if d in new_id)
        if depends and op.kind == "update" and len(op.targets) == 1:
            merge = next(new_id[d] for d in op.depends_on if d in new_id)
            kept = merge.result.note_id
            if kept != op.targets[0].id:
                keep_target = next(t for t in merge.targets if t.id == kept)
                op = replace(op, targets=(keep_target,), result=replace(op.result, note_id=kept, path=keep_target.path),
                             id="")
        out.append(replace(op, depends_on=depends, id="") if depends != op.depends_on else op)
    return out


# --- the engine --------------------------------------------------------------------------


def _estimate(requests: list[dict[str, Any]], batches: list[list[Candidate]], model: str) -> dict[str, Any]:
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
    view = restrict(analysis, {s.id for s in sessions})
    candidates = find_candidates(view, focus)
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
    accepted, calls, rejected = [], [], 0
    notes = view.corpus.note_by_id
    failed = 0
    for number, (request, batch) in enumerate(zip(requests, batches, strict=True), start=1):
        outcome = _judge(client, request, batch, number, timeout, model)
        calls += outcome.calls
        if outcome.fatal is not None:
            raise EngineError(f"the claude engine stopped at batch {number} of {len(batches)}: {outcome.error}")
        if outcome.verdicts is None:
            failed += 1
            plan.notes.append(f"batch {number} of {len(batches)} ({batch[0].id}–{batch[-1].id}) failed: "
                              f"{outcome.error}; its {len(batch)} candidate(s) were left unchanged")
            continue
        for c in batch:
            verdict = outcome.verdicts[c.id]
            if verdict.decision == "accept":
                accepted.append((c, _operation(c, verdict, notes)))
            else:
                rejected += 1
        log.info("batch %d of %d: %d verdicts", number, len(batches), len(batch))
    if batches and failed == len(batches):
        raise EngineError(f"every batch failed ({len(batches)} of {len(batches)}); nothing was judged. First: "
                          + next(n for n in plan.notes if n.startswith("batch ")).split(" failed: ", 1)[1])
    plan.operations = _within_focus(_link(accepted), focus, plan.notes)
    plan.output_store = apply_operations(view.corpus.store, plan.operations, at=view.corpus.as_of)
    plan.usage = _usage(calls, model, accepted=len(accepted), rejected=rejected)
    plan.timings = {"total": time.perf_counter() - started}
    return plan


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
