"""The platform engine: a real dream on the Dreams API, its outcome as a Plan.

Run a dream on the platform and wait for it (`run_dream`; a chain of dreams for more than 100
sessions, `run_dream_chain`), and turn the difference between the input and output stores into a
Plan of whole-memory operations (`plan_from_stores`). Pulling a store and its sessions is
`workbench.io.platform`; writing approved changes back is `workbench.push`.

    client = platform_client()                           # workbench.io.platform
    corpus = pull(client, "memstore_...", "pulled/")     # workbench.io.platform
    plan = dream(corpus, Focus("Only coding style"), engine="platform", client=client)
    report = push(client, corpus.store.id, plan, [op.id for op in plan.operations], corpus.store)  # workbench.push
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic

from .. import api
from ..errors import EngineError, LimitError
from ..focus import MAX_INSTRUCTIONS, Focus, chain_sessions, select_sessions
from ..io.platform import plain, pull_store
from ..records import MAX_SESSIONS, Corpus, Memory, Session, Store, iso, split_notes
from .check import check
from .plan import Operation, Plan, Result, Target, apply_operations

ENGINE_VERSION = "0.1.0"
FINAL = ("completed", "failed", "canceled")
STATUSES = ("pending", "running", *FINAL)
# The platform reports no confidence; 0.5 keeps its changes below a usual auto-approval bar.
PLATFORM_CONFIDENCE = 0.5


def list_dreams(client: Any) -> list[dict[str, Any]]:
    """Dreams, newest first, with status, inputs, outputs and usage."""
    with api.faults("list dreams"):
        return [plain(d) for d in client.beta.dreams.list(limit=100)]


# --- dreaming ----------------------------------------------------------------------------


def _cancel(client: Any, dream_id: str) -> None:
    try:
        api.call(lambda c: c.beta.dreams.cancel(dream_id), client)
    except (anthropic.AnthropicError, ValueError):
        pass  # it may have finished meanwhile; the caller reports what happened


def _poll(client: Any, dream_id: str) -> Any:
    """The dream's current state; a poll that cannot be read cancels the dream and is an `EngineError`."""
    try:
        with api.faults(f"poll dream {dream_id}"):
            dream = api.call(lambda c: c.beta.dreams.retrieve(dream_id), client)
            if getattr(dream, "status", None) not in STATUSES or getattr(dream, "id", None) != dream_id:
                raise EngineError(f"poll dream {dream_id}: the API answered with status "
                                  f"{getattr(dream, 'status', None)!r}, not a dream's")
    except EngineError as exc:
        _cancel(client, dream_id)
        raise EngineError(f"{exc.message}; the dream was canceled") from None
    return dream


def run_dream(client: Any, store_id: str, session_ids: Sequence[str], instructions: str | None = None,
              model: str = api.DEFAULT_MODEL, poll_interval: float = 2.0, timeout: float = 1800.0, *,
              progress: bool = True, on_poll: Callable[[Any], None] | None = None) -> tuple[Any, Store]:
    """Create a dream over one store and 1–100 sessions, poll it to the end, return (dream, output store).

    A dream still running after `timeout` seconds, or interrupted (KeyboardInterrupt), is
    canceled on the platform. A failed dream raises `EngineError` naming the API's error.
    """
    from tqdm.auto import tqdm

    session_ids = list(dict.fromkeys(session_ids))
    if not session_ids:
        raise EngineError("a dream reads 1 to 100 sessions; none were given")
    if len(session_ids) > MAX_SESSIONS:
        raise LimitError(f"{len(session_ids)} sessions given; a dream reads at most {MAX_SESSIONS}. Select them "
                         f"with --max-sessions {MAX_SESSIONS}, --since/--until DATE or --session-ids ID ...",
                         field="sessions")
    if instructions and len(instructions) > MAX_INSTRUCTIONS:
        raise LimitError(f"instructions are {len(instructions):,} characters; the limit is {MAX_INSTRUCTIONS:,}",
                         field="instructions")
    inputs = [{"type": "memory_store", "memory_store_id": store_id},
              {"type": "sessions", "session_ids": session_ids}]
    with api.faults("create a dream"):  # not retried on a timeout: a create that landed would start a second dream
        dream = api.call(lambda c: c.beta.dreams.create(inputs=inputs, model=model, instructions=instructions or None),
                         client, retry_on=(anthropic.RateLimitError,))
    if not isinstance(getattr(dream, "id", None), str):
        raise EngineError("create a dream: the API answered without a dream id (see `list_dreams` for what it started)")
    if dream.status not in STATUSES:
        _cancel(client, dream.id)
        raise EngineError(f"dream {dream.id}: the create answer has status {dream.status!r}; the dream was canceled")
    deadline = time.monotonic() + timeout
    bar = tqdm(desc=f"dream {dream.id}", unit=" polls", disable=not progress, leave=False)
    try:
        while dream.status not in FINAL:
            if time.monotonic() >= deadline:
                _cancel(client, dream.id)
                raise EngineError(f"dream {dream.id} did not finish within {timeout:g} s; it was canceled")
            time.sleep(poll_interval)
            dream = _poll(client, dream.id)
            bar.set_postfix_str(dream.status)
            bar.update(1)
            if on_poll is not None:
                on_poll(dream)
    except KeyboardInterrupt:
        _cancel(client, dream.id)
        raise
    finally:
        bar.close()
    if dream.status == "failed":
        error = dream.error
        detail = f"{error.type}: {error.message}" if error else "no error given"
        raise EngineError(f"dream {dream.id} failed: {detail}")
    if dream.status == "canceled":
        raise EngineError(f"dream {dream.id} was canceled")
    if not dream.outputs:
        raise EngineError(f"dream {dream.id} completed without an output memory store")
    return dream, pull_store(client, dream.outputs[0].memory_store_id, versions=False)


