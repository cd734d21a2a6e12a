"""The claude engine over the Messages API: one call per batch of candidates, the plan from the verdicts.

Every batch is one Messages API call with a forced tool (`record_verdicts`); its input is
validated with pydantic, a malformed answer is retried once, and a batch that still fails is
reported in `plan.notes` and changes nothing. The model's verdicts become `Verdict`s like the
rules' and go through the same `Planner`, so no engine reaches into another's private parts. A
verdict whose operation cannot apply (a 150 kB insight would break the 100 kB memory limit) is
dropped on its own and named in `plan.notes`; every other verdict stands.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic

from ... import api
from ...analysis import Analysis
from ...errors import EngineError, ReaderError
from ...focus import Focus, select_sessions
from ...records import Corpus, Session, iso
from ..check import check
from ..plan import Operation, Plan, fit_operations
from ..planner import Planner
from ..rules import Verdict
from .answers import Malformed, ModelVerdict, as_verdict, validate
from .prompt import (
    TOOL,
    Prompt,
    offline_questions,
    prompts_for,
    request,
    retry_request,
    system_blocks,
)

ENGINE_VERSION = "0.2.0"
log = logging.getLogger("workbench.dream.claude")


@dataclass
class Outcome:
    """One batch judged: its verdicts (None when it failed, with `error`), the calls it took, and the
    error no later call can get past (`fatal`), if that is what stopped it."""

    verdicts: dict[str, ModelVerdict] | None
    calls: list[dict[str, Any]]
    error: str | None = None
    fatal: Exception | None = None


def judge_batch(client: Any, body: dict[str, Any], batch: Sequence[Prompt], number: int, timeout: float,
                model: str) -> Outcome:
    """One batch: call, validate, retry a malformed answer once.

    Transient errors are retried by `api.call` (a long `retry-after` is not waited for); a 200
    whose body is not a message (malformed JSON, HTML, empty) counts as a malformed answer.
    """
    calls: list[dict[str, Any]] = []
    for attempt in (1, 2):
        started = time.perf_counter()
        try:
            message = api.call(lambda c, body=body: c.messages.create(**body, timeout=timeout), client)
        except anthropic.AnthropicError as exc:
            return Outcome(None, calls, api.describe_error(exc, timeout), exc if api.is_fatal(exc) else None)
        except ValueError as exc:  # a 200 whose body is not JSON
            message, bad = None, api.describe_error(exc)
        else:
            bad = None if api.is_message(message) else (
                f"the API answered 200 with something that is not a message ({type(message).__name__})")
        if bad is not None:
            log.warning("batch %d: unreadable answer (attempt %d): %s", number, attempt, bad)
            if attempt == 2:
                return Outcome(None, calls, f"unreadable answer twice ({bad})")
            continue
        usage = api.usage_dict(message.usage)
        calls.append({"batch": number, "attempt": attempt, **usage,
                      "cost_usd": api.estimate_cost(model, usage),
                      "seconds": round(time.perf_counter() - started, 3)})
        try:
            return Outcome(validate(message, batch), calls)
        except Malformed as bad_answer:
            log.warning("batch %d: malformed answer (attempt %d): %s", number, attempt, bad_answer.why)
            if attempt == 2:
                return Outcome(None, calls, f"malformed answer twice ({bad_answer.why})")
            body = retry_request(body, bad_answer.block, bad_answer.why)
    raise AssertionError("unreachable")


# --- what would be sent ------------------------------------------------------------------


@dataclass
class Prepared:
    """What the engine sends for one corpus, before it is sent (see `prepare`)."""

    view: Analysis
    focus: Focus
    resolved: Focus
    batches: list[list[Prompt]]
    requests: list[dict[str, Any]]
    plan: Plan
    model: str
    started: float
    questions: tuple[list[Any], int] = ([], 0)  # the offline plan's questions and how many it found


def _sessions(corpus: Corpus, focus: Focus, batch_size: int) -> list[Session]:
    if not 1 <= batch_size <= 100:
        raise ReaderError("batch_size must be between 1 and 100", field="batch_size")
    return select_sessions(corpus.sessions, focus)


def prepare(corpus: Corpus, focus: Focus | None = None, *, analysis: Analysis | None = None,
            model: str = api.DEFAULT_MODEL, batch_size: int = 20, max_tokens: int = 4096,
            embedder: Any = None, cache: Any = None, message_batches: bool = True) -> Prepared:
    """The candidate batches and the Messages requests the engine sends, and the plan they will fill
    (deterministic: the same corpus and focus give the same requests). `message_batches` says in the
    plan's inputs whether they travel through the Message Batches API (fleets) or one by one."""
    from ...analysis import analyze

    focus = focus or Focus()
    started = time.perf_counter()
    sessions = _sessions(corpus, focus, batch_size)
    if analysis is None:
        analysis = analyze(corpus, embedder, cache=cache)
    view = analysis.restricted({s.id for s in sessions})
    resolved = focus.resolved()  # the knobs with what the instructions compiled to
    candidates = prompts_for(view, resolved)
    batches = [candidates[i:i + batch_size] for i in range(0, len(candidates), batch_size)]
    system = system_blocks(focus)
    requests = [request(b, i + 1, len(batches), system, model, max_tokens) for i, b in enumerate(batches)]
    inputs = _inputs(view, len(candidates), len(batches), batch_size)
    if message_batches:
        inputs["message_batches"] = True
    plan = Plan(engine="claude", engine_version=ENGINE_VERSION, focus=focus, model=model, inputs=inputs,
                operations=[], output_store=view.corpus.store)
    return Prepared(view, focus, resolved, batches, requests, plan, model, started,
                    offline_questions(view, resolved))


