"""Many stores' Messages requests through the Message Batches API: submit, poll, collect.

`run_message_batches(client, items, state=...)` sends `(custom_id, request)` pairs in as few
batches as the API allows (100,000 requests, 256 MB each), polls them with a progress bar and
returns every answer by custom id: the message as a dict when it succeeded, or why it did not
(`errored: …`, `expired`, `canceled`) as text, for the caller to retry on its own. The batch ids
are written to `state` as soon as they exist, so a fleet that is stopped while the batches run
collects the same batches when it runs again instead of paying twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..api import faults
from ..errors import EngineError
from ..files import checked_write as write_text

MAX_REQUESTS = 100_000
MAX_BYTES = 200_000_000  # the API's limit is 256 MB a batch; leave room for the envelope
CUSTOM_ID = "^[a-zA-Z0-9_-]{1,64}$"


def _digest(items: Sequence[tuple[str, dict[str, Any]]]) -> str:
    h = hashlib.sha256()
    for custom_id, request in items:
        h.update(custom_id.encode() + b"\0" + json.dumps(request, sort_keys=True).encode() + b"\0")
    return h.hexdigest()


def _chunks(items: Sequence[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for custom_id, request in items:
        entry = {"custom_id": custom_id, "params": request}
        grow = len(json.dumps(entry, ensure_ascii=False).encode())
        if chunks[-1] and (len(chunks[-1]) >= MAX_REQUESTS or size + grow > MAX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += grow
    return [c for c in chunks if c]


def submit(client: Any, items: Sequence[tuple[str, dict[str, Any]]], state: Path | None = None) -> list[str]:
    """Create the batches (or find those a stopped run created for the same requests)."""
    digest = _digest(items)
    if state is not None and state.exists():
        try:
            saved = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        if saved.get("digest") == digest and saved.get("batches"):
            return list(saved["batches"])
    ids: list[str] = []
    for chunk in _chunks(items):
        with faults("create a Message Batch"):
            batch = client.messages.batches.create(requests=chunk)
        ids.append(batch.id)
        if state is not None:  # at once: a run stopped now finds these batches again
            write_text(state, json.dumps({"digest": digest, "batches": ids, "requests": len(items),
                                          "complete": len(ids) == len(_chunks(items))}, indent=2) + "\n")
    return ids


def wait(client: Any, ids: Sequence[str], total: int, *, poll_interval: float = 30.0, timeout: float | None = None,
         progress: bool = True) -> list[Any]:
    """Poll until every batch has ended; a progress bar counts the requests that have ended."""
    from tqdm.auto import tqdm

    deadline = None if timeout is None else time.monotonic() + timeout
    bar = tqdm(total=total, desc="message batches", unit="request", disable=not progress, leave=False)
    try:
        while True:
            batches = []
            for batch_id in ids:
                with faults(f"poll Message Batch {batch_id}"):
                    batches.append(client.messages.batches.retrieve(batch_id))
            counts = [b.request_counts for b in batches]
            done = sum(c.succeeded + c.errored + c.canceled + c.expired for c in counts)
            bar.update(max(0, done - bar.n))
            bar.set_postfix_str(", ".join(sorted({b.processing_status for b in batches})))
            if all(b.processing_status == "ended" for b in batches):
                return batches
            if deadline is not None and time.monotonic() >= deadline:
                raise EngineError(f"Message Batch(es) {', '.join(ids)} did not end within {timeout:g} s; they keep "
                                  "running: run the fleet again to collect them")
            time.sleep(poll_interval)
    finally:
        bar.close()


def collect(client: Any, ids: Sequence[str]) -> dict[str, Any]:
    """Every result by custom id: the message as a dict, or why the request has none (text)."""
    out: dict[str, Any] = {}
    for batch_id in ids:
        with faults(f"read the results of Message Batch {batch_id}"):
            for item in client.messages.batches.results(batch_id):
                result = item.result
                if result.type == "succeeded":
                    out[item.custom_id] = result.message.to_dict(mode="json")
                elif result.type == "errored":
                    error = getattr(result.error, "error", None)
                    detail = f"{getattr(error, 'type', 'error')}: {getattr(error, 'message', '')}".strip(": ")
                    out[item.custom_id] = f"errored ({detail})"
                else:
                    out[item.custom_id] = {"expired": "expired", "canceled": "was canceled"}.get(result.type,
                                                                                                result.type)
    return out


def run_message_batches(client: Any, items: Sequence[tuple[str, dict[str, Any]]], *, state: Path | None = None,
                        poll_interval: float = 30.0, timeout: float | None = None,
                        progress: bool = True) -> dict[str, Any]:
    """Submit, wait, collect (see the module docstring); `{}` when there is nothing to send."""
    if not items:
        return {}
    ids = submit(client, items, state)
    wait(client, ids, len(items), poll_interval=poll_interval, timeout=timeout, progress=progress)
    return collect(client, ids)


__all__ = ["run_message_batches", "submit", "wait", "collect", "MAX_REQUESTS", "MAX_BYTES"]
