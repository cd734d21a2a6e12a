"""Writing approved changes back to a platform memory store, never over an agent's newer write.

`push` applies the approved operations of any engine's plan to the store as it was pulled and
writes the difference whole memory by memory. Each write carries the `content_sha256` the memory
had when it was pulled as a precondition: a memory an agent changed (or deleted) meanwhile is
reported as a conflict and left as it is.

    report = push(client, corpus.store.id, plan, [op.id for op in plan.operations], corpus.store)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anthropic

from . import api
from .dream.plan import Operation, Plan, apply_operations
from .errors import ReaderError
from .records import Memory, Store

WRITE_RETRIES = 2  # a write is retried on 429, 5xx and connection errors only: a 409 is final at once


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


def _write(client: Any, store_id: str, path: str, old: Memory | None, new: Memory | None) -> Any:
    """One whole-memory write, conditional on the content `old` had when it was pulled."""
    memories = client.beta.memory_stores.memories
    if old is None:
        return memories.create(store_id, path=path, content=new.content)
    if new is None:
        return memories.delete(old.id, memory_store_id=store_id, expected_content_sha256=old.sha256)
    return memories.update(old.id, memory_store_id=store_id, content=new.content,
                           precondition={"type": "content_sha256", "content_sha256": old.sha256})


def _holds(client: Any, store_id: str, path: str, sha: str) -> bool:
    """True when the memory at `path` has content `sha` now (a write that timed out but landed)."""
    folder = path.rsplit("/", 1)[0] + "/"
    try:
        for item in client.beta.memory_stores.memories.list(store_id, path_prefix=folder, limit=100):
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
    quiet = client.with_options(max_retries=0)  # a 409 is final; api.call retries 429/5xx
    report = PushReport()
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old is not None and new is not None and old.content == new.content:
            continue
        entry = {"path": path, "memory_id": old.id if old else None,
                 "action": "create" if old is None else "delete" if new is None else "update",
                 "operations": [op.id for op in ops if path in _paths(op)]}
        try:
            api.call(lambda c, path=path, old=old, new=new: _write(c, store_id, path, old, new), quiet,
                     retries=WRITE_RETRIES)
            report.written.append(entry)
        except (anthropic.ConflictError, anthropic.NotFoundError) as exc:
            if new is not None and _holds(quiet, store_id, path, new.sha256):
                report.written.append({**entry, "detail": "the platform already holds this content "
                                                          "(an earlier attempt landed)"})
                continue
            why = "changed on the platform since it was pulled" if isinstance(exc, anthropic.ConflictError) \
                else "no longer on the platform"
            report.conflicted.append({**entry, "detail": f"{why} ({api.describe_error(exc)})"})
        except (anthropic.AnthropicError, ValueError) as exc:
            report.failed.append({**entry, "detail": api.describe_error(exc)})
    return report


__all__ = ["push", "PushReport", "WRITE_RETRIES"]
