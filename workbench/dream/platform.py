"""The platform engine: the real Dreams API through the anthropic SDK.

Pull a memory store and its sessions (`pull_store`, `pull_sessions`, `pull`), run a dream on the
platform and wait for it (`run_dream`), turn the difference between the input and output stores
into a Plan of whole-memory operations (`plan_from_stores`), and write approved changes back
with `content_sha256` preconditions, so a memory an agent changed meanwhile is reported as a
conflict and never overwritten (`push`).

    client = anthropic.Anthropic()
    corpus = pull(client, "memstore_...", "pulled/")
    plan = dream(corpus, Focus("Only coding style"), engine="platform", client=client)
    report = push(client, corpus.store.id, plan, [op.id for op in plan.operations], corpus.store)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anthropic

from .. import files
from ..errors import EngineError, LimitError, ReaderError, WorkbenchError
from ..focus import MAX_INSTRUCTIONS, Focus, chain_sessions, check, select_sessions
from ..io.sessions_platform import events_to_turns
from ..io.writers import store_json
from ..records import MAX_SESSIONS, Corpus, Memory, Session, Store, iso, parse_time, split_notes
from . import _client
from .plan import Operation, Plan, Result, Target, apply_operations

ENGINE_VERSION = "0.1.0"
FINAL = ("completed", "failed", "canceled")
STATUSES = ("pending", "running", *FINAL)
# The platform reports no confidence; 0.5 keeps its changes below a usual auto-approval bar.
PLATFORM_CONFIDENCE = 0.5


@contextmanager
def _api(what: str) -> Iterator[None]:
    """Turn an SDK error (or an answer that is not JSON) into an `EngineError` naming the step."""
    try:
        yield
    except (anthropic.AnthropicError, ValueError) as exc:
        raise EngineError(f"{what}: {_client.describe_error(exc)}") from None
    except (AttributeError, TypeError, KeyError) as exc:  # a 200 whose JSON has another shape
        raise EngineError(f"{what}: the API answered with an unexpected shape ({type(exc).__name__}: "
                          f"{str(exc)[:80]})") from None


def _plain(item: Any) -> dict[str, Any]:
    return item.to_dict(mode="json") if hasattr(item, "to_dict") else dict(item)


def connect(max_retries: int = 2, timeout: float | None = None) -> Any:
    """An `anthropic.Anthropic` from the SDK's configuration; `EngineError` when no key is set."""
    return _client.make_client(None, engine="platform", max_retries=max_retries, timeout=timeout)


# --- listing -----------------------------------------------------------------------------


def list_stores(client: Any) -> list[dict[str, Any]]:
    """Every (unarchived) memory store: id, name, description, times."""
    with _api("list memory stores"):
        return [_plain(s) for s in client.beta.memory_stores.list(limit=100)]


def list_sessions(client: Any, store_id: str | None = None) -> list[dict[str, Any]]:
    """Sessions, newest first; with `store_id`, only those that mount that store."""
    options = {"memory_store_id": store_id} if store_id else {}
    with _api("list sessions"):
        return [_plain(s) for s in client.beta.sessions.list(limit=100, **options)]


def list_dreams(client: Any) -> list[dict[str, Any]]:
    """Dreams, newest first, with status, inputs, outputs and usage."""
    with _api("list dreams"):
        return [_plain(d) for d in client.beta.dreams.list(limit=100)]


# --- pulling -----------------------------------------------------------------------------


def pull_store(client: Any, store_id: str, *, versions: bool = True) -> Store:
    """A platform memory store with every memory's content (and its version history)."""
    with _api(f"pull memory store {store_id}"):
        return _client.call(lambda c: _pull_store(c, store_id, versions), client)


def _pull_store(client: Any, store_id: str, versions: bool) -> Store:
    """One attempt at `pull_store` (retried from the start by `_client.call`)."""
    info = client.beta.memory_stores.retrieve(store_id)
    memories = []
    for item in client.beta.memory_stores.memories.list(store_id, view="full", limit=100):
        if getattr(item, "type", "memory") != "memory":
            continue
        if item.content is None:
            item = client.beta.memory_stores.memories.retrieve(item.id, memory_store_id=store_id, view="full")
        memories.append(Memory.from_dict(_plain(item), origin=f"platform:{store_id}{item.path}"))
    history = [_plain(v) for v in client.beta.memory_stores.memory_versions.list(store_id, limit=100)] \
        if versions else []
    return Store(tuple(sorted(memories, key=lambda m: m.path)), id=info.id, name=info.name,
                 origin=f"platform:{store_id}", versions=tuple(history))