# --- from two stores to a plan -----------------------------------------------------------


def _note_targets(memory: Memory, keep: set[str] = frozenset()) -> tuple[Target, ...]:
    """The notes of `memory` whose text is not in `keep`; the whole memory when there are none."""
    targets = tuple(Target(n.id, n.path, n.text) for n in split_notes(memory) if n.text not in keep)
    return targets or (Target(memory.id, memory.path, memory.content),)


def _memory_operation(before: Memory | None, after: Memory | None) -> Operation:
    """One whole-memory operation: create, delete, or update with the changed notes as targets."""
    if before is None:
        count = len(split_notes(after))
        return Operation(kind="create", reason="platform", targets=(),
                         result=Result(after.path, after.content, whole_memory=True),
                         rationale=f"The dream created {after.path} ({count} note{'s' * (count != 1)}).",
                         confidence=PLATFORM_CONFIDENCE)
    if after is None:
        return Operation(kind="delete", reason="platform", targets=_note_targets(before),
                         result=Result(before.path, "", whole_memory=True),
                         rationale=f"The dream removed {before.path}.", confidence=PLATFORM_CONFIDENCE)
    old = {n.text for n in split_notes(before)}
    new = {n.text for n in split_notes(after)}
    changed, added = len(old - new), len(new - old)
    targets = _note_targets(before, new) if changed else (Target(before.id, before.path, before.content),)
    return Operation(kind="update", reason="platform", targets=targets,
                     result=Result(after.path, after.content, whole_memory=True),
                     rationale=(f"The dream rewrote {after.path}: {changed} note(s) changed or removed, "
                                f"{added} note(s) new."), confidence=PLATFORM_CONFIDENCE)


def plan_from_stores(input_store: Store, output_store: Store, focus: Focus | None = None, *,
                     dream: Any = None, model: str | None = None, sessions: Sequence[str] = ()) -> Plan:
    """The difference between two stores as a Plan of whole-memory operations, matched by path.

    Operations that break the focus scopes (a protected path, say) are dropped and named in
    `plan.notes`, since the platform reads the instructions only as text.
    """
    focus = focus or Focus()
    before, after = input_store.by_path, output_store.by_path
    ops = [_memory_operation(before.get(p), after.get(p)) for p in sorted(set(before) | set(after))
           if before.get(p) is None or after.get(p) is None or before[p].content != after[p].content]
    plan = Plan(engine="platform", engine_version=ENGINE_VERSION, focus=focus, model=model,
                inputs=_inputs(input_store, output_store, dream, sessions), operations=ops,
                output_store=output_store)
    bad = {v.operation: v for v in check(plan, focus)}
    for op_id, v in bad.items():
        plan.notes.append(f"dropped {op_id}: {v.detail} ({v.scope})")
    plan.operations = [op for op in ops if op.id not in bad]
    at = max((m.updated_at for m in output_store.memories), default=None)
    plan.output_store = apply_operations(input_store, plan.operations, at=at)
    if dream is not None:
        usage = api.usage_dict(dream.usage)
        plan.usage = {"total": usage, "cost_usd": api.estimate_cost(model or "", usage)}
    return plan


def _inputs(input_store: Store, output_store: Store, dream: Any, sessions: Sequence[str]) -> dict[str, Any]:
    times = [m.updated_at for m in input_store.memories]
    return {"store_digest": input_store.digest, "store_id": input_store.id, "sessions": list(sessions),
            "as_of": iso(max(times)) if times else None, "notes": len(input_store.notes),
            "memories": len(input_store.memories), "output_store_id": output_store.id,
            "dream_id": getattr(dream, "id", None)}