def _estimate(requests: list[dict[str, Any]], batches: list[list[Prompt]], model: str) -> dict[str, Any]:
    """Dry run: the calls and their token estimate (bytes / 4), the cached prefix written once."""
    prefix = api.approx_tokens(json.dumps(TOOL, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    prefix += sum(api.approx_tokens(b["text"]) for b in requests[0]["system"]) if requests else 0
    calls, total = [], dict.fromkeys(api.USAGE_KEYS, 0)
    for i, (body, batch) in enumerate(zip(requests, batches, strict=True)):
        tokens = sum(api.approx_tokens(b["text"]) for b in body["messages"][0]["content"])
        usage = {"input_tokens": tokens, "output_tokens": 60 * len(batch),
                 "cache_creation_input_tokens": prefix if i == 0 else 0,
                 "cache_read_input_tokens": prefix if i else 0}
        api.add_usage(total, usage)
        calls.append({"batch": i + 1, "candidates": [c.id for c in batch],
                      "kinds": {k: sum(c.kind == k for c in batch) for k in sorted({c.kind for c in batch})},
                      **usage, "request": body})
    return {"dry_run": True, "estimate": "UTF-8 bytes / 4 per prompt; 60 output tokens per candidate",
            "calls": calls, "total": total, "cost_usd": api.estimate_cost(model, total)}


# --- the engine --------------------------------------------------------------------------


def dream_claude(corpus: Corpus, focus: Focus | None = None, *, client: Any = None,
                 model: str = api.DEFAULT_MODEL, batch_size: int = 20, max_tokens: int = 4096,
                 timeout: float = 120.0, max_retries: int = 2, dry_run: bool = False,
                 analysis: Analysis | None = None, embedder: Any = None, cache: Any = None) -> Plan:
    """Plan a dream with Claude judging the analysis's candidates (see the package docstring).

    `client` is an `anthropic.Anthropic` (default: one from the SDK's configuration, with
    `max_retries` and `timeout`); `dry_run=True` sends nothing and returns the calls it would make.
    """
    focus = focus or Focus()
    _sessions(corpus, focus, batch_size)  # a bad focus or batch size is said before a missing key
    if not dry_run:
        client = api.make_client(client, engine="claude", max_retries=max_retries, timeout=timeout)
    prepared = prepare(corpus, focus, analysis=analysis, model=model, batch_size=batch_size,
                       max_tokens=max_tokens, embedder=embedder, cache=cache, message_batches=False)
    plan, batches, requests = prepared.plan, prepared.batches, prepared.requests
    if dry_run:
        plan.usage = _estimate(requests, batches, model)
        plan.notes.append(f"dry run: nothing was sent; {len(requests)} call(s) would judge "
                          f"{plan.inputs['candidates']} candidate(s), about {sum(plan.usage['total'].values()):,} "
                          "tokens")
        return plan
    outcomes = (judge_batch(client, body, batch, number, timeout, model)  # sent one by one, as folded
                for number, (body, batch) in enumerate(zip(requests, batches, strict=True), start=1))
    judged, calls, failed = fold(batches, outcomes, plan.notes)
    if batches and failed == len(batches):
        raise EngineError(f"every batch failed ({len(batches)} of {len(batches)}); nothing was judged. First: "
                          + next(n for n in plan.notes if n.startswith("batch ")).split(" failed: ", 1)[1])
    complete(prepared, judged, calls)
    return plan


def fold(batches: Sequence[Sequence[Prompt]], outcomes: Iterable[Outcome],
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


def complete(prepared: Prepared, judged: list[tuple[Any, Verdict]], calls: list[dict[str, Any]]) -> Plan:
    """Operations, output store, usage and timing of the prepared plan from the verdicts (one path for
    calls and Message Batches)."""
    plan, view, model = prepared.plan, prepared.view, prepared.model
    planner = Planner(view, prepared.resolved)
    operations = _within_focus(planner.plan(judged), prepared.focus, plan.notes)
    plan.notes += planner.remarks
    plan.operations, plan.output_store, dropped = fit_operations(view.corpus.store, operations,
                                                                 at=view.corpus.as_of)
    for op, why in dropped:  # one answer that cannot apply (a 150 kB insight) costs only itself
        plan.notes.append(f"dropped {op.id} ({op.kind}, {op.reason}): {why}; Claude's verdict on it was "
                          "rejected and the notes it read are left unchanged")
    answered = {candidate.id for candidate, _ in judged}
    asked, found = prepared.questions
    plan.questions = [q for q in asked if not set(q.candidates) <= answered]  # what Claude did not answer
    plan.questions_found = found - (len(asked) - len(plan.questions))
    rejected = sum(verdict.action == "none" for _, verdict in judged)
    plan.usage = _usage(calls, model, accepted=len(judged) - rejected, rejected=rejected)
    plan.timings = {"total": time.perf_counter() - prepared.started}
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
    total = dict.fromkeys(api.USAGE_KEYS, 0)
    for call in calls:
        api.add_usage(total, call)
    return {"calls": calls, "total": total, "cost_usd": api.estimate_cost(model, total),
            "prices_per_mtok": dict(zip(("input", "output"), api.price(model) or (None, None), strict=True)),
            "verdicts": verdicts}


ENGINE = dream_claude