def _session_export(client: Any, session_id: str) -> dict[str, Any]:
    """A session in the Managed Agents export shape: the session object plus its `events`."""
    with _api(f"pull session {session_id}"):
        session, events = _client.call(lambda c: (
            _plain(c.beta.sessions.retrieve(session_id)),
            [_plain(e) for e in c.beta.sessions.events.list(session_id, limit=100)]), client)
        if not isinstance(session, dict) or not isinstance(session.get("id"), str):
            raise EngineError(f"pull session {session_id}: the API answered without a session id")
    head = {k: session.get(k) for k in ("type", "id", "created_at", "title") if k in session}
    return {**head, "events": events, **{k: v for k, v in session.items() if k not in head}}


def session_from_export(data: Mapping[str, Any], origin: str = "") -> Session:
    """Map a session export to a `Session` exactly as the `managed-agents-session` reader does."""
    session_id = str(data["id"])
    origin = origin or f"platform:sessions/{session_id}"
    turns = events_to_turns(session_id, list(data.get("events") or []), Path(origin), "", None)
    started = data.get("created_at")
    started_at = parse_time(started, field_name="created_at") if started else (turns[0].at if turns else None)
    title = data.get("title") or next((t.text[:80] for t in turns if t.role == "user"), session_id)
    return Session(session_id, started_at, title, tuple(turns), origin=origin)


def pull_sessions(client: Any, session_ids: Iterable[str]) -> list[Session]:
    """Sessions with their events mapped to turns (user, agent, tool), in the order given."""
    return [session_from_export(_session_export(client, sid)) for sid in dict.fromkeys(session_ids)]


def _file_name(session_id: Any) -> str:
    """`<session id>.json`: an id from the server becomes a file name only through `files.safe_name`."""
    try:
        return files.safe_name(f"{files.safe_name(session_id, what='session id')}.json", what="session id")
    except WorkbenchError as exc:
        raise EngineError(f"the platform returned a session id that cannot be a file name: {exc.message}") from None


def pull(client: Any, store_id: str, out_dir: str | Path, session_ids: Iterable[str] | None = None) -> Corpus:
    """Write `store.json` and `sessions/<id>.json` under `out_dir` (Managed Agents shapes).

    Without `session_ids`, the sessions that mount the store. Everything is fetched before
    anything is written. `workbench.io.load_corpus(out/"store.json", out/"sessions")` reads it back.
    """
    store = pull_store(client, store_id)
    ids = list(session_ids) if session_ids is not None else [s["id"] for s in list_sessions(client, store_id)]
    exports = [_session_export(client, sid) for sid in dict.fromkeys(ids)]
    out = Path(out_dir)
    names = {id(d): _file_name(d["id"]) for d in exports}  # every name checked before anything is written
    try:
        files.write_text(out / "store.json", store_json(store))
        for data in exports:
            files.write_text(out / "sessions" / names[id(data)], json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ReaderError(f"cannot write: {exc.strerror or exc}", source=files.quote(out)) from None
    sessions = [session_from_export(d, str(out / "sessions" / names[id(d)])) for d in exports]
    return Corpus(store, tuple(sorted(sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id))))


# --- dreaming ----------------------------------------------------------------------------


def _cancel(client: Any, dream_id: str) -> None:
    try:
        _client.call(lambda c: c.beta.dreams.cancel(dream_id), client)
    except (anthropic.AnthropicError, ValueError):
        pass  # it may have finished meanwhile; the caller reports what happened


def _poll(client: Any, dream_id: str) -> Any:
    """The dream's current state; a poll that cannot be read cancels the dream and is an `EngineError`."""
    try:
        with _api(f"poll dream {dream_id}"):
            dream = _client.call(lambda c: c.beta.dreams.retrieve(dream_id), client)
            if getattr(dream, "status", None) not in STATUSES or getattr(dream, "id", None) != dream_id:
                raise EngineError(f"poll dream {dream_id}: the API answered with status "
                                  f"{getattr(dream, 'status', None)!r}, not a dream's")
    except EngineError as exc:
        _cancel(client, dream_id)
        raise EngineError(f"{exc.message}; the dream was canceled") from None
    return dream