# --- the engine --------------------------------------------------------------------------


def _store_id(corpus: Corpus, store_id: str | None) -> str:
    """The platform store to dream over: the one named, else the one the corpus was pulled from."""
    if not (store_id or corpus.store.id):
        raise EngineError("the platform engine dreams over a platform memory store: pull one with "
                          "`workbench pull STORE_ID --out DIR`, or pass store_id=...")
    return store_id or corpus.store.id


def dream_platform(corpus: Corpus, focus: Focus | None = None, *, client: Any = None, store_id: str | None = None,
                   model: str = api.DEFAULT_MODEL, poll_interval: float = 2.0, timeout: float = 1800.0,
                   max_retries: int = 2, progress: bool = True, dry_run: bool = False,
                   on_poll: Callable[[Any], None] | None = None, chain: bool = False,
                   slot: Callable[[], Any] | None = None,
                   on_chain: Callable[[DreamChain], None] | None = None) -> Plan:
    """Run a real dream on the platform store the corpus came from, with the focus's instructions
    and focus-selected sessions (at most 100), and return the difference as a Plan.

    `dry_run=True` sends nothing: the plan's usage holds the create request and a token estimate.
    `chain=True` reads any number of sessions through a chain of dreams of at most 100 each, every
    dream under `slot()` (see `dream_platform_chained`); `on_chain(chain)` hears what every dream
    did and wrote, before a chain that did not complete raises `EngineError`.
    """
    if chain and not dry_run:
        plan, record = dream_platform_chained(corpus, focus, client=client, store_id=store_id, model=model,
                                              poll_interval=poll_interval, timeout=timeout,
                                              max_retries=max_retries, slot=slot, progress=progress)
        if on_chain is not None:
            on_chain(record)
        if plan is None:
            raise EngineError(record.error or "the chain of dreams did not complete")
        return plan
    focus = focus or Focus()
    store_id = _store_id(corpus, store_id)
    sessions = select_sessions(corpus.sessions, focus)
    if not sessions:
        raise EngineError("a dream reads 1 to 100 sessions; the corpus has none under this focus")
    if dry_run:
        return _dry_run(corpus, focus, store_id, sessions, model)
    client = api.make_client(client, engine="platform", max_retries=max_retries)
    started = time.perf_counter()
    input_store = pull_store(client, store_id)
    dream, output = run_dream(client, store_id, [s.id for s in sessions], focus.instructions.strip() or None,
                              model, poll_interval, timeout, progress=progress, on_poll=on_poll)
    plan = plan_from_stores(input_store, output, focus, dream=dream, model=model, sessions=[s.id for s in sessions])
    return _against(plan, corpus, store_id, input_store, started)


def _against(plan: Plan, corpus: Corpus, store_id: str, input_store: Store, started: float) -> Plan:
    """The plan, with a note when the platform's store is not the corpus's copy, and its timing."""
    if input_store.digest != corpus.store.digest:
        plan.notes.append(f"memory store {store_id} on the platform differs from the corpus's copy (changed since "
                          "it was pulled?); the plan is against the platform's current store")
    plan.timings = {"total": time.perf_counter() - started}
    return plan


def _dry_run(corpus: Corpus, focus: Focus, store_id: str, sessions: Sequence[Session], model: str) -> Plan:
    """The dream it would create, and its reading estimated at UTF-8 bytes / 4 tokens."""
    body = {"inputs": [{"type": "memory_store", "memory_store_id": store_id},
                       {"type": "sessions", "session_ids": [s.id for s in sessions]}],
            "model": model, "instructions": focus.instructions.strip() or None}
    read = sum(api.approx_tokens(m.path + "\n" + m.content) for m in corpus.memories)
    read += sum(api.approx_tokens(t.text) for s in sessions for t in s.turns)
    read += api.approx_tokens(focus.instructions)
    plan = Plan(engine="platform", engine_version=ENGINE_VERSION, focus=focus, model=model,
                inputs=_inputs(corpus.store, corpus.store, None, [s.id for s in sessions]), operations=[],
                output_store=corpus.store)
    plan.usage = {"dry_run": True, "calls": [{"method": "POST", "path": "/v1/dreams", "body": body}],
                  "estimate": "UTF-8 bytes / 4 of the memories, turns and instructions the dream reads",
                  "total": {"input_tokens": read}}
    plan.notes.append(f"dry run: nothing was sent; one dream would read {len(corpus.memories)} memories and "
                      f"{len(sessions)} sessions, about {read:,} input tokens")
    return plan


ENGINE = dream_platform


# --- at fleet scale: chained dreams under a concurrency limit (workbench.fleet) ---------------


@dataclass
class DreamChain:
    """The dreams of a chain, in order: each one's id, status, sessions read, input and output
    stores and error; `output` is the last output store when every dream completed."""

    dreams: list[dict[str, Any]] = field(default_factory=list)
    output: Store | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.output is not None

    @property
    def written(self) -> list[str]:
        """The memory stores the chain's dreams wrote (completed or not)."""
        return [s for d in self.dreams for s in d["outputs"]]

    def usage(self) -> dict[str, int]:
        total = dict.fromkeys(api.USAGE_KEYS, 0)
        for d in self.dreams:
            api.add_usage(total, d.get("usage") or {})
        return total


def _link(number: int, dream: Any, store_id: str, sessions: Sequence[str], error: str | None) -> dict[str, Any]:
    outputs = [o.memory_store_id for o in (getattr(dream, "outputs", None) or [])]
    return {"dream": number, "id": getattr(dream, "id", None), "status": getattr(dream, "status", "not created"),
            "input_store_id": store_id, "sessions": len(sessions), "first_session": sessions[0],
            "last_session": sessions[-1], "outputs": outputs, "error": error,
            "usage": api.usage_dict(dream.usage) if getattr(dream, "usage", None) is not None else {}}


def run_dream_chain(client: Any, store_id: str, runs: Sequence[Sequence[str]], instructions: str | None = None,
                    model: str = api.DEFAULT_MODEL, poll_interval: float = 2.0, timeout: float = 1800.0, *,
                    slot: Callable[[], Any] | None = None, progress: bool = False) -> DreamChain:
    """Dream over `runs` of ≤ 100 session ids in turn, each dream's output store the next one's input.

    `slot()` is a context manager held for the life of each dream (a global concurrency limit,
    e.g. a cluster-wide semaphore). A dream that fails or is canceled stops the chain; the chain
    then says what each dream wrote, so nothing done on the platform goes unreported.
    """
    from contextlib import nullcontext

    chain, current, total = DreamChain(), store_id, len(runs)
    for number, ids in enumerate(runs, start=1):
        last: dict[str, Any] = {}
        with slot() if slot is not None else nullcontext():
            try:
                dream, output = run_dream(client, current, list(ids), instructions, model, poll_interval, timeout,
                                          progress=progress, on_poll=lambda d, seen=last: seen.update(dream=d))
            except EngineError as exc:
                chain.dreams.append(_link(number, last.get("dream"), current, list(ids), exc.message))
                chain.error = f"dream {number} of {total}: {exc.message}; {_written(chain)}"
                return chain
        chain.dreams.append(_link(number, dream, current, list(ids), None))
        chain.dreams[-1]["memories"] = len(output.memories)
        current, chain.output = output.id, output
    return chain


def _written(chain: DreamChain) -> str:
    parts = []
    for d in chain.dreams:
        what = ", ".join(d["outputs"]) if d["outputs"] else "nothing"
        parts.append(f"dream {d['dream']} ({d['id'] or 'not created'}, {d['status']}) wrote {what}")
    return "; ".join(parts)


def dream_platform_chained(corpus: Corpus, focus: Focus | None = None, *, client: Any = None,
                           store_id: str | None = None, model: str = api.DEFAULT_MODEL,
                           poll_interval: float = 2.0, timeout: float = 1800.0, max_retries: int = 2,
                           slot: Callable[[], Any] | None = None, progress: bool = False) -> tuple[Plan | None, DreamChain]:
    """`dream_platform` for any number of sessions: a chain of dreams of ≤ 100 sessions each, under
    `slot` (see `run_dream_chain`). Returns the plan (None when a dream of the chain did not
    complete) and the chain, which says what every dream did and wrote."""
    focus = focus or Focus()
    store_id = _store_id(corpus, store_id)
    runs = chain_sessions(corpus.sessions, focus)
    if not runs:
        raise EngineError("a dream reads 1 to 100 sessions; the corpus has none under this focus")
    client = api.make_client(client, engine="platform", max_retries=max_retries)
    started = time.perf_counter()
    input_store = pull_store(client, store_id)
    chain = run_dream_chain(client, store_id, [[s.id for s in run] for run in runs],
                            focus.instructions.strip() or None, model, poll_interval, timeout, slot=slot,
                            progress=progress)
    if not chain.ok:
        return None, chain
    plan = plan_from_stores(input_store, chain.output, focus, model=model, sessions=[s.id for r in runs for s in r])
    usage = chain.usage()
    plan.usage = {"total": usage, "cost_usd": api.estimate_cost(model, usage), "dreams": len(chain.dreams)}
    plan.inputs["dreams"] = [d["id"] for d in chain.dreams]
    return _against(plan, corpus, store_id, input_store, started), chain