def run_dream(client: Any, store_id: str, session_ids: Sequence[str], instructions: str | None = None,
              model: str = _client.DEFAULT_MODEL, poll_interval: float = 2.0, timeout: float = 1800.0, *,
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
    with _api("create a dream"):  # not retried on a timeout: a create that landed would start a second dream
        dream = _client.call(lambda c: c.beta.dreams.create(inputs=inputs, model=model, instructions=instructions or None),
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
        usage = _client.usage_dict(dream.usage)
        plan.usage = {"total": usage, "cost_usd": _client.estimate_cost(model or "", usage)}
    return plan


def _inputs(input_store: Store, output_store: Store, dream: Any, sessions: Sequence[str]) -> dict[str, Any]:
    times = [m.updated_at for m in input_store.memories]
    return {"store_digest": input_store.digest, "store_id": input_store.id, "sessions": list(sessions),
            "as_of": iso(max(times)) if times else None, "notes": len(input_store.notes),
            "memories": len(input_store.memories), "output_store_id": output_store.id,
            "dream_id": getattr(dream, "id", None)}


# --- pushing -----------------------------------------------------------------------------


@dataclass
class PushReport:
    """What `push` did, one entry per memory path: written, conflicted (changed meanwhile), failed."""

    written: list[dict[str, Any]] = field(default_factory=list)
    conflicted: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.conflicted and not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {"written": self.written, "conflicted": self.conflicted, "failed": self.failed}


def _paths(op: Operation) -> set[str]:
    return {t.path for t in op.targets} | ({op.result.path} if op.result else set())


def _write(memories: Any, store_id: str, path: str, old: Memory | None, new: Memory | None) -> Any:
    """One whole-memory write, conditional on the content `old` had when it was pulled."""
    if old is None:
        return memories.create(store_id, path=path, content=new.content)
    if new is None:
        return memories.delete(old.id, memory_store_id=store_id, expected_content_sha256=old.sha256)
    return memories.update(old.id, memory_store_id=store_id, content=new.content,
                           precondition={"type": "content_sha256", "content_sha256": old.sha256})


def _holds(memories: Any, store_id: str, path: str, sha: str) -> bool:
    """True when the memory at `path` has content `sha` now (a write that timed out but landed)."""
    folder = path.rsplit("/", 1)[0] + "/"
    try:
        for item in memories.list(store_id, path_prefix=folder, limit=100):
            if getattr(item, "path", None) == path:
                return getattr(item, "content_sha256", None) == sha
    except (anthropic.AnthropicError, ValueError):
        return False
    return False


def push(client: Any, store_id: str, plan: Plan, approved_operations: Iterable[str | Operation],
         input_store: Store, *, edits: Mapping[str, str] | None = None) -> PushReport:
    """Write the approved operations (any engine's) back to a platform store, whole memory by memory.

    Each write carries the `content_sha256` of `input_store`'s memory as a precondition: a memory
    changed (or deleted) on the platform since is reported as a conflict and left as it is.
    """
    wanted = {op if isinstance(op, str) else op.id for op in approved_operations}
    unknown = wanted - set(plan.by_id)
    if unknown:
        raise ReaderError(f"operation(s) not in the plan: {', '.join(sorted(unknown))}")
    ops = [op for op in plan.operations if op.id in wanted]
    target = apply_operations(input_store, ops, edits=edits)
    before, after = input_store.by_path, target.by_path
    writer = client.with_options(max_retries=0)  # a 409 is final; with_write_retries retries 429/5xx
    memories = writer.beta.memory_stores.memories
    report = PushReport()
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old is not None and new is not None and old.content == new.content:
            continue
        entry = {"path": path, "memory_id": old.id if old else None,
                 "action": "create" if old is None else "delete" if new is None else "update",
                 "operations": [op.id for op in ops if path in _paths(op)]}
        try:
            _client.with_write_retries(partial(_write, memories, store_id, path, old, new))
            report.written.append(entry)
        except (anthropic.ConflictError, anthropic.NotFoundError) as exc:
            if new is not None and _holds(memories, store_id, path, new.sha256):
                report.written.append({**entry, "detail": "the platform already holds this content "
                                                          "(an earlier attempt landed)"})
                continue
            why = "changed on the platform since it was pulled" if isinstance(exc, anthropic.ConflictError) \
                else "no longer on the platform"
            report.conflicted.append({**entry, "detail": f"{why} ({_client.describe_error(exc)})"})
        except (anthropic.AnthropicError, ValueError) as exc:
            report.failed.append({**entry, "detail": _client.describe_error(exc)})
    return report


# --- the engine --------------------------------------------------------------------------


def _store_id(corpus: Corpus, store_id: str | None) -> str:
    """The platform store to dream over: the one named, else the one the corpus was pulled from."""
    if not (store_id or corpus.store.id):
        raise EngineError("the platform engine dreams over a platform memory store: pull one with "
                          "`workbench pull STORE_ID --out DIR`, or pass store_id=...")
    return store_id or corpus.store.id


def dream_platform(corpus: Corpus, focus: Focus | None = None, *, client: Any = None, store_id: str | None = None,
                   model: str = _client.DEFAULT_MODEL, poll_interval: float = 2.0, timeout: float = 1800.0,
                   max_retries: int = 2, progress: bool = True, dry_run: bool = False,
                   on_poll: Callable[[Any], None] | None = None) -> Plan:
    """Run a real dream on the platform store the corpus came from, with the focus's instructions
    and focus-selected sessions (at most 100), and return the difference as a Plan.

    `dry_run=True` sends nothing: the plan's usage holds the create request and a token estimate.
    """
    focus = focus or Focus()
    store_id = _store_id(corpus, store_id)
    sessions = select_sessions(corpus.sessions, focus)
    if not sessions:
        raise EngineError("a dream reads 1 to 100 sessions; the corpus has none under this focus")
    if dry_run:
        return _dry_run(corpus, focus, store_id, sessions, model)
    client = _client.make_client(client, engine="platform", max_retries=max_retries)
    started = time.perf_counter()
    input_store = pull_store(client, store_id)
    dream, output = run_dream(client, store_id, [s.id for s in sessions], focus.instructions.strip() or None,
                              model, poll_interval, timeout, progress=progress, on_poll=on_poll)
    plan = plan_from_stores(input_store, output, focus, dream=dream, model=model, sessions=[s.id for s in sessions])
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
    read = sum(_client.approx_tokens(m.path + "\n" + m.content) for m in corpus.memories)
    read += sum(_client.approx_tokens(t.text) for s in sessions for t in s.turns)
    read += _client.approx_tokens(focus.instructions)
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
        total = dict.fromkeys(_client.USAGE_KEYS, 0)
        for d in self.dreams:
            _client.add_usage(total, d.get("usage") or {})
        return total


def _link(number: int, dream: Any, store_id: str, sessions: Sequence[str], error: str | None) -> dict[str, Any]:
    outputs = [o.memory_store_id for o in (getattr(dream, "outputs", None) or [])]
    return {"dream": number, "id": getattr(dream, "id", None), "status": getattr(dream, "status", "not created"),
            "input_store_id": store_id, "sessions": len(sessions), "first_session": sessions[0],
            "last_session": sessions[-1], "outputs": outputs, "error": error,
            "usage": _client.usage_dict(dream.usage) if getattr(dream, "usage", None) is not None else {}}


def run_dream_chain(client: Any, store_id: str, runs: Sequence[Sequence[str]], instructions: str | None = None,
                    model: str = _client.DEFAULT_MODEL, poll_interval: float = 2.0, timeout: float = 1800.0, *,
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
                           store_id: str | None = None, model: str = _client.DEFAULT_MODEL,
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
    client = _client.make_client(client, engine="platform", max_retries=max_retries)
    started = time.perf_counter()
    input_store = pull_store(client, store_id)
    chain = run_dream_chain(client, store_id, [[s.id for s in run] for run in runs],
                            focus.instructions.strip() or None, model, poll_interval, timeout, slot=slot,
                            progress=progress)
    if not chain.ok:
        return None, chain
    plan = plan_from_stores(input_store, chain.output, focus, model=model, sessions=[s.id for r in runs for s in r])
    usage = chain.usage()
    plan.usage = {"total": usage, "cost_usd": _client.estimate_cost(model, usage), "dreams": len(chain.dreams)}
    plan.inputs["dreams"] = [d["id"] for d in chain.dreams]
    if input_store.digest != corpus.store.digest:
        plan.notes.append(f"memory store {store_id} on the platform differs from the corpus's copy (changed since "
                          "it was pulled?); the plan is against the platform's current store")
    plan.timings = {"total": time.perf_counter() - started}
    return plan, chain
